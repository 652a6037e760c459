"""Parts of a grouping solved exactly: whole series at a time.

A neighbourhood is every group of a few series plus the waitlisted people who could join
them; everything else stays as it is. Within one series no rule links its groups to the rest
(a moderator leads at most one group *per series*; people are in one group at most), so the
neighbourhood is a complete problem of its own, solved exactly in stages (placement, then,
when there is a previous grouping, what the rematch changes) by the same model that solves
whole city rounds (:class:`~matching.model.cpsat.GroupingModel`). The whole problem is the
neighbourhood of all series.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from matching.grouping import Draft, Grouping
from matching.instance import Instance
from matching.model.cpsat import GroupingModel, Slot, SubProblem
from matching.model.search import SolutionHook, StageResult, run_stage

# The least time worth giving one neighbourhood solve (model building and presolve).
MIN_STEP = 0.3


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
        used = sum(1 for slot in slots if slot.series == s)
        slots += [Slot(s)] * max(0, instance.series[s].capacity - used)
    components = {instance.component_of[i] for d in inside for i in d.members}
    components |= {c for c in extra if chosen & set(instance.component_series[c])}
    sub = SubProblem(
        slots=slots,
        components=sorted(components),
        moderators={s: frozenset(instance.series[s].moderators) for s in chosen},
        room={s: instance.series[s].max_groups for s in chosen},
    )
    return Neighbourhood(sub, inside, outside)


def community(
    instance: Instance,
    grouping: Grouping,
    members: Iterable[int],
    series: Iterable[int],
    extra: Iterable[int] = (),
) -> Neighbourhood:
    """Every group of every series, in which only the ``members`` components (wherever they
    are placed, or waiting) and everyone in the groups of ``series`` may move; everyone else
    stays in their group, whose language and moderators may still change. Plus the
    ``extra`` components that could attend one of ``series``.

    Made for people who wait because what they need is spread over many series: someone
    who speaks neither working language needs a member who bridges to their language, and
    the bridges, the others who need them and everyone of their origin (who share the
    origin limit) may be in any series. Moving them, together with the groups of one series
    that makes room, is a change that neighbourhoods of a few whole series cannot make."""
    everything = neighbourhood(instance, grouping, range(len(instance.series)))
    free = set(members)
    moving = set(series)
    component_of = instance.component_of
    pinned = {
        component_of[i]: k
        for k, d in enumerate(everything.inside)
        if d.series not in moving
        for i in d.members
        if component_of[i] not in free
    }
    placed = set(everything.sub.components)
    joining = {
        c
        for c in free | set(extra)
        if c not in placed
        and instance.component_series[c]
        and (c in free or moving & set(instance.component_series[c]))
    }
    sub = SubProblem(
        slots=everything.sub.slots,
        components=sorted(placed | joining),
        moderators=everything.sub.moderators,
        room=everything.sub.room,
        pinned=pinned,
    )
    return Neighbourhood(sub, everything.inside, everything.outside)


@dataclass(frozen=True)
class Staged:
    grouping: Grouping
    # The stage results (None: the stage did not run or found nothing); ``moves`` is the
    # stage of what the rematch changes (series changes, moves, language changes).
    placement: StageResult | None
    moves: StageResult | None
    # The model, with the values the stages reached added as constraints.
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
    first_improvement: bool = False,
    frugal: bool = False,
    first_share: float = 0.5,
    placement_known: bool = False,
) -> Staged | None:
    """Optimise the neighbourhood lexicographically: placement first; with a previous
    grouping, then what the rematch changes (``GroupingModel.changes``: fewest series changes,
    then fewest moves, then fewest language changes) among the groupings that place as many.
    Each stage keeps what the one before reached. None if no solution was found at all.

    The first stage gets ``first_share`` of the time when another follows; with
    ``placement_known`` (the incumbent's placement is proven the most possible) the
    placement stage is replaced by keeping the incumbent's. ``frugal`` (with a previous
    grouping) is for the series-by-series repair: it replaces placement by the changes, then
    by taking in as few people from outside the neighbourhood's previous groups as that
    allows, leaving the others for the series solved after it. With ``first_improvement``
    and no previous grouping, None also means that the neighbourhood cannot place more."""
    deadline = time.monotonic() + time_limit
    model = GroupingModel(instance, part.sub)
    # A step of the neighbourhood search without a previous grouping needs only a grouping
    # that places more: the model demands one, so CP-SAT ends at the first it finds, or
    # proves there is none, which takes a fraction of proving the incumbent optimal (its
    # bound has to meet the demand, not the incumbent). Infeasible then means "no better".
    demand_more = (
        first_improvement and not instance.has_previous and not frugal and not placement_known
    )
    stages: list[tuple[str, cp_model.LinearExpr, bool]] = []
    if instance.has_previous and frugal:
        stages.append(("moves", model.changes, False))
        stages.append(("joiners", model.joiners, False))
    else:
        if placement_known:
            model.model.add(model.placement >= _placement_of(model, part.inside))
        else:
            if demand_more:
                model.model.add(model.placement >= _placement_of(model, part.inside) + 1)
            stages.append(("placement", model.placement, True))
        if instance.has_previous:
            stages.append(("moves", model.changes, False))
    hint = Grouping(part.inside)
    results: dict[str, StageResult] = {}
    for k, (name, objective, maximize) in enumerate(stages):
        if on_stage is not None:
            on_stage(name)
        left = deadline - time.monotonic()
        result = run_stage(
            model,
            objective,
            maximize=maximize,
            time_limit=left if k == len(stages) - 1 else left * first_share,
            workers=workers,
            hint=hint,
            stop=stop,
            on_solution=on_solution,
            first_improvement=first_improvement,
            first_solution=demand_more,
        )
        if result.grouping is None or result.value is None:
            break
        results[name] = result
        hint = result.grouping
        reached = round(result.value)
        model.model.add(objective >= reached if maximize else objective <= reached)
    if not results:
        return None
    return Staged(hint, results.get("placement"), results.get("moves"), model)


def _placement_of(model: GroupingModel, drafts: list[Draft]) -> int:
    """The model's placement term for the people placed in ``drafts``."""
    instance = model.instance
    return sum(
        model.level_weights[instance.people[i].level]
        for d in drafts
        for i in d.members
        if instance.component_of[i] in model.x
    )
