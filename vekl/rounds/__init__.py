"""Rounds with their series, evenings and venues (``service``), and setting them up from the
organiser pages (``setup``)."""
