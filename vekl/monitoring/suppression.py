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

The audit computes the exact range of every ``<5`` cell with CP-SAT (OR-Tools, already
the solver's dependency): two small integer programs per cell.
"""

from __future__ import annotations

import enum
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


def feasible_range(
    system: System,
    status: Mapping[str, Status],
    key: str,
    *,
    upper: int = UNBOUNDED,
    enough: int | None = None,
) -> tuple[int, int]:
    """The lowest and highest value the attacker can give cell ``key``.

    With ``enough``, the highest is not searched when the lowest lies ``enough`` or more
    below the cell's true value (which is always possible): the true value is returned for
    it, a range at least that wide.

    Published counts enter as constants, and only the sums that reach ``key`` through
    withheld cells are modelled: the rest cannot change its range.
    """

    def withheld(name: str) -> bool:
        return status.get(name, Status.PUBLISHED) is not Status.PUBLISHED

    if not withheld(key):
        value = system.values[key]
        return value, value
    touching: dict[str, list[Sum]] = {}
    for relation in system.sums:
        for name in (relation.total, *relation.parts):
            if withheld(name):
                touching.setdefault(name, []).append(relation)
    cells, relations, queue = {key}, {}, [key]
    while queue:
        for relation in touching.get(queue.pop(), []):
            if id(relation) in relations:
                continue
            relations[id(relation)] = relation
            for name in (relation.total, *relation.parts):
                if withheld(name) and name not in cells:
                    cells.add(name)
                    queue.append(name)
    model = cp_model.CpModel()
    variables: dict[str, cp_model.IntVar] = {}
    for name in sorted(cells):
        if status[name] is Status.PRIMARY:
            variables[name] = model.new_int_var(1, THRESHOLD - 1, name)
        else:
            variables[name] = model.new_int_var(THRESHOLD, upper, name)

    def term(name: str) -> cp_model.LinearExprT:
        return variables[name] if name in variables else system.values[name]

    for relation in relations.values():
        model.add(term(relation.total) == sum(term(p) for p in relation.parts))
    target = variables[key]
    bounds = []
    for sense in ("min", "max"):
        if sense == "min":
            model.minimize(target)
        else:
            model.maximize(target)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        # These models are small and plain: presolve and linearisation cost more than they
        # save (about twice the time per solve, measured in benchmarks/monitoring_report.py).
        solver.parameters.cp_model_presolve = False
        solver.parameters.linearization_level = 0
        result = solver.solve(model)
        if result != cp_model.OPTIMAL:
            raise RuntimeError(f"the audit of {key!r} found no table ({solver.status_name()})")
        bounds.append(int(solver.value(target)))
        if enough is not None and system.values[key] - bounds[0] >= enough:
            return bounds[0], system.values[key]
    return bounds[0], bounds[1]


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


def required_width(
    system: System,
    status: Mapping[str, Status],
    key: str,
    fixed: Mapping[str, Status] | None = None,
) -> int:
    """:data:`PROTECTION`, or less where the ``<5`` marks alone narrow the cell more: four
    ``<5`` cells under a ``<5`` total are 1 each, whatever else is withheld."""
    low, high = feasible_range(system, withheld_all(system, status, fixed), key)
    return min(PROTECTION, high - low)


def _neighbours(system: System, keys: set[str]) -> set[str]:
    found: set[str] = set()
    for relation in system.sums:
        members = {relation.total, *relation.parts}
        if members & keys:
            found |= members
    return found


def suppress(
    system: System,
    *,
    fixed: Mapping[str, Status] | None = None,
    secondary: bool = True,
) -> dict[str, Status]:
    """The status of every cell: primary for 1..4, secondary as the rule above requires.

    ``fixed`` cells keep the status given (cells published already, in another report);
    only the other cells are candidates for secondary suppression. ``secondary=False``
    leaves out the second step (for the tests that show it is needed).
    """
    fixed = dict(fixed or {})
    status: dict[str, Status] = {}
    for key, value in system.values.items():
        if key in fixed:
            status[key] = fixed[key]
        else:
            status[key] = Status.PRIMARY if is_small(value) else Status.PUBLISHED
    if not secondary:
        return status
    primaries = sorted(k for k, s in status.items() if s is Status.PRIMARY)
    for key in primaries:
        low, high = feasible_range(system, status, key, enough=PROTECTION)
        if high - low >= PROTECTION:
            continue
        needed = required_width(system, status, key, fixed)
        while high - low < needed:
            chosen = _next_secondary(system, status, key, fixed, high - low)
            if chosen is None:
                break
            status[chosen] = Status.SECONDARY
            low, high = feasible_range(system, status, key, enough=needed)
    return status


TRIALS = 12
"""How many candidates (smallest first) are tried for one more withheld cell."""


def _next_secondary(
    system: System,
    status: Mapping[str, Status],
    key: str,
    fixed: Mapping[str, Status],
    width: int,
) -> str | None:
    """The next cell to withhold for ``key``: among the published non-zero counts near it
    (sharing a sum with it, or with a withheld cell that does), the smallest whose
    withholding widens its range; if none does alone, the smallest near it; then the
    smallest near any withheld cell; then the smallest anywhere."""

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
        trial = {**status, candidate: Status.SECONDARY}
        low, high = feasible_range(system, trial, key, enough=width + 1)
        if high - low > width:
            return candidate
    for pool in (nearby, candidates(_neighbours(system, withheld)), candidates(system.values)):
        if pool:
            return pool[0]
    return None


def unprotected(
    system: System, status: Mapping[str, Status], fixed: Mapping[str, Status] | None = None
) -> list[tuple[str, int, int]]:
    """Primary cells the attacker can narrow more than the rule allows, with their range."""
    found = []
    for key in sorted(status):
        if status[key] is not Status.PRIMARY:
            continue
        low, high = feasible_range(system, status, key)
        if high - low < required_width(system, status, key, fixed):
            found.append((key, low, high))
    return found
