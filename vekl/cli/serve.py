"""``vekl serve``: the web app under uvicorn, plus the web-side commands.

``register`` adds this module's commands to the ``vekl`` command: ``serve``, ``codes``
(lottery letters), ``moderators links`` and ``registrations purge-pending``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import typer
import uvicorn

from vekl.cli import registrations
from vekl.cli.codes import app as codes_app
from vekl.cli.context import console, settings, unit_of_work
from vekl.cli.moderator_links import app as moderators_app
from vekl.services import online_registration


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Run the web app on the configured database (unconfirmed registrations are purged hourly)."""
    config = settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    console.print(f"VEKL web app on http://{host}:{port} (public address {config.base_url})")
    uvicorn.run(
        "api.app:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # uvicorn's access log prints paths and queries, which carry tokens and codes;
        # the app logs each request by its route template instead.
        access_log=False,
        log_config=None,
        proxy_headers=True,
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
