"""Changing a draft grouping by hand: pin someone to a group, or swap two people.

The edited solution goes through the same independent checker as every solver result; an
edit that breaks a hard rule is refused, and nothing changes. The refusal says what broke
as data (:class:`Breach`: the rule, what about it, the people by name, the group and series
by their labels), for the pages to word in the organiser's language. An
accepted edit rewrites the draft's solution, its group and waiting-list rows and its
report together, so the page, the mails and the checker all see one grouping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import matching
from matching.rules import Rule
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from vekl.rounds import service as rounds
from vekl.runs.placements import group_label
from vekl.runs.solver_input import parse_key, participant_key
from vekl.store.models import (
    Group,
    GroupMember,
    MatchingRun,
    Participant,
    Round,
    RunStatus,
    Series,
    WaitlistEntry,
)

WAITLIST_REASON = "moved to the waiting list by an organiser"


@dataclass(frozen=True)
class Breach:
    """One hard rule an edit would break, in the words of the round, not of the solver.

    ``kind`` is the checker's code for what exactly broke (``together``, ``apart``,
    ``series_not_listed``, ``size``, …; empty when it has none); ``person`` and ``other`` are
    the people concerned by name, ``group`` the group's label; ``values`` hold the rest
    (``series`` as its label, ``language`` and ``origin`` as codes, counts as numbers).
    """

    rule: Rule
    kind: str = ""
    group: str | None = None
    person: str | None = None
    other: str | None = None
    values: Mapping[str, str | int] = field(default_factory=dict)


class EditRefused(Conflict):
    """The edit would break hard rules; ``breaches`` say which, naming the people."""

    def __init__(self, breaches: list[Breach]) -> None:
        super().__init__(
            N_("the change breaks a hard rule: %(rules)s"),
            rules="; ".join(
                f"rule {int(b.rule)} ({b.kind or b.rule.name.lower()})" for b in breaches
            ),
        )
        self.breaches = breaches


def _person_names(session: Session, keys: set[str]) -> dict[str, str]:
    ids = {parse_key(key, "p"): key for key in keys if key.startswith("p") and key[1:].isdigit()}
    people = session.execute(
        select(Participant.id, Participant.first_name, Participant.last_name).where(
            Participant.id.in_(ids)
        )
    )
    return {ids[pid]: f"{first} {last}".strip() for pid, first, last in people}


def breaches(
    session: Session, run: MatchingRun, violations: list[matching.Violation]
) -> list[Breach]:
    """The checker's violations with people, groups and series named as the round names
    them; a pair that must be together (or apart) is named once."""
    names = _person_names(
        session,
        {key for v in violations for key in (v.participant, v.other) if key is not None},
    )
    groups = {g.key: group_label(g) for g in run.groups}
    series = {
        s.key: s.label
        for s in session.scalars(select(Series).where(Series.round_id == run.round_id))
    }
    found: list[Breach] = []
    pairs: set[tuple[str, frozenset[str]]] = set()
    for violation in violations:
        if violation.other is not None and violation.participant is not None:
            pair = (violation.kind, frozenset({violation.participant, violation.other}))
            if pair in pairs:
                continue
            pairs.add(pair)
        values = dict(violation.values)
        if isinstance(values.get("series"), str):
            values["series"] = series.get(str(values["series"]), str(values["series"]))
        if isinstance(values.get("other_group"), str):
            values["other_group"] = groups.get(str(values["other_group"]), "?")
        found.append(
            Breach(
                rule=Rule(violation.rule),
                kind=violation.kind,
                group=groups.get(violation.group) if violation.group is not None else None,
                person=_name(names, violation.participant),
                other=_name(names, violation.other),
                values=values,
            )
        )
    return found


def _name(names: Mapping[str, str], key: str | None) -> str | None:
    # A key not among the round's people is none of theirs: say so, never show the key.
    return None if key is None else names.get(key, "?")


def _draft(session: Session, round: Round, run_id: int) -> MatchingRun:
    run = session.get(MatchingRun, run_id)
    if run is None or run.round_id != round.id:
        raise NotFound(
            N_("no matching run %(id)s in round '%(round)s'"), id=run_id, round=round.slug
        )
    if run.status is not RunStatus.DRAFT or run.solution is None:
        raise Conflict(
            N_("run %(id)s is %(status)s; only a draft can be edited"),
            id=run_id,
            status=run.status.value,
        )
    return run


def _locate(solution: dict[str, Any], key: str) -> tuple[dict[str, Any] | None, bool]:
    for group in solution["groups"]:
        if key in group["members"]:
            return group, False
    return None, any(entry["id"] == key for entry in solution["waitlist"])


def _take_out(
    session: Session, solution: dict[str, Any], key: str, field: str = "participant"
) -> dict[str, Any] | None:
    group, waiting = _locate(solution, key)
    if group is not None:
        group["members"].remove(key)
    elif waiting:
        solution["waitlist"] = [e for e in solution["waitlist"] if e["id"] != key]
    else:
        name = _person_names(session, {key}).get(key, key)
        raise InvalidInput(
            [FieldError(field, N_("%(name)s is not part of this run"), params={"name": name})]
        )
    return group


def _put_in(solution: dict[str, Any], key: str, group: dict[str, Any] | None) -> None:
    if group is None:
        solution["waitlist"].append({"id": key, "reason": WAITLIST_REASON})
    else:
        group["members"].append(key)


def _editable(run: MatchingRun) -> dict[str, Any]:
    """A copy of the draft's solution whose groups and waiting list can be changed."""
    solution = dict(run.solution or {})
    solution["groups"] = [dict(g, members=list(g["members"])) for g in solution["groups"]]
    solution["waitlist"] = [dict(e) for e in solution["waitlist"]]
    return solution


