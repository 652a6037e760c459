"""Lower and upper bounds: optional. They never change a grouping; they only prove results
optimal or tell how far a result could still be from the best (placement flow, the
transportation bound on balance, the language-aware pattern bound)."""
