"""Small counts in published tables: primary and secondary suppression, and its audit.

The rule (``docs/adr/0023-suppressing-small-counts.md``):

* **Primary.** Every count from 1 to 4 (inner cells and totals alike) is published as
  ``<5``. Zero is published.
* **The attacker** knows the tables' structure (which cells add up to which total, across
  all tables of a report, since tables share their totals by key), every published value,
  that a ``<5`` cell lies in 1..4, and that an ``x`` cell (withheld to protect another) is
  at least 5: secondary cells are never zero and never small.
* **Protected.** A ``<5`` cell is protected when the smallest and largest value it can take,
  over all whole-number tables consistent with the above, lie at least
  :data:`PROTECTION` apart (at least three values remain possible), or, where the ``<5``
  marks alone allow less (several ``<5`` cells under a ``<5`` total), when the published
  counts narrow it no further than the marks do: its range is the one it has with every
  published non-zero count withheld.
* **Secondary.** While some ``<5`` cell is not protected (taken in key order), one more
  published non-zero count is withheld as ``x``: of the counts near it (sharing a sum
  with it, or with a withheld cell that does), the smallest whose withholding alone widens
  its range (ties by key; the :data:`TRIALS` smallest are tried); if none does alone, the
  smallest near it; then the smallest sharing a sum with any withheld cell; then any.
  Withholding a cell only removes what the attacker knows, so a protected cell stays
  protected and the loop ends.
* **Derivable.** Last, a secondary cell the published counts give exactly (one value
  only) is published after all: the attacker knows it already, so no range changes.

The audit is exact and uses CP-SAT (OR-Tools, already the solver's dependency): one model
of the whole report, built once per :func:`suppress`, whose domains say what is published;
every table a solve finds is kept as a witness of the ranges, and a ``<5`` cell's range is
widened by feasibility solves ("a value outside the witnesses?") until none is left or the
witnesses lie far enough apart. Answers are cached by a fingerprint of the system.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

THRESHOLD = 5
"""Counts from 1 to ``THRESHOLD - 1`` are never published."""
PROTECTION = 2
"""The least distance between the lowest and highest value an attacker can give a ``<5``
cell: at least three values must stay possible."""
SMALL = f"<{THRESHOLD}"
WITHHELD = "x"
UNBOUNDED = 10**7
"""Upper bound of a withheld count in the audit (any count of a city's round is far below)."""


class Status(enum.StrEnum):
    PUBLISHED = "published"
    PRIMARY = "primary"  # 1..4, shown as "<5"
    SECONDARY = "secondary"  # withheld to protect a primary cell, shown as "x"


@dataclass(frozen=True)
class Sum:
    """One published relation: ``total`` is the sum of ``parts`` (cell keys)."""

    total: str
    parts: tuple[str, ...]


@dataclass
class System:
    """Every cell of a report by key, its true count, and the sums that tie cells together."""

    values: dict[str, int] = field(default_factory=dict)
    sums: list[Sum] = field(default_factory=list)

    def add_cell(self, key: str, value: int) -> None:
        known = self.values.setdefault(key, value)
        if known != value:
            raise ValueError(f"cell {key!r} has two values: {known} and {value}")

    def add_sum(self, total: str, parts: Iterable[str]) -> None:
        self.sums.append(Sum(total, tuple(parts)))


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def shown(value: int, status: Status) -> str:
    """What a published table shows for a cell."""
    if status is Status.PRIMARY:
        return SMALL
    if status is Status.SECONDARY:
        return WITHHELD
    return str(value)


def _domain(system: System, status: Mapping[str, Status], key: str, upper: int) -> tuple[int, int]:
    found = status.get(key, Status.PUBLISHED)
    if found is Status.PRIMARY:
        return 1, THRESHOLD - 1
    if found is Status.SECONDARY:
        return THRESHOLD, upper
    value = system.values[key]
    return value, value


class _Audit:
    """The attacker's integer program for one system, built once: every cell is a variable,
    every sum a constraint, and a status only sets the variables' domains (a published count
    is a variable fixed to its value). Each table a solve finds is kept as a *witness*: it is
    consistent with what is published, so the lowest and highest value a cell takes in the
    witnesses lie within its range; a cell whose witnesses already lie far enough apart needs
    no solve. Withholding one more cell keeps every witness consistent, so they stay valid
    for the whole of :func:`suppress`.
    """

    def __init__(
        self,
        system: System,
        status: Mapping[str, Status],
        upper: int = UNBOUNDED,
        constant: Iterable[str] = (),
    ):
        """``constant``: published cells that stay published whatever is asked (counts
        published in another report, zeros); they enter the sums as numbers."""
        self.system = system
        self.upper = upper
        fixed = set(constant)
        self.keys = [key for key in system.values if key not in fixed]
        self.model = cp_model.CpModel()
        self.variables = {
            key: self.model.new_int_var(system.values[key], system.values[key], key)
            for key in self.keys
        }

        def term(key: str) -> cp_model.LinearExprT:
            return self.variables[key] if key in self.variables else system.values[key]

        for relation in system.sums:
            if all(k in fixed for k in (relation.total, *relation.parts)):
                continue  # numbers only: true of the counts, no variable to tie
            parts = [term(p) for p in relation.parts]
            self.model.add(term(relation.total) == cp_model.LinearExpr.sum(parts))
        self.solver = cp_model.CpSolver()
        self.solver.parameters.num_workers = 1
        # These models are small and plain: presolve and linearisation cost more than they
        # save (about twice the time per solve, measured in benchmarks/monitoring_report.py).
        self.solver.parameters.cp_model_presolve = False
        self.solver.parameters.linearization_level = 0
        # Nor do symmetry detection and probing pay on them (about a fifth of each solve).
        self.solver.parameters.symmetry_level = 0
        self.solver.parameters.cp_model_probing_level = 0
        self.domains: dict[str, tuple[int, ...]] = {
            key: (system.values[key],) * 2 for key in self.keys
        }
        self.status = dict(status)
        self._apply(self.status)
        # Witnesses: the lowest and highest value seen per cell, for the current status and
        # for the status with every candidate withheld (which allows every table the
        # current status or any trial allows).
        self.seen = {key: (value, value) for key, value in system.values.items()}
        self.blind_seen = dict(self.seen)
        self.blind: dict[str, Status] | None = None
        self.widest: dict[str, int] = {}
        self.pending: tuple[str, list[int]] | None = None
        self.last: list[int] = []

    # --- the model ---------------------------------------------------------------------

    def _set(self, key: str, domain: tuple[int, ...]) -> None:
        if self.domains.get(key) == domain:
            return
        proto = self.variables[key].proto.domain
        proto.clear()
        proto.extend(domain)
        self.domains[key] = domain

    def _apply(self, status: Mapping[str, Status]) -> None:
        for key in self.keys:
            self._set(key, _domain(self.system, status, key, self.upper))

    def _solve(self, objective: str | None = None, maximise: bool = False) -> list[int] | None:
        if objective is None:
            self.model.clear_objective()  # type: ignore[no-untyped-call]
        elif maximise:
            self.model.maximize(self.variables[objective])
        else:
            self.model.minimize(self.variables[objective])
        result = self.solver.solve(self.model)
        if result == cp_model.INFEASIBLE:
            return None
        if result not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or (
            objective is not None and result != cp_model.OPTIMAL
        ):
            raise RuntimeError(f"the audit found no answer ({self.solver.status_name()})")
        return list(self.solver.response_proto.solution)

    def _witness(self, solution: list[int], *, current: bool) -> None:
        for store in (self.seen, self.blind_seen) if current else (self.blind_seen,):
            for key, value in zip(self.keys, solution, strict=True):
                low, high = store[key]
                if value < low or value > high:
                    store[key] = (min(low, value), max(high, value))

    def _optimum(self, key: str, *, maximise: bool, current: bool = True) -> int:
        solution = self._solve(key, maximise)
        if solution is None:
            raise RuntimeError(f"the audit of {key!r} found no table")
        self._witness(solution, current=current)
        return solution[self.variables[key].index]

    # --- questions ---------------------------------------------------------------------

    def _outside(self, key: str, low: int, high: int, *, current: bool) -> bool:
        """Whether some table gives ``key`` a value outside ``[low, high]`` under the
        domains set now (one feasibility solve); the table found is kept as a witness."""
        before = self.domains[key]
        outside = [(a, b) for a, b in ((before[0], low - 1), (high + 1, before[-1])) if a <= b]
        if not outside:
            return False
        self._set(key, tuple(bound for pair in outside for bound in pair))
        try:
            solution = self._solve()
        finally:
            self._set(key, before)
        if solution is None:
            return False
        self._witness(solution, current=current)
        self.last = solution
        return True

    def _range(self, key: str, enough: int | None, *, current: bool) -> tuple[int, int]:
        seen = self.seen if current else self.blind_seen
        low, high = seen[key]
        if enough is not None and high - low >= enough:
            return low, high
        lowest, highest = self.domains[key][0], self.domains[key][-1]
        if highest - lowest >= THRESHOLD:
            # A wide domain (a withheld count of 5 or more): two optimisations.
            low = self._optimum(key, maximise=False, current=current)
            if enough is not None and seen[key][1] - low >= enough:
                return seen[key]
            return low, self._optimum(key, maximise=True, current=current)
        # A "<5" cell: ask for a value beyond the witnesses until none is left (exact) or
        # the witnesses lie far enough apart; usually one feasibility solve.
        while self._outside(key, low, high, current=current):
            low, high = seen[key]
            if enough is not None and high - low >= enough:
                break
        return low, high

    def range(self, key: str, enough: int | None = None) -> tuple[int, int]:
        """``key``'s range under the current status: exact, or (with ``enough``) a range
        at least ``enough`` wide found in the witnesses."""
        if self.status.get(key, Status.PUBLISHED) is Status.PUBLISHED:
            value = self.system.values[key]
            return value, value
        return self._range(key, enough, current=True)

    def required(self, key: str) -> int:
        """:data:`PROTECTION`, or less where the ``<5`` marks alone narrow the cell more:
        its range with every candidate withheld (that status does not change while cells
        are withheld one by one, so the answer is kept)."""
        if key in self.widest:
            return self.widest[key]
        low, high = self.blind_seen[key]
        if high - low < PROTECTION:
            assert self.blind is not None
            self._apply(self.blind)
            try:
                low, high = self._range(key, PROTECTION, current=False)
            finally:
                self._apply(self.status)
        self.widest[key] = min(PROTECTION, high - low)
        return self.widest[key]

    def widens(self, candidate: str, key: str, low: int, high: int) -> bool:
        """Whether withholding ``candidate`` alone lets ``key`` take a value outside
        ``[low, high]`` (its exact range now): one feasibility solve."""
        self._set(candidate, (THRESHOLD, self.upper))
        try:
            found = self._outside(key, low, high, current=False)
        finally:
            self._set(candidate, _domain(self.system, self.status, candidate, self.upper))
        self.pending = (candidate, self.last) if found else None
        return found

    def withhold(self, key: str) -> None:
        self.status[key] = Status.SECONDARY
        self._set(key, (THRESHOLD, self.upper))
        if self.pending is not None and self.pending[0] == key:
            self._witness(self.pending[1], current=True)
        self.pending = None

    def derivable(self, key: str) -> bool:
        """Whether the published counts give withheld ``key`` exactly (one value only)."""
        low, high = self.seen[key]
        return low == high and not self._outside(key, low, high, current=True)


def feasible_range(
    system: System,
    status: Mapping[str, Status],
    key: str,
    *,
    upper: int = UNBOUNDED,
    enough: int | None = None,
) -> tuple[int, int]:
    """The lowest and highest value the attacker can give cell ``key``.

    With ``enough``, the answer may be a range at least ``enough`` wide within the true one
    instead of the exact one.
    """
    return _Audit(system, status, upper).range(key, enough)


def withheld_all(
    system: System, status: Mapping[str, Status], fixed: Mapping[str, Status] | None = None
) -> dict[str, Status]:
    """``status`` with every published non-zero count withheld (except ``fixed`` ones)."""
    fixed = fixed or {}
    return {
        k: Status.SECONDARY
        if s is Status.PUBLISHED and k not in fixed and system.values[k] > 0
        else s
        for k, s in status.items()
    }


def _neighbours(system: System, keys: set[str]) -> set[str]:
    found: set[str] = set()
    for relation in system.sums:
        members = {relation.total, *relation.parts}
        if members & keys:
            found |= members
    return found


CACHED = 64
"""How many suppressed systems are kept in the process (a report across ten rounds holds
eleven: each round's and the sums')."""
_cache: OrderedDict[str, dict[str, Status]] = OrderedDict()
_cache_lock = threading.Lock()


def _fingerprint(system: System, fixed: Mapping[str, Status], *flags: bool) -> str:
    """Everything the statuses depend on: cells, values, sums, fixed statuses, the rule."""
    digest = hashlib.sha256()
    digest.update(repr((PROTECTION, THRESHOLD, TRIALS, flags)).encode())
    digest.update(repr(sorted(system.values.items())).encode())
    digest.update(repr([(r.total, r.parts) for r in system.sums]).encode())
    digest.update(repr(sorted((k, s.value) for k, s in fixed.items())).encode())
    return digest.hexdigest()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def suppress(
    system: System,
    *,
    fixed: Mapping[str, Status] | None = None,
    secondary: bool = True,
    derivable: bool = True,
) -> dict[str, Status]:
    """The status of every cell: primary for 1..4, secondary as the rule above requires.

    ``fixed`` cells keep the status given (cells published already, in another report);
    only the other cells are candidates for secondary suppression. ``secondary=False``
    leaves out the second step (for the tests that show it is needed); ``derivable=False``
    keeps withheld a secondary cell the published counts give exactly.

    The answer depends only on its arguments, so the last :data:`CACHED` are kept by a
    fingerprint of them: a report asked for again (a purged round's never changes) costs
    no solve, and a changed count is a new fingerprint.
    """
    fixed = dict(fixed or {})
    key = _fingerprint(system, fixed, secondary, derivable)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return dict(found)
    status = _suppress(system, fixed, secondary=secondary, derivable=derivable)
    with _cache_lock:
        _cache[key] = dict(status)
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return status


def _suppress(
    system: System, fixed: dict[str, Status], *, secondary: bool, derivable: bool
) -> dict[str, Status]:
    status: dict[str, Status] = {}
    for key, value in system.values.items():
        if key in fixed:
            status[key] = fixed[key]
        else:
            status[key] = Status.PRIMARY if is_small(value) else Status.PUBLISHED
    if not secondary:
        return status
    primaries = sorted(k for k, s in status.items() if s is Status.PRIMARY)
    if not primaries:
        return status
    constant = [
        k
        for k, s in status.items()
        if s is Status.PUBLISHED and (k in fixed or system.values[k] == 0)
    ]
    audit = _Audit(system, status, constant=constant)
    audit.blind = withheld_all(system, status, fixed)
    for key in primaries:
        low, high = audit.range(key, PROTECTION)
        if high - low >= PROTECTION:
            continue
        needed = audit.required(key)
        while high - low < needed:
            chosen = _next_secondary(audit, key, fixed, low, high)
            if chosen is None:
                break
            audit.withhold(chosen)
            low, high = audit.range(key, needed)
    if derivable:
        _publish_derivable(audit, fixed)
    return audit.status


def _publish_derivable(audit: _Audit, fixed: Mapping[str, Status]) -> None:
    """Publish each secondary cell the published counts give exactly: the attacker knows
    its value already, so publishing it changes no range (every primary stays protected)."""
    chosen = sorted(k for k, s in audit.status.items() if s is Status.SECONDARY and k not in fixed)
    found = [key for key in chosen if audit.derivable(key)]
    for key in found:
        audit.status[key] = Status.PUBLISHED
        audit._set(key, _domain(audit.system, audit.status, key, audit.upper))


TRIALS = 12
"""How many candidates (smallest first) are tried for one more withheld cell."""


def _next_secondary(
    audit: _Audit, key: str, fixed: Mapping[str, Status], low: int, high: int
) -> str | None:
    """The next cell to withhold for ``key`` (exact range ``[low, high]`` now): among the
    published non-zero counts near it (sharing a sum with it, or with a withheld cell that
    does), the smallest whose withholding widens its range; if none does alone, the
    smallest near it; then the smallest near any withheld cell; then the smallest anywhere."""
    system, status = audit.system, audit.status

    def candidates(keys: Iterable[str]) -> list[str]:
        found = [
            k
            for k in keys
            if k not in fixed and status[k] is Status.PUBLISHED and system.values[k] > 0
        ]
        return sorted(found, key=lambda k: (system.values[k], k))

    withheld = {k for k, s in status.items() if s is not Status.PUBLISHED}
    near = _neighbours(system, {key})
    near |= _neighbours(system, near & withheld)
    nearby = candidates(near)
    for candidate in nearby[:TRIALS]:
        if audit.widens(candidate, key, low, high):
            return candidate
    for pool in (nearby, candidates(_neighbours(system, withheld)), candidates(system.values)):
        if pool:
            return pool[0]
    return None
