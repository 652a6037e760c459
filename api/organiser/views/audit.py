"""The audit log page: newest first, for one round or all, in words.

The log stores keys ("registration.drop_out", "participant:84"); the page says what was
done (``organiser/_macros.html``: ``audit_action``) and to whom or what, by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from vekl.audit import records as audit
from vekl.audit.records import Described, Subject
from vekl.rounds import service as rounds
from vekl.runs.placements import group_label, group_letter
from vekl.store.models import AuditEntry, Evening, Group, Round


@dataclass(frozen=True)
class Line:
    """One entry as the page shows it."""

    described: Described
    # The group a hand edit was about, as its members read its name.
    group: str | None

    @property
    def entry(self) -> AuditEntry:
        return self.described.entry

    @property
    def subject(self) -> Subject | None:
        return self.described.subject

    @property
    def people(self) -> list[str | None]:
        return self.described.people

    @property
    def series(self) -> list[str]:
        return self.described.series

    @property
    def evening(self) -> Evening | None:
        return self.described.evening

    @property
    def actor_name(self) -> str | None:
        return self.described.actor_name


@dataclass(frozen=True)
class AuditPage:
    round: Round | None
    lines: list[Line]
    rounds: dict[int, str]


def lines(session: Session, entries: list[AuditEntry]) -> list[Line]:
    out = []
    for described in audit.describe(session, entries):
        group = described.group
        label = group if not isinstance(group, Group) else group_label(group)
        if isinstance(group, Group) and described.entry.action == "group.rename":
            # The name it has now would be named twice; the letter says which group it was.
            label = f"{group_letter(group.key)} ({group.series.label})"
        out.append(Line(described, label))
    return out


def audit_page(session: Session, slug: str | None = None, limit: int = 500) -> AuditPage:
    round = rounds.get_round(session, slug) if slug else None
    names = {r.id: r.name for r in rounds.list_rounds(session)}
    return AuditPage(round, lines(session, audit.entries(session, round, limit=limit)), names)
