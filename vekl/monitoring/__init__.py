"""The monitoring report for the city council: counts per round and across rounds,
published with small counts withheld, kept through the retention purge."""
