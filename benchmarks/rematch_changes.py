"""Rematch benchmark on saved problems: moves, series changes and language changes.

    .venv/bin/python -m benchmarks.rematch_changes --problems bench-rematch   # --seeds 1 2 3

For each seed, ``DIR/rematch-<seed>.json`` is the rematch problem (made once and then reused,
so that two versions of the solver see the same problems): a Konstanz-like pool of 300
(``benchmarks.matching_pool``), its 10 s solution published as ``previous``, 10 % of the
placed people dropped out. Each problem is solved ``--repeats`` times with ``--limit``
seconds. The figures are counted here from the problem and the solution alone (not from the
solver's own counts), so any version of the solver can be measured with this script:

- *moves*: previous members (still listed) not in the group that keeps their group's id;
- *series changes*: previous members (still listed) who are not in a group of their previous
  group's series (in another series, or waiting);
- *language changes*: groups that keep a previous group's id in another working language.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.matching_pool import generate, with_dropouts
from matching import check, solve
from matching.models import Problem, Solution


def counts(problem: Problem, solution: Solution) -> dict[str, int]:
    previous = problem.previous.groups if problem.previous is not None else []
    listed = {p.id for p in problem.participants}
    group_of = {i: g for g in solution.groups for i in g.members}
    now = {g.id: g for g in solution.groups}
    moves = series = languages = 0
    for before in previous:
        for i in before.members:
            if i not in listed:
                continue
            after = group_of.get(i)
            moves += after is None or after.id != before.id
            series += after is None or after.series != before.series
        kept = now.get(before.id)
        languages += kept is not None and kept.language != before.language
    return {"moves": moves, "series": series, "languages": languages}


def rematch_problem(directory: Path, seed: int) -> Problem:
    path = directory / f"rematch-{seed}.json"
    if path.exists():
        return Problem.model_validate_json(path.read_text())
    problem = generate(300, seed=seed)
    first = solve(problem, time_limit=10.0, workers=2)
    again = with_dropouts(problem, first, fraction=0.1, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(again.model_dump_json(indent=1))
    return again


def run(problem: Problem, limit: float) -> dict[str, Any]:
    start = time.monotonic()
    solution = solve(problem, time_limit=limit, workers=2)
    seconds = time.monotonic() - start
    return {
        **counts(problem, solution),
        "valid": check(problem, solution).ok,
        "placed": solution.objective.placed,
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--problems", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--limit", type=float, default=2.8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    print(
        "| version | seed | valid | moves per run | series changes per run | "
        "language changes per run | placed per run | wall s per run |"
    )
    print("|" + "---|" * 8)
    for seed in args.seeds:
        problem = rematch_problem(args.problems, seed)
        runs = [run(problem, args.limit) for _ in range(args.repeats)]

        def column(key: str, runs: list[dict[str, Any]] = runs) -> str:
            return ", ".join(str(r[key]) for r in runs)

        print(
            f"| {args.label} | {seed} | {'yes' if all(r['valid'] for r in runs) else 'NO'} | "
            f"{column('moves')} | {column('series')} | {column('languages')} | "
            f"{column('placed')} | " + ", ".join(f"{r['seconds']:.2f}" for r in runs) + " |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
