"""Who came to which evening: marked by moderators (their own groups, for a while after the
evening) and by organisers (any group, any evening that has begun); counted for the report.

One service for the moderator's page, the organiser pages and the command line. A change
is saved whole or not at all: a person who is not in the group, or an evening outside the
moderator's window, refuses the lot. Every change of a mark is one audit entry naming the
person (by key) and the evening; nothing is logged for a mark that stays as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.access import tokens
from vekl.attendance import errors
from vekl.attendance.queries import active_members, evening_number, marks, published_groups
from vekl.audit import records as audit
from vekl.errors import Conflict, NotFound
from vekl.moderators.members import listed_names
from vekl.rounds import service as rounds
from vekl.runs.placements import moderator_groups
from vekl.store.models import (
    Attendance,
    Evening,
    Group,
    Moderator,
    Participant,
    Role,
    Round,
    Series,
)

PRESENT = "attendance.present"
ABSENT = "attendance.absent"
CLEARED = "attendance.cleared"
ACTIONS = (PRESENT, ABSENT, CLEARED)

# A person's mark: True came, False did not come, None not recorded (or, given, cleared).
Marks = Mapping[int, bool | None]


@dataclass(frozen=True)
class MemberMark:
    participant: Participant
    present: bool | None


@dataclass(frozen=True)
class GroupSheet:
    """One group's members on one evening, with what was recorded for each."""

    group: Group
    members: list[MemberMark]

    @property
    def no_shows(self) -> list[Participant]:
        return [m.participant for m in self.members if m.present is False]

    @property
    def unmarked(self) -> int:
        return sum(1 for m in self.members if m.present is None)


@dataclass(frozen=True)
class EveningSheet:
    """An evening as the organisers see it: every group that meets on it."""

    round: Round
    evening: Evening
    number: int
    started: bool
    groups: list[GroupSheet]


@dataclass(frozen=True)
class ListedMark:
    """A member as the moderator reads them (first name, an initial where needed)."""

    participant_id: int
    name: str
    present: bool | None


@dataclass(frozen=True)
class ModeratorSheet:
    """An evening of one of a moderator's groups; ``problem`` says why it cannot be marked
    (a message id, with ``days`` for its placeholder)."""

    moderator: Moderator
    group: Group
    evening: Evening
    number: int
    members: list[ListedMark]
    problem: str | None
    days: int


@dataclass(frozen=True)
class Saved:
    """What a save changed: the number of marks set, changed or cleared."""

    changed: int
    present: int
    absent: int


def _sheet(
    group: Group,
    evening: Evening,
    found: dict[tuple[int, int], Attendance],
    *,
    by_surname: bool = False,
) -> GroupSheet:
    """The group's members with their marks: by first name, or (``by_surname``) in the order
    of the printed sign-in sheet."""
    people = active_members(group)
    if by_surname:
        people.sort(key=lambda p: (p.last_name.casefold(), p.first_name.casefold()))
    members = []
    for person in people:
        row = found.get((person.id, evening.id))
        members.append(MemberMark(person, row.present if row is not None else None))
    return GroupSheet(group, members)


def moderator_problem(evening: Evening, days: int, now: datetime) -> str | None:
    """Why a moderator cannot mark this evening now (a message id), or None if they can.

    From the evening's start until ``days`` days after its end.
    """
    if now < evening.starts_at:
        return errors.NOT_STARTED
    if now > evening.ends_at + timedelta(days=days):
        return errors.TOO_LATE
    return None


def moderator_actor(moderator: Moderator) -> str:
    return f"moderator:{moderator.id}"


def _moderator_group(session: Session, moderator: Moderator, group_key: str) -> Group:
    for group in moderator_groups(session, moderator):
        if group.key == group_key:
            return group
    raise NotFound(errors.NO_GROUP, group=group_key)


def _group_evening(group: Group, evening_id: int) -> Evening:
    for evening in group.series.evenings:
        if evening.id == evening_id:
            return evening
    raise NotFound(errors.NO_EVENING_OF_GROUP, id=evening_id)


def moderator_sheet(
    session: Session, token: str, group_key: str, evening_id: int, *, days: int, now: datetime
) -> ModeratorSheet:
    """One evening of one of the moderator's groups, with its members and their marks."""
    moderator = tokens.moderator_for(session, token)
    group = _moderator_group(session, moderator, group_key)
    evening = _group_evening(group, evening_id)
    sheet = _sheet(group, evening, marks(session, [evening.id]))
    names = listed_names(m.participant for m in sheet.members)
    return ModeratorSheet(
        moderator=moderator,
        group=group,
        evening=evening,
        number=evening_number(evening),
        members=[
            ListedMark(m.participant.id, names[m.participant.id], m.present) for m in sheet.members
        ],
        problem=moderator_problem(evening, days, now),
        days=days,
    )


def open_evenings(group: Group, days: int, now: datetime) -> list[Evening]:
    """The evenings of the group a moderator can mark now."""
    return [e for e in group.series.evenings if moderator_problem(e, days, now) is None]


