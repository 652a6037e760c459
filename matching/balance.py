"""The balance figures: how far each group's mix is from the mix of everyone placed.

For every group and attribute (role, gender, age band, district, origin) the deviation is the
L1 distance between the group's counts per category and group size × the placed pool's share
of that category; a null attribute value is a category of its own ("(none)"), so people who
did not state a value are spread like everyone else. The imbalance is the sum over groups and
attributes, divided by the number of people placed.

The floor is the lowest imbalance any grouping with the same group sizes could reach: for each
group and attribute on its own, the nearest integer count vector to the fractional target.

Plain data in, numbers out: the checker, the report and the solver all use it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache

from matching.models import Participant

ATTRIBUTES: tuple[str, ...] = ("role", "gender", "age_band", "district", "origin")
NULL_CATEGORY = "(none)"

# One tuple of categories (one per attribute) per member.
Profile = tuple[str, ...]


def categories_of(participant: Participant) -> Profile:
    values = (
        participant.role,
        participant.gender,
        participant.age_band,
        participant.district,
        participant.origin,
    )
    return tuple(v if v is not None else NULL_CATEGORY for v in values)


class PoolMix:
    """The category shares of everyone placed, as exact fractions."""

    def __init__(self, groups: Sequence[Sequence[Profile]]) -> None:
        counts: list[Counter[str]] = [Counter() for _ in ATTRIBUTES]
        total = 0
        for group in groups:
            for profile in group:
                total += 1
                for a, category in enumerate(profile):
                    counts[a][category] += 1
        self.total = total
        self.counts = counts
        self.shares: list[dict[str, Fraction]] = [
            {c: Fraction(n, total) for c, n in sorted(attr.items())} for attr in counts
        ]
        self._floor = lru_cache(maxsize=None)(self._floor_uncached)

    def deviation(self, group: Sequence[Profile]) -> Fraction:
        """Sum over attributes of the L1 distance of the group's counts from its target."""
        return Fraction(self.scaled_deviation(group), self.total or 1)

    def scaled_deviation(self, group: Sequence[Profile]) -> int:
        """The deviation times the pool size: an integer, as every target is a multiple of
        1/pool size (fast and exact for comparisons)."""
        size = len(group)
        total = 0
        for a, pool in enumerate(self.counts):
            counts = Counter(profile[a] for profile in group)
            for category, n in pool.items():
                total += abs(self.total * counts.get(category, 0) - n * size)
        return total

    def floor(self, size: int) -> Fraction:
        """The smallest deviation any group of ``size`` can have."""
        return self._floor(size)

    def _floor_uncached(self, size: int) -> Fraction:
        total = Fraction(0)
        for shares in self.shares:
            targets = [size * share for share in shares.values()]
            fractions = sorted((t - (t.numerator // t.denominator) for t in targets), reverse=True)
            spare = size - sum(t.numerator // t.denominator for t in targets)
            # Round up the `spare` targets with the largest fractional parts, the rest down.
            total += sum(1 - f for f in fractions[:spare]) + sum(fractions[spare:])
        return total

    def imbalance(self, groups: Sequence[Sequence[Profile]]) -> float:
        if self.total == 0:
            return 0.0
        return sum(self.scaled_deviation(g) for g in groups) / self.total**2

    def imbalance_floor(self, sizes: Sequence[int]) -> float:
        if self.total == 0:
            return 0.0
        return float(sum((self.floor(n) for n in sizes), Fraction(0)) / self.total)
