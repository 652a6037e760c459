"""Each hard rule, once where the solver must keep it while it binds, and once where it cannot
be kept, so the solver must waitlist (with a reason naming the cause) or report infeasible.

Problems are tiny and solved to proven optimality well within the generous limits, so the
placed counts asserted here do not depend on machine speed.
"""

from __future__ import annotations

from collections import Counter

from matching import solve

from .factory import (
    citizens,
    group_of,
    moderator,
    newcomers,
    person,
    placed,
    problem,
    reason_of,
    solved,
)


def test_rule_1_each_person_in_one_group_even_when_free_on_several_series() -> None:
    series = [{"id": "mon", "max_groups": 2}, {"id": "tue", "max_groups": 2}]
    p = problem(
        citizens(6, series=["mon", "tue"]) + newcomers(6, series=["mon", "tue"]),
        series=series,
        moderators=[moderator("m1", series=("mon", "tue")), moderator("m2", series=("mon", "tue"))],
    )
    solution = solved(p)
    members = [i for g in solution.groups for i in g.members]
    assert len(members) == len(set(members)) == 12
    assert solution.proven.placed


def test_rule_2_sizes_between_min_and_max() -> None:
    solution = solved(problem(citizens(6) + newcomers(6)))
    assert len(placed(solution)) == 12
    assert all(4 <= len(g.members) <= 6 for g in solution.groups)


def test_rule_2_too_few_people_for_a_group() -> None:
    solution = solved(problem(citizens(2) + newcomers(1)))
    assert solution.groups == []
    assert "fewer than a group needs (4)" in reason_of(solution, "c1")


def test_rule_3_newcomer_share_limits_placement() -> None:
    # A group of 5 or 6 needs two newcomers, a group of 4 one: two groups of 4 is best.
    solution = solved(problem(citizens(8) + newcomers(2)))
    assert len(placed(solution)) == 8
    assert solution.proven.placed
    for group in solution.groups:
        share = sum(m.startswith("n") for m in group.members) / len(group.members)
        assert 0.25 <= share <= 0.75
    waiting = [w for w in solution.waitlist]
    assert len(waiting) == 2
    assert all("newcomer share" in w.reason for w in waiting)


def test_rule_3_citizens_alone_cannot_form_a_group() -> None:
    solution = solved(problem(citizens(6)))
    assert solution.groups == []
    assert "too few newcomers" in reason_of(solution, "c1")


def test_rule_4_a_moderator_leads_one_group_per_series_but_may_lead_in_two_series() -> None:
    series = [{"id": "mon", "max_groups": 1}, {"id": "tue", "max_groups": 1}]
    people = citizens(3, "a", series=["mon"]) + newcomers(3, "b", series=["mon"])
    people += citizens(3, "c", series=["tue"]) + newcomers(3, "d", series=["tue"])
    p = problem(people, series=series, moderators=[moderator("m1", series=("mon", "tue"))])
    solution = solved(p)
    assert len(placed(solution)) == 12
    assert [g.moderators for g in solution.groups] == [["m1"], ["m1"]]
    for group in solution.groups:
        assert {m[0] for m in group.members} <= (
            {"a", "b"} if group.series == "mon" else {"c", "d"}
        )


def test_rule_4_series_capacity_waitlists_the_rest() -> None:
    p = problem(citizens(5) + newcomers(5), series=[{"id": "mon", "max_groups": 1}])
    solution = solved(p)
    assert len(solution.groups) == 1
    assert len(placed(solution)) == 6
    assert all("full" in w.reason for w in solution.waitlist)


def test_rule_4_series_without_room() -> None:
    p = problem(citizens(3) + newcomers(3), series=[{"id": "mon", "max_groups": 0}])
    solution = solved(p)
    assert solution.groups == []
    assert "mon has no room for groups" in reason_of(solution, "n1")


def test_rule_5_each_group_has_its_moderators() -> None:
    p = problem(
        citizens(6) + newcomers(6),
        moderators=[moderator(f"m{k}") for k in range(1, 5)],
        moderators_per_group=2,
    )
    solution = solved(p)
    assert len(placed(solution)) == 12
    assert all(len(set(g.moderators)) == 2 for g in solution.groups)


def test_rule_5_not_enough_moderators() -> None:
    p = problem(citizens(3) + newcomers(3), moderators=[moderator("m1")], moderators_per_group=2)
    solution = solved(p)
    assert solution.groups == []
    assert "no moderator is free on mon" in reason_of(solution, "c1")


def test_rule_6_language_bridge_lets_a_newcomer_join() -> None:
    people = citizens(3) + newcomers(1, "b", languages=["fa", "de"])
    people += newcomers(1, "f", languages=["fa"])
    solution = solved(problem(people, working_languages=["de"]))
    assert group_of(solution, "f1") is not None
    assert group_of(solution, "f1") == group_of(solution, "b1")
    assert solution.groups[0].language == "de"


def test_rule_6_group_language_is_one_its_moderator_speaks() -> None:
    people = citizens(2, languages=["de", "en"]) + citizens(2, "e", languages=["en"])
    people += newcomers(2, languages=["en"])
    p = problem(people, moderators=[moderator("m1", languages=("en",))])
    solution = solved(p)
    assert len(placed(solution)) == 6
    assert solution.groups[0].language == "en"


def test_rule_6_nobody_can_bridge() -> None:
    people = citizens(3) + newcomers(2) + newcomers(1, "f", languages=["fa"])
    solution = solved(problem(people, working_languages=["de"]))
    assert group_of(solution, "f1") is None
    assert "shares a language with them" in reason_of(solution, "f1")


