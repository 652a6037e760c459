"""The solver's working form of a solution (indices, not ids), its objective figures, and the
conversion to the public :class:`~matching.models.Group` list.

Every solving step (greedy, CP-SAT, neighbourhood search) produces a :class:`Grouping`, and
they are compared with :func:`Grouping.key`, which orders them as the contract ranks
objectives: placement by priority, then (with a previous grouping) fewest series changes,
fewest moves, fewest language changes, then balance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from matching.balance import PoolMix
from matching.instance import Instance
from matching.models import Group


@dataclass
class Draft:
    series: int
    language: str
    moderators: tuple[int, ...]
    members: list[int]
    # The previous group whose id (and, when locked, whose series, language and moderators)
    # this group keeps.
    previous: int | None = None
    locked: bool = False


@dataclass
class Grouping:
    groups: list[Draft] = field(default_factory=list)

    def copy(self) -> Grouping:
        return Grouping(
            [
                Draft(d.series, d.language, d.moderators, list(d.members), d.previous, d.locked)
                for d in self.groups
            ]
        )

    def placed(self) -> set[int]:
        return {i for d in self.groups for i in d.members}

    def placement(self, instance: Instance) -> tuple[int, ...]:
        """Placed people per priority level, highest level first (compare lexicographically)."""
        counts = [0] * len(instance.level_counts)
        for d in self.groups:
            for i in d.members:
                counts[instance.people[i].level] += 1
        return tuple(reversed(counts))

    def moves(self, instance: Instance) -> int:
        """Previous members (still listed) who are not in the group that keeps their
        previous group's id."""
        kept: dict[int, set[int]] = {
            d.previous: set(d.members) for d in self.groups if d.previous is not None
        }
        return sum(1 for i, g in instance.previous_group_of.items() if i not in kept.get(g, set()))

    def pool(self, instance: Instance) -> PoolMix:
        return PoolMix(self.profiles(instance))

    def profiles(self, instance: Instance) -> list[list[tuple[str, ...]]]:
        return [[instance.people[i].categories for i in d.members] for d in self.groups]

    def deviation(self, instance: Instance) -> Fraction:
        """Sum of the groups' deviations (the imbalance times the number placed)."""
        mix = self.pool(instance)
        scaled = sum(mix.scaled_deviation(g) for g in self.profiles(instance))
        return Fraction(scaled, mix.total or 1)

    def series_changes(self, instance: Instance) -> int:
        """Previous members (still listed) whose evenings change: who are in no group of
        their previous group's series (in another series, or waiting)."""
        series_of = {i: d.series for d in self.groups for i in d.members}
        return sum(
            1
            for i, g in instance.previous_group_of.items()
            if series_of.get(i) != instance.previous[g].series
        )

    def language_changes(self, instance: Instance) -> int:
        """Groups that keep a previous group's id in another working language."""
        return sum(
            1
            for d in self.groups
            if d.previous is not None and d.language != instance.previous[d.previous].language
        )

    def changes(self, instance: Instance) -> tuple[int, ...]:
        """What a rematch changes, in the order it ranks, larger is better: fewest series
        changes, then fewest moves, then fewest language changes (all 0 without a previous
        grouping)."""
        if not instance.has_previous:
            return (0, 0, 0)
        return (
            -self.series_changes(instance),
            -self.moves(instance),
            -self.language_changes(instance),
        )

    def rank(self, instance: Instance) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The objectives before balance, larger is better: placement by priority first; then,
        with a previous grouping, what the rematch changes (see :meth:`changes`).
        A move to another series counts once as a series change and once as a move, so
        with the series changes equal, fewer moves means fewer moves within a series."""
        return (self.placement(instance), self.changes(instance))

    def lottery(self, instance: Instance) -> tuple[tuple[int, ...], ...]:
        """The lottery's level (:mod:`matching.lottery`), larger is better, for groupings
        that place as many people of each priority: per level, highest first, the lottery
        ranks of the people placed, best first and negated. Of two such groupings the one
        that places the best-ranked person the other leaves waiting ranks higher."""
        by_level: list[list[int]] = [[] for _ in instance.level_counts]
        for d in self.groups:
            for i in d.members:
                person = instance.people[i]
                by_level[person.level].append(person.lot)
        return tuple(tuple(-lot for lot in sorted(lots)) for lots in reversed(by_level))

    def key(self, instance: Instance) -> tuple[tuple[int, ...], tuple[int, ...], Fraction]:
        """All objectives in the order they rank, larger is better."""
        return (*self.rank(instance), -self.deviation(instance))

    def ids(self, instance: Instance) -> list[str]:
        """Public ids, aligned with ``groups``. Groups that keep a previous group keep its id;
        new groups get ``<series>-<n>`` ids that no previous group used."""
        taken = {g.id for g in instance.previous}
        counters: dict[int, int] = {}
        ids = [""] * len(self.groups)
        numbering = sorted(
            range(len(self.groups)),
            key=lambda k: (self.groups[k].series, min(self.groups[k].members, default=-1)),
        )
        for k in numbering:
            d = self.groups[k]
            if d.previous is not None:
                ids[k] = instance.previous[d.previous].id
                continue
            while True:
                counters[d.series] = counters.get(d.series, 0) + 1
                candidate = f"{instance.series[d.series].id}-{counters[d.series]}"
                if candidate not in taken:
                    break
            taken.add(candidate)
            ids[k] = candidate
        return ids

    def to_groups(self, instance: Instance) -> list[Group]:
        groups = [
            Group(
                id=group_id,
                series=instance.series[d.series].id,
                language=d.language,
                moderators=[instance.moderators[m].id for m in d.moderators],
                members=[instance.people[i].id for i in sorted(d.members)],
            )
            for group_id, d in zip(self.ids(instance), self.groups, strict=True)
        ]
        order = {s.id: s.index for s in instance.series}
        return sorted(groups, key=lambda g: (order[g.series], _natural(g.id)))


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    """Sort key that puts mon-2 before mon-10."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text)
    )


def level_weights(counts: list[int]) -> list[int]:
    """Weights per priority level such that one person of a level outweighs all of the
    levels below."""
    weights = []
    below = 0
    for count in counts:
        weights.append(below + 1)
        below += count * (below + 1)
    return weights
