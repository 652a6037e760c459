"""``vekl serve``: the web app under uvicorn, plus the web-side commands.

``register`` adds this module's commands to the ``vekl`` command: ``serve``, ``codes``
(lottery letters), ``moderators links`` and ``registrations purge-pending``.

Unless ``--no-worker`` is given, ``serve`` also runs the job worker (matching runs, mail)
in a thread of its own process, next to uvicorn's supervisor: one process is the whole
installation. A larger one runs ``vekl serve --no-worker`` and ``vekl worker`` separately.
"""

from __future__ import annotations

import logging
import logging.config
import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import typer
import uvicorn

from vekl.cli import registrations
from vekl.cli.codes import app as codes_app
from vekl.cli.context import check_database, console, settings, unit_of_work
from vekl.cli.moderator_links import app as moderators_app
from vekl.jobs.worker import Worker
from vekl.registration import online as online_registration
from vekl.store.db import make_engine, make_sessionmaker

# Applied by uvicorn in every worker process as well as here; one line per event.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
}


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Web worker processes."),
    worker: bool = typer.Option(
        True,
        "--worker/--no-worker",
        help="Also run matching jobs and send mail in this process (else run `vekl worker`).",
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        help="Proxies whose X-Forwarded-* headers are trusted, comma-separated "
        "(default: $FORWARDED_ALLOW_IPS, else 127.0.0.1).",
    ),
) -> None:
    """Run the web app on the configured database (unconfirmed registrations are purged hourly)."""
    config = settings()
    check_database(config.database_url)
    logging.config.dictConfig(LOG_CONFIG)
    console.print(f"VEKL web app on http://{host}:{port} (public address {config.base_url})")
    loop: Worker | None = None
    thread: threading.Thread | None = None
    if worker:
        engine = make_engine(config.database_url, hide_parameters=True)
        loop = Worker(make_sessionmaker(engine), config)
        thread = threading.Thread(target=loop.run, name="worker", daemon=True)
        thread.start()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # uvicorn handles the signal first (a graceful shutdown), then raises it again for
        # the handler it found, this one: the process ends through ``finally`` below.
        if loop is not None:
            loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        _run(host, port, workers, forwarded_allow_ips)
    finally:
        if loop is not None and thread is not None:
            # A search in progress is handed back to the queue for the next start.
            loop.stop()
            thread.join(timeout=30)


def _run(host: str, port: int, workers: int, forwarded_allow_ips: str | None) -> None:
    uvicorn.run(
        "api.app:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # uvicorn's access log prints paths and queries, which carry tokens and codes;
        # the app logs each request by its route template instead.
        access_log=False,
        log_config=LOG_CONFIG,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        # Workers start by importing the whole ``vekl`` command (it is their main module);
        # on a busy two-core machine that takes longer than uvicorn's default 5 s allowance,
        # after which it would kill and restart them without end.
        timeout_worker_healthcheck=60,
    )


def purge_pending() -> None:
    """Delete registrations whose email was not confirmed within 7 days."""
    with unit_of_work() as session:
        removed = online_registration.purge_pending(session, datetime.now(UTC))
    console.print(f"Removed {removed} unconfirmed registrations older than 7 days.")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(codes_app, name="codes")
    app.add_typer(moderators_app, name="moderators")
    registrations.app.command("purge-pending")(purge_pending)
