"""Large-neighbourhood search: improve placement and moves by re-solving a few series at a
time exactly (:mod:`matching.model.neighbourhood`), keeping every better result."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

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
        self.workers = max(1, workers)
        # At most one lane per series: neighbourhoods solved at once hold different series.
        self.lanes = max(1, min(workers, len(instance.series)))
        self.stop = stop
        self.on_improve = on_improve
        self.step_limit = step_limit

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline - 0.05 and not self.stop()

    def run(self, rng: random.Random) -> Grouping:
        """Keep every lane busy: a lane that finishes takes the next neighbourhood at once,
        on series no running neighbourhood holds, so a slow neighbourhood never holds up
        the others (on tight pools one takes a second where most take a tenth)."""
        instance = self.instance
        waiting, tiers = _options(instance, self.best)
        sweep = _sweep(instance, self.best, waiting)
        tried: set[tuple[int, ...]] = set()
        running: dict[Future[Staged | None], Neighbourhood] = {}
        with ThreadPoolExecutor(max_workers=self.lanes) as pool:
            while True:
                while len(running) < self.lanes and self.time_left():
                    busy = {s for part in running.values() for s in part.sub.room}
                    if sweep:
                        option = next((o for o in sweep if not busy & set(o)), None)
                        if option is None:
                            break
                        sweep.remove(option)
                        quick = False
                    else:
                        option = _next(tiers, tried, busy, rng)
                        if option is None:
                            break
                        tried.add(option)
                        quick = True
                    part = neighbourhood(instance, self.best, option, waiting)
                    running[pool.submit(self.solve, part, quick)] = part
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    part = running.pop(future)
                    if self.apply(part, future.result()):
                        waiting, tiers = _options(instance, self.best)
                        tried.clear()
        return self.best

    def solve(self, part: Neighbourhood, quick: bool) -> Staged | None:
        """Solve one neighbourhood exactly (``quick``: until its first improvement)."""
        return solve_neighbourhood(
            self.instance,
            part,
            time_limit=min(self.step_limit, self.deadline - time.monotonic()),
            workers=1 if self.lanes > 1 else self.workers,
            stop=self.stop,
            first_improvement=quick,
        )

    def apply(self, part: Neighbourhood, staged: Staged | None) -> bool:
        """Take the part's result when it still fits the current best and ranks higher."""
        candidate = None if staged is None else self.compose(part, staged.grouping)
        if candidate is None:
            return False
        rank = candidate.rank(self.instance)
        if rank <= self.best_rank:
            return False
        self.best, self.best_rank = candidate, rank
        self.on_improve(candidate)
        return True

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


def _next(
    tiers: list[list[tuple[int, ...]]],
    tried: set[tuple[int, ...]],
    busy: set[int],
    rng: random.Random,
) -> tuple[int, ...] | None:
    """An untried series set from the first tier that has any, on series no running
    neighbourhood holds; None when the first such tier has none free (a lane then waits
    for the running ones) or every tier is tried."""
    for tier in tiers:
        options = [o for o in tier if o not in tried]
        if not options:
            continue
        free = [o for o in options if not busy & set(o)]
        return rng.choice(free) if free else None
    return None


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
