"""Runs one CP-SAT stage of a :class:`~matching.model.cpsat.GroupingModel` and turns every
solver status into something the caller can act on.

``optimal`` and ``feasible`` come with a grouping; ``infeasible`` means the model has no
solution; ``unknown`` means the time ran out (or the search was stopped) before a solution was
found, and the caller keeps its incumbent; ``invalid`` is a modelling error, logged loudly and
treated like ``unknown`` so that the caller still returns its valid incumbent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from ortools.sat.python import cp_model

from matching.grouping import Grouping
from matching.model.cpsat import GroupingModel

logger = logging.getLogger(__name__)

StageStatus = Literal["optimal", "feasible", "infeasible", "unknown", "invalid"]

# (objective value, best bound, people placed) of each new solution.
SolutionHook = Callable[[float, float, int], None]


@dataclass(frozen=True)
class StageResult:
    status: StageStatus
    grouping: Grouping | None
    value: float | None
    bound: float | None


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(
        self,
        model: GroupingModel,
        on_solution: SolutionHook | None,
        stop: Callable[[], bool],
        first_improvement: bool,
        first_solution: bool = False,
    ) -> None:
        super().__init__()
        self._model = model
        self._on_solution = on_solution
        self._stop = stop
        self._first_improvement = first_improvement
        self._first_solution = first_solution
        self._first: float | None = None

    def on_solution_callback(self) -> None:
        value = self.objective_value
        if self._on_solution is not None:
            placed = int(self.value(self._model.placed_count))
            self._on_solution(value, self.best_objective_bound, placed)
        if self._stop() or self._first_solution:
            self.stop_search()
        if self._first is None:
            self._first = value
        elif self._first_improvement and value != self._first:
            self.stop_search()


@contextmanager
def stop_watch(solver: cp_model.CpSolver, stop: Callable[[], bool]) -> Iterator[None]:
    """Stops the search when asked, also while no solution arrives to call back."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if stop():
                solver.stop_search()
                return

    thread = threading.Thread(target=watch, name="matching-stop-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def new_solver(time_limit: float, workers: int, seed: int = 0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    # Ctrl-C is handled by the caller (the command line sets the stop event).
    solver.parameters.catch_sigint_signal = False
    return solver


def run_stage(
    model: GroupingModel,
    objective: cp_model.LinearExprT | None,
    *,
    maximize: bool,
    time_limit: float,
    workers: int,
    hint: Grouping | None,
    stop: Callable[[], bool],
    on_solution: SolutionHook | None = None,
    first_improvement: bool = False,
    first_solution: bool = False,
    seed: int = 0,
) -> StageResult:
    """With ``first_improvement`` the search ends at the first solution better than the
    first one found (usually the hint): enough for a neighbourhood search step. With
    ``first_solution`` it ends at the first solution (when the model itself demands an
    improvement)."""
    if time_limit <= 0.005 or stop():
        return StageResult("unknown", None, None, None)
    if objective is None:
        model.model.clear_objective()  # type: ignore[no-untyped-call]
    elif maximize:
        model.model.maximize(objective)
    else:
        model.model.minimize(objective)
    if hint is not None:
        model.hint(hint.groups)
    solver = new_solver(time_limit, workers, seed)
    callback = _Callback(model, on_solution, stop, first_improvement, first_solution)
    with stop_watch(solver, stop):
        status = solver.solve(model.model, callback)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        has_objective = objective is not None
        return StageResult(
            "optimal" if status == cp_model.OPTIMAL else "feasible",
            model.read(solver),
            solver.objective_value if has_objective else None,
            solver.best_objective_bound if has_objective else None,
        )
    if status == cp_model.INFEASIBLE:
        return StageResult("infeasible", None, None, None)
    if status == cp_model.MODEL_INVALID:
        logger.error("CP-SAT rejected the model: %s", model.model.validate())
        return StageResult("invalid", None, None, None)
    return StageResult("unknown", None, None, None)
