"""A start for city rounds from a plan of which series each component goes to.

The greedy start deals people one at a time; on pools where many newcomers need a language
bridge it cannot see that a bridge placed in one series is what someone waiting for another
series needs, and leaves many waiting (on the tight benchmark pool 231 to 258 of 294). The
plan solves the placement relaxation (:mod:`matching.model.relaxation`) in integers, which
decides per series how many people of each origin and language come, with the bridges they
need, and then solves each series exactly with the components planned for it. On the
benchmark pools this places within a few people of the best known in about a second, and the
neighbourhood search continues from there.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from ortools.linear_solver import pywraplp

from matching.grouping import Grouping, level_weights
from matching.instance import Instance
from matching.model.neighbourhood import neighbourhood, solve_neighbourhood
from matching.model.relaxation import relaxation

# Priority weights above this are left out of the plan's objective (it then places as many
# as it can, whatever their priority; the search after it keeps the priorities): the
# integer solver works in floating point.
MAX_WEIGHT = 10**9


def plan(
    instance: Instance,
    *,
    deadline: float,
    workers: int,
    stop: Callable[[], bool],
    relaxation_share: float = 0.3,
) -> Grouping | None:
    """A grouping built from the plan, or None when the plan was not found in time (the
    relaxation gets ``relaxation_share`` of the time; each series then an equal share of
    what is left). Series are solved one after another, each with every worker."""
    planned = series_plan(
        instance, time_limit=(deadline - time.monotonic()) * relaxation_share, stop=stop
    )
    if planned is None:
        return None
    grouping = Grouping([])
    order = sorted(planned)
    for k, s in enumerate(order):
        left = deadline - time.monotonic()
        if left <= 0 or stop():
            break
        part = neighbourhood(instance, grouping, [s], planned[s])
        staged = solve_neighbourhood(
            instance,
            part,
            time_limit=left / (len(order) - k),
            workers=workers,
            stop=stop,
        )
        if staged is not None:
            grouping = part.merge(staged.grouping)
    return grouping


def series_plan(
    instance: Instance, *, time_limit: float, stop: Callable[[], bool]
) -> dict[int, list[int]] | None:
    """Per series, the components the relaxation solved in integers (SCIP, which is part
    of OR-Tools) places there, placing as many as it can, higher priority first; None when
    it found no solution in time."""
    if stop() or time_limit <= 0:
        return None
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        return None
    y = relaxation(instance, solver, integer=True)
    weights = level_weights(instance.level_counts)
    if max(weights, default=1) > MAX_WEIGHT:
        weights = [1] * len(weights)
    people, components = instance.people, instance.components
    worth = [sum(weights[people[i].level] for i in component.members) for component in components]
    solver.Maximize(sum(worth[c] * var for (c, _), var in y.items()))
    solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    # SCIP would take Ctrl-C for itself; the caller's stop signal handles it.
    solver.SetSolverSpecificParametersAsString("misc/catchctrlc = FALSE\n")
    if solver.Solve() not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    planned: dict[int, list[int]] = defaultdict(list)
    for (c, s), var in y.items():
        if var.solution_value() > 0.5:
            planned[s].append(c)
    return dict(planned)
