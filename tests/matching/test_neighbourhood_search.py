"""The neighbourhood search's steps: each demands a better placement and stops at the first,
or proves there is none; lanes never wait for each other."""

from __future__ import annotations

import random
from typing import Any

import pytest

import matching.improvement.lns as lns_module
import matching.model.neighbourhood as neighbourhood_module
from matching import Problem
from matching.grouping import Draft, Grouping
from matching.improvement.lns import Option, _changed, _next, _unchanged, improve
from matching.instance import Instance
from matching.model.neighbourhood import Staged, neighbourhood, solve_neighbourhood
from matching.model.search import StageResult
from matching.model.search import run_stage as run_stage_before

from .factory import citizens, newcomers, problem, solved


def _statuses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The status of every CP-SAT stage the neighbourhoods run from now on."""
    seen: list[str] = []

    def spy(*args: object, **kwargs: object) -> StageResult:
        result = run_stage_before(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(result.status)
        return result

    monkeypatch.setattr(neighbourhood_module, "run_stage", spy)
    return seen


def _one_group(placed: int) -> tuple[Instance, Grouping]:
    """Three citizens and three newcomers for one Monday group of four to six; the first
    ``placed`` of c1, c2, n1, n2, c3, n3 in it."""
    instance = Instance(problem([*citizens(3), *newcomers(3)]))
    order = ["c1", "c2", "n1", "n2", "c3", "n3"]
    members = sorted(instance.person_index[pid] for pid in order[:placed])
    return instance, Grouping([Draft(0, "de", (0,), members)])


def _step(instance: Instance, grouping: Grouping) -> Grouping | None:
    placed = grouping.placed()
    waiting = [c.index for c in instance.components if c.members[0] not in placed]
    part = neighbourhood(instance, grouping, (0,), waiting)
    staged = solve_neighbourhood(
        instance, part, time_limit=30.0, workers=1, stop=lambda: False, first_improvement=True
    )
    return None if staged is None else part.merge(staged.grouping)


def test_a_step_stops_at_the_first_grouping_that_places_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance, grouping = _one_group(placed=4)
    statuses = _statuses(monkeypatch)
    better = _step(instance, grouping)
    assert better is not None
    assert len(better.placed()) > 4
    assert statuses in (["feasible"], ["optimal"])


def test_a_step_proves_that_nothing_places_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everyone placed: the step demands one more and CP-SAT proves there is none (it does
    not run to its time limit and give up)."""
    instance, grouping = _one_group(placed=6)
    statuses = _statuses(monkeypatch)
    assert _step(instance, grouping) is None
    assert statuses == ["infeasible"]


def test_a_full_solve_keeps_what_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``first_improvement`` (the whole model) nothing is demanded: the incumbent is
    a solution."""
    instance, grouping = _one_group(placed=6)
    part = neighbourhood(instance, grouping, (0,), [])
    staged = solve_neighbourhood(instance, part, time_limit=30.0, workers=1, stop=lambda: False)
    assert staged is not None and len(staged.grouping.placed()) == 6


def test_a_free_lane_takes_a_neighbourhood_on_series_no_running_one_holds() -> None:
    rng = random.Random(0)
    a, b, ab, abc = Option((0,)), Option((1,)), Option((0, 1)), Option((0, 1, 2))
    tiers = [[a, b, ab], [abc]]
    assert _next(tiers, set(), {0}, rng) == b
    # The first tier's untried options all hold a busy series: wait for the running ones.
    assert _next(tiers, {b}, {0}, rng) is None
    # A tier is left only when every option in it is tried.
    assert _next(tiers, {a, b, ab}, set(), rng) == abc
    assert _next(tiers, {a, b, ab, abc}, set(), rng) is None


def test_an_improvement_reopens_only_the_neighbourhoods_it_may_help() -> None:
    """Neighbourhoods on other series hold the same groups and no one new: they stay tried,
    unless someone who waits again could attend them. A community spans every group."""
    instance = Instance(problem([*citizens(3), *newcomers(3)]))
    pair, other = Option((0, 1)), Option((2, 3))
    tied = Option((2,), frozenset({0}))
    changed = _changed(instance, pair, set())
    assert changed == {0, 1}
    assert not _unchanged(pair, changed)
    assert _unchanged(other, changed)
    assert not _unchanged(tied, changed)
    assert _changed(instance, tied, set()) is None
    assert not _unchanged(other, None)
    # Someone waiting again (the problem's people can attend series 0 only) reopens theirs.
    assert _changed(instance, Option((3,)), {0}) == {0, 3}


def test_two_lanes_place_everyone_who_fits_across_series() -> None:
    """Four series, each with room for one group; the start leaves everyone waiting."""
    series = [{"id": s, "max_groups": 1, "step_free": True} for s in ("mon", "tue", "wed", "thu")]
    people = []
    for s in ("mon", "tue", "wed", "thu"):
        people += citizens(3, prefix=f"c{s}", series=[s]) + newcomers(3, prefix=f"n{s}", series=[s])
    moderators = [
        {"id": f"m{s}", "languages": ["de"], "series": [s]} for s in ("mon", "tue", "wed", "thu")
    ]
    instance = Instance(problem(people, series=series, moderators=moderators))
    found = improve(
        instance,
        Grouping([]),
        deadline=float("inf"),
        workers=2,
        stop=lambda: False,
        on_improve=lambda g: None,
    )
    assert len(found.placed()) == 24
    assert sorted(d.series for d in found.groups) == [0, 1, 2, 3]


def test_a_rematch_step_that_finds_nothing_better_is_not_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rematch step returns its hint when it finds nothing better; that is no reason to
    try it again, so a rematch of an unchanged grouping ends after a few steps instead of
    repeating them until its time runs out."""
    p = problem(citizens(7) + newcomers(6), series=[{"id": "mon", "max_groups": 2}])
    first = solved(p)
    previous = [{**g.model_dump(), "locked": False} for g in first.groups]
    steps: list[float] = []

    def counted(*args: Any, **kwargs: Any) -> Staged | None:
        steps.append(kwargs["time_limit"])
        return solve_neighbourhood(*args, **kwargs)

    monkeypatch.setattr(lns_module, "solve_neighbourhood", counted)
    again = solved(Problem.model_validate({**p.model_dump(), "previous": {"groups": previous}}))
    assert again.objective.moves == 0
    assert 0 < len(steps) <= 5
