"""Feedback after the evenings: the anonymous survey, staying in touch, hearing about later
rounds (``docs/adr/0021-anonymous-feedback.md``)."""
