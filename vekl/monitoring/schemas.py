"""The report's data: tables of counts (kept after the purge) and their published form.

A :class:`Table` holds true counts, nothing about anyone: rows and columns are categories
(a role, an age band, a reason's group), cells are how many. Tables that share a total say
so by key (``row_keys``, ``column_keys``, ``total_key``), so the suppression sees all tables
of a report as one system of sums (``vekl.monitoring.suppression``). A :class:`Section` is
one part of the report (registrations, outcome, composition, encounters; attendance,
feedback and the lottery where a round has them).

The field names of the published form are documented in ``docs/monitoring-report.md``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1
TOTAL = "_total"
"""The row or column name of totals in the CSV and JSON."""


class Table(BaseModel):
    """Counts by row and column, with the totals the published table shows.

    ``row_totals``: each row's total is shown (and is the sum of its cells).
    ``column_totals``: each column's total and the grand total are shown. A table of a
    category people can have several of (languages) has row totals only.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    rows: list[str]
    columns: list[str]
    counts: list[list[int]]
    row_totals: bool = True
    column_totals: bool = True
    # Keys of totals this table shares with other tables (by row / column); None: its own.
    row_keys: list[str] | None = None
    column_keys: list[str] | None = None
    total_key: str | None = None
    # Keys of cells this table shares with another table (cell key by "row|column").
    cell_keys: dict[str, str] = Field(default_factory=dict)

    def cell_key(self, prefix: str, row: int, column: int) -> str:
        shared = self.cell_keys.get(f"{self.rows[row]}|{self.columns[column]}")
        if shared is not None:
            return f"{prefix}{shared}"
        return f"{prefix}{self.name}|{self.rows[row]}|{self.columns[column]}"

    def row_key(self, prefix: str, row: int) -> str:
        if self.row_keys is not None:
            return f"{prefix}{self.row_keys[row]}"
        return f"{prefix}{self.name}|{self.rows[row]}|{TOTAL}"

    def column_key(self, prefix: str, column: int) -> str:
        if self.column_keys is not None:
            return f"{prefix}{self.column_keys[column]}"
        return f"{prefix}{self.name}|{TOTAL}|{self.columns[column]}"

    def grand_key(self, prefix: str) -> str:
        if self.total_key is not None:
            return f"{prefix}{self.total_key}"
        return f"{prefix}{self.name}|{TOTAL}|{TOTAL}"

    def row_sum(self, row: int) -> int:
        return sum(self.counts[row])

    def column_sum(self, column: int) -> int:
        return sum(line[column] for line in self.counts)


class Section(BaseModel):
    """One part of the report; ``basis`` says what a count means where that can vary
    (encounters: "seated" until attendance exists, then "attended")."""

    model_config = ConfigDict(frozen=True)

    name: str
    tables: list[Table]
    basis: str | None = None


class Aggregates(BaseModel):
    """A round's report data: what is computed live, and kept at the purge."""

    version: int = FORMAT_VERSION
    round: str
    round_name: str
    computed_at: datetime
    first_evening: datetime | None = None
    last_evening: datetime | None = None
    sections: list[Section]
    # Population shares of the city (dimension -> category -> share 0..1), where given.
    population: dict[str, dict[str, float]] = Field(default_factory=dict)
    # The series' labels by key ("mon": "Montagabende"), so readers see evenings named as
    # the round names them; not personal, kept with the figures.
    series: dict[str, str] = Field(default_factory=dict)


class PublishedCell(BaseModel):
    """One cell as published: ``count`` is None where ``suppressed`` is set."""

    model_config = ConfigDict(frozen=True)

    count: int | None
    display: str
    suppressed: str | None = None  # "primary" ("<5") or "secondary" ("x")


class PublishedTable(BaseModel):
    name: str
    rows: list[str]
    columns: list[str]
    cells: list[list[PublishedCell]]
    row_totals: list[PublishedCell] | None = None
    column_totals: list[PublishedCell] | None = None
    total: PublishedCell | None = None


class PublishedSection(BaseModel):
    name: str
    basis: str | None = None
    tables: list[PublishedTable]


class Report(BaseModel):
    """A report ready to publish: every count 1-4 and every cell that would reveal one
    withheld. ``scope`` is "round" or "rounds" (across rounds)."""

    format: str = "vekl-monitoring"
    version: int = FORMAT_VERSION
    scope: str
    rounds: list[str]
    round_names: list[str]
    generated_at: datetime
    purged: list[str] = Field(default_factory=list)
    threshold: int
    protection: int
    sections: list[PublishedSection]
    population: dict[str, dict[str, float]] = Field(default_factory=dict)
    # The series' labels by key ("mon": "Montagabende"), so readers see evenings named as
    # the round names them; not personal, kept with the figures.
    series: dict[str, str] = Field(default_factory=dict)

    def section(self, name: str) -> PublishedSection | None:
        return next((s for s in self.sections if s.name == name), None)
