"""The placement relaxation: the people of each series as a whole, without groups.

Every valid grouping gives a solution of it, so its optimum bounds placement
(:func:`matching.bounds.placement.relaxed_bound`, its linear relaxation); solved in integers
it is also a plan of which series each component goes to, from which city rounds start
(:mod:`matching.construction.plan`). Per series, with ``G`` groups open (at most the
series' capacity):

- ``min_size * G <= people <= max_size * G``, and the newcomer share of the people;
- from each origin at most ``max_same_origin * G`` people;
- language bridges: people who speak none of the languages the series' groups may work in
  (a *signature*: their set of languages) sit only in groups with a bridge, someone who
  speaks one of those languages and one of the series' languages. With ``H`` groups holding
  people of a signature, ``H <= G``, ``H <=`` the bridges placed in the series, and those
  people number at most ``(max_size - 1) * H``, and from each origin at most
  ``max_same_origin * H`` and at most ``(max_same_origin - 1) * H`` plus the bridges from
  other origins: in each such group they share the origin cap with the bridges from their
  own country, and the group has at least one bridge.

The flow bound knows only the first half of the first line; on pools where many newcomers
need a bridge the rest is what limits placement (on the tight benchmark pool 294 against the
flow's 299).
"""

from __future__ import annotations

from collections import defaultdict

from ortools.linear_solver import pywraplp

from matching.instance import Instance

# (component, series) -> the share of the component placed in the series (0 or 1 in integers).
Placements = dict[tuple[int, int], pywraplp.Variable]


def relaxation(instance: Instance, solver: pywraplp.Solver, *, integer: bool) -> Placements:
    """Adds the relaxation's variables and constraints to ``solver`` (no objective) and
    returns its placement variables."""

    def new_var(low: float, high: float, name: str) -> pywraplp.Variable:
        if integer:
            return solver.IntVar(low, high, name)
        return solver.NumVar(low, high, name)

    people = instance.people
    components = instance.components
    y: dict[tuple[int, int], pywraplp.Variable] = {}
    for c, series in enumerate(instance.component_series):
        for s in series:
            y[c, s] = new_var(0, 1, f"y_{c}_{s}")
        if len(series) > 1:
            solver.Add(sum(y[c, s] for s in series) <= 1)
    by_series: dict[int, list[int]] = defaultdict(list)
    for c, s in y:
        by_series[s].append(c)
    low, high = instance.share_low, instance.share_high
    cap = instance.max_same_origin
    for s, members in by_series.items():
        info = instance.series[s]
        groups = new_var(0, info.capacity, f"groups_{s}")
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
            hosts = new_var(0, info.capacity, f"hosts_{s}")
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
    return y
