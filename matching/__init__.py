"""Forms balanced dialogue groups with OR-Tools CP-SAT; a pure library (no database, no I/O)."""
