"""The CP-SAT model of forming groups (one method per hard rule and objective term), the
staged search on it, and neighbourhoods of a few series solved with it."""
