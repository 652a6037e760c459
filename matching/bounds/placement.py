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

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.graph.python import max_flow, min_cost_flow
from ortools.linear_solver import pywraplp

from matching.grouping import level_weights
from matching.instance import Instance


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
    """A tighter bound on how many can be placed: the people of each series as a whole,
    without groups. Every valid grouping gives a solution of this relaxation, so its optimum
    (or CP-SAT's best bound on it) bounds placement. Per series, with ``G`` groups open
    (at most the series' capacity):

    - ``min_size * G <= people <= max_size * G``, and the newcomer share of the people;
    - from each origin at most ``max_same_origin * G`` people;
    - language bridges: people who speak none of the languages the series' groups may work
      in (a *signature*: their set of languages) sit only in groups with a bridge, someone
      who speaks one of those languages and one of the series' languages. With ``H`` groups
      holding people of a signature, ``H <= G``, ``H <=`` the bridges placed in the series,
      and those people number at most ``(max_size - 1) * H``, and from each origin at most
      ``max_same_origin * H`` and at most ``(max_same_origin - 1) * H`` plus the bridges
      from other origins: in each such group they share the origin cap with the bridges
      from their own country, and the group has at least one bridge.

    The flow bound knows only the first half of the first line; on pools where many
    newcomers need a bridge the rest is what limits placement (on the tight benchmark pool
    294 against the flow's 299, with 293 the best placement known). Its linear relaxation
    is solved (GLOP; on the benchmark pools it gives the same bound as the integer
    programme, in a fraction of the time, most of it building the model); None when it was
    not solved in time."""
    del workers  # GLOP solves on one thread
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    people = instance.people
    components = instance.components
    y: dict[tuple[int, int], pywraplp.Variable] = {}
    for c, series in enumerate(instance.component_series):
        for s in series:
            y[c, s] = solver.NumVar(0, 1, f"y_{c}_{s}")
        if len(series) > 1:
            solver.Add(sum(y[c, s] for s in series) <= 1)
    by_series: dict[int, list[int]] = defaultdict(list)
    for c, s in y:
        by_series[s].append(c)
    low, high = instance.share_low, instance.share_high
    cap = instance.max_same_origin
    for s, members in by_series.items():
        info = instance.series[s]
        groups = solver.NumVar(0, info.capacity, f"groups_{s}")
        size = sum(len(components[c].members) * y[c, s] for c in members)
        solver.Add(size <= instance.max_size * groups)
        solver.Add(size >= instance.min_size * groups)
        if low > 0:
            solver.Add(
                sum(
                    (
                        low.denominator * components[c].newcomers
                        - low.numerator * len(components[c].members)
                    )
                    * y[c, s]
                    for c in members
                )
                >= 0
            )
        if high < 1:
            solver.Add(
                sum(
                    (
                        high.numerator * len(components[c].members)
                        - high.denominator * components[c].newcomers
                    )
                    * y[c, s]
                    for c in members
                )
                >= 0
            )
        origins: dict[str, dict[int, int]] = defaultdict(dict)
        signatures: dict[frozenset[str], dict[str | None, dict[int, int]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        languages = set(info.languages)
        for c in members:
            for i in components[c].members:
                person = people[i]
                if person.origin is not None:
                    origins[person.origin][c] = origins[person.origin].get(c, 0) + 1
                if not person.languages & languages:
                    per_origin = signatures[person.languages][person.origin]
                    per_origin[c] = per_origin.get(c, 0) + 1
        if cap < instance.max_size:
            for counts in origins.values():
                if sum(counts.values()) > cap:
                    solver.Add(sum(k * y[c, s] for c, k in counts.items()) <= cap * groups)
        for signature, by_origin in signatures.items():
            # Bridges per origin: people who speak one of the signature's languages and one
            # of the series' languages.
            bridges: dict[str | None, dict[int, int]] = defaultdict(dict)
            for c in members:
                for i in components[c].members:
                    spoken = people[i].languages
                    if spoken & signature and spoken & languages:
                        own = bridges[people[i].origin]
                        own[c] = own.get(c, 0) + 1
            hosts = solver.NumVar(0, info.capacity, f"hosts_{s}")
            solver.Add(hosts <= groups)
            solver.Add(
                hosts <= sum(k * y[c, s] for counts in bridges.values() for c, k in counts.items())
            )
            every: dict[int, int] = {}
            for origin, counts in by_origin.items():
                for c, k in counts.items():
                    every[c] = every.get(c, 0) + k
                if origin is None or cap >= instance.max_size:
                    continue
                # In a group that holds them, they and its bridges from their country share
                # the origin cap, and the group has a bridge: so they number at most
                # cap - 1 there, plus one for each bridge from elsewhere.
                waiting = sum(k * y[c, s] for c, k in counts.items())
                solver.Add(waiting <= cap * hosts)
                elsewhere = [
                    k * y[c, s]
                    for other, bridge in bridges.items()
                    if other != origin
                    for c, k in bridge.items()
                ]
                solver.Add(waiting <= (cap - 1) * hosts + sum(elsewhere))
            solver.Add(
                sum(k * y[c, s] for c, k in every.items()) <= (instance.max_size - 1) * hosts
            )
    solver.Maximize(sum(len(components[c].members) * var for (c, _), var in y.items()))
    solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    if stop():
        return None
    if solver.Solve() == pywraplp.Solver.OPTIMAL:
        return int(solver.Objective().Value() + 1e-6)
    return None
