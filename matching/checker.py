"""An independent check of a solution against the 11 hard rules of the contract.

Plain Python on the public models only: it shares nothing with the solver but the balance
formula, so a solver bug cannot hide behind the same bug here. Every violation names its rule
and the group or participant concerned.

With status ``infeasible`` the groups must be empty and everyone waitlisted; rule 10 (locked
groups) is then not checked, since the solution says it cannot be kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction

from pydantic import BaseModel, Field

from matching.balance import PoolMix, categories_of
from matching.models import Group, Participant, Problem, Solution


class Violation(BaseModel):
    """One broken rule. ``message`` says it in English with the ids; ``kind`` (a short code
    such as ``together`` or ``series_not_listed``), ``other`` (a second participant) and
    ``values`` say the same for a caller that words it itself, naming people and series."""

    rule: int
    message: str
    group: str | None = None
    participant: str | None = None
    kind: str = ""
    other: str | None = None
    values: dict[str, str | int] = Field(default_factory=dict)


class CheckResult(BaseModel):
    ok: bool
    violations: list[Violation]
    placed: int
    imbalance: float
    imbalance_floor: float


def check(problem: Problem, solution: Solution) -> CheckResult:
    checker = _Checker(problem, solution)
    checker.run()
    groups = [
        [categories_of(checker.people[i]) for i in g.members if i in checker.people]
        for g in solution.groups
    ]
    mix = PoolMix(groups)
    return CheckResult(
        ok=not checker.violations,
        violations=checker.violations,
        placed=mix.total,
        imbalance=mix.imbalance(groups),
        imbalance_floor=mix.imbalance_floor([len(g) for g in groups]),
    )


def violations(problem: Problem, solution: Solution) -> list[Violation]:
    """The rules :func:`check` checks, without the balance figures (about half its time for
    a large pool): for a caller that only needs to know whether the solution is valid."""
    checker = _Checker(problem, solution)
    checker.run()
    return checker.violations


def _share(value: float) -> Fraction:
    return Fraction(repr(value))


class _Checker:
    def __init__(self, problem: Problem, solution: Solution) -> None:
        self.problem = problem
        self.solution = solution
        self.rules = problem.rules
        self.people: dict[str, Participant] = {p.id: p for p in problem.participants}
        self.moderators = {m.id: m for m in problem.moderators}
        self.series = {s.id: s for s in problem.series}
        self.violations: list[Violation] = []

    def flag(
        self,
        rule: int,
        message: str,
        group: str | None = None,
        participant: str | None = None,
        *,
        kind: str = "",
        other: str | None = None,
        **values: str | int,
    ) -> None:
        self.violations.append(
            Violation(
                rule=rule,
                message=message,
                group=group,
                participant=participant,
                kind=kind,
                other=other,
                values=values,
            )
        )

    def run(self) -> None:
        if self.solution.status == "infeasible" and self.solution.groups:
            self.flag(11, "an infeasible solution must not list groups")
        self.rule_1_membership()
        for group in self.solution.groups:
            members = [self.people[i] for i in group.members if i in self.people]
            self.rule_2_size(group, members)
            self.rule_3_newcomer_share(group, members)
            self.rule_4_series(group, members)
            self.rule_5_moderator_count(group)
            self.rule_6_language(group, members)
            self.rule_7_origin(group, members)
            self.rule_8_step_free(group, members)
        self.rule_4_series_capacity()
        self.rule_9_together_apart()
        if self.solution.status != "infeasible":
            self.rule_10_locked_groups()
        self.rule_11_waitlist()

    def rule_1_membership(self) -> None:
        seen: dict[str, str] = {}
        ids: Counter[str] = Counter(g.id for g in self.solution.groups)
        for group_id, count in ids.items():
            if count > 1:
                self.flag(1, f"group id {group_id} is used {count} times", group=group_id)
        for group in self.solution.groups:
            for member in group.members:
                if member not in self.people:
                    self.flag(1, f"{member} is not a listed participant", group.id, member)
                elif member in seen:
                    self.flag(
                        1,
                        f"{member} is also in group {seen[member]}",
                        group.id,
                        member,
                        kind="two_groups",
                        other_group=seen[member],
                    )
                else:
                    seen[member] = group.id
            for moderator in group.moderators:
                if moderator not in self.moderators:
                    self.flag(1, f"{moderator} is not a listed moderator", group.id)

    def rule_2_size(self, group: Group, members: list[Participant]) -> None:
        size = len(group.members)
        if not self.rules.min_size <= size <= self.rules.max_size:
            self.flag(
                2,
                f"{size} members; groups have {self.rules.min_size} to {self.rules.max_size}",
                group.id,
                kind="size",
                size=size,
                min=self.rules.min_size,
                max=self.rules.max_size,
            )

    def rule_3_newcomer_share(self, group: Group, members: list[Participant]) -> None:
        if not members:
            return
        low, high = (_share(x) for x in self.rules.newcomer_share)
        newcomers = sum(p.role == "newcomer" for p in members)
        share = Fraction(newcomers, len(members))
        if not low <= share <= high:
            self.flag(
                3,
                f"{newcomers} of {len(members)} members are newcomers ({float(share):.0%}), "
                f"outside {float(low):.0%}-{float(high):.0%}",
                group.id,
                kind="newcomer_share",
                newcomers=newcomers,
                members=len(members),
                low=round(float(low) * 100),
                high=round(float(high) * 100),
            )

    def rule_4_series(self, group: Group, members: list[Participant]) -> None:
        if group.series not in self.series:
            self.flag(4, f"unknown series {group.series}", group.id)
            return
        for person in members:
            if group.series not in person.series:
                self.flag(
                    4,
                    f"{person.id} did not list series {group.series}",
                    group.id,
                    person.id,
                    kind="series_not_listed",
                    series=group.series,
                )
        for moderator_id in group.moderators:
            moderator = self.moderators.get(moderator_id)
            if moderator is not None and group.series not in moderator.series:
                self.flag(4, f"moderator {moderator_id} is not free on {group.series}", group.id)

    def rule_4_series_capacity(self) -> None:
        per_series = Counter(g.series for g in self.solution.groups)
        for series_id, count in per_series.items():
            series = self.series.get(series_id)
            if series is not None and count > series.max_groups:
                self.flag(4, f"series {series_id} has {count} groups, room for {series.max_groups}")
        leads: dict[tuple[str, str], str] = {}
        for group in self.solution.groups:
            for moderator in dict.fromkeys(group.moderators):
                key = (moderator, group.series)
                if key in leads:
                    self.flag(
                        4,
                        f"moderator {moderator} also leads group {leads[key]} on {group.series}",
                        group.id,
                    )
                leads.setdefault(key, group.id)

    def rule_5_moderator_count(self, group: Group) -> None:
        count = len(set(group.moderators))
        if count != self.rules.moderators_per_group or count != len(group.moderators):
            self.flag(
                5,
                f"{len(group.moderators)} moderators listed; each group has exactly "
                f"{self.rules.moderators_per_group} different ones",
                group.id,
            )

    def rule_6_language(self, group: Group, members: list[Participant]) -> None:
        language = group.language
        allowed = self.rules.working_languages
        if allowed is not None and language not in allowed:
            self.flag(6, f"{language} is not a working language", group.id)
        for moderator_id in group.moderators:
            moderator = self.moderators.get(moderator_id)
            if moderator is not None and language not in moderator.languages:
                self.flag(6, f"moderator {moderator_id} does not speak {language}", group.id)
        speakers = [p for p in members if language in p.languages]
        for person in members:
            if language in person.languages:
                continue
            bridged = any(set(person.languages) & set(other.languages) for other in speakers)
            if not bridged:
                self.flag(
                    6,
                    f"{person.id} does not speak {language} and shares no language with a "
                    f"member who does",
                    group.id,
                    person.id,
                    kind="cannot_follow",
                    language=language,
                )

    def rule_7_origin(self, group: Group, members: list[Participant]) -> None:
        limit = self.rules.max_same_origin
        if limit is None:
            return
        origins = Counter(p.origin for p in members if p.origin is not None)
        for origin, count in sorted(origins.items()):
            if count > limit:
                self.flag(
                    7,
                    f"{count} members from {origin}; at most {limit}",
                    group.id,
                    kind="origin",
                    count=count,
                    origin=origin,
                    max=limit,
                )

    def rule_8_step_free(self, group: Group, members: list[Participant]) -> None:
        series = self.series.get(group.series)
        if series is None or series.step_free:
            return
        for person in members:
            if "step_free" in person.needs:
                self.flag(
                    8,
                    f"{person.id} needs step-free access; {group.series} has none",
                    group.id,
                    person.id,
                    kind="step_free",
                    series=group.series,
                )

    def rule_9_together_apart(self) -> None:
        group_of = {i: g.id for g in self.solution.groups for i in g.members}
        for person in self.problem.participants:
            mine = group_of.get(person.id)
            for other in person.together:
                if group_of.get(other) != mine:
                    self.flag(
                        9,
                        f"{person.id} and {other} must be together: {mine} vs "
                        f"{group_of.get(other)}",
                        mine,
                        person.id,
                        kind="together",
                        other=other,
                    )
            for other in person.apart:
                if mine is not None and group_of.get(other) == mine:
                    self.flag(
                        9,
                        f"{person.id} and {other} must be kept apart",
                        mine,
                        person.id,
                        kind="apart",
                        other=other,
                    )

    def rule_10_locked_groups(self) -> None:
        if self.problem.previous is None:
            return
        groups = {g.id: g for g in self.solution.groups}
        for previous in self.problem.previous.groups:
            if not previous.locked:
                continue
            group = groups.get(previous.id)
            if group is None:
                self.flag(10, f"locked group {previous.id} is missing", previous.id)
                continue
            if group.series != previous.series or group.language != previous.language:
                self.flag(10, f"locked group {previous.id} changed series or language", group.id)
            if set(group.moderators) != set(previous.moderators):
                self.flag(10, f"locked group {previous.id} changed moderators", group.id)
            missing = [i for i in previous.members if i in self.people and i not in group.members]
            for member in missing:
                self.flag(
                    10,
                    f"{member} left locked group {previous.id}",
                    group.id,
                    member,
                    kind="left_locked",
                )

    def rule_11_waitlist(self) -> None:
        placed = {i for g in self.solution.groups for i in g.members}
        listed: defaultdict[str, int] = defaultdict(int)
        for entry in self.solution.waitlist:
            listed[entry.id] += 1
            if entry.id not in self.people:
                self.flag(11, f"{entry.id} on the waitlist is not a listed participant")
            if entry.id in placed:
                self.flag(11, f"{entry.id} is both in a group and on the waitlist", None, entry.id)
            if not entry.reason.strip():
                self.flag(11, f"{entry.id} is on the waitlist without a reason", None, entry.id)
        for person_id, count in listed.items():
            if count > 1:
                self.flag(11, f"{person_id} is on the waitlist {count} times", None, person_id)
        for person in self.problem.participants:
            if person.id not in placed and person.id not in listed:
                self.flag(
                    11, f"{person.id} is neither in a group nor on the waitlist", None, person.id
                )
