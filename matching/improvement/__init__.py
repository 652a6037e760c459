"""Improving a valid grouping: the neighbourhood search for placement and moves, and
polishing the balance by local search."""
