"""Terse builders for small matching problems, so each test shows only what it is about."""

from __future__ import annotations

from typing import Any

from matching import Problem, Solution, check, solve

RULES: dict[str, Any] = {
    "min_size": 4,
    "max_size": 6,
    "newcomer_share": [0.25, 0.75],
    "max_same_origin": 2,
    "moderators_per_group": 1,
    "working_languages": ["de", "en"],
}


def person(pid: str, role: str = "citizen", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": pid,
        "role": role,
        "languages": ["de"],
        "series": ["mon"],
        "gender": None,
        "age_band": None,
        "district": None,
        "origin": None,
    }
    data.update(fields)
    return data


def citizens(count: int, prefix: str = "c", **fields: Any) -> list[dict[str, Any]]:
    return [person(f"{prefix}{k + 1}", "citizen", **fields) for k in range(count)]


def newcomers(count: int, prefix: str = "n", **fields: Any) -> list[dict[str, Any]]:
    return [person(f"{prefix}{k + 1}", "newcomer", **fields) for k in range(count)]


def moderator(
    mid: str, languages: tuple[str, ...] = ("de", "en"), series: tuple[str, ...] = ("mon",)
) -> dict[str, Any]:
    return {"id": mid, "languages": list(languages), "series": list(series)}


def problem(
    participants: list[dict[str, Any]],
    *,
    series: list[dict[str, Any]] | None = None,
    moderators: list[dict[str, Any]] | None = None,
    previous: list[dict[str, Any]] | None = None,
    **rules: Any,
) -> Problem:
    data: dict[str, Any] = {
        "rules": {**RULES, **rules},
        "series": series
        if series is not None
        else [{"id": "mon", "max_groups": 3, "step_free": True}],
        "moderators": moderators
        if moderators is not None
        else [moderator(f"m{k}") for k in range(1, 4)],
        "participants": participants,
    }
    if previous is not None:
        data["previous"] = {"groups": previous}
    return Problem.model_validate(data)


def solved(p: Problem, time_limit: float = 20.0) -> Solution:
    """Solve and insist on a valid result: every solver test checks validity first."""
    solution = solve(p, time_limit=time_limit)
    result = check(p, solution)
    assert result.ok, result.violations
    return solution


def group_of(solution: Solution, pid: str) -> str | None:
    return next((g.id for g in solution.groups if pid in g.members), None)


def reason_of(solution: Solution, pid: str) -> str:
    return next(w.reason for w in solution.waitlist if w.id == pid)


def placed(solution: Solution) -> set[str]:
    return {i for g in solution.groups for i in g.members}
