"""The audit log: who changed what. Details must never hold personal data."""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vekl.store.models import AuditEntry, Round


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    round: Round | None = None,
    subject: str | None = None,
    **details: Any,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        round_id=round.id if round is not None else None,
        subject=subject,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session,
    actor: str,
    action: str,
    *,
    round: Round | None = None,
    subjects: list[str],
    **details: Any,
) -> None:
    """One entry per subject for the same action, in one statement (imports of thousands)."""
    if not subjects:
        return
    round_id = round.id if round is not None else None
    session.execute(
        insert(AuditEntry),
        [
            {
                "actor": actor,
                "action": action,
                "round_id": round_id,
                "subject": subject,
                "details": details,
            }
            for subject in subjects
        ],
    )


def entries(session: Session, round: Round | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if round is not None:
        query = query.where(AuditEntry.round_id == round.id)
    return list(session.scalars(query))