def _save(session: Session, run: MatchingRun, solution: dict[str, Any]) -> None:
    """Check the edited solution with the independent checker and, if it keeps every hard
    rule, store it as the draft with its figures, report and rows."""
    problem = matching.Problem.model_validate(run.problem)
    edited = matching.Solution.model_validate(solution)
    result = matching.check(problem, edited)
    if not result.ok:
        raise EditRefused(breaches(session, run, result.violations))
    data = edited.model_dump(mode="json")
    data["objective"] = {
        **data["objective"],
        "placed": result.placed,
        "imbalance": result.imbalance,
    }
    run.solution = data
    run.report = matching.quality_report(problem, edited).model_dump(mode="json")
    run.placed = result.placed
    run.waitlisted = len(edited.waitlist)
    run.imbalance = result.imbalance
    run.imbalance_floor = result.imbalance_floor
    session.execute(delete(GroupMember).where(GroupMember.run_id == run.id))
    session.execute(delete(WaitlistEntry).where(WaitlistEntry.run_id == run.id))
    session.expire(run, ["groups", "waitlist"])
    rows = {g.key: g for g in session.scalars(select(Group).where(Group.run_id == run.id))}
    for group in edited.groups:
        for member in group.members:
            session.add(
                GroupMember(
                    run_id=run.id, group_id=rows[group.id].id, participant_id=parse_key(member, "p")
                )
            )
    for entry in edited.waitlist:
        session.add(
            WaitlistEntry(
                run_id=run.id, participant_id=parse_key(entry.id, "p"), reason=entry.reason[:500]
            )
        )
    session.flush()


def pin(
    session: Session, slug: str, run_id: int, participant_id: int, group_key: str, actor: str
) -> MatchingRun:
    """Put one person into a group of the draft (from another group or the waiting list)."""
    round = rounds.get_round(session, slug)
    run = _draft(session, round, run_id)
    solution = _editable(run)
    target = next((g for g in solution["groups"] if g["id"] == group_key), None)
    if target is None:
        raise InvalidInput(
            [
                FieldError(
                    "group", N_("no group '%(group)s' in this run"), params={"group": group_key}
                )
            ]
        )
    key = participant_key(participant_id)
    if key in target["members"]:
        return run
    _take_out(session, solution, key)
    _put_in(solution, key, target)
    _save(session, run, solution)
    audit.record(
        session,
        actor,
        "run.pin",
        round=round,
        subject=f"run:{run.id}",
        participant=participant_id,
        group=group_key,
    )
    return run


def swap(
    session: Session, slug: str, run_id: int, first_id: int, second_id: int, actor: str
) -> MatchingRun:
    """Exchange the places of two people (either may be on the waiting list)."""
    round = rounds.get_round(session, slug)
    run = _draft(session, round, run_id)
    if first_id == second_id:
        raise InvalidInput([FieldError("second", N_("choose two different people"))])
    solution = _editable(run)
    first, second = participant_key(first_id), participant_key(second_id)
    place_first = _take_out(session, solution, first, "first")
    place_second = _take_out(session, solution, second, "second")
    _put_in(solution, first, place_second)
    _put_in(solution, second, place_first)
    _save(session, run, solution)
    audit.record(
        session,
        actor,
        "run.swap",
        round=round,
        subject=f"run:{run.id}",
        participants=[first_id, second_id],
    )
    return run


GROUP_NAME_MAX = 60
NAME_TOO_LONG = N_("A group name has at most %(n)s characters.")


def rename_group(
    session: Session, slug: str, run_id: int, group_key: str, name: str, actor: str
) -> Group:
    """The organisers name a group ("Seerhein"); an empty name goes back to the letter.

    The name is what members and moderators read from then on, in mails, calendars and
    pages; a rematch keeps it for a group it keeps.
    """
    round = rounds.get_round(session, slug)
    group = session.scalar(
        select(Group)
        .join(MatchingRun, MatchingRun.id == Group.run_id)
        .where(MatchingRun.id == run_id, MatchingRun.round_id == round.id, Group.key == group_key)
    )
    if group is None:
        raise NotFound(N_("no group '%(group)s' in this run"), group=group_key)
    cleaned = " ".join(name.split())
    if len(cleaned) > GROUP_NAME_MAX:
        raise InvalidInput([FieldError("name", NAME_TOO_LONG, params={"n": GROUP_NAME_MAX})])
    previous = group.name
    group.name = cleaned or None
    session.flush()
    if previous != group.name:
        audit.record(
            session,
            actor,
            "group.rename",
            round=round,
            subject=f"run:{run_id}",
            group=group_key,
            name=group.name or "",
        )
    return group
