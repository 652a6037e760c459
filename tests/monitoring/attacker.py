"""The attacker: from a published report alone (and its documented structure), the lowest
and highest value every withheld cell can take.

Written apart from ``vekl.monitoring.suppression`` on purpose: it reads only what is
published (the displayed text of each cell) and the structure the documentation gives
(which cells add up to which), and solves for each ``<5`` cell with CP-SAT.
"""

from __future__ import annotations

from collections.abc import Iterable

from ortools.sat.python import cp_model

from vekl.monitoring.schemas import PublishedTable, Report, Table

BIG = 100_000


class Attacker:
    def __init__(self) -> None:
        self.shown: dict[str, str] = {}
        self.sums: list[tuple[str, list[str]]] = []
        self.mine = ""

    def see(self, key: str, display: str) -> None:
        known = self.shown.setdefault(key, display)
        assert known == display, f"{key} is published as {known} and as {display}"

    def read_table(self, prefix: str, structure: Table, published: PublishedTable) -> None:
        """One published table; ``structure`` gives only its keys (which cells it shares)."""
        rows, columns = range(len(published.rows)), range(len(published.columns))
        assert published.rows == structure.rows and published.columns == structure.columns
        for r in rows:
            for c in columns:
                self.see(structure.cell_key(prefix, r, c), published.cells[r][c].display)
        if published.row_totals is not None:
            for r in rows:
                total = structure.row_key(prefix, r)
                self.see(total, published.row_totals[r].display)
                self.sums.append((total, [structure.cell_key(prefix, r, c) for c in columns]))
        if published.column_totals is not None:
            assert published.total is not None
            for c in columns:
                total = structure.column_key(prefix, c)
                self.see(total, published.column_totals[c].display)
                self.sums.append((total, [structure.cell_key(prefix, r, c) for r in rows]))
            grand = structure.grand_key(prefix)
            self.see(grand, published.total.display)
            self.sums.append((grand, [structure.column_key(prefix, c) for c in columns]))
            if published.row_totals is not None:
                self.sums.append((grand, [structure.row_key(prefix, r) for r in rows]))

    def read_report(self, prefix: str, structure: Iterable[Table], report: Report) -> None:
        tables = {t.name: t for t in structure}
        for section in report.sections:
            for table in section.tables:
                self.read_table(prefix, tables[table.name], table)

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Every ``<5`` cell's range."""
        found = {}
        for key, display in sorted(self.shown.items()):
            if display == "<5":
                found[key] = (self._solve(key, minimise=True), self._solve(key, minimise=False))
        return found

    def pinned(self, width: int = 2, mine: str = "") -> dict[str, tuple[int, int]]:
        """``<5`` cells narrowed below ``width``, or below what the ``<5`` marks alone allow
        (the range with every published non-zero count of the report under test unknown,
        its keys starting with ``mine``; other reports' counts were published before),
        whichever is less."""
        self.mine = mine
        found = {}
        for key, (low, high) in self.ranges().items():
            if high - low >= width:
                continue
            floor = self._solve(key, minimise=True, blind=True)
            ceiling = self._solve(key, minimise=False, blind=True)
            if high - low < min(width, ceiling - floor):
                found[key] = (low, high)
        return found

    def _solve(self, target: str, *, minimise: bool, blind: bool = False) -> int:
        model = cp_model.CpModel()
        var = {}
        for key, display in self.shown.items():
            if blind and key.startswith(self.mine) and display not in ("<5", "x", "0"):
                display = "x"
            if display == "<5":
                var[key] = model.new_int_var(1, 4, key)
            elif display == "x":
                var[key] = model.new_int_var(5, BIG, key)
            else:
                value = int(display)
                var[key] = model.new_int_var(value, value, key)
        for total, parts in self.sums:
            model.add(var[total] == sum(var[p] for p in parts))
        if minimise:
            model.minimize(var[target])
        else:
            model.maximize(var[target])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(model) == cp_model.OPTIMAL
        return int(solver.value(var[target]))
