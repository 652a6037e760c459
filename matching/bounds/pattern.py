"""A lower bound on role and origin imbalance that knows about languages.

The transportation bound (:mod:`matching.bounds.balance`) lets every group take whatever mix
of origins suits it best. Real groups cannot: someone who speaks neither working language
needs a member who speaks it and shares a language with them, and that member usually
comes from the same country; the origin cap and the newcomer share restrict a group's mix
further. On Konstanz-like pools these rules, not the search, decide most of the distance
between the transportation bound and the best grouping.

The bound here is a Dantzig-Wolfe relaxation solved by column generation. People are
reduced to *types* (role, origin, languages); a *pattern* is a count of each type that one
group of a given size could hold under the rules that look only at the group itself
(newcomer share, origin cap, a working language everyone can follow). The master linear
programme picks a fractional mix of patterns that has exactly the placed people and the
group sizes of the grouping; new patterns come from a small CP-SAT model per size (the
pricing problem). Every round gives a Lagrangian bound, valid even before the column
generation converges:

    L(pi) = sum over types t of pi_t * N_t
            + sum over sizes s of G_s * min over patterns p of size s (cost_p - pi . p)

for any prices pi (``N_t`` people of type t placed, ``G_s`` groups of size s). The prices
are rounded to sixteenths so that the pricing model is integral and the bound exact. Since
gender, age band and district are not restricted by these rules, their transportation
bounds are added unchanged: the imbalance is a sum over attributes, and a sum of lower
bounds of the parts bounds the whole.

Series availability, companions and moderators are left out, so the bound holds for any
grouping of the same people into groups of the same sizes.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from matching.balance import ATTRIBUTES, PoolMix
from matching.bounds.balance import attribute_bound
from matching.grouping import Draft
from matching.instance import Instance, Person

# The attributes the patterns hold; the others are bounded by transportation.
PATTERN_ATTRIBUTES = (ATTRIBUTES.index("role"), ATTRIBUTES.index("origin"))
# Prices are rounded to multiples of 1/PRICE_SCALE for the integral pricing model.
PRICE_SCALE = 16
# Patterns kept from one pricing search (its last, cheapest ones), and how far the prices
# stay with those of the best bound so far (Wentges smoothing). On a 300-person benchmark
# pool the bound converged in 35 s with 5 and 0.8, in 25 s with 50 and 0.8, and in 20 s
# with 50 and 0.4 to 0.6; 0.9 and no smoothing at all were slower.
KEEP_PATTERNS = 50
SMOOTHING = 0.5


@dataclass(frozen=True)
class _Type:
    newcomer: bool
    origin: str | None
    languages: frozenset[str]
    # The type's category for each of PATTERN_ATTRIBUTES.
    categories: tuple[str, ...]


class _Types:
    """The placed people reduced to types, with their counts."""

    def __init__(self, instance: Instance, placed: Sequence[int], working: frozenset[str]) -> None:
        people = instance.people
        # Only languages that can matter for a bridge tell types apart: the working
        # languages and those of people who lack one of them. (Two citizens who speak German,
        # English and, one of them, French are the same type when nobody needs French.)
        needed = set(working)
        for i in placed:
            if not working <= people[i].languages:
                needed |= people[i].languages
        self.relevant = frozenset(needed)
        counts: Counter[_Type] = Counter(self.type_of(people[i]) for i in placed)
        self.types = sorted(counts, key=lambda t: (t.categories, sorted(t.languages)))
        self.counts = [counts[t] for t in self.types]
        self.index = {t: k for k, t in enumerate(self.types)}

    def type_of(self, person: Person) -> _Type:
        return _Type(
            person.newcomer,
            person.origin,
            person.languages & self.relevant,
            tuple(person.categories[a] for a in PATTERN_ATTRIBUTES),
        )


def working_languages(instance: Instance, groups: Sequence[Draft]) -> frozenset[str]:
    """Every language a group could work in: those of the series and, for locked groups,
    the language they keep. A bound over fewer would only hold for groupings using those."""
    languages = {lang for series in instance.series for lang in series.languages}
    languages |= {d.language for d in groups}
    return frozenset(languages)


def pattern_bound(
    instance: Instance,
    groups: Sequence[Sequence[int]],
    *,
    time_limit: float,
    languages: frozenset[str],
    workers: int = 1,
    stop: Callable[[], bool] = lambda: False,
) -> float | None:
    """A lower bound on the imbalance of any grouping of the people in ``groups`` into groups
    of the same sizes, working in one of ``languages`` (see :func:`working_languages`); None
    when no bound was reached in ``time_limit`` seconds (the transportation bound still
    holds then)."""
    deadline = time.monotonic() + time_limit
    mix = PoolMix([[instance.people[i].categories for i in g] for g in groups])
    if mix.total == 0 or not languages:
        return None
    types = _Types(instance, [i for g in groups for i in g], languages)
    sizes = Counter(len(g) for g in groups)
    generation = _ColumnGeneration(instance, mix, types, sizes, languages, workers)
    for g in groups:
        generation.add_group(g)
    pattern_part = generation.run(deadline, stop)
    if pattern_part is None:
        return None
    rest = Fraction(0)
    for a in range(len(ATTRIBUTES)):
        if a in PATTERN_ATTRIBUTES:
            continue
        bound = attribute_bound(mix, a, sizes)
        if bound is None:
            return None
        rest += bound
    # pattern_part is in units of 1/N of a deviation (N the number placed), as are the
    # scaled deviations; the imbalance divides the deviation sum by N once more.
    return float((pattern_part / mix.total + rest) / mix.total)


class _ColumnGeneration:
    def __init__(
        self,
        instance: Instance,
        mix: PoolMix,
        types: _Types,
        sizes: Counter[int],
        languages: frozenset[str],
        workers: int,
    ) -> None:
        self.instance = instance
        self.workers = max(1, workers)
        self.mix = mix
        self.types = types
        self.sizes = sizes
        self.languages = sorted(languages)
        # Columns: (size, counts per type), each once.
        self.columns: list[tuple[int, tuple[int, ...]]] = []
        self.known: set[tuple[int, tuple[int, ...]]] = set()
        self.best: Fraction | None = None

    def add_group(self, members: Sequence[int]) -> None:
        counts = [0] * len(self.types.types)
        for i in members:
            counts[self.types.index[self.types.type_of(self.instance.people[i])]] += 1
        self._add(len(members), tuple(counts))

    def _add(self, size: int, counts: tuple[int, ...]) -> bool:
        key = (size, counts)
        if key in self.known:
            return False
        self.known.add(key)
        self.columns.append(key)
        return True

    def cost(self, size: int, counts: Sequence[int]) -> int:
        """The pattern's role and origin deviation, times N."""
        total = self.mix.total
        per_category: list[Counter[str]] = [Counter() for _ in PATTERN_ATTRIBUTES]
        for t, n in zip(self.types.types, counts, strict=True):
            if n:
                for k, category in enumerate(t.categories):
                    per_category[k][category] += n
        cost = 0
        for k, a in enumerate(PATTERN_ATTRIBUTES):
            for category, pool in self.mix.counts[a].items():
                cost += abs(total * per_category[k][category] - pool * size)
        return cost

    def run(self, deadline: float, stop: Callable[[], bool]) -> Fraction | None:
        """Column generation with smoothed prices (Wentges): pricing at a point between the
        prices of the best bound so far and the master's prices keeps the prices from
        swinging, which otherwise makes the bound climb slowly for many rounds."""
        center: list[float] | None = None
        smoothing = SMOOTHING
        while time.monotonic() < deadline and not stop():
            master = self._master()
            if master is None:
                break
            prices, size_prices = master
            if center is None:
                at = prices
            else:
                at = [
                    smoothing * c + (1 - smoothing) * p for c, p in zip(center, prices, strict=True)
                ]
            priced = self._price([round(p) for p in at], deadline, stop)
            if priced is None:
                break
            bound, patterns = priced
            if self.best is None or bound > self.best:
                self.best = bound
                center = at
            improving = [
                (size, counts)
                for size, counts in patterns
                if PRICE_SCALE * self.cost(size, counts)
                - sum(p * n for p, n in zip(prices, counts, strict=True))
                - size_prices[size]
                < -1e-6 * PRICE_SCALE * self.mix.total
            ]
            added = sum(self._add(size, counts) for size, counts in improving)
            if not added:
                if center is None or at == prices:
                    break  # the master's own prices admit no better pattern: converged
                # A smoothed miss: price at the master's prices next time.
                center = None
        return self.best

    def _master(self) -> tuple[list[float], dict[int, float]] | None:
        """Solve the master LP over the columns so far: its prices per type and per group
        size, times PRICE_SCALE."""
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:
            return None
        weights = [solver.NumVar(0.0, solver.infinity(), "") for _ in self.columns]
        objective = solver.Objective()
        for var, (size, counts) in zip(weights, self.columns, strict=True):
            objective.SetCoefficient(var, float(self.cost(size, counts)))
        objective.SetMinimization()
        type_rows = []
        for t, n in enumerate(self.types.counts):
            row = solver.Constraint(float(n), float(n))
            for var, (_, counts) in zip(weights, self.columns, strict=True):
                if counts[t]:
                    row.SetCoefficient(var, float(counts[t]))
            type_rows.append(row)
        size_rows = {}
        for size, groups in self.sizes.items():
            row = solver.Constraint(float(groups), float(groups))
            for var, (s, _) in zip(weights, self.columns, strict=True):
                if s == size:
                    row.SetCoefficient(var, 1.0)
            size_rows[size] = row
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return (
            [row.dual_value() * PRICE_SCALE for row in type_rows],
            {size: row.dual_value() * PRICE_SCALE for size, row in size_rows.items()},
        )

    def _price(
        self, prices: list[int], deadline: float, stop: Callable[[], bool]
    ) -> tuple[Fraction, list[tuple[int, tuple[int, ...]]]] | None:
        """The Lagrangian bound at these (integral) prices, and the patterns the pricing
        found on the way; None when time ran out before every size was priced."""
        total = Fraction(sum(p * n for p, n in zip(prices, self.types.counts, strict=True)))
        patterns: list[tuple[int, tuple[int, ...]]] = []
        for size, groups in sorted(self.sizes.items()):
            left = deadline - time.monotonic()
            if left <= 0 or stop():
                return None
            found = self._cheapest(size, prices, left)
            if found is None:
                return None
            lower, found_patterns = found
            total += groups * lower
            patterns += [(size, counts) for counts in found_patterns]
        return total / PRICE_SCALE, patterns

    def _cheapest(
        self, size: int, prices: list[int], time_limit: float
    ) -> tuple[int, list[tuple[int, ...]]] | None:
        """The least PRICE_SCALE * cost - prices . counts of a pattern of ``size`` (a proven
        lower bound of it) and the last patterns found; None when not even a bound came out."""
        instance, types, mix = self.instance, self.types.types, self.mix
        model = cp_model.CpModel()
        cap = instance.max_same_origin
        counts = [
            model.new_int_var(0, min(n, size, cap if t.origin is not None else size), "")
            for t, n in zip(types, self.types.counts, strict=True)
        ]
        model.add(sum(counts) == size)
        low, high = _newcomer_range(instance, size)
        newcomers = [counts[k] for k, t in enumerate(types) if t.newcomer]
        model.add_linear_constraint(sum(newcomers), low, high)
        by_origin: dict[str, list[cp_model.IntVar]] = {}
        for k, t in enumerate(types):
            if t.origin is not None:
                by_origin.setdefault(t.origin, []).append(counts[k])
        for members in by_origin.values():
            if len(members) > 1:
                model.add(sum(members) <= cap)
        present = []
        for k in range(len(types)):
            var = model.new_bool_var("")
            model.add(counts[k] <= size * var)
            present.append(var)
        working = {lang: model.new_bool_var("") for lang in self.languages}
        model.add_exactly_one(working.values())
        for lang, chosen in working.items():
            for k, t in enumerate(types):
                if lang in t.languages:
                    continue
                bridges = [
                    counts[j]
                    for j, other in enumerate(types)
                    if lang in other.languages and other.languages & t.languages
                ]
                if not bridges:
                    model.add_bool_or([present[k].Not(), chosen.Not()])
                else:
                    model.add(sum(bridges) >= 1).only_enforce_if([present[k], chosen])
        terms: list[cp_model.LinearExprT] = []
        total = mix.total
        for slot, a in enumerate(PATTERN_ATTRIBUTES):
            for category, pool in mix.counts[a].items():
                members = [counts[k] for k, t in enumerate(types) if t.categories[slot] == category]
                target = pool * size
                if not members:
                    terms.append(PRICE_SCALE * target)
                    continue
                deviation = model.new_int_var(0, total * size, "")
                expression = total * cp_model.LinearExpr.sum(members) - target
                model.add_max_equality(deviation, [expression, -expression])
                terms.append(PRICE_SCALE * deviation)
        model.minimize(
            cp_model.LinearExpr.sum(terms) - cp_model.LinearExpr.weighted_sum(counts, prices)
        )
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
        solver.parameters.num_workers = self.workers
        collector = _Patterns(counts)
        status = solver.solve(model, collector)
        if status == cp_model.OPTIMAL:
            return round(solver.objective_value), collector.found[-KEEP_PATTERNS:]
        if status == cp_model.FEASIBLE:
            return math.floor(solver.best_objective_bound), collector.found[-KEEP_PATTERNS:]
        return None


class _Patterns(cp_model.CpSolverSolutionCallback):
    """Every pattern the pricing search passes on its way to the cheapest: the last few are
    good columns too, and adding them saves master rounds."""

    def __init__(self, counts: list[cp_model.IntVar]) -> None:
        super().__init__()
        self.counts = counts
        self.found: list[tuple[int, ...]] = []

    def on_solution_callback(self) -> None:
        self.found.append(tuple(self.value(c) for c in self.counts))


def _newcomer_range(instance: Instance, size: int) -> tuple[int, int]:
    if size < len(instance.newcomer_range):
        return instance.newcomer_range[size]
    low = instance.share_low * size
    high = instance.share_high * size
    return (-(-low.numerator // low.denominator), high.numerator // high.denominator)
