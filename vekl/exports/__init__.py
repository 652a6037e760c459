"""What organisers take out of the system: rosters, sign-in sheets, the round as JSON."""
