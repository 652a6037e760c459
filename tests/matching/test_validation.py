"""Invalid input is reported with one line per problem, each naming its JSON path."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from matching import InvalidProblem, Problem, parse_problem, parse_problem_json, solve

from .factory import RULES, citizens, moderator, person, problem


def raw(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rules": dict(RULES),
        "series": [{"id": "mon", "max_groups": 2, "step_free": True}],
        "moderators": [moderator("m1")],
        "participants": citizens(3),
    }
    data.update(overrides)
    return data


def issues(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidProblem) as error:
        parse_problem(data)
    return [str(issue) for issue in error.value.issues]


def test_a_valid_problem_parses() -> None:
    assert parse_problem(raw()).participants[0].id == "c1"


def test_unknown_series_names_the_path() -> None:
    people = [*citizens(17), person("p17", series=["mon", "tue"])]
    assert issues(raw(participants=people)) == ["participants[17].series[1]: unknown series 'tue'"]


def test_unknown_ids_in_together_apart_moderators_and_previous() -> None:
    people = [person("a", together=["zz"]), person("b", apart=["yy"])]
    previous = {
        "groups": [
            {"id": "g1", "series": "sun", "language": "de", "moderators": ["m9"], "members": []}
        ]
    }
    moderators = [moderator("m1", series=("tue",))]
    assert issues(raw(participants=people, previous=previous, moderators=moderators)) == [
        "moderators[0].series[0]: unknown series 'tue'",
        "participants[0].together[0]: unknown participant 'zz'",
        "participants[1].apart[0]: unknown participant 'yy'",
        "previous.groups[0].series: unknown series 'sun'",
        "previous.groups[0].moderators[0]: unknown moderator 'm9'",
    ]


def test_duplicate_ids() -> None:
    found = issues(raw(participants=[person("a"), person("a")], moderators=[moderator("m1")] * 2))
    assert "moderators[1].id: duplicate id 'm1' (also moderators[0])" in found
    assert "participants[1].id: duplicate id 'a' (also participants[0])" in found


def test_bad_codes() -> None:
    people = [person("a", languages=["de", "ger"], origin="sy")]
    found = issues(raw(participants=people, rules={**RULES, "working_languages": ["xx"]}))
    assert found == [
        "rules.working_languages[0]: 'xx' is not an ISO 639-1 language code",
        "participants[0].languages[1]: 'ger' is not an ISO 639-1 language code",
        "participants[0].origin: 'sy' is not an ISO 3166-1 alpha-2 code",
    ]


def test_contradictory_rules() -> None:
    rules = {**RULES, "min_size": 8, "max_size": 6, "newcomer_share": [0.7, 1.2]}
    assert issues(raw(rules=rules)) == [
        "rules.min_size: 8 is greater than max_size 6",
        "rules.newcomer_share[1]: 1.2 is outside [0, 1]",
    ]
    assert issues(raw(rules={**RULES, "newcomer_share": [0.6, 0.4]})) == [
        "rules.newcomer_share: lower bound 0.6 exceeds 0.4"
    ]


def test_self_reference_and_together_apart_with_the_same_person() -> None:
    people = [person("a", together=["a", "b"], apart=["b"]), person("b")]
    assert issues(raw(participants=people)) == [
        "participants[0].together[0]: names the participant itself",
        "participants[0].apart[0]: 'b' is also listed in together",
    ]


def test_shapes_and_types_come_with_paths_too() -> None:
    found = issues(raw(participants=[{"id": "a", "role": "alien", "languages": ["de"]}]))
    assert found[0].startswith("participants[0].role: ")
    assert "participants[0].series: Field required" in found


def test_invalid_json() -> None:
    with pytest.raises(InvalidProblem) as error:
        parse_problem_json("{not json")
    assert str(error.value).startswith("(root): not valid JSON")


def test_json_is_reported_alike_however_it_is_parsed() -> None:
    # Pydantic's JSON parser reads valid input; any issue is worded by the standard one.
    data = raw(participants=[{"id": "a", "role": "alien", "languages": ["de"]}])
    with pytest.raises(InvalidProblem) as error:
        parse_problem_json(json.dumps(data).encode())
    assert [str(issue) for issue in error.value.issues] == issues(data)
    assert parse_problem_json(json.dumps(raw())) == parse_problem(raw())


def test_shape_only_leaves_the_checks_across_fields_to_solve() -> None:
    data = json.dumps(raw(participants=[person("a", series=["tue"])]))
    unchecked = parse_problem_json(data, shape_only=True)
    with pytest.raises(InvalidProblem, match=r"participants\[0\].series\[0\]: unknown series"):
        parse_problem_json(data)
    with pytest.raises(InvalidProblem, match=r"participants\[0\].series\[0\]: unknown series"):
        solve(unchecked)
    with pytest.raises(InvalidProblem, match=r"participants\[0\].role"):
        parse_problem_json(json.dumps(raw(participants=[person("a", "alien")])), shape_only=True)


def test_previous_members_no_longer_listed_are_dropouts_not_errors() -> None:
    previous = [
        {"id": "g1", "series": "mon", "language": "de", "moderators": ["m1"], "members": ["gone"]}
    ]
    assert problem(citizens(3), previous=previous).previous is not None
    parse_problem(raw(previous={"groups": previous}))


def test_solve_refuses_an_invalid_problem() -> None:
    bad = problem([person("a", together=["a"])])
    with pytest.raises(InvalidProblem, match=r"participants\[0\].together\[0\]"):
        solve(bad)


def test_group_sizes_beyond_the_cap_are_refused_at_once_naming_the_field() -> None:
    # A huge max_size used to be accepted and then took minutes and gigabytes to solve.
    assert issues(raw(rules={**RULES, "max_size": 10**9})) == [
        "rules.max_size: 1000000000 is more than 100 per group"
    ]
    assert issues(raw(rules={**RULES, "min_size": 101, "max_size": 101})) == [
        "rules.min_size: 101 is more than 100 per group",
        "rules.max_size: 101 is more than 100 per group",
    ]
    assert parse_problem(raw(rules={**RULES, "min_size": 100, "max_size": 100}))


def test_solve_refuses_a_huge_max_size_before_any_work() -> None:
    data = raw(rules={**RULES, "max_size": 10_000_000}, participants=citizens(30))
    unchecked = Problem.model_validate(data)
    start = time.monotonic()
    with pytest.raises(InvalidProblem) as error:
        solve(unchecked, time_limit=5)
    assert time.monotonic() - start < 1.0
    assert [str(issue) for issue in error.value.issues] == [
        "rules.max_size: 10000000 is more than 100 per group"
    ]
