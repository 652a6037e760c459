"""Large-neighbourhood search: improve placement and moves by re-solving a few series at a
time exactly (:mod:`matching.model.neighbourhood`), keeping every better result."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from matching.grouping import Grouping
from matching.instance import Instance
from matching.model.neighbourhood import (
    Neighbourhood,
    Staged,
    community,
    neighbourhood,
    solve_neighbourhood,
)


@dataclass(frozen=True)
class Option:
    """A neighbourhood to re-solve: whole ``series``; with ``community``, also those
    components wherever they are (:func:`matching.model.neighbourhood.community`)."""

    series: tuple[int, ...]
    community: frozenset[int] = frozenset()


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
    communities: bool = False,
) -> Grouping:
    """Re-solve series neighbourhoods and keep every result that the objectives rank higher
    in placement or moves (see :meth:`Grouping.rank`).

    First a sweep solves, once each, every series with something to do (people waiting who
    could attend it, previous members who are not back in their group); then neighbourhoods
    are drawn at random around the people still waiting: a series they can attend, a pair of
    them, or one of them with one or two series that members of its groups could move to
    (making room); with ``communities``, drawn with these: the people a waiting person's
    language and origin tie them to (bridges, others who need them, their compatriots),
    across all series, with the groups of one series. Stops when every such
    neighbourhood has been tried since it last changed. With several workers, that many
    neighbourhoods on different series are solved at once, one CP-SAT worker each.

    ``communities`` builds a model of every group for each such step: for city rounds, not
    for pools whose whole model is too large to build often."""
    search = _Search(
        instance, incumbent, deadline, workers, stop, on_improve, step_limit, communities
    )
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
        communities: bool,
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
        self.communities = communities

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline - 0.05 and not self.stop()

    def run(self, rng: random.Random) -> Grouping:
        """Keep every lane busy: a lane that finishes takes the next neighbourhood at once,
        on series no running neighbourhood holds, so a slow neighbourhood never holds up
        the others (on tight pools one takes a second where most take a tenth)."""
        instance = self.instance
        waiting, tiers = self.options()
        sweep = [Option(s) for s in _sweep(instance, self.best, waiting)]
        tried: set[Option] = set()
        retry: list[Option] = []
        running: dict[Future[Staged | None], tuple[Neighbourhood, Option]] = {}
        with ThreadPoolExecutor(max_workers=self.lanes) as pool:
            while True:
                while len(running) < self.lanes and self.time_left():
                    busy = {s for _, held in running.values() for s in held.series}
                    if sweep:
                        option = next((o for o in sweep if busy.isdisjoint(o.series)), None)
                        if option is None:
                            break
                        sweep.remove(option)
                        quick = False
                    else:
                        option = next((o for o in retry if busy.isdisjoint(o.series)), None)
                        if option is not None:
                            retry.remove(option)
                        else:
                            option = _next(tiers, tried, busy, rng)
                        if option is None:
                            break
                        tried.add(option)
                        quick = True
                    part = self.part(option, waiting)
                    running[pool.submit(self.solve, part, quick)] = (part, option)
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    part, option = running.pop(future)
                    staged = future.result()
                    if self.apply(part, staged):
                        before = set(waiting)
                        waiting, tiers = self.options()
                        changed = _changed(instance, option, set(waiting) - before)
                        tried = {o for o in tried if _unchanged(o, changed)}
                    elif staged is not None and self.improved_on_its_start(part, staged):
                        # It found a better grouping of what the best was when it began,
                        # which another lane has changed since: try it again at once.
                        retry.append(option)
        return self.best

    def options(self) -> tuple[list[int], list[list[Option]]]:
        waiting, tiers = _options(self.instance, self.best)
        if self.communities:
            tiers[0] += _community_options(self.instance, waiting)
        return waiting, tiers

    def part(self, option: Option, waiting: list[int]) -> Neighbourhood:
        if option.community:
            return community(self.instance, self.best, option.community, option.series, waiting)
        return neighbourhood(self.instance, self.best, option.series, waiting)

    def improved_on_its_start(self, part: Neighbourhood, staged: Staged) -> bool:
        """Whether the part's result ranks above the grouping the part was cut from (a
        step without a previous grouping returns only such results; a rematch step returns
        its hint when it finds nothing better)."""
        instance = self.instance
        start = Grouping([*part.outside, *part.inside])
        return part.merge(staged.grouping).rank(instance) > start.rank(instance)

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


def _changed(instance: Instance, improved: Option, joined: set[int]) -> set[int] | None:
    """The series whose neighbourhoods may now do better than when they were last tried
    (None: all of them): those the improvement changed, and every series of a component
    that waits again. Any other neighbourhood of whole series holds the same groups as
    before and at most the people who waited then, so it cannot do better than it did."""
    if improved.community:
        return None
    changed = set(improved.series)
    for c in joined:
        changed.update(instance.component_series[c])
    return changed


def _unchanged(option: Option, changed: set[int] | None) -> bool:
    """Whether a tried option stays tried: a community spans every group, so any change
    reopens it."""
    return changed is not None and not option.community and changed.isdisjoint(option.series)


def _next(
    tiers: list[list[Option]],
    tried: set[Option],
    busy: set[int],
    rng: random.Random,
) -> Option | None:
    """An untried option from the first tier that has any, on series no running
    neighbourhood holds; None when the first such tier has none free (a lane then waits
    for the running ones) or every tier is tried."""
    for tier in tiers:
        options = [o for o in tier if o not in tried]
        if not options:
            continue
        free = [o for o in options if busy.isdisjoint(o.series)]
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


def _community_options(instance: Instance, waiting: list[int]) -> list[Option]:
    """For each need of the waiting people, with each series: the community of the need
    (see :func:`_communities`) and the groups of the series."""
    return [
        Option((s,), members)
        for members in _communities(instance, waiting)
        for s in range(len(instance.series))
    ]


def _communities(instance: Instance, waiting: list[int]) -> list[frozenset[int]]:
    """Per waiting person, the placeable components tied to them by what they need: those
    who speak one of their languages that no group works in (the bridges they need, and the
    others who need the same bridges) or who share their origin (and its limit per group),
    with the waiting components of the same need. Smallest first."""
    working = instance.working_languages or frozenset(
        lang for series in instance.series for lang in series.languages
    )
    needs: dict[tuple[frozenset[str], str | None], set[int]] = {}
    for c in waiting:
        for i in instance.components[c].members:
            person = instance.people[i]
            needs.setdefault((person.languages - working, person.origin), set()).add(c)
    found: set[frozenset[int]] = set()
    for (languages, origin), components in needs.items():
        if not languages and origin is None:
            continue
        tied = {
            instance.component_of[p.index]
            for p in instance.people
            if not languages.isdisjoint(p.languages) or (origin is not None and p.origin == origin)
        }
        found.add(frozenset(c for c in tied | components if instance.component_series[c]))
    return sorted(found, key=lambda m: (len(m), sorted(m)))


def _options(instance: Instance, grouping: Grouping) -> tuple[list[int], list[list[Option]]]:
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
    return waiting, [
        [Option(o) for o in sorted(small)],
        [Option(o) for o in sorted(large - small)],
    ]
