"""Data retention: removing a round's personal data after its retention period."""