def _apply(
    session: Session,
    round: Round,
    evening: Evening,
    given: Marks,
    actor: str,
    now: datetime,
) -> Saved:
    number = evening_number(evening)
    # Two people marking the same evening at once (both moderators of a group, or a
    # moderator and an organiser) take turns: the second reads what the first saved instead
    # of inserting the same mark again. SQLite serialises writers already.
    session.execute(select(Evening.id).where(Evening.id == evening.id).with_for_update())
    found = marks(session, [evening.id], given.keys())
    changed = 0
    for participant_id, present in sorted(given.items()):
        row = found.get((participant_id, evening.id))
        before = row.present if row is not None else None
        if before == present:
            continue
        if present is None:
            assert row is not None
            session.delete(row)
            action = CLEARED
        else:
            if row is None:
                row = Attendance(participant_id=participant_id, evening_id=evening.id)
                session.add(row)
            row.present = present
            row.marked_by = actor
            row.marked_at = now
            action = PRESENT if present else ABSENT
        changed += 1
        details: dict[str, object] = {"evening": evening.id, "number": number}
        if before is not None:
            details["before"] = "present" if before else "absent"
        audit.record(
            session, actor, action, round=round, subject=f"participant:{participant_id}", **details
        )
    session.flush()
    return Saved(
        changed=changed,
        present=sum(1 for v in given.values() if v is True),
        absent=sum(1 for v in given.values() if v is False),
    )


def mark_by_moderator(
    session: Session,
    token: str,
    group_key: str,
    evening_id: int,
    given: Mapping[int, bool],
    *,
    days: int,
    now: datetime,
) -> Saved:
    """Record who came to an evening of the moderator's own group, within their window.

    Outside the window (``Conflict`` with :data:`errors.NOT_STARTED` or
    :data:`errors.TOO_LATE`) and for anyone not in the group (:data:`errors.NOT_IN_GROUP`)
    nothing is changed.
    """
    moderator = tokens.moderator_for(session, token)
    group = _moderator_group(session, moderator, group_key)
    evening = _group_evening(group, evening_id)
    problem = moderator_problem(evening, days, now)
    if problem is not None:
        raise Conflict(problem, days=days)
    members = {p.id for p in active_members(group)}
    if any(pid not in members for pid in given):
        raise Conflict(errors.NOT_IN_GROUP)
    return _apply(session, moderator.round, evening, dict(given), moderator_actor(moderator), now)


def _round_evening(session: Session, round: Round, evening_id: int) -> Evening:
    evening = session.get(Evening, evening_id)
    if evening is None or evening.series.round_id != round.id:
        raise NotFound(errors.NO_EVENING, id=evening_id, round=round.slug)
    return evening


def _evening_groups(session: Session, round: Round, evening: Evening) -> list[Group]:
    return [g for g in published_groups(session, round) if g.series_id == evening.series_id]


def evening_sheet(session: Session, slug: str, evening_id: int, *, now: datetime) -> EveningSheet:
    """An evening of the round with every group that meets on it, for the organisers."""
    round = rounds.get_round(session, slug)
    evening = _round_evening(session, round, evening_id)
    groups = _evening_groups(session, round, evening)
    found = marks(session, [evening.id])
    return EveningSheet(
        round=round,
        evening=evening,
        number=evening_number(evening),
        started=evening.starts_at <= now,
        groups=[_sheet(g, evening, found, by_surname=True) for g in groups],
    )


def mark_by_organiser(
    session: Session,
    slug: str,
    evening_id: int,
    given: Marks,
    actor: str,
    *,
    now: datetime,
) -> Saved:
    """Record or correct who came (None clears a mark); any time after the evening began."""
    round = rounds.get_round(session, slug)
    evening = _round_evening(session, round, evening_id)
    if evening.starts_at > now:
        raise Conflict(errors.NOT_STARTED_ORGANISER, number=evening_number(evening))
    members = {p.id for g in _evening_groups(session, round, evening) for p in active_members(g)}
    strangers = sorted(pid for pid in given if pid not in members)
    if strangers:
        raise Conflict(errors.NOT_A_MEMBER, id=strangers[0])
    return _apply(session, round, evening, given, actor, now)


def find_evenings(
    session: Session, slug: str, number: int, series_key: str | None = None
) -> list[Evening]:
    """Evening ``number`` (1 for the first) of each series of the round, or of one series."""
    round = rounds.get_round(session, slug)
    series: list[Series] = list(round.series)
    if series_key is not None:
        series = [s for s in series if s.key == series_key]
        if not series:
            raise NotFound(errors.NO_SERIES, series=series_key, round=slug)
    found = []
    for one in series:
        if 1 <= number <= len(one.evenings):
            found.append(one.evenings[number - 1])
        elif series_key is not None:
            raise NotFound(errors.NO_EVENING_NUMBER, series=one.key, number=number)
    return found


