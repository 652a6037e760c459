"""Whether the installation works: the database answers, a worker is alive, mail moves.

For a load balancer or a monitoring system. The answer holds names of checks, ages in
seconds and counts: nothing personal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from vekl.jobs import queries as job_queries
from vekl.mail import dispatch as mail_dispatch
from vekl.settings import Settings
from vekl.store import problems

log = logging.getLogger("vekl.health")


@dataclass(frozen=True)
class Check:
    name: str
    # None: not known, because an earlier check failed.
    ok: bool | None
    detail: dict[str, float | int | None]


@dataclass(frozen=True)
class Health:
    checks: list[Check]

    @property
    def failing(self) -> list[str]:
        return [c.name for c in self.checks if c.ok is False]

    @property
    def ok(self) -> bool:
        return all(c.ok is True for c in self.checks)


def check(session: Session, settings: Settings, now: datetime | None = None) -> Health:
    """Database reachable; a worker's heartbeat younger than ``worker_stale_after`` (either
    ``vekl worker`` or the loop inside ``vekl serve`` must run); no mail due for longer than
    ``outbox_stuck_after``."""
    moment = now or datetime.now(UTC)
    try:
        session.execute(select(1))
    except SQLAlchemyError as exc:
        # The reason goes to the log only (the URL names the server, its password masked).
        log.warning("health: %s", problems.describe(exc, settings.database_url))
        session.rollback()
        return Health(
            [
                Check("database", False, {}),
                Check("worker", None, {}),
                Check("outbox", None, {}),
            ]
        )
    beat = job_queries.newest_worker_heartbeat(session)
    age = (moment - beat).total_seconds() if beat is not None else None
    worker_ok = age is not None and age <= settings.worker_stale_after
    stuck = mail_dispatch.overdue(session, moment, timedelta(seconds=settings.outbox_stuck_after))
    return Health(
        [
            Check("database", True, {}),
            Check("worker", worker_ok, {"heartbeat_age_seconds": _round(age)}),
            Check("outbox", stuck == 0, {"overdue_mails": stuck}),
        ]
    )


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)
