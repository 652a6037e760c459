"""The VEKL application: settings, the store, one package per domain, and the `vekl` command.

Services take a session, flush what they change, and leave committing to whoever owns the
transaction (the CLI command, the request or the worker job), so one action is one transaction.
"""
