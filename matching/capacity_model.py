"""Series-level relaxation for large pools: an upper bound on how many can be placed.

Group-level rules are summed over a series' groups (sizes, newcomer share, origin limit,
moderators), which every valid grouping satisfies, so the optimum of this model bounds the
placement of any grouping from above, for pools too large for the exact model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from matching.instance import Instance
from matching.search import new_solver, stop_watch


@dataclass(frozen=True)
class CapacityResult:
    status: str
    # Upper bound on the priority-weighted placement, and on the number of people placed.
    bound: float | None
    placed_bound: int | None


def level_weights(counts: list[int]) -> list[int]:
    """Weights per priority level such that one person of a level outweighs all of the
    levels below."""
    weights = []
    below = 0
    for count in counts:
        weights.append(below + 1)
        below += count * (below + 1)
    return weights


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


class CapacityModel:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        self.components = [
            c.index for c in instance.components if instance.component_series[c.index]
        ]
        self.weights = self.weights_for(instance)
        self.assign: dict[int, dict[int, cp_model.IntVar]] = {}
        self.groups: dict[int, cp_model.IntVar] = {}
        self._create_variables()
        self._rule_one_series_per_component()
        self._rule_sizes()
        self._rule_newcomer_share()
        self._rule_origin_limit()
        self._rule_locked_groups()
        self.placement = cp_model.LinearExpr.weighted_sum(
            [var for c in self.components for var in self.assign[c].values()],
            [self._weight(c) for c in self.components for _ in self.assign[c]],
        )

    @staticmethod
    def weights_for(instance: Instance) -> list[int]:
        return level_weights(instance.level_counts)

    def _weight(self, c: int) -> int:
        people = self.instance.people
        return sum(self.weights[people[i].level] for i in self.instance.components[c].members)

    def _create_variables(self) -> None:
        instance, model = self.instance, self.model
        for c in self.components:
            self.assign[c] = {
                s: model.new_bool_var(f"a_{c}_{s}") for s in instance.component_series[c]
            }
        attendance: dict[int, int] = defaultdict(int)
        for c in self.components:
            for s in instance.component_series[c]:
                attendance[s] += len(instance.components[c].members)
        for series in instance.series:
            moderator_sets = (
                len(series.moderators) // instance.per_group
                if instance.per_group
                else series.max_groups
            )
            most = min(
                series.max_groups, moderator_sets, attendance[series.index] // instance.min_size
            )
            self.groups[series.index] = model.new_int_var(0, max(most, 0), f"k_{series.index}")

    def _members(self, s: int, weight: Callable[[int], int]) -> cp_model.LinearExpr:
        components = [c for c in self.components if s in self.assign[c]]
        return cp_model.LinearExpr.weighted_sum(
            [self.assign[c][s] for c in components], [weight(c) for c in components]
        )

    def _rule_one_series_per_component(self) -> None:
        for c in self.components:
            if len(self.assign[c]) > 1:
                self.model.add_at_most_one(self.assign[c].values())

    def _rule_sizes(self) -> None:
        instance = self.instance
        for s, k in self.groups.items():
            size = self._members(s, lambda c: len(instance.components[c].members))
            self.model.add(size <= instance.max_size * k)
            self.model.add(size >= instance.min_size * k)

    def _rule_newcomer_share(self) -> None:
        instance = self.instance
        low, high = instance.share_low, instance.share_high
        comps = instance.components
        for s in self.groups:
            if low > 0:
                self.model.add(
                    self._members(
                        s,
                        lambda c: (
                            low.denominator * comps[c].newcomers
                            - low.numerator * len(comps[c].members)
                        ),
                    )
                    >= 0
                )
            if high < 1:
                self.model.add(
                    self._members(
                        s,
                        lambda c: (
                            high.numerator * len(comps[c].members)
                            - high.denominator * comps[c].newcomers
                        ),
                    )
                    >= 0
                )

    def _rule_origin_limit(self) -> None:
        instance = self.instance
        people = instance.people
        for s, k in self.groups.items():
            per_origin: dict[str, dict[int, int]] = defaultdict(dict)
            for c in self.components:
                if s not in self.assign[c]:
                    continue
                for i in instance.components[c].members:
                    origin = people[i].origin
                    if origin is not None:
                        per_origin[origin][c] = per_origin[origin].get(c, 0) + 1
            for counts in per_origin.values():
                if sum(counts.values()) > instance.max_same_origin:
                    components = list(counts)
                    members = cp_model.LinearExpr.weighted_sum(
                        [self.assign[c][s] for c in components], [counts[c] for c in components]
                    )
                    self.model.add(members <= instance.max_same_origin * k)

    def _rule_locked_groups(self) -> None:
        instance = self.instance
        locked_per_series: dict[int, int] = defaultdict(int)
        for group in instance.previous:
            if not group.locked:
                continue
            locked_per_series[group.series] += 1
            for i in group.members:
                c = instance.component_of[i]
                if c in self.assign and group.series in self.assign[c]:
                    self.model.add(self.assign[c][group.series] == 1)
        for s, count in locked_per_series.items():
            self.model.add(self.groups[s] >= count)

    def solve(self, *, time_limit: float, workers: int, stop: Callable[[], bool]) -> CapacityResult:
        self.model.maximize(self.placement)
        solver = new_solver(time_limit, workers)
        with stop_watch(solver, stop):
            status = solver.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return CapacityResult(solver.status_name(status).lower(), None, None)
        bound = solver.best_objective_bound
        available = [0] * len(self.weights)
        for c in self.components:
            for i in self.instance.components[c].members:
                available[self.instance.people[i].level] += 1
        placed_bound = count_bound(bound, self.weights, available)
        return CapacityResult(
            "optimal" if status == cp_model.OPTIMAL else "feasible", bound, placed_bound
        )
