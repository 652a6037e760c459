"""The matching pages: the round's runs, one run under review, dropouts and rematching."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vekl.attendance import service as attendance
from vekl.attendance.service import NoShow
from vekl.registration import overview as registration_overview
from vekl.registration.overview import Dropouts
from vekl.rounds import service as rounds
from vekl.runs import review as run_review
from vekl.runs import service as matching_runs
from vekl.runs.placements import first_evening, group_label, is_locked, published_run
from vekl.runs.publishing import Preview
from vekl.runs.review import Changes, GroupHealth
from vekl.runs.solver_input import participant_key
from vekl.settings import Settings
from vekl.store.models import Group, Job, MatchingRun, Participant, Role, Round

COMPOSITION = ("role", "gender", "age_band", "district", "origin")


@dataclass(frozen=True)
class MatchingPage:
    round: Round
    runs: list[MatchingRun]
    published: MatchingRun | None
    moderators: int
    matchable: int


def matching_page(session: Session, slug: str) -> MatchingPage:
    round = rounds.load_round_tree(session, slug)
    counts = rounds.status_counts(session, round)
    return MatchingPage(
        round=round,
        runs=list(reversed(matching_runs.list_runs(session, round))),
        published=published_run(session, round),
        moderators=len(round.moderators),
        matchable=counts["confirmed"] + counts["placed"] + counts["waitlisted"],
    )


@dataclass(frozen=True)
class Member:
    person: Participant
    # The languages this member shares with speakers of the group's language, if they do
    # not speak it themselves (from the quality report).
    bridge: str | None
    speaks: bool


@dataclass(frozen=True)
class GroupView:
    group: Group
    label: str
    members: list[Member]
    composition: dict[str, list[tuple[str, int]]]
    locked: bool
    first_evening: datetime | None


@dataclass(frozen=True)
class Fallback:
    kind: str
    rules: str


@dataclass(frozen=True)
class RunPage:
    round: Round
    run: MatchingRun
    groups: list[GroupView]
    waitlist: list[tuple[Participant, str]]
    report: dict[str, Any]
    changes: Changes | None
    # The job that solves the run (None for runs from the command line or before jobs).
    job: Job | None
    # Still "running", but no worker is on it any more: it may be marked failed.
    abandoned: bool
    # Failed because its worker stopped renewing the heartbeat.
    worker_lost: bool
    preview: Preview | None
    # Why the groups are the solver's fallback (first, greedy) grouping: its kind
    # ("time_limit_first_grouping", "time_limit_before_search", "rule_broken") and, for a
    # broken rule, the rules' numbers; None for a searched grouping.
    fallback: Fallback | None = None
    # The seed the run's lottery for the last places was drawn from (None for runs from
    # before the lottery).
    lottery_seed: str | None = None


def _lottery_seed(run: MatchingRun) -> str | None:
    for data in (run.solution, run.problem):
        seed = (data or {}).get("lottery_seed")
        if isinstance(seed, str):
            return seed
    return None


def _fallback(report: dict[str, Any]) -> Fallback | None:
    cause = report.get("fallback_cause")
    if not isinstance(cause, dict) or not isinstance(cause.get("kind"), str):
        return None
    rules = ", ".join(str(rule) for rule in cause.get("rules") or [])
    return Fallback(kind=cause["kind"], rules=rules)


def _composition(people: list[Participant]) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for attribute in COMPOSITION:
        values: Counter[str] = Counter()
        for person in people:
            value = getattr(person, attribute)
            values[(value.value if isinstance(value, Role) else value) or "–"] += 1
        out[attribute] = sorted(values.items(), key=lambda item: (item[0] == "–", item[0]))
    return out


def _bridges(report: dict[str, Any], group_key: str) -> dict[str, list[str]]:
    """Who follows the group language through a shared one, as the quality report found."""
    for group in report.get("groups", []):
        if group.get("id") == group_key:
            return {b["member"]: list(b.get("shared", [])) for b in group.get("bridges", [])}
    return {}


def _members(group: Group, bridges: dict[str, list[str]]) -> list[Member]:
    people = sorted(
        (m.participant for m in group.members),
        key=lambda p: (p.last_name.casefold(), p.first_name.casefold()),
    )
    return [
        Member(
            person,
            bridge=", ".join(bridges.get(participant_key(person.id), [])) or None,
            speaks=group.language in person.languages,
        )
        for person in people
    ]


def _group_view(group: Group, report: dict[str, Any], now: datetime) -> GroupView:
    return GroupView(
        group=group,
        label=group_label(group),
        members=_members(group, _bridges(report, group.key)),
        composition=_composition([m.participant for m in group.members]),
        locked=is_locked(group, now),
        first_evening=first_evening(group),
    )


def run_page(
    session: Session,
    slug: str,
    run_id: int,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> RunPage:
    """Everything the run's page shows; for a draft, also the mails publishing would send."""
    moment = now or datetime.now(UTC)
    found = run_review.review(session, slug, run_id, settings, now=moment)
    report = found.run.report or {}
    return RunPage(
        round=found.round,
        run=found.run,
        groups=[_group_view(group, report, moment) for group in found.groups],
        waitlist=[(entry.participant, entry.reason) for entry in found.waitlist],
        report=report,
        changes=found.changes,
        job=found.job,
        abandoned=found.abandoned,
        worker_lost=found.worker_lost,
        preview=found.preview,
        fallback=_fallback(report),
        lottery_seed=_lottery_seed(found.run),
    )


@dataclass(frozen=True)
class DropoutPage:
    round: Round
    published: MatchingRun | None
    groups: list[GroupHealth]
    withdrawn_since: list[Participant]
    waitlisted: int
    drafts: list[MatchingRun]
    # Everyone who dropped out, and who else can be marked as dropped out.
    dropouts: Dropouts
    # Who was marked absent on their group's first evening and is still in the round.
    no_shows: list[NoShow]


def dropout_page(session: Session, slug: str, now: datetime | None = None) -> DropoutPage:
    """Which published groups dropouts have left too small or out of balance."""
    round = rounds.load_round_tree(session, slug)
    run = published_run(session, round)
    health = run_review.group_health(session, round, run, now) if run is not None else []
    return DropoutPage(
        round=round,
        published=run,
        groups=health,
        withdrawn_since=[person for group in health for person in group.withdrawn],
        waitlisted=rounds.status_counts(session, round)["waitlisted"],
        drafts=list(reversed(run_review.open_rematches(session, round))),
        dropouts=registration_overview.dropouts(session, round),
        no_shows=attendance.first_evening_no_shows(session, round),
    )
