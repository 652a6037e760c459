"""A lower bound on the imbalance that, unlike the floor, respects how many people of each
category there are and which series they can attend.

The floor rounds each group on its own, as if every group could get its preferred count of
every category at once; with rare categories (three people from one country among 300) most
groups cannot, and a group can only take people who attend its series. For each attribute
separately, the best distribution of the placed people over groups of the given sizes and
series is a min-cost flow with convex costs |count - target|, solved exactly. The sum over
attributes bounds from below the imbalance of any grouping of the same people into groups of
the same sizes and series.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from fractions import Fraction

from ortools.graph.python import min_cost_flow

from matching.balance import PoolMix, Profile


def imbalance_bound(
    mix: PoolMix,
    groups: Sequence[tuple[Hashable, int]],
    people: Sequence[tuple[Profile, frozenset[Hashable]]],
) -> float:
    """``groups``: (series, size) per group; ``people``: (categories, series they may be
    placed in) per placed person."""
    if mix.total == 0 or sum(size for _, size in groups) != mix.total:
        return 0.0
    total = Fraction(0)
    for a in range(len(mix.shares)):
        bound = _attribute_bound(mix, a, groups, people)
        if bound is None:
            return 0.0
        total += bound
    return float(total / mix.total)


def _attribute_bound(
    mix: PoolMix,
    attribute: int,
    groups: Sequence[tuple[Hashable, int]],
    people: Sequence[tuple[Profile, frozenset[Hashable]]],
) -> Fraction | None:
    """Nodes: one per (category, series set) type of person, one per (group, category), one
    per group. Each unit of flow into (group, category) costs the marginal change of
    |n - t|: -1 below floor(t), then 1 - 2*frac(t) for one unit, then +1. Costs are shifted
    by +1 (every unit crosses exactly one such arc, so the shift adds a constant) and scaled
    by the pool size N (targets are multiples of 1/N), so that they are non-negative
    integers."""
    n = mix.total
    types = Counter((profile[attribute], series) for profile, series in people)
    counts = mix.counts[attribute]
    flow = min_cost_flow.SimpleMinCostFlow()
    node_count = 0

    def new_node() -> int:
        nonlocal node_count
        node_count += 1
        return node_count - 1

    group_nodes = [new_node() for _ in groups]
    by_series: dict[Hashable, list[int]] = {}
    for g, (series, _) in enumerate(groups):
        by_series.setdefault(series, []).append(g)
    cell_nodes: dict[tuple[int, str], int] = {}
    tails: list[int] = []
    heads: list[int] = []
    capacities: list[int] = []
    costs: list[int] = []

    def arc(tail: int, head: int, capacity: int, cost: int) -> None:
        tails.append(tail)
        heads.append(head)
        capacities.append(capacity)
        costs.append(cost)

    supplies: list[tuple[int, int]] = []
    for (category, series_set), count in sorted(types.items(), key=repr):
        source = new_node()
        supplies.append((source, count))
        for series in series_set:
            for g in by_series.get(series, []):
                key = (g, category)
                if key not in cell_nodes:
                    cell_nodes[key] = new_node()
                arc(source, cell_nodes[key], count, 0)
    for (g, category), node in cell_nodes.items():
        size = groups[g][1]
        scaled = size * counts[category]
        whole, frac = divmod(scaled, n)
        for capacity, cost in ((whole, 0), (1, 2 * n - 2 * frac), (size, 2 * n)):
            if capacity > 0:
                arc(node, group_nodes[g], capacity, cost)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    for node, supply in supplies:
        flow.set_node_supply(node, supply)
    for g, (_, size) in enumerate(groups):
        flow.set_node_supply(group_nodes[g], -size)
    if flow.solve() != flow.OPTIMAL:
        return None
    # Before any unit is placed every (group, category) costs its whole target, and the
    # targets of a group add up to its size.
    base = sum(size for _, size in groups)
    return base + Fraction(flow.optimal_cost() - n * n, n)
