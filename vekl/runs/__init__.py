"""Matching runs: the solver's input built from the store (``solver_input``), solving and
publishing (``service``), reviewing a draft (``review``), editing it by hand (``edits``), and
where people are now (``placements``)."""
