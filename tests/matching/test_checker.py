"""The independent checker flags hand-made violations of each hard rule, naming rule, group
and participant, and accepts a valid solution."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from matching import Problem, Solution, check
from matching.checker import violations
from matching.models import Bound, Group, Objective, WaitlistEntry

from .factory import citizens, moderator, newcomers, person, problem

SERIES = [
    {"id": "mon", "max_groups": 1, "step_free": False},
    {"id": "tue", "max_groups": 1, "step_free": True},
]


def base_problem() -> Problem:
    people = citizens(3, series=["mon", "tue"]) + newcomers(1, series=["mon", "tue"])
    people += [
        person("n2", "newcomer", series=["mon", "tue"], origin="AF"),
        person("b1", "newcomer", languages=["fa", "de"], series=["mon", "tue"], origin="AF"),
        person("f1", "newcomer", languages=["fa"], series=["mon", "tue"], origin="AF"),
        person("s1", "newcomer", series=["tue"], origin="SY"),
        person("t1", "citizen", series=["tue"], together=["t2"]),
        person("t2", "citizen", series=["tue"], apart=["s1"]),
        person("w1", "citizen", series=["mon", "tue"], needs=["step_free"]),
    ]
    return problem(
        people,
        series=SERIES,
        moderators=[moderator("m1", ("de",), ("mon", "tue")), moderator("m2", ("en",), ("mon",))],
        working_languages=["de"],
        max_same_origin=2,
    )


def valid_solution() -> Solution:
    return Solution(
        status="feasible",
        groups=[
            Group(
                id="g1",
                series="mon",
                language="de",
                moderators=["m1"],
                members=["c1", "c2", "n1", "b1", "f1"],
            ),
            Group(
                id="g2",
                series="tue",
                language="de",
                moderators=["m1"],
                members=["c3", "n2", "s1", "w1"],
            ),
        ],
        waitlist=[
            WaitlistEntry(id="t1", reason="waits with t2"),
            WaitlistEntry(id="t2", reason="apart from s1"),
        ],
        objective=Objective(placed=9, moves=0, imbalance=0.0),
        bound=Bound(imbalance=0.0),
        solve_seconds=0.0,
    )


def test_valid_solution_passes_and_reports_balance() -> None:
    result = check(base_problem(), valid_solution())
    assert result.ok, result.violations
    assert result.placed == 9
    assert result.imbalance >= result.imbalance_floor >= 0
    assert violations(base_problem(), valid_solution()) == []


def _twice(s: Solution) -> None:
    s.groups[1].members.append("c1")


def _unknown(s: Solution) -> None:
    s.groups[0].members.append("zz")


def _small(s: Solution) -> None:
    s.groups[1].members.remove("c3")
    s.waitlist.append(WaitlistEntry(id="c3", reason="x"))


def _share(s: Solution) -> None:
    s.groups[0].members = ["n1", "b1", "f1"]
    s.waitlist += [WaitlistEntry(id="c1", reason="x"), WaitlistEntry(id="c2", reason="x")]


def _series(s: Solution) -> None:
    s.groups[1].members.remove("s1")
    s.groups[0].members.append("s1")


def _capacity(s: Solution) -> None:
    s.groups.append(Group(id="g3", series="mon", language="en", moderators=["m2"], members=[]))


def _moderator_twice(s: Solution) -> None:
    s.groups[1].series = "mon"


def _moderators(s: Solution) -> None:
    s.groups[0].moderators = ["m1", "m2"]


def _language(s: Solution) -> None:
    s.groups[0].members.remove("b1")
    s.waitlist.append(WaitlistEntry(id="b1", reason="x"))


def _moderator_language(s: Solution) -> None:
    s.groups[0].moderators = ["m2"]


def _origin(s: Solution) -> None:
    s.groups[1].members.remove("n2")
    s.groups[0].members.append("n2")


def _step_free(s: Solution) -> None:
    s.groups[1].members.remove("w1")
    s.groups[0].members.append("w1")


def _apart(s: Solution) -> None:
    s.groups[1].members.append("t2")
    s.waitlist = [w for w in s.waitlist if w.id != "t2"]


def _waitlist(s: Solution) -> None:
    s.waitlist = [w for w in s.waitlist if w.id != "t1"]


def _empty_reason(s: Solution) -> None:
    s.waitlist[0].reason = " "


@pytest.mark.parametrize(
    ("rule", "mutate", "where"),
    [
        (1, _twice, "c1"),
        (1, _unknown, "zz"),
        (2, _small, "g2"),
        (3, _share, "g1"),
        (4, _series, "s1"),
        (4, _capacity, "mon"),
        (4, _moderator_twice, "m1"),
        (5, _moderators, "g1"),
        (6, _language, "f1"),
        (6, _moderator_language, "m2"),
        (7, _origin, "AF"),
        (8, _step_free, "w1"),
        (9, _apart, "t2"),
        (11, _waitlist, "t1"),
        (11, _empty_reason, "t1"),
    ],
)
def test_checker_flags_each_rule(rule: int, mutate: Callable[[Solution], None], where: str) -> None:
    solution = valid_solution()
    mutate(solution)
    result = check(base_problem(), solution)
    assert not result.ok
    flagged = [v for v in result.violations if v.rule == rule]
    assert flagged, result.violations
    assert any(where in f"{v.message} {v.group} {v.participant}" for v in flagged)
    # The solver's own final check: the same rules, without the balance figures.
    assert violations(base_problem(), solution) == result.violations


def test_checker_flags_changes_to_a_locked_group() -> None:
    previous = [
        {
            "id": "g1",
            "series": "mon",
            "language": "de",
            "moderators": ["m1"],
            "members": ["c1", "c2", "n1", "b1", "f1", "gone"],
            "locked": True,
        },
    ]
    base = base_problem()
    p = problem(
        [q.model_dump() for q in base.participants],
        series=SERIES,
        moderators=[m.model_dump() for m in base.moderators],
        previous=previous,
        working_languages=["de"],
    )
    assert check(p, valid_solution()).ok
    moved = valid_solution()
    moved.groups[0].members.remove("c1")
    moved.waitlist.append(WaitlistEntry(id="c1", reason="x"))
    relabelled = valid_solution()
    relabelled.groups[0].moderators = ["m2"]
    renamed = valid_solution()
    renamed.groups[0].id = "g9"
    for solution, text in ((moved, "c1 left"), (relabelled, "moderators"), (renamed, "missing")):
        flagged = [v for v in check(p, solution).violations if v.rule == 10]
        assert any(text in v.message for v in flagged), check(p, solution).violations


def test_infeasible_solution_must_not_list_groups() -> None:
    solution = valid_solution()
    solution.status = "infeasible"
    assert any(v.rule == 11 for v in check(base_problem(), solution).violations)
