"""Starts and steps for people who need a language bridge: the plan of which series each
component goes to (``construction.plan``) and neighbourhoods of a community across every
series (``model.neighbourhood.community``)."""

from __future__ import annotations

import time
from typing import Any

from matching import Problem, check
from matching.construction.plan import plan, series_plan
from matching.grouping import Draft, Grouping
from matching.improvement.lns import _communities
from matching.instance import Instance
from matching.model.neighbourhood import community, solve_neighbourhood
from matching.models import Bound, Objective, Solution
from tests.matching.factory import moderator, person, problem


def _person(pid: str, languages: list[str], series: list[str], origin: str) -> dict[str, Any]:
    role = "citizen" if origin == "DE" else "newcomer"
    return person(pid, role, languages=languages, series=series, origin=origin)


BRIDGED_RULES: dict[str, Any] = {
    "min_size": 2,
    "max_size": 4,
    "newcomer_share": [0, 1],
    "working_languages": ["de"],
}


def _problem(extra: list[dict[str, Any]] | None = None) -> Problem:
    """Groups of two to four in German, one per evening. ``w`` speaks only Arabic and can
    come on Monday; ``b`` bridges Arabic and German and can come on either evening."""
    people = [
        _person("m1", ["de"], ["mon"], "DE"),
        _person("m2", ["de"], ["mon"], "DE"),
        _person("t1", ["de"], ["tue"], "DE"),
        _person("t2", ["de"], ["tue"], "DE"),
        _person("b", ["ar", "de"], ["mon", "tue"], "IQ"),
        _person("w", ["ar"], ["mon"], "SY"),
    ]
    return problem(
        people + (extra or []),
        series=[{"id": "mon", "max_groups": 1}, {"id": "tue", "max_groups": 1}],
        moderators=[moderator("mod1", ("de",), ("mon",)), moderator("mod2", ("de",), ("tue",))],
        **BRIDGED_RULES,
    )


def _ids(instance: Instance, pids: list[str]) -> list[int]:
    return sorted(instance.person_index[p] for p in pids)


def _bridge_on_tuesday(instance: Instance) -> Grouping:
    """Everyone but ``w`` placed, the bridge on the wrong evening."""
    return Grouping(
        [
            Draft(0, "de", (0,), _ids(instance, ["m1", "m2"])),
            Draft(1, "de", (1,), _ids(instance, ["t1", "t2", "b"])),
        ]
    )


def _component(instance: Instance, pid: str) -> int:
    return instance.component_of[instance.person_index[pid]]


def _step(instance: Instance, grouping: Grouping, members: list[str]) -> Grouping | None:
    waiting = [_component(instance, "w")]
    part = community(instance, grouping, {_component(instance, p) for p in members}, (), waiting)
    staged = solve_neighbourhood(
        instance, part, time_limit=30.0, workers=1, stop=lambda: False, first_improvement=True
    )
    return None if staged is None else part.merge(staged.grouping)


def test_a_community_moves_its_bridge_to_the_evening_of_the_one_who_needs_it() -> None:
    instance = Instance(_problem())
    better = _step(instance, _bridge_on_tuesday(instance), ["w", "b"])
    assert better is not None
    monday = next(d for d in better.groups if d.series == 0)
    assert set(_ids(instance, ["b", "w"])) <= set(monday.members)
    assert check(instance.problem, _solution(instance, better)).ok


def test_everyone_outside_the_community_stays_in_their_group() -> None:
    """With the bridge not in the community it stays on Tuesday, and nobody can seat ``w``:
    the step proves that nothing places more."""
    instance = Instance(_problem())
    assert _step(instance, _bridge_on_tuesday(instance), ["w"]) is None


def test_the_community_of_someone_waiting_holds_bridges_and_compatriots() -> None:
    instance = Instance(
        _problem([_person("s2", ["de"], ["tue"], "SY"), _person("f1", ["fa"], ["tue"], "AF")])
    )
    tied = _communities(instance, [_component(instance, "w")])
    assert tied == [frozenset(_component(instance, p) for p in ["b", "w", "s2"])]


def test_the_plan_puts_the_bridge_where_it_is_needed() -> None:
    instance = Instance(_problem())
    planned = series_plan(instance, time_limit=10.0, stop=lambda: False)
    assert planned is not None
    assert sorted(planned[0]) == sorted(_component(instance, p) for p in ["m1", "m2", "b", "w"])
    assert sorted(planned[1]) == sorted(_component(instance, p) for p in ["t1", "t2"])
    grouping = plan(instance, deadline=_later(10.0), workers=1, stop=lambda: False)
    assert grouping is not None
    assert len(grouping.placed()) == 6
    assert check(instance.problem, _solution(instance, grouping)).ok


def test_the_plan_places_higher_priority_first() -> None:
    """Room on Monday for one of ``w`` and ``x``, who both need the bridge: the plan takes
    the one with the higher priority."""
    people = [
        _person("m1", ["de"], ["mon"], "DE"),
        _person("m2", ["de"], ["mon"], "DE"),
        _person("b", ["ar", "de"], ["mon"], "IQ"),
        _person("w", ["ar"], ["mon"], "SY"),
        {**_person("x", ["ar"], ["mon"], "SY"), "priority": 1},
    ]
    instance = Instance(
        problem(
            people,
            series=[{"id": "mon", "max_groups": 1}],
            moderators=[moderator("mod1", ("de",), ("mon",))],
            **{**BRIDGED_RULES, "max_same_origin": 1},
        )
    )
    planned = series_plan(instance, time_limit=10.0, stop=lambda: False)
    assert planned is not None
    assert _component(instance, "x") in planned[0]
    assert _component(instance, "w") not in planned[0]


def test_no_plan_without_time_or_when_stopped() -> None:
    instance = Instance(_problem())
    assert series_plan(instance, time_limit=0.0, stop=lambda: False) is None
    assert series_plan(instance, time_limit=10.0, stop=lambda: True) is None


def _later(seconds: float) -> float:
    return time.monotonic() + seconds


def _solution(instance: Instance, grouping: Grouping) -> Solution:
    return Solution(
        status="feasible",
        groups=grouping.to_groups(instance),
        waitlist=[],
        objective=Objective(placed=len(grouping.placed()), moves=0, imbalance=0.0),
        bound=Bound(imbalance=0.0),
        solve_seconds=0.0,
    )
