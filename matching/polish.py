"""Balance polishing by local search: move or swap people between groups, keeping every
hard rule and the set of people placed.

CP-SAT proves placement and moves, but its bound on the balance objective is weak (an L1
distance summed over many small categories), so improving balance in an exact model stalls on
anything but tiny neighbourhoods. A swap changes only a handful of category counts, so it can
be evaluated in microseconds; simulated annealing over swaps and moves reaches close to the
floor quickly, for 60 people or 10,000 alike.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable

from matching.balance import ATTRIBUTES, PoolMix
from matching.feasibility import newcomer_share_ok, unbridged
from matching.grouping import Draft, Grouping
from matching.instance import Instance


class _Group:
    def __init__(self, instance: Instance, draft: Draft, shares: list[dict[str, float]]) -> None:
        self.draft = draft
        self.members: list[int] = list(draft.members)
        self.counts: list[Counter[str]] = [Counter() for _ in ATTRIBUTES]
        people = instance.people
        for i in self.members:
            for a, category in enumerate(people[i].categories):
                self.counts[a][category] += 1
        self.shares = shares
        self.deviation = self.full_deviation(len(self.members))

    def full_deviation(self, size: int, change: dict[tuple[int, str], int] | None = None) -> float:
        total = 0.0
        for a, shares in enumerate(self.shares):
            counts = self.counts[a]
            for category, share in shares.items():
                n = counts.get(category, 0)
                if change:
                    n += change.get((a, category), 0)
                total += abs(n - size * share)
        return total

    def swap_delta(self, out: list[int], into: list[int], instance: Instance) -> float:
        """Deviation change when ``out`` leave and ``into`` join (same number of people)."""
        change: dict[tuple[int, str], int] = defaultdict(int)
        people = instance.people
        for i in out:
            for a, category in enumerate(people[i].categories):
                change[(a, category)] -= 1
        for i in into:
            for a, category in enumerate(people[i].categories):
                change[(a, category)] += 1
        size = len(self.members)
        delta = 0.0
        for (a, category), d in change.items():
            if d == 0:
                continue
            n = self.counts[a].get(category, 0)
            target = size * self.shares[a].get(category, 0.0)
            delta += abs(n + d - target) - abs(n - target)
        return delta

    def resize_deviation(self, out: list[int], into: list[int], instance: Instance) -> float:
        change: dict[tuple[int, str], int] = defaultdict(int)
        people = instance.people
        for i in out:
            for a, category in enumerate(people[i].categories):
                change[(a, category)] -= 1
        for i in into:
            for a, category in enumerate(people[i].categories):
                change[(a, category)] += 1
        return self.full_deviation(len(self.members) - len(out) + len(into), change)

    def apply(self, out: list[int], into: list[int], instance: Instance, deviation: float) -> None:
        people = instance.people
        for i in out:
            self.members.remove(i)
            for a, category in enumerate(people[i].categories):
                self.counts[a][category] -= 1
        for i in into:
            self.members.append(i)
            for a, category in enumerate(people[i].categories):
                self.counts[a][category] += 1
        self.deviation = deviation


def _valid(instance: Instance, group: _Group, members: list[int]) -> bool:
    """The rules that a change of members can break (series, moderators and language choice
    stay as they are)."""
    size = len(members)
    if not instance.min_size <= size <= instance.max_size:
        return False
    people = instance.people
    newcomers = sum(people[i].newcomer for i in members)
    if not newcomer_share_ok(instance, newcomers, size):
        return False
    origins = Counter(o for i in members if (o := people[i].origin) is not None)
    if origins and max(origins.values()) > instance.max_same_origin:
        return False
    member_set = set(members)
    if any(instance.apart.get(i, frozenset()) & member_set for i in members):
        return False
    return not unbridged(instance, group.draft.language, members)


def polish(
    instance: Instance,
    grouping: Grouping,
    *,
    deadline: float,
    fixed: set[int],
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
) -> Grouping:
    """A grouping with the same people placed and a lower (or equal) imbalance.

    ``fixed`` people (members of locked groups, people who stay in their previous group in a
    rematch) keep their group; everyone else may move between groups of series they attend.
    """
    if len(grouping.groups) < 2 or time.monotonic() >= deadline:
        return grouping
    rng = random.Random(seed)
    mix = PoolMix(grouping.profiles(instance))
    shares = [{c: float(s) for c, s in attr.items()} for attr in mix.shares]
    groups = [_Group(instance, d, shares) for d in grouping.copy().groups]
    by_series: dict[int, list[int]] = defaultdict(list)
    for k, g in enumerate(groups):
        by_series[g.draft.series].append(k)
    where: dict[int, int] = {}
    for k, g in enumerate(groups):
        for i in g.members:
            where[instance.component_of[i]] = k
    movable = [
        c
        for c in where
        if not any(i in fixed for i in instance.components[c].members)
        and len(instance.components[c].members) == 1
    ]
    if not movable:
        return grouping
    targets = {
        c: [k for s in instance.component_series[c] for k in by_series.get(s, [])] for c in movable
    }
    movable_set = set(movable)

    best_total = sum(g.deviation for g in groups)
    best_members = [list(g.members) for g in groups]
    total = best_total
    start = time.monotonic()
    span = max(deadline - start, 1e-3)
    hot, cold = 0.6, 0.02
    temperature = hot
    step = 0
    last_gain = 0
    # Small rematches have few people free to move: stop once nothing improves for long.
    patience = max(5_000, 200 * len(movable))
    while True:
        step += 1
        if step % 256 == 0:
            now = time.monotonic()
            if now >= deadline or should_stop() or step - last_gain > patience:
                break
            temperature = hot * (cold / hot) ** ((now - start) / span)
        c = movable[rng.randrange(len(movable))]
        options = targets[c]
        a = where[c]
        b = options[rng.randrange(len(options))]
        if a == b:
            continue
        ga, gb = groups[a], groups[b]
        person = instance.components[c].members[0]
        swap = rng.random() < 0.7
        if swap:
            partners = [
                i
                for i in gb.members
                if instance.component_of[i] in movable_set
                and ga.draft.series in instance.component_series[instance.component_of[i]]
            ]
            if not partners:
                continue
            other = partners[rng.randrange(len(partners))]
            new_a = ga.deviation + ga.swap_delta([person], [other], instance)
            new_b = gb.deviation + gb.swap_delta([other], [person], instance)
            out_a, in_a, out_b, in_b = [person], [other], [other], [person]
        else:
            new_a = ga.resize_deviation([person], [], instance)
            new_b = gb.resize_deviation([], [person], instance)
            out_a, in_a, out_b, in_b = [person], [], [], [person]
        delta = new_a + new_b - ga.deviation - gb.deviation
        if delta > 1e-9 and rng.random() >= math.exp(-delta / temperature):
            continue
        members_a = [i for i in ga.members if i not in out_a] + in_a
        members_b = [i for i in gb.members if i not in out_b] + in_b
        if not _valid(instance, ga, members_a) or not _valid(instance, gb, members_b):
            continue
        ga.apply(out_a, in_a, instance, new_a)
        gb.apply(out_b, in_b, instance, new_b)
        for i in in_a:
            where[instance.component_of[i]] = a
        for i in in_b:
            where[instance.component_of[i]] = b
        total += delta
        if total < best_total - 1e-9:
            last_gain = step
            best_total = total
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
    if result.deviation(instance) > grouping.deviation(instance):
        return grouping
    return result
