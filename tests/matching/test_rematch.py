"""Rematching a published grouping after dropouts: vacancies are filled from the waitlist,
groups that fell below the minimum are topped up or merged, locked groups only gain members,
surviving groups keep their ids, and nobody else moves."""

from __future__ import annotations

from typing import Any

from matching import Problem, changes

from .factory import citizens, group_of, newcomers, problem, solved


def previous_group(gid: str, members: list[str], moderator: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": gid,
        "series": "mon",
        "language": "de",
        "moderators": [moderator],
        "members": members,
        **fields,
    }


TWO_GROUPS = [
    previous_group("g1", ["c1", "c2", "n1", "n2"], "m1"),
    previous_group("g2", ["c3", "c4", "n3", "n4"], "m2"),
]


def test_dropout_in_a_minimum_size_group_is_replaced_from_the_waitlist() -> None:
    people = [p for p in citizens(5) + newcomers(4) if p["id"] != "c1"]
    p = problem(people, previous=TWO_GROUPS, series=[{"id": "mon", "max_groups": 2}])
    solution = solved(p)
    assert solution.objective.moves == 0
    assert solution.proven.moves
    assert {g.id for g in solution.groups} == {"g1", "g2"}
    assert group_of(solution, "c5") == "g1"
    diff = changes(p.previous, solution)
    assert [(j.participant, j.group) for j in diff.joins] == [("c5", "g1")]
    assert [(g.participant, g.group) for g in diff.left] == [("c1", "g1")]
    assert diff.moves == []
    assert len(diff.stays) == 7


def test_dropout_without_replacement_merges_the_rest_into_another_group() -> None:
    people = [p for p in citizens(4) + newcomers(4) if p["id"] != "c1"]
    p = problem(people, previous=TWO_GROUPS, series=[{"id": "mon", "max_groups": 2}], max_size=8)
    solution = solved(p)
    assert [g.id for g in solution.groups] == ["g2"]
    # The three left in g1 must move; nobody in g2 does.
    assert solution.objective.moves == 3
    diff = changes(p.previous, solution)
    assert {m.participant for m in diff.moves} == {"c2", "n1", "n2"}
    assert {(g.group, g.kind, g.into) for g in diff.groups} == {
        ("g1", "merged", "g2"),
        ("g2", "kept", None),
    }


def test_companions_dropping_out_together() -> None:
    people = citizens(6) + newcomers(4)
    people[0]["together"] = ["c2"]
    previous = [
        previous_group("g1", ["c1", "c2", "c5", "n1", "n2"], "m1"),
        previous_group("g2", ["c3", "c4", "n3", "n4"], "m2"),
    ]
    remaining = [p for p in people if p["id"] not in {"c1", "c2"}]
    p = problem(remaining, previous=previous, series=[{"id": "mon", "max_groups": 2}])
    solution = solved(p)
    assert solution.objective.moves == 0
    assert {"c5", "n1", "n2", "c6"} == set(next(g.members for g in solution.groups if g.id == "g1"))
    assert len(solution.waitlist) == 0


def test_locked_group_keeps_what_it_had_while_an_open_group_is_repaired() -> None:
    people = [p for p in citizens(6) + newcomers(5) if p["id"] not in {"c1", "c4"}]
    previous = [
        previous_group("g1", ["c1", "c2", "c5", "n1", "n2"], "m1", locked=True),
        previous_group("g2", ["c3", "c4", "n3", "n4"], "m2"),
    ]
    p = problem(people, previous=previous, series=[{"id": "mon", "max_groups": 2}])
    solution = solved(p)
    g1 = next(g for g in solution.groups if g.id == "g1")
    assert (g1.series, g1.language, g1.moderators) == ("mon", "de", ["m1"])
    assert {"c2", "c5", "n1", "n2"} <= set(g1.members)
    assert solution.objective.moves == 0
    assert len(solution.waitlist) == 0


def test_rematching_an_unchanged_grouping_moves_nobody() -> None:
    p = problem(citizens(7) + newcomers(6), series=[{"id": "mon", "max_groups": 2}])
    first = solved(p)
    previous = [{**g.model_dump(), "locked": False} for g in first.groups]
    again = solved(Problem.model_validate({**p.model_dump(), "previous": {"groups": previous}}))
    assert again.objective.moves == 0
    assert sorted((g.id, sorted(g.members)) for g in again.groups) == sorted(
        (g.id, sorted(g.members)) for g in first.groups
    )


def test_locked_groups_competing_for_the_same_person_are_named_together() -> None:
    people = citizens(4) + newcomers(2) + citizens(1, "x")
    previous = [
        previous_group("g1", ["c1", "c2", "n1"], "m1", locked=True),
        previous_group("g2", ["c3", "c4", "n2"], "m2", locked=True),
    ]
    solution = solved(problem(people, previous=previous))
    assert solution.status == "infeasible"
    assert solution.explanation == [
        "locked groups g1, g2 cannot all be kept (minimum size): they need the same people"
    ]


def test_locked_group_that_cannot_reach_the_newcomer_share() -> None:
    previous = [previous_group("g1", ["c1", "c2", "c3"], "m1", locked=True)]
    solution = solved(problem(citizens(6), previous=previous))
    assert solution.status == "infeasible"
    assert len(solution.explanation) == 1
    assert "cannot reach a newcomer share between 25% and 75%" in solution.explanation[0]


def test_locked_group_whose_moderator_is_no_longer_free() -> None:
    previous = [previous_group("g1", ["c1", "c2", "n1", "n2"], "m1", locked=True)]
    p = problem(
        citizens(3) + newcomers(3),
        previous=previous,
        moderators=[{"id": "m1", "languages": ["de"], "series": []}],
    )
    solution = solved(p)
    assert solution.status == "infeasible"
    assert solution.explanation == ["locked group g1: moderator m1 is not free on mon"]
