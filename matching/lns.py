"""Exact optimisation of parts of a grouping: whole series at a time.

A neighbourhood is every group of a few series plus the waitlisted people who could join
them; everything else stays as it is. Within one series no rule links its groups to the rest
(a moderator leads at most one group *per series*; people are in one group at most), so the
neighbourhood is a complete problem of its own, solved exactly in two stages (placement,
then moves) by the same :class:`~matching.cpsat_model.GroupingModel` that solves whole city
rounds. The whole problem is the neighbourhood of all series.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from matching.cpsat_model import GroupingModel, Slot, SubProblem
from matching.grouping import Draft, Grouping
from matching.instance import Instance
from matching.search import SolutionHook, StageResult, run_stage


@dataclass
class Neighbourhood:
    sub: SubProblem
    inside: list[Draft]
    outside: list[Draft]

    def merge(self, part: Grouping) -> Grouping:
        return Grouping([*self.outside, *part.groups])


def neighbourhood(
    instance: Instance, grouping: Grouping, series: Iterable[int], extra: Iterable[int] = ()
) -> Neighbourhood:
    """All groups of ``series`` (plus room for new ones, and the previous groups of those
    series that are not open now), their members, and the ``extra`` components."""
    chosen = set(series)
    inside = [d for d in grouping.groups if d.series in chosen]
    outside = [d for d in grouping.groups if d.series not in chosen]
    slots = [Slot(d.series, d.previous, d.locked) for d in inside]
    present = {d.previous for d in inside if d.previous is not None}
    for previous in instance.previous:
        if previous.series in chosen and previous.index not in present:
            slots.append(Slot(previous.series, previous.index, previous.locked))
    for s in sorted(chosen):
        info = instance.series[s]
        moderator_sets = (
            len(info.moderators) // instance.per_group if instance.per_group else info.max_groups
        )
        used = sum(1 for slot in slots if slot.series == s)
        slots += [Slot(s)] * max(0, min(info.max_groups, moderator_sets) - used)
    components = {instance.component_of[i] for d in inside for i in d.members}
    components |= {c for c in extra if chosen & set(instance.component_series[c])}
    sub = SubProblem(
        slots=slots,
        components=sorted(components),
        moderators={s: frozenset(instance.series[s].moderators) for s in chosen},
        room={s: instance.series[s].max_groups for s in chosen},
    )
    return Neighbourhood(sub, inside, outside)


@dataclass(frozen=True)
class Staged:
    grouping: Grouping
    placement: StageResult
    moves: StageResult | None
    # The model, with the placement (and moves) reached added as constraints.
    model: GroupingModel


def solve_neighbourhood(
    instance: Instance,
    part: Neighbourhood,
    *,
    time_limit: float,
    workers: int,
    stop: Callable[[], bool],
    on_solution: SolutionHook | None = None,
    on_stage: Callable[[str], None] | None = None,
    placement_share: float = 0.6,
    first_improvement: bool = False,
) -> Staged | None:
    """Maximise placement, then (with a previous grouping) minimise moves keeping that
    placement. Returns the neighbourhood's best part, or None if no solution was found."""
    deadline = time.monotonic() + time_limit
    model = GroupingModel(instance, part.sub)
    incumbent = Grouping(part.inside)
    if on_stage is not None:
        on_stage("placement")
    first = run_stage(
        model,
        model.placement,
        maximize=True,
        time_limit=time_limit * (placement_share if instance.has_previous else 1.0),
        workers=workers,
        hint=incumbent,
        stop=stop,
        on_solution=on_solution,
        first_improvement=first_improvement,
    )
    if first.grouping is None or first.value is None:
        return None
    result = Staged(first.grouping, first, None, model)
    if not instance.has_previous:
        return result
    if on_stage is not None:
        on_stage("moves")
    model.model.add(model.placement >= round(first.value))
    # Member moves first; moderator changes only break ties.
    most_moderators = sum(
        len(instance.previous[slot.previous].moderators)
        for slot in part.sub.slots
        if slot.previous is not None
    )
    second = run_stage(
        model,
        model.moves * (most_moderators + 1) + model.moderator_changes,
        maximize=False,
        time_limit=deadline - time.monotonic(),
        workers=workers,
        hint=first.grouping,
        stop=stop,
    )
    if second.grouping is not None:
        return Staged(second.grouping, first, second, model)
    return result


def improve_placement(
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
    """Try to seat waitlisted people by re-solving the series they can attend, alone, in
    pairs, or with a series their groups' members could move to; keep every result that
    places more (by priority) or, placing as many, moves fewer. Stops when every such
    neighbourhood has been tried since the last improvement."""
    rng = random.Random(seed)
    tried: set[tuple[int, ...]] = set()
    best, best_key = incumbent, incumbent.key(instance)
    options: list[tuple[int, ...]] = []
    waiting: list[int] = []
    stale = True
    while time.monotonic() < deadline - 0.05 and not stop():
        if stale:
            waiting, options = _options(instance, best)
            stale = False
        options = [o for o in options if o not in tried]
        if not options:
            break
        series = options[rng.randrange(len(options))]
        tried.add(series)
        part = neighbourhood(instance, best, series, waiting)
        staged = solve_neighbourhood(
            instance,
            part,
            time_limit=min(step_limit, deadline - time.monotonic()),
            workers=workers,
            stop=stop,
            first_improvement=True,
        )
        if staged is None:
            continue
        candidate = part.merge(staged.grouping)
        key = candidate.key(instance)
        if key[:2] > best_key[:2]:
            best, best_key = candidate, key
            tried.clear()
            stale = True
            on_improve(best)
    return best


def _options(instance: Instance, grouping: Grouping) -> tuple[list[int], list[tuple[int, ...]]]:
    """The waiting components, and the series sets worth re-solving for them: each series a
    waiting component can attend, each pair of them, and each of them with a series that
    members of its groups could move to (making room)."""
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
    options: set[tuple[int, ...]] = set()
    for c in waiting:
        series = instance.component_series[c]
        options.update((s,) for s in series)
        options.update(tuple(sorted((a, b))) for a in series for b in series if a != b)
        for s in series:
            options.update(
                tuple(sorted((s, other))) for other in reach.get(s, ()) if other not in series
            )
    return waiting, sorted(options)
