"""Forms balanced dialogue groups with OR-Tools CP-SAT; a pure library (no database, no I/O).

    from matching import Problem, solve, check, quality_report, changes

    solution = solve(problem, time_limit=10.0, on_progress=print)
    assert check(problem, solution).ok
    print(quality_report(problem, solution).text())

The JSON contract is in docs/matching-problem.md; ``python -m matching``
is its command line.
"""

from matching.changes import Changes, changes
from matching.checker import CheckResult, Violation, check
from matching.lottery import draw_seed, lottery_ranks
from matching.models import (
    MAX_GROUP_SIZE,
    FallbackCause,
    Group,
    Moderator,
    Participant,
    Previous,
    PreviousGroup,
    Problem,
    Rules,
    Series,
    Solution,
    WaitlistEntry,
)
from matching.progress import Progress
from matching.report import QualityReport, quality_report
from matching.solver import solve
from matching.validation import InputIssue, InvalidProblem, parse_problem, parse_problem_json

__all__ = [
    "MAX_GROUP_SIZE",
    "Changes",
    "CheckResult",
    "FallbackCause",
    "Group",
    "InputIssue",
    "InvalidProblem",
    "Moderator",
    "Participant",
    "Previous",
    "PreviousGroup",
    "Problem",
    "Progress",
    "QualityReport",
    "Rules",
    "Series",
    "Solution",
    "Violation",
    "WaitlistEntry",
    "changes",
    "check",
    "draw_seed",
    "lottery_ranks",
    "parse_problem",
    "parse_problem_json",
    "quality_report",
    "solve",
]
