"""Upper bounds on placement: network flows for every pool, and a relaxation that knows the
group rules (:func:`relaxed_bound`) for city rounds.

People flow from the source through the series they can attend to the sink; a series takes
at most (groups it can open) x max_size people, where the groups it can open are limited by
``max_groups`` and by its moderators. Every valid grouping is such a flow (with whole
together-components, and more rules on top), so the flow optimum bounds it from above:

- the maximum flow bounds how many people can be placed;
- the minimum-cost flow, with each person worth the priority weight of their level (one
  person of a level outweighs everyone below) and a free bypass arc for those left out,
  bounds the priority-weighted placement that the solver maximises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.graph.python import max_flow, min_cost_flow
from ortools.linear_solver import pywraplp

from matching.grouping import level_weights
from matching.instance import Instance
from matching.model.relaxation import relaxation


@dataclass(frozen=True)
class PlacementBound:
    placed: int
    # Bound on sum(level_weights[level of person]) over the people placed.
    weighted: int
    level_weights: list[int]


def count_bound(weighted_bound: float, weights: list[int], available: list[int]) -> int:
    """The most people any placement with at most this weighted score can hold: fill the
    lightest levels first."""
    budget = int(weighted_bound + 1e-6)
    placed = 0
    for weight, count in sorted(zip(weights, available, strict=True)):
        take = min(count, budget // weight)
        placed += take
        budget -= take * weight
    return placed


def placement_bound(instance: Instance) -> PlacementBound:
    weights = level_weights(instance.level_counts)
    people = [
        i
        for i in range(len(instance.people))
        if instance.component_series[instance.component_of[i]]
    ]
    source, sink = 0, 1
    series_node = {s.index: 2 + k for k, s in enumerate(instance.series)}
    person_node = {i: 2 + len(instance.series) + k for k, i in enumerate(people)}
    tails: list[int] = []
    heads: list[int] = []
    capacities: list[int] = []
    costs: list[int] = []

    def arc(tail: int, head: int, capacity: int, cost: int = 0) -> None:
        tails.append(tail)
        heads.append(head)
        capacities.append(capacity)
        costs.append(cost)

    top = max(weights, default=1)
    for i in people:
        # Costs are shifted by the top weight so that they are non-negative; every person
        # takes exactly one of the two arcs out of the source, so the shift is a constant.
        arc(source, person_node[i], 1, top - weights[instance.people[i].level])
        for s in instance.component_series[instance.component_of[i]]:
            arc(person_node[i], series_node[s], 1)
    for series in instance.series:
        arc(series_node[series.index], sink, series.capacity * instance.max_size)

    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, capacities)
    placed = flow.optimal_flow() if flow.solve(source, sink) == flow.OPTIMAL else len(people)

    cheapest = min_cost_flow.SimpleMinCostFlow()
    cheapest.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    bypass = len(people)
    cheapest.add_arc_with_capacity_and_unit_cost(source, sink, bypass, top)
    cheapest.set_node_supply(source, len(people))
    cheapest.set_node_supply(sink, -len(people))
    if cheapest.solve() == cheapest.OPTIMAL:
        weighted = top * len(people) - cheapest.optimal_cost()
    else:
        weighted = sum(weights[instance.people[i].level] for i in people)
    return PlacementBound(placed, weighted, weights)


def relaxed_bound(
    instance: Instance, *, time_limit: float, workers: int, stop: Callable[[], bool]
) -> int | None:
    """A tighter bound on how many can be placed: the optimum of the linear relaxation of
    :func:`matching.model.relaxation.relaxation` (GLOP; on the benchmark pools it gives the
    same bound as the integer programme, in a fraction of the time, most of it building the
    model); None when it was not solved in time."""
    del workers  # GLOP solves on one thread
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    y = relaxation(instance, solver, integer=False)
    components = instance.components
    solver.Maximize(sum(len(components[c].members) * var for (c, _), var in y.items()))
    solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    if stop():
        return None
    if solver.Solve() == pywraplp.Solver.OPTIMAL:
        return int(solver.Objective().Value() + 1e-6)
    return None
