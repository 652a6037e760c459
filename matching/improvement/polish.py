"""Balance polishing by local search: move or swap people between groups, keeping every
hard rule and the set of people placed.

CP-SAT proves placement and moves, but its bound on the balance objective is weak (an L1
distance summed over many small categories), so improving balance in an exact model stalls on
anything but tiny neighbourhoods. A swap changes only a handful of category counts, so it can
be evaluated in microseconds; simulated annealing over swaps and moves gets close to the
solver's lower bound quickly, for 60 people or 10,000 alike.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from fractions import Fraction

from matching.balance import PoolMix
from matching.grouping import Draft, Grouping
from matching.instance import Instance
from matching.rules import MEMBERSHIP_RULES, breaks_any


class _Categories:
    """Every (attribute, category) pair of the pool as one integer, with its pool share."""

    def __init__(self, instance: Instance, mix: PoolMix) -> None:
        self.index: dict[tuple[int, str], int] = {}
        self.shares: list[float] = []
        for a, shares in enumerate(mix.shares):
            for category, share in shares.items():
                self.index[(a, category)] = len(self.shares)
                self.shares.append(float(share))
        self.of_person: dict[int, tuple[int, ...]] = {}
        self._instance = instance

    def of(self, person: int) -> tuple[int, ...]:
        found = self.of_person.get(person)
        if found is None:
            categories = self._instance.people[person].categories
            found = tuple(self.index[(a, c)] for a, c in enumerate(categories))
            self.of_person[person] = found
        return found


class _Group:
    def __init__(self, draft: Draft, categories: _Categories) -> None:
        self.draft = draft
        self.members: list[int] = list(draft.members)
        self.counts = [0] * len(categories.shares)
        for i in self.members:
            for k in categories.of(i):
                self.counts[k] += 1
        self.categories = categories
        self.deviation = self.deviation_at(len(self.members), {})

    def deviation_at(self, size: int, change: dict[int, int]) -> float:
        counts, shares = self.counts, self.categories.shares
        total = 0.0
        for k, share in enumerate(shares):
            gap = counts[k] - size * share
            total += gap if gap >= 0 else -gap
        for k, d in change.items():
            gap = counts[k] - size * shares[k]
            total += abs(gap + d) - abs(gap)
        return total

    def swap_delta(self, out: int, into: int) -> float:
        """Deviation change when ``out`` leaves and ``into`` joins."""
        size = len(self.members)
        counts, shares = self.counts, self.categories.shares
        delta = 0.0
        for k_out, k_in in zip(self.categories.of(out), self.categories.of(into), strict=True):
            if k_out == k_in:
                continue
            n, target = counts[k_out], size * shares[k_out]
            delta += abs(n - 1 - target) - abs(n - target)
            n, target = counts[k_in], size * shares[k_in]
            delta += abs(n + 1 - target) - abs(n - target)
        return delta

    def resized_deviation(self, person: int, sign: int) -> float:
        """Deviation after ``person`` joins (sign +1) or leaves (sign -1)."""
        change = dict.fromkeys(self.categories.of(person), sign)
        return self.deviation_at(len(self.members) + sign, change)

    def apply(self, out: int | None, into: int | None, deviation: float) -> None:
        if out is not None:
            self.members.remove(out)
            for k in self.categories.of(out):
                self.counts[k] -= 1
        if into is not None:
            self.members.append(into)
            for k in self.categories.of(into):
                self.counts[k] += 1
        self.deviation = deviation


def _valid(instance: Instance, draft: Draft, members: list[int]) -> bool:
    """The rules that a change of members can break (series, moderators and language choice
    stay as they are)."""
    return not breaks_any(
        instance, draft.series, draft.language, draft.moderators, members, MEMBERSHIP_RULES
    )


def polish(
    instance: Instance,
    grouping: Grouping,
    *,
    deadline: float,
    fixed: set[int],
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
    deviation: Fraction | None = None,
    keep_series: set[int] | None = None,
) -> tuple[Grouping, Fraction]:
    """A grouping with the same people placed and a lower (or equal) imbalance, and its
    deviation (see :meth:`Grouping.deviation`; ``deviation`` is the given grouping's, when
    the caller knows it: for a large pool each costs a tenth of a second or more).

    ``fixed`` people (members of locked groups, people who stay in their previous group in a
    rematch) keep their group; everyone else who is not tied to a companion may move between
    groups of series they attend, except that ``keep_series`` people (in a rematch, the
    previous members) only move between groups of the series they are in: polishing never
    changes someone's evenings.
    """
    began = time.monotonic()

    def unchanged() -> tuple[Grouping, Fraction]:
        return grouping, grouping.deviation(instance) if deviation is None else deviation

    if len(grouping.groups) < 2 or began >= deadline:
        return unchanged()
    rng = random.Random(seed)
    categories = _Categories(instance, grouping.pool(instance))
    groups = [_Group(d, categories) for d in grouping.copy().groups]
    by_series: dict[int, list[int]] = {}
    where: dict[int, int] = {}
    for k, g in enumerate(groups):
        by_series.setdefault(g.draft.series, []).append(k)
        for i in g.members:
            where[i] = k
    movable = [
        i
        for i in where
        if i not in fixed and len(instance.components[instance.component_of[i]].members) == 1
    ]
    if not movable:
        return unchanged()
    staying = keep_series or set()
    can_attend = {
        i: {groups[where[i]].draft.series}
        if i in staying
        else set(instance.component_series[instance.component_of[i]])
        for i in movable
    }
    targets = {
        i: [
            k
            for s in (
                (groups[where[i]].draft.series,)
                if i in staying
                else instance.component_series[instance.component_of[i]]
            )
            for k in by_series.get(s, [])
        ]
        for i in movable
    }
    people = instance.people

    total = best_total = sum(g.deviation for g in groups)
    best_members = [list(g.members) for g in groups]
    start = time.monotonic()
    # Building the result takes about as long as the set-up took (half a second for 50,000
    # people): the search stops that much before the deadline.
    deadline -= start - began
    span = max(deadline - start, 1e-3)
    hot, cold = 0.6, 0.02
    temperature = hot
    step = last_gain = saved_at = 0
    saved_total = total
    # When nothing improves for long the search has settled: anneal again, cooler, a few
    # times (small pools settle long before the time is up), then stop early.
    patience = max(20_000, 1_000 * len(movable))
    reheats = 3
    while True:
        step += 1
        if step % 256 == 0:
            now = time.monotonic()
            if now >= deadline or should_stop():
                break
            if step - last_gain > patience:
                if not reheats:
                    break
                reheats -= 1
                start, span, hot, last_gain = now, max(deadline - now, 1e-3), hot / 2, step
            temperature = hot * (cold / hot) ** ((now - start) / span)
        person = movable[rng.randrange(len(movable))]
        options = targets[person]
        a, b = where[person], options[rng.randrange(len(options))]
        if a == b:
            continue
        ga, gb = groups[a], groups[b]
        other: int | None = None
        draw = rng.random()
        if draw < 0.7:
            pool = gb.members
            if draw < 0.35:
                # Someone speaking the same languages: the swap cannot break a bridge.
                spoken = people[person].languages
                pool = [i for i in gb.members if people[i].languages == spoken] or pool
            other = pool[rng.randrange(len(pool))]
            if other not in can_attend or ga.draft.series not in can_attend[other]:
                continue
            new_a = ga.deviation + ga.swap_delta(person, other)
            new_b = gb.deviation + gb.swap_delta(other, person)
        else:
            new_a = ga.resized_deviation(person, -1)
            new_b = gb.resized_deviation(person, +1)
        delta = new_a + new_b - ga.deviation - gb.deviation
        if delta > 1e-9 and rng.random() >= math.exp(-delta / temperature):
            continue
        members_a = [i for i in ga.members if i != person]
        members_b = [i for i in gb.members if i != other] + [person]
        if other is not None:
            members_a.append(other)
        if not _valid(instance, ga.draft, members_a):
            continue
        if not _valid(instance, gb.draft, members_b):
            continue
        ga.apply(person, other, new_a)
        gb.apply(other, person, new_b)
        where[person] = b
        if other is not None:
            where[other] = a
        total += delta
        if total < best_total - 1e-9:
            last_gain = step
            best_total = total
            # Copying every group costs as much as thousands of steps: keep the best state
            # only now and then, and compare it with the final state below.
            if step - saved_at > 2_000:
                saved_at, saved_total = step, total
                best_members = [list(g.members) for g in groups]
    if total <= saved_total:
        best_members = [list(g.members) for g in groups]
    result = Grouping(
        [
            Draft(
                g.draft.series,
                g.draft.language,
                g.draft.moderators,
                sorted(members),
                g.draft.previous,
                g.draft.locked,
            )
            for g, members in zip(groups, best_members, strict=True)
        ]
    )
    value = result.deviation(instance)
    before = unchanged()
    if value > before[1]:
        return before
    return result, value
