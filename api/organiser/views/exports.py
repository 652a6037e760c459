"""The exports page: the published groups' rosters, and when the round's data goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vekl.exports import service as exports
from vekl.retention import service as retention
from vekl.rounds import service as rounds
from vekl.store.models import Group, Round


@dataclass(frozen=True)
class ExportsPage:
    round: Round
    groups: list[Group]
    purge_due_at: datetime | None
    purge_due: bool
    statistics: dict[str, Any] | None


def exports_page(session: Session, slug: str, now: datetime | None = None) -> ExportsPage:
    round = rounds.load_round_tree(session, slug)
    return ExportsPage(
        round=round,
        groups=exports.published_groups(session, round),
        purge_due_at=retention.purge_due_at(session, round),
        purge_due=retention.is_due(session, round, now or datetime.now(UTC)),
        statistics=retention.kept_statistics(session, round),
    )
