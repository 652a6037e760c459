"""The language-aware balance bound: it must never exceed what a grouping reaches, and it
must see what the transportation bound cannot (a bridge pulling two people together)."""

from __future__ import annotations

from hypothesis import given

from matching import Problem, check, solve
from matching.balance import PoolMix
from matching.bounds.balance import imbalance_bound
from matching.bounds.pattern import pattern_bound, working_languages
from matching.instance import Instance

from .factory import citizens, moderator, person, problem
from .test_properties import SETTINGS, planted_problems


def _groups(instance: Instance, solution_groups: list[list[str]]) -> list[list[int]]:
    return [[instance.person_index[pid] for pid in members] for members in solution_groups]


def _ten_citizens_and_two_syrians(first_languages: list[str]) -> Problem:
    """Two groups of six, German only; the second Syrian speaks Arabic and German."""
    people = [
        *citizens(10),
        person("s1", "newcomer", languages=first_languages, origin="SY"),
        person("s2", "newcomer", languages=["ar", "de"], origin="SY"),
    ]
    return problem(
        people,
        working_languages=["de"],
        min_size=6,
        max_size=6,
        newcomer_share=[0.0, 1.0],
        series=[{"id": "mon", "max_groups": 2}],
        moderators=[moderator("m1"), moderator("m2")],
    )


def test_a_bridge_forces_two_people_from_one_country_together() -> None:
    # The first Syrian speaks only Arabic and can follow only through the other Syrian, so
    # both sit in one group: that group has two newcomers and two Syrians where one of each
    # would be the pool's mix, the other group none.
    p = _ten_citizens_and_two_syrians(["ar"])
    solution = solve(p, time_limit=10)
    assert check(p, solution).ok
    instance = Instance(p)
    groups = _groups(instance, [g.members for g in solution.groups])
    mix = PoolMix([[instance.people[i].categories for i in g] for g in groups])
    bound = pattern_bound(instance, groups, time_limit=10, languages=frozenset({"de"}))
    assert bound is not None
    # Role and origin are each 1 off in all four (group, category) cells: 8 / 12 placed.
    assert imbalance_bound(mix, [6, 6]) == 0
    assert abs(bound - 8 / 12) < 1e-9
    assert abs(solution.objective.imbalance - 8 / 12) < 1e-9
    # The solver ran the same bound with the time it had left.
    assert abs(solution.bound.imbalance - 8 / 12) < 1e-9


def test_without_the_need_for_a_bridge_the_bound_is_the_transportation_bound() -> None:
    p = _ten_citizens_and_two_syrians(["ar", "de"])
    solution = solve(p, time_limit=10)
    instance = Instance(p)
    groups = _groups(instance, [g.members for g in solution.groups])
    bound = pattern_bound(instance, groups, time_limit=10, languages=frozenset({"de"}))
    assert bound is not None
    assert abs(bound) < 1e-9
    assert solution.objective.imbalance == 0


@SETTINGS
@given(planted_problems())
def test_the_bound_never_exceeds_a_grouping_it_bounds(case: tuple[Problem, int]) -> None:
    random_problem = case[0]
    solution = solve(random_problem, time_limit=5)
    if not solution.groups:
        return
    instance = Instance(random_problem)
    groups = _groups(instance, [g.members for g in solution.groups])
    languages = working_languages(instance, [])
    bound = pattern_bound(instance, groups, time_limit=5, languages=languages)
    if bound is not None:
        assert bound <= solution.objective.imbalance + 1e-9
