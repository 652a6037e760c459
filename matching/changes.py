"""What a rematch would change, for the preview organisers approve before publishing.

Compares the published (previous) groups with a new solution: who stays, who moves from which
group to which (or to the waitlist), who joins from the waitlist, who left (dropped out, no
longer listed), and which groups are kept, new, dissolved or merged into another. The series
changes (whose evenings change) and the language changes are listed on their own, with the
reasons the solver gave (``Solution.rematch``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from matching.models import LanguageChange, Previous, PreviousGroup, SeriesChange, Solution


class Move(BaseModel):
    participant: str
    from_group: str
    # None: to the waitlist.
    to_group: str | None


class Placement(BaseModel):
    participant: str
    group: str


class GroupChange(BaseModel):
    group: str
    kind: Literal["kept", "new", "dissolved", "merged"]
    # For merged groups: the group most of its remaining members went to.
    into: str | None = None


class Changes(BaseModel):
    stays: list[Placement]
    moves: list[Move]
    joins: list[Placement]
    left: list[Placement]
    groups: list[GroupChange]
    # Previous members whose evenings change, and groups whose working language changes,
    # each with its reason (empty for solutions without them).
    series_changes: list[SeriesChange] = []
    language_changes: list[LanguageChange] = []

    def text(self) -> str:
        lines = []
        for evenings in self.series_changes:
            target = (
                f"{evenings.to_group} ({evenings.to_series})"
                if evenings.to_group
                else "the waitlist"
            )
            lines.append(
                f"{evenings.participant}: evenings change, {evenings.from_group} "
                f"({evenings.from_series}) -> {target}: {evenings.reason}"
            )
        for language in self.language_changes:
            lines.append(
                f"group {language.group}: language {language.from_language} -> "
                f"{language.to_language}: {language.reason}"
            )
        for change in self.groups:
            if change.kind != "kept":
                into = f" into {change.into}" if change.into else ""
                lines.append(f"group {change.group}: {change.kind}{into}")
        for move in self.moves:
            target = move.to_group or "the waitlist"
            lines.append(f"{move.participant}: {move.from_group} -> {target}")
        for join in self.joins:
            lines.append(f"{join.participant}: joins {join.group}")
        for gone in self.left:
            lines.append(f"{gone.participant}: left {gone.group}")
        lines.append(f"{len(self.stays)} stay where they were")
        return "\n".join(lines)


def changes(previous: Previous | Sequence[PreviousGroup] | None, solution: Solution) -> Changes:
    groups = list(previous.groups if isinstance(previous, Previous) else previous or [])
    now = {i: g.id for g in solution.groups for i in g.members}
    waiting = {w.id for w in solution.waitlist}
    before = {i: g.id for g in groups for i in g.members}
    stays, moves, left = [], [], []
    for group in groups:
        for i in group.members:
            if i in now and now[i] == group.id:
                stays.append(Placement(participant=i, group=group.id))
            elif i in now:
                moves.append(Move(participant=i, from_group=group.id, to_group=now[i]))
            elif i in waiting:
                moves.append(Move(participant=i, from_group=group.id, to_group=None))
            else:
                left.append(Placement(participant=i, group=group.id))
    joins = [
        Placement(participant=i, group=g.id)
        for g in solution.groups
        for i in g.members
        if i not in before
    ]
    current_ids = {g.id for g in solution.groups}
    previous_ids = {g.id for g in groups}
    group_changes = []
    for group in groups:
        if group.id in current_ids:
            group_changes.append(GroupChange(group=group.id, kind="kept"))
            continue
        targets = Counter(now[i] for i in group.members if i in now)
        remaining = sum(1 for i in group.members if i in now or i in waiting)
        if targets:
            target, count = targets.most_common(1)[0]
            if 2 * count >= remaining:
                group_changes.append(GroupChange(group=group.id, kind="merged", into=target))
                continue
        group_changes.append(GroupChange(group=group.id, kind="dissolved"))
    group_changes += [
        GroupChange(group=g.id, kind="new") for g in solution.groups if g.id not in previous_ids
    ]
    found = solution.rematch
    return Changes(
        stays=stays,
        moves=moves,
        joins=joins,
        left=left,
        groups=group_changes,
        series_changes=list(found.series_changes) if found is not None else [],
        language_changes=list(found.language_changes) if found is not None else [],
    )
