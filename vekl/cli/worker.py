"""``vekl worker``: runs matching jobs and sends mail, as a process of its own.

For an installation whose web app runs as ``vekl serve --no-worker`` (several web
processes, or web and worker on separate hosts). Any number of workers may run against one
PostgreSQL database; each job is taken by one of them.
"""

from __future__ import annotations

import logging.config
import signal
import threading
from types import FrameType

import typer

from vekl.cli.context import console, settings
from vekl.cli.serve import LOG_CONFIG
from vekl.jobs.worker import Worker
from vekl.store.db import ensure_reachable, make_engine, make_sessionmaker


def worker(
    name: str | None = typer.Option(
        None, help="Name in the heartbeat table and the log (default: host:pid)."
    ),
) -> None:
    """Run queued matching jobs and send due mail until SIGTERM or Ctrl-C."""
    config = settings()
    engine = make_engine(config.database_url, hide_parameters=True)
    ensure_reachable(engine)
    logging.config.dictConfig(LOG_CONFIG)
    loop = Worker(make_sessionmaker(engine), config, name=name)

    def stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("vekl.worker").info(
            "%s: stopping after the current step", signal.Signals(signum).name
        )
        loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    console.print(f"VEKL worker {loop.name}")
    # The loop runs in a thread so that the main thread is free to receive signals while a
    # solve is inside native code.
    thread = threading.Thread(target=loop.run, name="worker")
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
    engine.dispose()
