"""Who may open what: personal link tokens, the addresses in mails, organiser accounts and
sessions, and the limits on guessing letter codes and passwords."""
