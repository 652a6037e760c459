"""The placement bound that knows the group rules (``bounds.placement.relaxed_bound``)."""

from __future__ import annotations

from typing import Any

from matching import Problem, check, solve
from matching.bounds.placement import placement_bound, relaxed_bound
from matching.instance import Instance


def _bridged(extra: list[dict[str, Any]] | None = None) -> Problem:
    """One group at most; three Syrians who speak only Arabic and one who bridges to German.
    At most two from one country: the bridge and one of the three."""
    people = [
        {"id": f"s{k}", "role": "newcomer", "languages": ["ar"], "series": ["mon"], "origin": "SY"}
        for k in range(3)
    ]
    people.append(
        {
            "id": "b",
            "role": "newcomer",
            "languages": ["ar", "de"],
            "series": ["mon"],
            "origin": "SY",
        }
    )
    return Problem.model_validate(
        {
            "rules": {
                "min_size": 2,
                "max_size": 4,
                "newcomer_share": [0, 1],
                "max_same_origin": 2,
                "working_languages": ["de"],
            },
            "series": [{"id": "mon", "max_groups": 1}],
            "moderators": [{"id": "m1", "languages": ["de"], "series": ["mon"]}],
            "participants": people + (extra or []),
            "lottery_seed": "s",
        }
    )


def _bound(problem: Problem) -> int | None:
    return relaxed_bound(Instance(problem), time_limit=10.0, workers=1, stop=lambda: False)


def test_bridges_sharing_the_origin_cap_bound_placement() -> None:
    problem = _bridged()
    instance = Instance(problem)
    assert placement_bound(instance).placed == 4
    assert _bound(problem) == 2
    solution = solve(problem, time_limit=5.0)
    assert check(problem, solution).ok
    assert solution.objective.placed == 2
    assert solution.bound.placed == 2
    assert solution.proven.placed


def test_a_bridge_from_another_country_makes_room() -> None:
    iraqi = {
        "id": "i",
        "role": "newcomer",
        "languages": ["ar", "de"],
        "series": ["mon"],
        "origin": "IQ",
    }
    problem = _bridged([iraqi])
    # The Iraqi bridges too, but the origin cap still holds: i with two Syrians (b and one
    # who speaks only Arabic, or two who do).
    assert _bound(problem) == 3
    solution = solve(problem, time_limit=5.0)
    assert solution.objective.placed == 3
    assert solution.proven.placed


def test_a_bridge_shares_the_origin_cap_with_those_it_bridges() -> None:
    # Two groups of at most four; one Syrian bridge for four Syrians who speak only Arabic,
    # and three German citizens. The origin cap alone allows the bridge and two of the four
    # (in the one group the bridge is in); but the bridge is Syrian too, so only one of them
    # joins: 5 at most (bridge, one of the four and a citizen; two citizens in the other).
    problem = _bridged(
        [{"id": "s3", "role": "newcomer", "languages": ["ar"], "series": ["mon"], "origin": "SY"}]
        + [
            {"id": f"c{k}", "role": "citizen", "languages": ["de"], "series": ["mon"]}
            for k in range(3)
        ]
    )
    problem = problem.model_copy(
        update={
            "series": [problem.series[0].model_copy(update={"max_groups": 2})],
            "moderators": [
                *problem.moderators,
                problem.moderators[0].model_copy(update={"id": "m2"}),
            ],
        }
    )
    assert placement_bound(Instance(problem)).placed == 8
    assert _bound(problem) == 5
    solution = solve(problem, time_limit=5.0)
    assert check(problem, solution).ok
    assert solution.objective.placed == 5
    assert solution.proven.placed