@dataclass(frozen=True)
class NoShow:
    participant: Participant
    group: Group
    evening: Evening


def first_evening_no_shows(session: Session, round: Round) -> list[NoShow]:
    """Members still in the round who were marked absent on their group's first evening."""
    groups = published_groups(session, round)
    firsts = {g.id: g.series.evenings[0] for g in groups if g.series.evenings}
    found = marks(session, {e.id for e in firsts.values()})
    out = []
    for group in groups:
        first = firsts.get(group.id)
        if first is None:
            continue
        for person in active_members(group):
            row = found.get((person.id, first.id))
            if row is not None and not row.present:
                out.append(NoShow(person, group, first))
    return out


# The monitoring report's figures: counts only.


@dataclass
class Counts:
    expected: int = 0
    present: int = 0
    absent: int = 0
    unmarked: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "expected": self.expected,
            "present": self.present,
            "absent": self.absent,
            "unmarked": self.unmarked,
        }


def _by_role() -> dict[str, Counts]:
    return {role.value: Counts() for role in Role}


@dataclass(frozen=True)
class EveningCounts:
    series: str
    number: int
    starts_at: datetime
    by_role: dict[str, Counts]

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.by_role.values():
            total.expected += counts.expected
            total.present += counts.present
            total.absent += counts.absent
            total.unmarked += counts.unmarked
        return total


@dataclass(frozen=True)
class RoundAttendance:
    """Per evening of every series with published groups, by role; and completion.

    ``expected`` on an evening: the members of the series' groups who have not dropped out,
    and whoever has a mark for that evening (someone marked absent on the first evening and
    then dropped out still counts on that evening). ``members`` and ``completed`` count the
    members who have not dropped out, and those of them who came to every evening.
    """

    round: str
    evenings: list[EveningCounts]
    members: dict[str, int] = field(default_factory=dict)
    completed: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "round": self.round,
            "evenings": [
                {
                    "series": e.series,
                    "number": e.number,
                    "starts_at": e.starts_at.isoformat(),
                    "by_role": {role: c.as_dict() for role, c in e.by_role.items()},
                    "total": e.total.as_dict(),
                }
                for e in self.evenings
            ],
            "members": dict(self.members),
            "completed": dict(self.completed),
        }


def round_counts(session: Session, round: Round) -> RoundAttendance:
    """The round's attendance as numbers, for the monitoring report. No names."""
    groups = published_groups(session, round)
    series = {g.series_id: g.series for g in groups}
    evenings = [e for s in sorted(series.values(), key=lambda s: s.id) for e in s.evenings]
    found = marks(session, [e.id for e in evenings])
    marked_people = {pid for pid, _ in found}
    roles = {p.id: p.role.value for g in groups for m in g.members for p in [m.participant]}
    for pid in marked_people - roles.keys():
        person = session.get(Participant, pid)
        if person is not None:
            roles[pid] = person.role.value
    active: dict[int, set[int]] = {}
    for group in groups:
        active.setdefault(group.series_id, set()).update(p.id for p in active_members(group))
    out = []
    for evening in evenings:
        by_role = _by_role()
        expected = active.get(evening.series_id, set()) | {
            pid for pid, eid in found if eid == evening.id
        }
        for pid in expected:
            counts = by_role[roles[pid]]
            counts.expected += 1
            row = found.get((pid, evening.id))
            if row is None:
                counts.unmarked += 1
            elif row.present:
                counts.present += 1
            else:
                counts.absent += 1
        out.append(
            EveningCounts(evening.series.key, evening_number(evening), evening.starts_at, by_role)
        )
    members = {role.value: 0 for role in Role}
    completed = {role.value: 0 for role in Role}
    for series_id, people in active.items():
        series_evenings = series[series_id].evenings
        for pid in people:
            members[roles[pid]] += 1
            came = all(
                (row := found.get((pid, e.id))) is not None and row.present for e in series_evenings
            )
            if came and series_evenings:
                completed[roles[pid]] += 1
    return RoundAttendance(round.slug, out, members, completed)


@dataclass(frozen=True)
class EveningLine:
    evening: Evening
    number: int
    started: bool
    counts: Counts


@dataclass(frozen=True)
class Overview:
    """Every evening of the round's series with groups, with its counts; the no-shows."""

    round: Round
    series: list[tuple[Series, list[EveningLine]]]
    no_shows: list[NoShow]


def overview(session: Session, slug: str, *, now: datetime) -> Overview:
    round = rounds.get_round(session, slug)
    totals = {(e.series, e.number): e.total for e in round_counts(session, round).evenings}
    series = []
    for one in round.series:
        lines = [
            EveningLine(
                evening=evening,
                number=number,
                started=evening.starts_at <= now,
                counts=totals[(one.key, number)],
            )
            for number, evening in enumerate(one.evenings, start=1)
            if (one.key, number) in totals
        ]
        if lines:
            series.append((one, lines))
    return Overview(round, series, first_evening_no_shows(session, round))
