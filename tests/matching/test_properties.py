"""Property tests on random small problems: whatever the input, the solver returns a valid
solution, and rematching its own solution (nobody dropped out) moves nobody."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Problem, check, solve

LANGUAGES = ["de", "en", "ar", "fa", "uk"]
SHARES = [0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0]


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    series_ids = [f"s{k}" for k in range(draw(st.integers(1, 3)))]
    series = [
        {"id": s, "max_groups": draw(st.integers(0, 3)), "step_free": draw(st.booleans())}
        for s in series_ids
    ]
    some_languages = st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=3, unique=True)
    some_series = st.lists(st.sampled_from(series_ids), max_size=len(series_ids), unique=True)
    moderators = [
        {"id": f"m{k}", "languages": draw(some_languages), "series": draw(some_series)}
        for k in range(draw(st.integers(0, 4)))
    ]
    count = draw(st.integers(0, 16))
    ids = [f"p{k}" for k in range(count)]
    participants: list[dict[str, Any]] = []
    for pid in ids:
        participants.append(
            {
                "id": pid,
                "role": draw(st.sampled_from(["citizen", "newcomer"])),
                "languages": draw(some_languages),
                "series": draw(some_series),
                "gender": draw(st.sampled_from(["f", "m", None])),
                "age_band": draw(st.sampled_from(["18-29", "30-44", "60-74", None])),
                "district": draw(st.sampled_from(["Altstadt", "Egg", "Staad", None])),
                "origin": draw(st.sampled_from(["SY", "UA", "AF", None])),
                "needs": draw(st.sampled_from([[], [], ["step_free"]])),
                "together": [],
                "apart": [],
                "priority": draw(st.sampled_from([0, 0, 0, 1])),
            }
        )
    if count >= 2:
        for _ in range(draw(st.integers(0, 3))):
            a, b = draw(
                st.lists(st.sampled_from(range(count)), min_size=2, max_size=2, unique=True)
            )
            first, second = participants[a], participants[b]
            linked = ids[b] in first["together"] + first["apart"] or ids[a] in (
                second["together"] + second["apart"]
            )
            if not linked:
                first[draw(st.sampled_from(["together", "apart"]))].append(ids[b])
    min_size = draw(st.integers(2, 4))
    low, high = sorted(draw(st.lists(st.sampled_from(SHARES), min_size=2, max_size=2)))
    rules = {
        "min_size": min_size,
        "max_size": min_size + draw(st.integers(0, 3)),
        "newcomer_share": [low, high],
        "max_same_origin": draw(st.integers(1, 3)),
        "moderators_per_group": draw(st.integers(0, 2)),
        "working_languages": draw(st.one_of(st.none(), some_languages)),
    }
    return Problem.model_validate(
        {"rules": rules, "series": series, "moderators": moderators, "participants": participants}
    )


def together_apart_conflicts(problem: Problem) -> bool:
    """Both links between the same two people in opposite directions are invalid input."""
    links = {(p.id, o, "t") for p in problem.participants for o in p.together}
    links |= {(p.id, o, "a") for p in problem.participants for o in p.apart}
    return any((b, a, "a" if k == "t" else "t") in links for a, b, k in links)


SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


@SETTINGS
@given(problems())
def test_every_solution_keeps_every_rule(problem: Problem) -> None:
    if together_apart_conflicts(problem):
        return
    solution = solve(problem, time_limit=10)
    result = check(problem, solution)
    assert result.ok, result.violations
    assert len(solution.waitlist) + result.placed == len(problem.participants)
    if solution.proven.placed and solution.bound.placed is not None:
        assert solution.objective.placed <= solution.bound.placed


@SETTINGS
@given(problems())
def test_rematching_its_own_solution_moves_nobody(problem: Problem) -> None:
    if together_apart_conflicts(problem):
        return
    first = solve(problem, time_limit=10)
    previous = {"groups": [{**g.model_dump(), "locked": False} for g in first.groups]}
    again_problem = Problem.model_validate({**problem.model_dump(), "previous": previous})
    again = solve(again_problem, time_limit=10)
    assert check(again_problem, again).ok
    if first.proven.placed and again.proven.moves:
        assert again.objective.moves == 0
        assert again.objective.placed == first.objective.placed
