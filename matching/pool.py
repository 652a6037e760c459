"""An index-based view of a validated problem, before screening.

Ids become integers, ``together`` links become components (people who are placed in one group
or not at all), and everything that follows from the input alone (who may attend which series,
which languages a series can work in) is worked out once here. :class:`~matching.instance.
Instance` adds what screening finds (who can never be placed); screening itself works on a
:class:`Pool`, so neither imports the other.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from matching.balance import categories_of
from matching.lottery import draw_seed, lottery_ranks
from matching.models import Problem


@dataclass(frozen=True)
class Person:
    index: int
    id: str
    newcomer: bool
    languages: frozenset[str]
    # Series the person listed and can attend (a step-free venue when they need one).
    series: tuple[int, ...]
    origin: str | None
    level: int
    categories: tuple[str, ...]
    # Every series the person listed, reachable or not.
    listed: tuple[int, ...] = ()
    # The lottery rank (:mod:`matching.lottery`): among equal priority, lower is placed first.
    lot: int = 0

    def listed_series(self, series: int) -> bool:
        return series in self.listed


@dataclass(frozen=True)
class Component:
    """People linked by ``together``: one group for all of them, or the waitlist for all."""

    index: int
    members: tuple[int, ...]
    series: tuple[int, ...]
    newcomers: int
    # How many members come from each stated origin.
    origins: tuple[tuple[str, int], ...] = ()
    # The best lottery rank among the members.
    lot: int = 0


@dataclass(frozen=True)
class SeriesInfo:
    index: int
    id: str
    max_groups: int
    step_free: bool
    moderators: tuple[int, ...]
    # Languages a group of this series may work in: allowed, spoken by enough of its
    # moderators, and spoken by at least one participant who can attend it.
    languages: tuple[str, ...]
    # How many groups it can open: room, and a full set of moderators for each.
    capacity: int


@dataclass(frozen=True)
class ModeratorInfo:
    index: int
    id: str
    languages: frozenset[str]
    series: frozenset[int]


@dataclass(frozen=True)
class PreviousInfo:
    index: int
    id: str
    series: int
    language: str
    moderators: tuple[int, ...]
    # Members still listed, and the ids of those who dropped out.
    members: tuple[int, ...]
    dropped: tuple[str, ...]
    locked: bool


class Pool:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        rules = problem.rules
        self.min_size = rules.min_size
        self.max_size = rules.max_size
        self.share_low = _fraction(rules.newcomer_share[0])
        self.share_high = _fraction(rules.newcomer_share[1])
        # Per group size: the fewest and most newcomers the share allows (integer tests are
        # much faster than fraction arithmetic in the inner loops).
        self.newcomer_range = [
            (math.ceil(self.share_low * size), math.floor(self.share_high * size))
            for size in range(rules.max_size + 1)
        ]
        self.max_same_origin = (
            rules.max_same_origin if rules.max_same_origin is not None else rules.max_size
        )
        self.per_group = rules.moderators_per_group
        self.working_languages = (
            frozenset(rules.working_languages) if rules.working_languages is not None else None
        )

        # The lottery's seed: the problem's, or drawn now (the solution records it).
        self.lottery_seed = problem.lottery_seed or draw_seed()
        self.series_index = {s.id: k for k, s in enumerate(problem.series)}
        self.moderators = [
            ModeratorInfo(
                k, m.id, frozenset(m.languages), frozenset(self.series_index[s] for s in m.series)
            )
            for k, m in enumerate(problem.moderators)
        ]
        self.moderator_index = {m.id: m.index for m in self.moderators}
        self.people = self._people()
        self.person_index = {p.id: p.index for p in self.people}
        self.level_counts = [0] * (max((p.level for p in self.people), default=0) + 1)
        for person in self.people:
            self.level_counts[person.level] += 1
        self.series = self._series()
        self.apart: dict[int, frozenset[int]] = self._apart()
        self.components, self.component_of = self._components()
        self.previous = self._previous()
        self.previous_group_of = {i: g.index for g in self.previous for i in g.members}

    @property
    def has_previous(self) -> bool:
        return self.problem.previous is not None

    def _people(self) -> list[Person]:
        levels = {
            value: k
            for k, value in enumerate(sorted({p.priority for p in self.problem.participants}))
        }
        step_free = {k for k, s in enumerate(self.problem.series) if s.step_free}
        lots = lottery_ranks(self.lottery_seed, (p.id for p in self.problem.participants))
        people = []
        for k, p in enumerate(self.problem.participants):
            listed = tuple(dict.fromkeys(self.series_index[s] for s in p.series))
            needs_step_free = "step_free" in p.needs
            series = tuple(s for s in listed if reaches_series(needs_step_free, s in step_free))
            people.append(
                Person(
                    index=k,
                    id=p.id,
                    newcomer=p.role == "newcomer",
                    languages=frozenset(p.languages),
                    series=series,
                    listed=listed,
                    origin=p.origin,
                    level=levels[p.priority],
                    categories=categories_of(p),
                    lot=lots[p.id],
                )
            )
        return people

    def _series(self) -> list[SeriesInfo]:
        spoken: dict[int, set[str]] = defaultdict(set)
        for person in self.people:
            for k in person.series:
                spoken[k] |= person.languages
        leading: dict[int, list[int]] = defaultdict(list)
        for m in self.moderators:
            for k in sorted(set(m.series)):
                leading[k].append(m.index)
        result = []
        for k, s in enumerate(self.problem.series):
            moderators = tuple(leading[k])
            candidates = set(spoken[k])
            if self.working_languages is not None:
                candidates &= self.working_languages
            if self.per_group > 0:
                candidates = {
                    lang
                    for lang in candidates
                    if sum(lang in self.moderators[m].languages for m in moderators)
                    >= self.per_group
                }
            capacity = s.max_groups
            if self.per_group:
                capacity = min(capacity, len(moderators) // self.per_group)
            result.append(
                SeriesInfo(
                    k,
                    s.id,
                    s.max_groups,
                    s.step_free,
                    moderators,
                    tuple(sorted(candidates)),
                    capacity,
                )
            )
        return result

    def _apart(self) -> dict[int, frozenset[int]]:
        pairs: dict[int, set[int]] = defaultdict(set)
        for person in self.problem.participants:
            i = self.person_index[person.id]
            for other in person.apart:
                j = self.person_index[other]
                pairs[i].add(j)
                pairs[j].add(i)
        return {i: frozenset(js) for i, js in pairs.items()}

    def _components(self) -> tuple[list[Component], list[int]]:
        parent = list(range(len(self.people)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for person in self.problem.participants:
            for other in person.together:
                a, b = root(self.person_index[person.id]), root(self.person_index[other])
                if a != b:
                    parent[max(a, b)] = min(a, b)
        members: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.people)):
            members[root(i)].append(i)
        components = []
        component_of = [0] * len(self.people)
        for k, group in enumerate(sorted(members.values())):
            common = set(self.people[group[0]].series)
            for i in group[1:]:
                common &= set(self.people[i].series)
            series = tuple(s for s in self.people[group[0]].series if s in common)
            newcomers = sum(self.people[i].newcomer for i in group)
            origins: dict[str, int] = {}
            for i in group:
                origin = self.people[i].origin
                if origin is not None:
                    origins[origin] = origins.get(origin, 0) + 1
            components.append(
                Component(
                    k,
                    tuple(group),
                    series,
                    newcomers,
                    tuple(sorted(origins.items())),
                    min(self.people[i].lot for i in group),
                )
            )
            for i in group:
                component_of[i] = k
        return components, component_of

    def _previous(self) -> list[PreviousInfo]:
        if self.problem.previous is None:
            return []
        return [
            PreviousInfo(
                index=k,
                id=g.id,
                series=self.series_index[g.series],
                language=g.language,
                moderators=tuple(self.moderator_index[m] for m in g.moderators),
                members=tuple(self.person_index[i] for i in g.members if i in self.person_index),
                dropped=tuple(i for i in g.members if i not in self.person_index),
                locked=g.locked,
            )
            for k, g in enumerate(self.problem.previous.groups)
        ]


def reaches_series(needs_step_free: bool, series_step_free: bool) -> bool:
    """Rule 8 (:class:`~matching.rules.Rule`): whether a person can reach a series' venue.
    Who may attend which series is worked out once, here, from it."""
    return series_step_free or not needs_step_free


def _fraction(value: float) -> Fraction:
    """The share as written (0.4 is 2/5, not the nearest binary float), so that a group of 5
    with 2 newcomers meets a lower bound of 0.4 exactly."""
    return Fraction(repr(value))
