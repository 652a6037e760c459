"""The library entry point: priorities, progress reports, cancellation, larger pools."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from pytest import MonkeyPatch

from benchmarks.matching_pool import generate
from matching import InputIssue, Problem, Progress, check, solve, solver
from matching.construction import greedy as greedy_module
from matching.construction.greedy import greedy, greedy_until
from matching.construction.series_flow import series_assignment
from matching.explanations.reasons import NOT_ANALYSED
from matching.grouping import Grouping
from matching.instance import Instance
from matching.validation import problem_issues

from .factory import citizens, newcomers, problem, solved


def test_higher_priority_is_placed_first() -> None:
    people = citizens(4) + newcomers(4)
    people[0]["priority"] = 2
    people[1]["priority"] = 1
    p = problem(people, series=[{"id": "mon", "max_groups": 1}], max_size=6)
    solution = solved(p)
    placed = {i for g in solution.groups for i in g.members}
    assert {"c1", "c2"} <= placed
    assert len(placed) == 6
    assert all("full" in w.reason for w in solution.waitlist)


def test_progress_is_reported_in_phases() -> None:
    seen: list[Progress] = []
    solution = solve(problem(citizens(6) + newcomers(6)), time_limit=20, on_progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases[0] == "greedy"
    assert phases[-1] == "done"
    assert "balance" in phases
    assert seen[-1].placed == solution.objective.placed
    assert all(a.elapsed <= b.elapsed for a, b in itertools.pairwise(seen))


def test_a_stopped_solve_still_returns_a_valid_grouping() -> None:
    p = generate(150, seed=5)
    stop = threading.Event()
    stop.set()
    solution = solve(p, time_limit=600, stop=stop)
    assert check(p, solution).ok
    assert solution.status == "feasible"
    assert solution.objective.placed > 0


def test_stop_as_a_callable_ends_a_long_solve() -> None:
    p = generate(150, seed=6)
    calls = 0

    def stop() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    solution = solve(p, time_limit=600, stop=stop)
    assert check(p, solution).ok


def test_a_generated_city_round_is_valid_and_bounded() -> None:
    p = generate(90, seed=2)
    solution = solve(p, time_limit=4)
    result = check(p, solution)
    assert result.ok, result.violations
    assert solution.fallback is None
    assert solution.bound.placed is not None
    assert solution.objective.placed <= solution.bound.placed
    assert solution.bound.imbalance <= solution.objective.imbalance
    assert result.imbalance_floor <= solution.objective.imbalance


@pytest.mark.fallback  # a time-out on purpose
def test_without_time_the_fallback_is_returned_valid_and_says_so() -> None:
    p = generate(300, seed=3)
    solution = solve(p, time_limit=0)
    result = check(p, solution)
    assert result.ok, result.violations
    # Not even the first grouping could be dealt: everyone waits, and the solution says why.
    assert solution.fallback is not None and "time limit" in solution.fallback
    assert solution.objective.placed == 0 and solution.status == "feasible"
    assert len(solution.waitlist) == len(p.participants)
    reasons = {entry.reason for entry in solution.waitlist}
    assert NOT_ANALYSED in reasons
    # What screening found is still said.
    assert any(reason != NOT_ANALYSED for reason in reasons)


def test_a_cut_greedy_grouping_is_valid_and_an_uncut_one_is_whole() -> None:
    p = generate(300, seed=4)
    instance = Instance(p)
    cut_grouping, cut = greedy_until(instance, deadline=time.monotonic())
    assert cut and not cut_grouping.groups
    whole, cut = greedy_until(instance, deadline=time.monotonic() + 60)
    assert not cut and whole.placed() == greedy(instance).placed()


@pytest.mark.fallback  # a time-out on purpose
def test_checking_the_problem_counts_against_the_time_limit(monkeypatch: MonkeyPatch) -> None:
    # A fake clock: checking the problem seems to take a minute, more than the whole limit.
    p = generate(300, seed=3)
    real = time.monotonic
    offset = 0.0
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset)
    original = problem_issues

    def slow_check(problem: Problem) -> list[InputIssue]:
        nonlocal offset
        offset += 60.0
        return original(problem)

    monkeypatch.setattr(solver, "problem_issues", slow_check)
    solution = solve(p, time_limit=30)
    assert check(p, solution).ok
    assert solution.fallback is not None and "time limit" in solution.fallback
    assert solution.objective.placed == 0
    assert solution.solve_seconds >= 60


@pytest.mark.fallback  # a time-out on purpose
def test_steps_that_grow_with_the_pool_start_only_with_time_for_them(
    monkeypatch: MonkeyPatch,
) -> None:
    # A fake clock: the greedy start seems to take 25 s of a 30 s limit. What is left after
    # it (5 s) is less than a step as large as the pool may take (a share of those 25 s), so
    # the greedy grouping is the result, and the solution says why. (The greedy start deals
    # by lot: the same seed deals the same grouping.)
    p = generate(300, seed=3).model_copy(update={"lottery_seed": "fixed"})
    real = time.monotonic
    offset = 0.0
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset)
    original = greedy_until

    def slow_greedy(instance: Instance, **options: Any) -> tuple[Grouping, bool]:
        nonlocal offset
        result = original(instance, **options)
        offset += 25.0
        return result

    monkeypatch.setattr(solver, "greedy_until", slow_greedy)
    solution = solve(p, time_limit=30)
    assert check(p, solution).ok
    assert solution.fallback == "the time limit was reached before the search began"
    instance = Instance(p)
    assert solution.objective.placed == len(greedy(instance).placed()) > 0


def test_the_time_kept_for_the_end_grows_with_how_long_the_build_took(
    monkeypatch: MonkeyPatch,
) -> None:
    # The end walks every participant like building the instance does: on a busy machine
    # (here a fake clock makes the build seem to take 0.25 s) it is kept more time.
    p = generate(3000, seed=1)
    real = time.monotonic
    offset = 0.0
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset)

    def slow_build(problem: Problem) -> Instance:
        nonlocal offset
        instance = Instance(problem)
        offset += 0.25
        return instance

    monkeypatch.setattr(solver, "Instance", slow_build)
    run = solver._Run(p, time.monotonic(), 1.0, 2, None, None)
    # Otherwise a tenth of the limit, or 40 microseconds per person: 0.12 s.
    assert run.end - run.deadline >= 0.25


def test_with_little_time_left_the_greedy_start_deals_at_once(monkeypatch: MonkeyPatch) -> None:
    # The capacity flow that chooses series is a third of the greedy start's time: when the
    # build was slow (a fake clock makes it seem to take 3 s of a 10 s limit), there is no
    # time for it, and people are dealt by the room left.
    p = generate(300, seed=3)
    flows = 0
    original_flow = series_assignment
    # Stopped at once: the greedy start is all that runs.
    stop = threading.Event()
    stop.set()

    def counted_flow(*args: Any) -> dict[int, int]:
        nonlocal flows
        flows += 1
        return original_flow(*args)

    monkeypatch.setattr(greedy_module, "series_assignment", counted_flow)
    assert check(p, solve(p, time_limit=10, stop=stop)).ok and flows > 0
    flows = 0
    real = time.monotonic
    offset = 0.0
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset)

    def slow_build(problem: Problem) -> Instance:
        nonlocal offset
        instance = Instance(problem)
        offset += 3.0
        return instance

    monkeypatch.setattr(solver, "Instance", slow_build)
    solution = solve(p, time_limit=10, stop=stop)
    assert check(p, solution).ok
    assert flows == 0 and solution.objective.placed > 0
    hurried, cut = greedy_until(Instance(p), by_flow=False)
    assert not cut and len(hurried.placed()) > 0.8 * len(p.participants)
