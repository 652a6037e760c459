"""Why people wait: screening finds who can never be placed from the input alone, and the
waitlist reasons explain everyone else left waiting by trying to seat them."""
