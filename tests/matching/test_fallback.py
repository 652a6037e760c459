"""A solution that is the fallback grouping says so, and why; a test that meets one fails.

The final check returns the first (greedy) grouping when the searched grouping breaks a rule,
so the result stays valid; these tests make sure that this can never pass unnoticed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from matching import FallbackCause, check, quality_report, solve
from matching.fallback import listening
from matching.model.cpsat import GroupingModel

from .factory import citizens, newcomers, person, problem

ROOT = Path(__file__).resolve().parents[2]


def _apart_problem() -> object:
    # Eight places for eight people, two of whom must be kept apart: keeping rule 9 seats
    # seven. No bound knows of rule 9 (the placement bounds and the relaxation allow eight),
    # so only the model can prove seven, and a model without the rule places all eight.
    people = citizens(4) + newcomers(3) + [person("n4", "newcomer", apart=["c1"])]
    return problem(people, series=[{"id": "mon", "max_groups": 1}], max_size=8, min_size=4)


@pytest.mark.fallback  # rule 9 is taken out of the model on purpose
def test_a_grouping_that_breaks_a_rule_is_replaced_and_the_solution_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(GroupingModel, "_rule_apart", lambda self: None)
    p = _apart_problem()
    heard: list[tuple[FallbackCause, str]] = []
    with listening(lambda cause, text: heard.append((cause, text))):
        solution = solve(p, time_limit=10)  # type: ignore[arg-type]
    assert check(p, solution).ok  # type: ignore[arg-type]
    assert solution.fallback_cause == FallbackCause(kind="rule_broken", rules=[9])
    assert solution.fallback is not None
    assert "the model's grouping broke rule 9" in solution.fallback
    assert solution.status == "feasible"
    assert [cause for cause, _ in heard] == [solution.fallback_cause]
    report = quality_report(p, solution)  # type: ignore[arg-type]
    assert report.fallback_cause == solution.fallback_cause
    assert "fallback: the first grouping, not a searched one" in report.text()
    assert "broke rule 9" in report.text()


def test_a_searched_grouping_is_no_fallback() -> None:
    p = _apart_problem()
    solution = solve(p, time_limit=10)  # type: ignore[arg-type]
    assert solution.fallback is None and solution.fallback_cause is None
    assert "fallback" not in quality_report(p, solution).text()  # type: ignore[arg-type]


def test_a_test_that_meets_a_broken_rule_fails_unless_marked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest("from tests.conftest import no_fallback  # noqa: F401\n")
    pytester.makeini(
        "[pytest]\nmarkers =\n    fallback: the solver may return its fallback grouping\n"
    )
    body = textwrap.dedent(
        """
        import pytest
        from matching import solve
        from matching.model.cpsat import GroupingModel
        from tests.matching.test_fallback import _apart_problem

        def test_unmarked(monkeypatch):
            monkeypatch.setattr(GroupingModel, "_rule_apart", lambda self: None)
            solve(_apart_problem(), time_limit=10)

        @pytest.mark.fallback
        def test_marked(monkeypatch):
            monkeypatch.setattr(GroupingModel, "_rule_apart", lambda self: None)
            solve(_apart_problem(), time_limit=10)

        def test_kept():
            solve(_apart_problem(), time_limit=10)
        """
    )
    pytester.makepyfile(test_inner=body)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    # The unmarked test passes its body and errors in the fixture's teardown.
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*rule_broken: the model's grouping broke rule 9*",
            "ERROR test_inner.py::test_unmarked*",
        ]
    )
