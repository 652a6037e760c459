"""The audit log page: newest first, for one round or all."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from vekl.audit import records as audit
from vekl.rounds import service as rounds
from vekl.store.models import AuditEntry, Round


@dataclass(frozen=True)
class AuditPage:
    round: Round | None
    entries: list[AuditEntry]
    rounds: dict[int, str]


def audit_page(session: Session, slug: str | None = None, limit: int = 500) -> AuditPage:
    round = rounds.get_round(session, slug) if slug else None
    names = {r.id: r.slug for r in rounds.list_rounds(session)}
    return AuditPage(round, audit.entries(session, round, limit=limit), names)
