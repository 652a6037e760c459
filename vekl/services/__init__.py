"""Everything the CLI and the web app can do, as small typed functions.

Services take a session, flush what they change, and leave committing to whoever owns
the transaction (the CLI command or the request), so one action is one transaction.
"""
