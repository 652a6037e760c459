"""Moderators of a round (``service``) and what their personal link shows (``pages``)."""
