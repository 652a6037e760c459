"""``python -m matching solve|check|report``: the contract's command line.

Exit codes: 0 done (``check``: the solution keeps every rule), 1 (``check`` only) the
solution breaks rules, 2 invalid input (one line per problem, naming its JSON path). The
solution goes to stdout or ``--output``; progress and logs go to stderr. Ctrl-C during
``solve`` stops the search and still writes the best valid solution found.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from pydantic import ValidationError

from matching.checker import check
from matching.models import Problem, Solution
from matching.progress import Progress
from matching.report import quality_report
from matching.solver import solve
from matching.validation import InvalidProblem, json_path, parse_problem_json


class _BadInput(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def main(argv: list[str] | None = None, *, started: float | None = None) -> int:
    """Runs a command. ``solve``'s time limit counts from ``started`` (a
    :func:`time.monotonic` value; ``python -m matching`` passes :func:`process_started`),
    by default from this call."""
    started = time.monotonic() if started is None else started
    args = _parser().parse_args(argv)
    try:
        if args.command == "solve":
            return _solve(args, started)
        if args.command == "check":
            return _check(args)
        return _report(args)
    except _BadInput as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    solve_cmd = commands.add_parser("solve", help="form groups for PROBLEM.json")
    solve_cmd.add_argument("problem", type=Path)
    solve_cmd.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS")
    solve_cmd.add_argument("--output", type=Path, metavar="SOLUTION.json")
    solve_cmd.add_argument("--workers", type=int, default=2, help="CPU cores to use")
    solve_cmd.add_argument("--quiet", action="store_true", help="no progress on stderr")
    check_cmd = commands.add_parser("check", help="check SOLUTION.json against the rules")
    check_cmd.add_argument("problem", type=Path)
    check_cmd.add_argument("solution", type=Path)
    check_cmd.add_argument("--json", action="store_true", help="print the result as JSON")
    report_cmd = commands.add_parser("report", help="print the quality report of a solution")
    report_cmd.add_argument("problem", type=Path)
    report_cmd.add_argument("solution", type=Path)
    report_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _BadInput([f"{path}: cannot read: {error}"]) from error


def process_started() -> float:
    """When this process started, on the :func:`time.monotonic` clock: starting Python and
    importing OR-Tools take a second or more on a busy machine, and the time limit is the
    caller's wall-clock budget. Linux knows the start from ``/proc``; elsewhere it is now."""
    now = time.monotonic()
    try:
        stat = Path("/proc/self/stat").read_bytes()
        # Field 22, the start in clock ticks since boot, counted after "pid (name)".
        ticks = int(stat.rsplit(b")", 1)[1].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - max(age, 0.0)


def _load_problem(path: Path, *, shape_only: bool = False) -> Problem:
    try:
        return parse_problem_json(_read(path), shape_only=shape_only)
    except InvalidProblem as error:
        raise _BadInput([str(issue) for issue in error.issues]) from error


def _load_solution(path: Path) -> Solution:
    text = _read(path)
    try:
        return Solution.model_validate_json(text)
    except ValidationError as error:
        lines = []
        for issue in error.errors():
            loc = issue["loc"]
            where = "(root)" if issue["type"] == "json_invalid" else json_path(loc)
            lines.append(f"{path}: {where}: {issue['msg']}")
        raise _BadInput(lines) from error


def _print_progress(progress: Progress) -> None:
    bound = f"/{progress.placed_bound}" if progress.placed_bound is not None else ""
    parts = [
        f"[{progress.elapsed:6.1f}s] {progress.phase:<9}",
        f"placed {progress.placed}{bound}",
        f"waitlisted {progress.waitlisted}",
    ]
    if progress.moves is not None:
        parts.append(f"moves {progress.moves}")
    if progress.imbalance is not None:
        parts.append(f"imbalance {progress.imbalance:.3f}")
    if progress.objective is not None:
        bound_text = f" (bound {progress.bound:g})" if progress.bound is not None else ""
        parts.append(f"objective {progress.objective:g}{bound_text}")
    print("  ".join(parts), file=sys.stderr, flush=True)


def _solve(args: argparse.Namespace, started: float) -> int:
    # Reading a large problem takes seconds, and they count against the time limit. The
    # checks beyond shapes and types are left to solve(), so they run once.
    problem = _load_problem(args.problem, shape_only=True)
    stop = threading.Event()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        print("stopping: writing the best solution found so far", file=sys.stderr)
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        solution = solve(
            problem,
            time_limit=max(0.0, args.time_limit - (time.monotonic() - started)),
            workers=args.workers,
            on_progress=None if args.quiet else _print_progress,
            stop=stop,
        )
    except InvalidProblem as error:
        raise _BadInput([str(issue) for issue in error.issues]) from error
    finally:
        signal.signal(signal.SIGINT, previous)
    text = solution.model_dump_json(indent=2) + "\n"
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if not args.quiet:
        objective = solution.objective
        print(
            f"{solution.status}: {objective.placed} placed, {len(solution.waitlist)} waitlisted, "
            f"{objective.moves} moves, imbalance {objective.imbalance:.3f} "
            f"(bound {solution.bound.imbalance:.3f}) in {solution.solve_seconds:.1f}s",
            file=sys.stderr,
        )
    return 0


def _check(args: argparse.Namespace) -> int:
    problem = _load_problem(args.problem)
    solution = _load_solution(args.solution)
    result = check(problem, solution)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        for violation in result.violations:
            where = " ".join(
                f"{label} {value}"
                for label, value in (
                    ("group", violation.group),
                    ("participant", violation.participant),
                )
                if value is not None
            )
            print(f"rule {violation.rule}: {violation.message}" + (f" ({where})" if where else ""))
        print(
            f"{'valid' if result.ok else 'INVALID'}: {len(result.violations)} violations, "
            f"{result.placed} placed, imbalance {result.imbalance:.3f} "
            f"(floor {result.imbalance_floor:.3f})"
        )
    return 0 if result.ok else 1


def _report(args: argparse.Namespace) -> int:
    problem = _load_problem(args.problem)
    solution = _load_solution(args.solution)
    report = quality_report(problem, solution)
    print(json.dumps(report.model_dump(), indent=2) if args.json else report.text())
    return 0
