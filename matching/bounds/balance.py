"""A lower bound on the imbalance that, unlike the floor, respects how many people of each
category there are.

The floor rounds each group on its own, as if every group could get its preferred count of
every category at once; with rare categories (three people from one country among 300) most
groups cannot. For each attribute separately, the best distribution of the placed people's
actual category counts over groups of the given sizes is a transportation problem with
convex costs |count - target|, solved exactly as a min-cost flow. Summed over attributes it
bounds from below the imbalance of any grouping of the same people into groups of the same
sizes (whatever other rules say).

Groups of equal size are interchangeable here, so they share one node whose arcs carry their
combined capacity: the flow has a handful of nodes per attribute, even for 10,000 people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from ortools.graph.python import min_cost_flow

from matching.balance import PoolMix


def imbalance_bound(mix: PoolMix, sizes: Sequence[int]) -> float:
    """The lowest imbalance any grouping of the pool into groups of ``sizes`` can have."""
    if mix.total == 0 or sum(sizes) != mix.total:
        return 0.0
    classes = Counter(sizes)
    total = Fraction(0)
    for a in range(len(mix.counts)):
        bound = attribute_bound(mix, a, classes)
        if bound is None:
            return 0.0
        total += bound
    return float(total / mix.total)


def attribute_bound(mix: PoolMix, attribute: int, classes: Counter[int]) -> Fraction | None:
    """min sum over groups g and categories c of |n_gc - size_g * share_c|, over integer n
    with the right row and column sums. Each unit of n_gc costs its marginal change of
    |n - t|: -1 below floor(t), then 1 - 2*frac(t) for one unit, then +1. Costs are shifted
    by +1 (every unit crosses exactly one such arc, so the shift adds a constant) and scaled
    by the pool size N (targets are multiples of 1/N), so that they are non-negative
    integers."""
    n = mix.total
    counts = mix.counts[attribute]
    categories = sorted(counts)
    flow = min_cost_flow.SimpleMinCostFlow()
    class_nodes = {size: k for k, size in enumerate(sorted(classes))}
    category_nodes = {c: len(class_nodes) + k for k, c in enumerate(categories)}
    tails, heads, capacities, costs = [], [], [], []
    for size, groups in classes.items():
        for c in categories:
            whole, frac = divmod(size * counts[c], n)
            segments = ((whole, 0), (1 if frac else 0, 2 * n - 2 * frac), (size, 2 * n))
            for capacity, cost in segments:
                if capacity > 0:
                    tails.append(category_nodes[c])
                    heads.append(class_nodes[size])
                    capacities.append(capacity * groups)
                    costs.append(cost)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    for c in categories:
        flow.set_node_supply(category_nodes[c], counts[c])
    for size, groups in classes.items():
        flow.set_node_supply(class_nodes[size], -size * groups)
    if flow.solve() != flow.OPTIMAL:
        return None
    # Before any unit is placed, every (group, category) costs its whole target, and the
    # targets of a group add up to its size.
    base = sum(size * groups for size, groups in classes.items())
    return base + Fraction(flow.optimal_cost() - n * n, n)
