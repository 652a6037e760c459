"""``vekl serve``: the web app under uvicorn, plus the web-side commands.

``register`` adds this module's commands to the ``vekl`` command: ``serve``, ``codes``
(lottery letters), ``moderators links`` and ``registrations purge-pending``.

Besides the web workers, ``serve`` runs one mail loop in its own process (a thread next
to uvicorn's supervisor), so a confirmation mail leaves within seconds whatever the
number of workers; ``--no-send-mail`` leaves sending to a separate ``vekl mail send``.
"""

from __future__ import annotations

import logging
import logging.config
import threading
from datetime import UTC, datetime
from typing import Any

import typer
import uvicorn

from vekl.cli import registrations
from vekl.cli.codes import app as codes_app
from vekl.cli.context import console, settings, unit_of_work
from vekl.cli.moderator_links import app as moderators_app
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import planner as notify
from vekl.registration import online as online_registration
from vekl.settings import Settings
from vekl.store.db import make_engine, make_sessionmaker, transaction

log = logging.getLogger("vekl.mail")
MAIL_INTERVAL = 15.0

# Applied by uvicorn in every worker process as well as here; one line per event.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
}


def _send_mail_forever(config: Settings, stop: threading.Event) -> None:
    """Queue due reminders and send what is due, every ``MAIL_INTERVAL`` seconds."""
    sessions = make_sessionmaker(make_engine(config.database_url, hide_parameters=True))
    transport = mail_dispatch.transport_for(config)
    while not stop.is_set():
        try:
            with transaction(sessions) as session:
                notify.queue_reminders(session, settings=config)
            result = mail_dispatch.dispatch_all(sessions, transport)
            if result.claimed:
                log.info(
                    "mail: %d sent, %d to retry, %d failed",
                    result.sent,
                    result.retrying,
                    result.failed,
                )
        except Exception as exc:  # the loop must outlive a broken mail server
            # Only the kind of error: messages may carry addresses.
            log.error("sending mail failed (%s); trying again", type(exc).__name__)
        stop.wait(MAIL_INTERVAL)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    send_mail: bool = typer.Option(
        True, "--send-mail/--no-send-mail", help="Also send queued mails every 15 seconds."
    ),
) -> None:
    """Run the web app on the configured database (unconfirmed registrations are purged hourly)."""
    config = settings()
    logging.config.dictConfig(LOG_CONFIG)
    console.print(f"VEKL web app on http://{host}:{port} (public address {config.base_url})")
    stop = threading.Event()
    if send_mail:
        threading.Thread(
            target=_send_mail_forever, args=(config, stop), name="mail", daemon=True
        ).start()
    try:
        _run(host, port, workers)
    finally:
        stop.set()


def _run(host: str, port: int, workers: int) -> None:
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
