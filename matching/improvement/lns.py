"""Large-neighbourhood search: improve placement and moves by re-solving a few series at a
time exactly (:mod:`matching.model.neighbourhood`), keeping every better result."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from matching.grouping import Grouping
from matching.instance import Instance
from matching.model.neighbourhood import (
    Neighbourhood,
    Staged,
    neighbourhood,
    solve_neighbourhood,
)


def improve(
    instance: Instance,
    incumbent: Grouping,
    *,
    deadline: float,
    workers: int,
    stop: Callable[[], bool],
    on_improve: Callable[[Grouping], None],
    seed: int = 0,
    step_limit: float = 1.0,
) -> Grouping:
    """Re-solve series neighbourhoods and keep every result that the objectives rank higher
    in placement or moves (see :meth:`Grouping.rank`).

    First a sweep solves, once each, every series with something to do (people waiting who
    could attend it, previous members who are not back in their group); then neighbourhoods
    are drawn at random around the people still waiting: a series they can attend, a pair of
    them, or one of them with one or two series that members of its groups could move to
    (making room). Stops when every such neighbourhood has been tried since the last
    improvement. With several workers, that many neighbourhoods on different series are
    solved at once, one CP-SAT worker each."""
    search = _Search(instance, incumbent, deadline, workers, stop, on_improve, step_limit)
    return search.run(random.Random(seed))


class _Search:
    def __init__(
        self,
        instance: Instance,
        incumbent: Grouping,
        deadline: float,
        workers: int,
        stop: Callable[[], bool],
        on_improve: Callable[[Grouping], None],
        step_limit: float,
    ) -> None:
        self.instance = instance
        self.best = incumbent
        self.best_rank = incumbent.rank(instance)
        self.deadline = deadline
        self.lanes = max(1, workers)
        self.stop = stop
        self.on_improve = on_improve
        self.step_limit = step_limit

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline - 0.05 and not self.stop()

    def run(self, rng: random.Random) -> Grouping:
        with ThreadPoolExecutor(max_workers=self.lanes) as pool:
            waiting = _options(self.instance, self.best)[0]
            sweep = _sweep(self.instance, self.best, waiting)
            while sweep and self.time_left():
                batch, sweep = sweep[: self.lanes], sweep[self.lanes :]
                if self.attempt(pool, batch, waiting, quick=False):
                    waiting = _options(self.instance, self.best)[0]
            tried: set[tuple[int, ...]] = set()
            tiers: list[list[tuple[int, ...]]] = []
            stale = True
            while self.time_left():
                if stale:
                    waiting, tiers = _options(self.instance, self.best)
                    stale = False
                batch = _draw(tiers, tried, self.lanes, rng)
                if not batch:
                    break
                tried.update(batch)
                if self.attempt(pool, batch, waiting, quick=True):
                    tried.clear()
                    stale = True
        return self.best

    def attempt(
        self,
        pool: ThreadPoolExecutor,
        batch: list[tuple[int, ...]],
        waiting: list[int],
        quick: bool,
    ) -> bool:
        """Solve the batch's neighbourhoods (on disjoint series) at once, then apply each
        result that still fits and ranks higher."""
        parts = [neighbourhood(self.instance, self.best, series, waiting) for series in batch]
        limit = min(self.step_limit, self.deadline - time.monotonic())

        def solve(part: Neighbourhood) -> Staged | None:
            return solve_neighbourhood(
                self.instance,
                part,
                time_limit=limit,
                workers=1 if len(parts) > 1 else self.lanes,
                stop=self.stop,
                first_improvement=quick,
            )

        improved = False
        for part, staged in zip(parts, list(pool.map(solve, parts)), strict=True):
            candidate = None if staged is None else self.compose(part, staged.grouping)
            if candidate is None:
                continue
            rank = candidate.rank(self.instance)
            if rank > self.best_rank:
                self.best, self.best_rank = candidate, rank
                self.on_improve(candidate)
                improved = True
        return improved

    def compose(self, part: Neighbourhood, result: Grouping) -> Grouping | None:
        """The current best with the part's series replaced by the result; None when the
        result seats someone another part has seated meanwhile."""
        chosen = set(part.sub.room)
        outside = [d for d in self.best.groups if d.series not in chosen]
        component_of = self.instance.component_of
        seated = {component_of[i] for d in outside for i in d.members}
        if any(component_of[i] in seated for d in result.groups for i in d.members):
            return None
        return Grouping([*outside, *result.groups])


def _draw(
    tiers: list[list[tuple[int, ...]]], tried: set[tuple[int, ...]], size: int, rng: random.Random
) -> list[tuple[int, ...]]:
    """Up to ``size`` untried series sets from the first tier that has any, on disjoint
    series."""
    for tier in tiers:
        options = [o for o in tier if o not in tried]
        if not options:
            continue
        rng.shuffle(options)
        batch: list[tuple[int, ...]] = []
        used: set[int] = set()
        for option in options:
            if not used & set(option):
                batch.append(option)
                used |= set(option)
                if len(batch) == size:
                    break
        return batch
    return []


def _sweep(instance: Instance, grouping: Grouping, waiting: list[int]) -> list[tuple[int, ...]]:
    """Series with people waiting who could attend them or with previous members not back in
    their previous group, most such people first."""
    work: dict[int, int] = {}
    for c in waiting:
        for s in instance.component_series[c]:
            work[s] = work.get(s, 0) + len(instance.components[c].members)
    present = {d.previous: d for d in grouping.groups if d.previous is not None}
    for i, g in instance.previous_group_of.items():
        draft = present.get(g)
        if draft is None or i not in draft.members:
            s = instance.previous[g].series
            work[s] = work.get(s, 0) + 1
    return [(s,) for s in sorted(work, key=lambda s: (-work[s], s))]


def _options(
    instance: Instance, grouping: Grouping
) -> tuple[list[int], list[list[tuple[int, ...]]]]:
    """The waiting components, and the series sets worth re-solving for them (and, in a
    rematch, for those who left their previous group), smallest first: each series such a
    component can attend, each pair of them, and each of them with a series that members of
    its groups could move to (making room); then each of them with two such series, for the
    chains of moves a pair cannot hold."""
    placed = grouping.placed()
    waiting = [
        c.index
        for c in instance.components
        if instance.component_series[c.index] and c.members[0] not in placed
    ]
    reach: dict[int, set[int]] = {}
    for draft in grouping.groups:
        targets = reach.setdefault(draft.series, set())
        for i in draft.members:
            targets.update(instance.component_series[instance.component_of[i]])
    # In a rematch, people who had to leave their previous group are worth another look too.
    kept = {d.previous: set(d.members) for d in grouping.groups if d.previous is not None}
    moved = {
        instance.component_of[i]
        for i, g in instance.previous_group_of.items()
        if i not in kept.get(g, set()) and instance.component_series[instance.component_of[i]]
    }
    small: set[tuple[int, ...]] = set()
    large: set[tuple[int, ...]] = set()
    for c in sorted(set(waiting) | moved):
        series = instance.component_series[c]
        small.update((s,) for s in series)
        small.update(tuple(sorted((a, b))) for a in series for b in series if a != b)
        for s in series:
            for other in reach.get(s, ()):
                if other == s:
                    continue
                small.add(tuple(sorted((s, other))))
                large.update(
                    tuple(sorted((s, other, third)))
                    for third in reach.get(other, ())
                    if third not in (s, other)
                )
    return waiting, [sorted(small), sorted(large - small)]