def test_rule_6_no_moderator_speaks_their_language() -> None:
    people = citizens(3, languages=["tr"]) + newcomers(3, languages=["tr"])
    p = problem(people, working_languages=None, moderators=[moderator("m1", languages=("de",))])
    solution = solved(p)
    assert solution.groups == []
    assert "no moderator who speaks tr" in reason_of(solution, "c1")


def test_rule_7_at_most_two_from_one_origin() -> None:
    people = citizens(4) + newcomers(4, origin="SY")
    solution = solved(problem(people, series=[{"id": "mon", "max_groups": 1}], max_size=8))
    origins = Counter(m for m in solution.groups[0].members if m.startswith("n"))
    assert len(origins) == 2
    assert all("from SY" in w.reason for w in solution.waitlist if w.id.startswith("n"))


def test_rule_7_companions_from_one_origin_exceed_the_limit() -> None:
    trio = [
        person("s1", "newcomer", origin="SY", together=["s2"]),
        person("s2", "newcomer", origin="SY", together=["s3"]),
        person("s3", "newcomer", origin="SY"),
    ]
    solution = solved(problem(citizens(4) + newcomers(2) + trio))
    assert not {"s1", "s2", "s3"} & placed(solution)
    assert "3 people from SY" in reason_of(solution, "s2")


def test_rule_8_step_free_need_decides_the_series() -> None:
    series = [{"id": "mon", "max_groups": 1}, {"id": "tue", "max_groups": 1, "step_free": True}]
    people = citizens(3, series=["mon", "tue"]) + newcomers(3, series=["mon", "tue"])
    people += citizens(3, "d", series=["mon", "tue"]) + newcomers(3, "e", series=["mon", "tue"])
    people[0]["needs"] = ["step_free"]
    p = problem(people, series=series, moderators=[moderator("m1", series=("mon", "tue"))])
    solution = solved(p)
    assert len(placed(solution)) == 12
    assert next(g.series for g in solution.groups if "c1" in g.members) == "tue"


def test_rule_8_no_step_free_venue() -> None:
    people = citizens(3) + newcomers(3)
    people[0]["needs"] = ["step_free"]
    solution = solved(problem(people, series=[{"id": "mon", "max_groups": 1}]))
    assert "step-free" in reason_of(solution, "c1")
    assert group_of(solution, "c1") is None


def test_rule_9_together_and_apart() -> None:
    people = citizens(5) + newcomers(5)
    people[0]["together"] = ["n1"]
    people[1]["apart"] = ["c3"]
    solution = solved(problem(people, series=[{"id": "mon", "max_groups": 2}]))
    assert len(placed(solution)) == 10
    assert group_of(solution, "c1") == group_of(solution, "n1")
    assert group_of(solution, "c2") != group_of(solution, "c3")


def test_rule_9_apart_with_one_group_waitlists_one_of_them() -> None:
    people = citizens(3) + newcomers(3)
    people[0]["apart"] = ["c2"]
    solution = solved(problem(people, series=[{"id": "mon", "max_groups": 1}]))
    assert len(placed(solution)) == 5
    waiting = solution.waitlist[0]
    assert waiting.id in {"c1", "c2"}
    assert "kept apart" in waiting.reason


def test_rule_9_companion_who_cannot_be_placed_keeps_them_waiting() -> None:
    people = citizens(3) + newcomers(3)
    people[0]["together"] = ["f1"]
    people.append(person("f1", "newcomer", languages=["fa"]))
    solution = solved(problem(people, working_languages=["de"]))
    assert group_of(solution, "c1") is None
    assert reason_of(solution, "c1").startswith("their companion f1 could not be placed")


def test_rule_10_locked_group_keeps_its_members_and_may_grow() -> None:
    people = citizens(4) + newcomers(4)
    previous = [
        {
            "id": "g7",
            "series": "mon",
            "language": "de",
            "moderators": ["m2"],
            "members": ["c1", "c2", "n1", "n2"],
            "locked": True,
        }
    ]
    p = problem(people, previous=previous, series=[{"id": "mon", "max_groups": 1}])
    solution = solved(p)
    group = solution.groups[0]
    assert (group.id, group.series, group.language, group.moderators) == ("g7", "mon", "de", ["m2"])
    assert {"c1", "c2", "n1", "n2"} <= set(group.members)
    assert len(group.members) == 6


def test_rule_10_locked_group_that_cannot_keep_the_rules_makes_the_problem_infeasible() -> None:
    people = citizens(2) + newcomers(1)  # n2 and c3 dropped out
    previous = [
        {
            "id": "g7",
            "series": "mon",
            "language": "de",
            "moderators": ["m2"],
            "members": ["c1", "c2", "c3", "n1", "n2"],
            "locked": True,
        }
    ]
    solution = solve(problem(people, previous=previous), time_limit=20)
    assert solution.status == "infeasible"
    assert solution.groups == []
    assert {w.id for w in solution.waitlist} == {"c1", "c2", "n1"}
    assert any("g7" in line and "needs 4" in line for line in solution.explanation)
    assert all("g7" in w.reason for w in solution.waitlist)


def test_rule_11_everyone_not_placed_is_waitlisted_with_a_reason() -> None:
    people = citizens(5) + newcomers(4) + [person("x1", "newcomer", series=[])]
    solution = solved(problem(people, series=[{"id": "mon", "max_groups": 1}]))
    waiting = {w.id: w.reason for w in solution.waitlist}
    assert set(waiting) | placed(solution) == {p["id"] for p in people}
    assert not set(waiting) & placed(solution)
    assert all(reason.strip() for reason in waiting.values())
    assert waiting["x1"] == "they did not list any series"
