"""Jobs that live in the database and the worker process that runs them.

``service`` changes job rows (enqueue, claim, heartbeat, cancel, finish, fail, reap),
``queries`` reads them, ``worker`` is the loop of ``vekl worker`` (and of ``vekl serve``
when it runs everything in one process).
"""
