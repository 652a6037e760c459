"""Which series each together-component is dealt into first: a min-cost flow through the
series' capacities, priority first (the greedy start's "capacity flow")."""

from __future__ import annotations

from ortools.graph.python import min_cost_flow

from matching.grouping import level_weights
from matching.instance import Instance


def series_assignment(
    instance: Instance, room: dict[int, int], components: list[int]
) -> dict[int, int]:
    """A series for each component that fits, chosen by the same min-cost flow (priority
    first, whole series capacities respected): a starting point for greedy dealing. A
    component the flow splits goes where most of it flows; one it leaves out gets none."""
    weights = level_weights(instance.level_counts)
    top = max(weights, default=1)
    source, sink = 0, 1
    series_node = {s.index: 2 + k for k, s in enumerate(instance.series)}
    first = 2 + len(instance.series)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs: dict[int, list[tuple[int, int]]] = {}
    total = 0
    for k, c in enumerate(components):
        node = first + k
        members = instance.components[c].members
        size = len(members)
        total += size
        unit = max(weights[instance.people[i].level] for i in members)
        flow.add_arc_with_capacity_and_unit_cost(source, node, size, top - unit)
        arcs[c] = [
            (s, flow.add_arc_with_capacity_and_unit_cost(node, series_node[s], size, 0))
            for s in instance.component_series[c]
        ]
    for s, capacity in room.items():
        flow.add_arc_with_capacity_and_unit_cost(series_node[s], sink, max(0, capacity), 0)
    flow.add_arc_with_capacity_and_unit_cost(source, sink, total, top)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    if flow.solve() != flow.OPTIMAL:
        return {}
    result = {}
    for c, options in arcs.items():
        amount, series = max((flow.flow(arc), -rank) for rank, (_, arc) in enumerate(options))
        if amount > 0:
            result[c] = options[-series][0]
    return result
