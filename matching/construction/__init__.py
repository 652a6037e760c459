"""Building valid groupings: the locked previous groups first, then the greedy start (and
making room), and the rematch that repairs the series dropouts broke."""
