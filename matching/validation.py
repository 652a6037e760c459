"""Input checks that name the JSON path of every problem, so an organiser can fix all at once.

Pydantic catches wrong shapes and types; :func:`problem_issues` adds the checks that need the
whole problem (unknown or duplicate ids, language and country codes, contradictory rules).
Participants listed in ``previous`` but no longer in ``participants`` are dropouts, not errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from matching.codes import ISO_639_1, ISO_3166_1_ALPHA_2
from matching.heap import collection_paused
from matching.models import MAX_GROUP_SIZE, Problem


@dataclass(frozen=True)
class InputIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidProblem(ValueError):
    """Raised with every issue found, one line each."""

    def __init__(self, issues: Sequence[InputIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


def json_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "(root)"


def parse_problem_json(text: str | bytes, *, shape_only: bool = False) -> Problem:
    """The problem in ``text``, or :class:`InvalidProblem` naming every issue.

    With ``shape_only``, only what pydantic checks (shapes, types, required fields) is
    checked: for a problem read only to be given to :func:`matching.solve`, which checks the
    rest itself (for 50,000 participants, the second check would cost a fifth of a second).
    """
    with collection_paused():
        try:
            # Pydantic's own JSON parser: about twice as fast as json.loads and validating
            # the result, and the same problem for every input both accept.
            problem = Problem.model_validate_json(text)
        except ValidationError:
            # Issues are worded as before, by the standard library's parser (with its line
            # numbers) and the validation of the parsed data.
            problem = _parse_loaded(_load_json(text))
    if not shape_only:
        _raise_issues(problem)
    return problem


def parse_problem(data: object) -> Problem:
    with collection_paused():
        problem = _parse_loaded(data)
    _raise_issues(problem)
    return problem


def _load_json(text: str | bytes) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidProblem(
            [InputIssue("(root)", f"not valid JSON: {error.msg} at line {error.lineno}")]
        ) from error


def _parse_loaded(data: object) -> Problem:
    try:
        return Problem.model_validate(data)
    except ValidationError as error:
        raise InvalidProblem(
            [InputIssue(json_path(e["loc"]), e["msg"]) for e in error.errors()]
        ) from error


def _raise_issues(problem: Problem) -> None:
    issues = problem_issues(problem)
    if issues:
        raise InvalidProblem(issues)


def problem_issues(problem: Problem) -> list[InputIssue]:
    issues: list[InputIssue] = []
    issues += _rule_issues(problem)
    series_ids = _unique_ids("series", [s.id for s in problem.series], issues)
    moderator_ids = _unique_ids("moderators", [m.id for m in problem.moderators], issues)
    participant_ids = _unique_ids("participants", [p.id for p in problem.participants], issues)

    for i, series in enumerate(problem.series):
        if series.max_groups < 0:
            issues.append(InputIssue(f"series[{i}].max_groups", "must not be negative"))
    for i, moderator in enumerate(problem.moderators):
        path = f"moderators[{i}]"
        issues += _language_issues(f"{path}.languages", moderator.languages)
        issues += _reference_issues(f"{path}.series", moderator.series, series_ids, "series")
    for i in range(len(problem.participants)):
        issues += _participant_issues(problem, i, series_ids, participant_ids)
    issues += _previous_issues(problem, series_ids, moderator_ids)
    return issues


def _rule_issues(problem: Problem) -> list[InputIssue]:
    rules = problem.rules
    issues = []
    if rules.min_size < 1:
        issues.append(InputIssue("rules.min_size", "must be at least 1"))
    for field in ("min_size", "max_size"):
        size: int = getattr(rules, field)
        if size > MAX_GROUP_SIZE:
            issues.append(
                InputIssue(f"rules.{field}", f"{size} is more than {MAX_GROUP_SIZE} per group")
            )
    if rules.max_size < rules.min_size:
        issues.append(
            InputIssue(
                "rules.min_size",
                f"{rules.min_size} is greater than max_size {rules.max_size}",
            )
        )
    low, high = rules.newcomer_share
    for k, share in enumerate(rules.newcomer_share):
        if not 0.0 <= share <= 1.0:
            issues.append(InputIssue(f"rules.newcomer_share[{k}]", f"{share} is outside [0, 1]"))
    if low > high:
        issues.append(InputIssue("rules.newcomer_share", f"lower bound {low} exceeds {high}"))
    if rules.max_same_origin is not None and rules.max_same_origin < 1:
        issues.append(InputIssue("rules.max_same_origin", "must be at least 1"))
    if rules.moderators_per_group < 0:
        issues.append(InputIssue("rules.moderators_per_group", "must not be negative"))
    if rules.working_languages is not None:
        issues += _language_issues("rules.working_languages", rules.working_languages)
    return issues


def _participant_issues(
    problem: Problem, index: int, series_ids: set[str], participant_ids: set[str]
) -> list[InputIssue]:
    person = problem.participants[index]
    path = f"participants[{index}]"
    issues = _language_issues(f"{path}.languages", person.languages)
    issues += _reference_issues(f"{path}.series", person.series, series_ids, "series")
    if person.origin is not None and person.origin not in ISO_3166_1_ALPHA_2:
        issues.append(
            InputIssue(f"{path}.origin", f"'{person.origin}' is not an ISO 3166-1 alpha-2 code")
        )
    for field in ("together", "apart"):
        others: list[str] = getattr(person, field)
        issues += _reference_issues(f"{path}.{field}", others, participant_ids, "participant")
        for k, other in enumerate(others):
            if other == person.id:
                issues.append(InputIssue(f"{path}.{field}[{k}]", "names the participant itself"))
    for k, other in enumerate(person.apart):
        if other in person.together:
            issues.append(InputIssue(f"{path}.apart[{k}]", f"'{other}' is also listed in together"))
    return issues


def _previous_issues(
    problem: Problem, series_ids: set[str], moderator_ids: set[str]
) -> list[InputIssue]:
    if problem.previous is None:
        return []
    groups = problem.previous.groups
    issues: list[InputIssue] = []
    _unique_ids("previous.groups", [g.id for g in groups], issues)
    member_seen: dict[str, str] = {}
    leads: dict[tuple[str, str], str] = {}
    for i, group in enumerate(groups):
        path = f"previous.groups[{i}]"
        if group.series not in series_ids:
            issues.append(InputIssue(f"{path}.series", f"unknown series '{group.series}'"))
        if group.language not in ISO_639_1:
            issues.append(InputIssue(f"{path}.language", _not_a_language(group.language)))
        issues += _reference_issues(
            f"{path}.moderators", group.moderators, moderator_ids, "moderator"
        )
        for k, moderator in enumerate(group.moderators):
            key = (moderator, group.series)
            if key in leads:
                issues.append(
                    InputIssue(
                        f"{path}.moderators[{k}]",
                        f"'{moderator}' also leads {leads[key]} in series '{group.series}'",
                    )
                )
            leads.setdefault(key, path)
        for k, member in enumerate(group.members):
            if member in member_seen:
                issues.append(
                    InputIssue(
                        f"{path}.members[{k}]", f"'{member}' is also in {member_seen[member]}"
                    )
                )
            member_seen.setdefault(member, path)
    return issues


def _unique_ids(path: str, ids: list[str], issues: list[InputIssue]) -> set[str]:
    first: dict[str, int] = {}
    for i, item in enumerate(ids):
        if not item:
            issues.append(InputIssue(f"{path}[{i}].id", "must not be empty"))
        elif item in first:
            issues.append(
                InputIssue(f"{path}[{i}].id", f"duplicate id '{item}' (also {path}[{first[item]}])")
            )
        else:
            first[item] = i
    return set(first)


def _reference_issues(path: str, refs: list[str], known: set[str], kind: str) -> list[InputIssue]:
    """An issue for each entry of the list at ``path`` that is not ``known`` (the path of an
    entry is built only for an issue: a large problem has hundreds of thousands of them)."""
    return [
        InputIssue(f"{path}[{k}]", f"unknown {kind} '{ref}'")
        for k, ref in enumerate(refs)
        if ref not in known
    ]


def _language_issues(path: str, codes: list[str]) -> list[InputIssue]:
    return [
        InputIssue(f"{path}[{k}]", _not_a_language(code))
        for k, code in enumerate(codes)
        if code not in ISO_639_1
    ]


def _not_a_language(code: str) -> str:
    return f"'{code}' is not an ISO 639-1 language code"
