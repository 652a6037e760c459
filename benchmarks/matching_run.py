"""Matching benchmark: the solver against a greedy baseline on generated pools.

    .venv/bin/python -m benchmarks.matching_run            # n = 60, 300, 2000, 10000
    .venv/bin/python -m benchmarks.matching_run --sizes 60 300

Every run happens in a fresh subprocess so that its peak memory (ru_maxrss) is its own.
Prints a Markdown table: placed, waitlisted, the placement bound, imbalance with its floor
and the solver's bound, status, wall time and peak memory; then rematches at n = 300
after 10% dropouts on three pools. Not part of the test suite: it takes several minutes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import sys
import time
from typing import Any

from benchmarks.matching_pool import TIGHT, generate, with_dropouts
from benchmarks.rematch_changes import counts
from matching import check, solve
from matching.bounds.pattern import pattern_bound, working_languages
from matching.construction.greedy import greedy
from matching.explanations.reasons import waitlist_reasons
from matching.grouping import Grouping
from matching.instance import Instance
from matching.models import Bound, Objective, Problem, Solution, WaitlistEntry

LIMITS = {60: 10.0, 300: 10.0, 2000: 30.0, 10000: 120.0}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _as_solution(instance: Instance, grouping: Grouping, seconds: float) -> Solution:
    reasons = waitlist_reasons(instance, grouping)
    profiles = grouping.profiles(instance)
    return Solution(
        status="feasible",
        groups=grouping.to_groups(instance),
        waitlist=[WaitlistEntry(id=instance.people[i].id, reason=r) for i, r in reasons.items()],
        objective=Objective(
            placed=len(grouping.placed()),
            moves=grouping.moves(instance),
            imbalance=grouping.pool(instance).imbalance(profiles),
        ),
        bound=Bound(imbalance=0.0),
        solve_seconds=seconds,
    )


def _figures(problem: Problem, solution: Solution, seconds: float) -> dict[str, Any]:
    result = check(problem, solution)
    return {
        "valid": result.ok,
        "placed": solution.objective.placed,
        "waitlisted": len(solution.waitlist),
        "placed_bound": solution.bound.placed,
        "moves": solution.objective.moves,
        **{f"{k}_changes": v for k, v in counts(problem, solution).items() if k != "moves"},
        "imbalance": result.imbalance,
        "floor": result.imbalance_floor,
        "bound": solution.bound.imbalance,
        "status": solution.status,
        "proven": solution.proven.model_dump(),
        "seconds": seconds,
        "peak_mb": _peak_mb(),
    }


def run_greedy(n: int, seed: int, tight: bool = False) -> dict[str, Any]:
    problem = generate(n, seed=seed, **(TIGHT if tight else {}))
    start = time.monotonic()
    instance = Instance(problem)
    grouping = greedy(instance)
    seconds = time.monotonic() - start
    return _figures(problem, _as_solution(instance, grouping, seconds), seconds)


def run_solver(
    n: int, seed: int, limit: float, bound_limit: float, tight: bool = False
) -> dict[str, Any]:
    problem = generate(n, seed=seed, **(TIGHT if tight else {}))
    start = time.monotonic()
    solution = solve(problem, time_limit=limit, workers=2)
    figures = _figures(problem, solution, time.monotonic() - start)
    # After the timed solve: the language-aware bound for the same people and group sizes,
    # given as long as it needs to converge (up to bound_limit).
    instance = Instance(problem)
    groups = [[instance.person_index[pid] for pid in g.members] for g in solution.groups]
    started = time.monotonic()
    figures["language_bound"] = pattern_bound(
        instance,
        groups,
        time_limit=bound_limit,
        languages=working_languages(instance, []),
        workers=2,
    )
    figures["language_bound_seconds"] = time.monotonic() - started
    return figures


def run_rematch(
    n: int, seed: int, limit: float, rematch_limit: float, reference_limit: float, repeats: int
) -> dict[str, Any]:
    """One pool: the solver's grouping published as ``previous``, 10% dropouts, then the
    rematch ``repeats`` times (the search depends on timing, so runs can differ) and once
    with a long limit, which proves the fewest moves the rules force (when it does)."""
    problem = generate(n, seed=seed)
    first = solve(problem, time_limit=limit, workers=2)
    again = with_dropouts(problem, first, fraction=0.1, seed=seed)
    runs = []
    for _ in range(repeats):
        start = time.monotonic()
        solution = solve(again, time_limit=rematch_limit, workers=2)
        runs.append(_figures(again, solution, time.monotonic() - start))
    reference = solve(again, time_limit=reference_limit, workers=2)
    return {
        "dropouts": len(problem.participants) - len(again.participants),
        "runs": runs,
        "minimum_moves": reference.objective.moves if reference.proven.moves else None,
        "reference_moves": reference.objective.moves,
        "reference_placed": reference.objective.placed,
        "reference_seconds": reference.solve_seconds,
    }


def _in_subprocess(target: Any, *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(target, args)
    return result


def _row(n: int, limit: float, method: str, r: dict[str, Any]) -> str:
    bound = r["placed_bound"] if r["placed_bound"] is not None else "-"
    ratio = r["imbalance"] / r["floor"] if r["floor"] else float("nan")
    solver_bound = f"{r['bound']:.3f}" if method == "solver" else "-"
    language = r.get("language_bound")
    if language is None:
        language_cell = "-"
    else:
        # Both are lower bounds; the ratio is taken to the higher one.
        best = max(language, r["bound"])
        language_cell = (
            f"{language:.3f} ({r['imbalance'] / best:.2f}; {r['language_bound_seconds']:.0f} s)"
        )
    return (
        f"| {n} | {limit:g} | {method} | {'yes' if r['valid'] else 'NO'} | {r['placed']} | "
        f"{r['waitlisted']} | {bound} | {r['imbalance']:.3f} | {r['floor']:.3f} | "
        f"{ratio:.2f} | {solver_bound} | {language_cell} | {r['status']} | "
        f"{r['seconds']:.1f} | {r['peak_mb']:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="matching benchmark")
    parser.add_argument("--sizes", type=int, nargs="*", default=sorted(LIMITS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rematch-limit", type=float, default=2.8)
    parser.add_argument("--reference-limit", type=float, default=60.0)
    parser.add_argument("--bound-limit", type=float, default=60.0)
    parser.add_argument("--rematch-seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--rematch-repeats", type=int, default=3)
    parser.add_argument("--no-rematch", action="store_true")
    parser.add_argument(
        "--tight",
        action="store_true",
        help="the tight, bridge-heavy pools (benchmarks.matching_pool.TIGHT)",
    )
    parser.add_argument("--limit", type=float, help="the time limit for every size")
    args = parser.parse_args(argv)

    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{multiprocessing.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"seed {args.seed}; time limits {LIMITS}; 2 CP-SAT workers\n")
    print(
        "| n | limit s | method | valid | placed | waitlisted | placed bound | imbalance | "
        "floor | imb/floor | imb bound | language bound (imb/best bound; time) | status | "
        "wall s | "
        "peak MB |"
    )
    print("|" + "---|" * 15)
    for n in args.sizes:
        limit = args.limit or LIMITS.get(n, 30.0)
        baseline = _in_subprocess(run_greedy, n, args.seed, args.tight)
        print(_row(n, limit, "greedy", baseline), flush=True)
        result = _in_subprocess(run_solver, n, args.seed, limit, args.bound_limit, args.tight)
        print(_row(n, limit, "solver", result), flush=True)
    if not args.no_rematch:
        print(
            f"\nrematch, n = 300 after 10 % dropouts, limit {args.rematch_limit:g} s, "
            f"{args.rematch_repeats} runs per pool; fewest moves from a "
            f"{args.reference_limit:g} s solve\n"
        )
        print(
            "| seed | dropouts | valid | moves per run | fewest moves | series changes per run "
            "| language changes per run | placed per run | placed (long solve) | wall s per run |"
        )
        print("|" + "---|" * 10)
        for seed in args.rematch_seeds:
            r = _in_subprocess(
                run_rematch,
                300,
                seed,
                LIMITS[300],
                args.rematch_limit,
                args.reference_limit,
                args.rematch_repeats,
            )
            runs = r["runs"]
            fewest = r["minimum_moves"]
            if fewest is None:
                fewest = f"{r['reference_moves']} (not proven)"
            print(
                f"| {seed} | {r['dropouts']} | "
                f"{'yes' if all(x['valid'] for x in runs) else 'NO'} | "
                + ", ".join(str(x["moves"]) for x in runs)
                + f" | {fewest} | "
                + ", ".join(str(x["series_changes"]) for x in runs)
                + " | "
                + ", ".join(str(x["languages_changes"]) for x in runs)
                + " | "
                + ", ".join(str(x["placed"]) for x in runs)
                + f" | {r['reference_placed']} | "
                + ", ".join(f"{x['seconds']:.2f}" for x in runs)
                + " |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
