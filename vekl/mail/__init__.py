"""Mail: the planner that decides who is told what (``planner``), the outbox it writes to in
the caller's transaction (``outbox``), sending after commit (``dispatch``), recipients and
sender (``recipients``) and the organiser's view of the outbox (``overview``)."""
