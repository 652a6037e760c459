"""The monitoring report: one service for the organiser pages, the files and the command.

A round's report is computed from the store while its personal data is there, and from
the aggregates kept at the purge afterwards (:func:`keep_for_purge`, called by
``vekl.retention``); both give the same figures. Suppression is applied when a report is
published (:func:`round_report`, :func:`rounds_report`), never to what is kept. Across
rounds, each round's published table is taken as known, so the sums across rounds are
withheld where they would give a round's small count away.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader
from sqlalchemy.orm import Session

from notifications.i18n import gettext
from notifications.pdf import html_to_pdf
from notifications.spreadsheet import SpreadsheetWriter
from notifications.templating import build_environment
from vekl.audit import records as audit
from vekl.errors import N_, FieldError, InvalidInput
from vekl.monitoring import queries, sections
from vekl.monitoring.errors import NO_DATA, NO_ROUNDS, NOTHING_KEPT, NoReportData
from vekl.monitoring.labels import display_name
from vekl.monitoring.schemas import (
    TOTAL,
    Aggregates,
    PublishedCell,
    PublishedSection,
    PublishedTable,
    Report,
    Section,
    Table,
)
from vekl.monitoring.suppression import (
    PROTECTION,
    THRESHOLD,
    Status,
    System,
    shown,
    suppress,
)
from vekl.rounds import service as rounds
from vekl.store.models import Round

ACROSS = "all|"
POPULATION_DIMENSIONS = ("role", "gender", "age_band", "district", "origin")


# --- aggregates: computed live, kept at the purge ---------------------------------------


def compute(session: Session, round: Round, now: datetime | None = None) -> Aggregates:
    """The round's counts from the store (no suppression)."""
    first, last = queries.evening_span(session, round)
    return Aggregates(
        round=round.slug,
        round_name=round.name,
        computed_at=now or datetime.now(UTC),
        first_evening=first,
        last_evening=last,
        sections=sections.build(session, round),
        population=queries.population_shares(session, round),
        series={s.key: s.label for s in round.series},
    )


def keep_for_purge(session: Session, round: Round, now: datetime) -> dict[str, Any]:
    """What the purge keeps for the report: the round's aggregates as JSON data."""
    return compute(session, round, now).model_dump(mode="json")


def _has_data(aggregates: Aggregates) -> bool:
    registrations = next((s for s in aggregates.sections if s.name == "registrations"), None)
    return registrations is not None and any(
        sum(line) for table in registrations.tables for line in table.counts
    )


def aggregates(session: Session, round: Round) -> Aggregates | None:
    """Kept aggregates of a purged round, live ones otherwise; None with nothing to count."""
    if round.purged_at is not None:
        kept = queries.kept_report(session, round)
        if kept is None:
            raise NoReportData(NOTHING_KEPT, round=round.slug)
        found = Aggregates.model_validate(kept)
        found = found.model_copy(update={"sections": sections.complete_kept(found.sections)})
    else:
        found = compute(session, round)
    return found if _has_data(found) else None


# --- the system of sums ------------------------------------------------------------------


def _add(system: System, table: Table, prefix: str) -> None:
    rows, columns = range(len(table.rows)), range(len(table.columns))
    for r in rows:
        for c in columns:
            system.add_cell(table.cell_key(prefix, r, c), table.counts[r][c])
    if table.row_totals:
        for r in rows:
            system.add_cell(table.row_key(prefix, r), table.row_sum(r))
            system.add_sum(
                table.row_key(prefix, r), (table.cell_key(prefix, r, c) for c in columns)
            )
    if table.column_totals:
        for c in columns:
            system.add_cell(table.column_key(prefix, c), table.column_sum(c))
            system.add_sum(
                table.column_key(prefix, c), (table.cell_key(prefix, r, c) for r in rows)
            )
        grand = table.grand_key(prefix)
        system.add_cell(grand, sum(map(sum, table.counts)))
        system.add_sum(grand, (table.column_key(prefix, c) for c in columns))
        if table.row_totals:
            system.add_sum(grand, (table.row_key(prefix, r) for r in rows))


def system_of(all_sections: Iterable[Section], prefix: str) -> System:
    system = System()
    for section in all_sections:
        for table in section.tables:
            _add(system, table, prefix)
    return system


def _cell(value: int, status: Status) -> PublishedCell:
    if status is Status.PUBLISHED:
        return PublishedCell(count=value, display=str(value))
    return PublishedCell(count=None, display=shown(value, status), suppressed=status.value)


def published_sections(
    all_sections: Iterable[Section], system: System, status: Mapping[str, Status], prefix: str
) -> list[PublishedSection]:
    def cell(key: str) -> PublishedCell:
        return _cell(system.values[key], status[key])

    out = []
    for section in all_sections:
        tables = []
        for t in section.tables:
            rows, columns = range(len(t.rows)), range(len(t.columns))
            tables.append(
                PublishedTable(
                    name=t.name,
                    rows=t.rows,
                    columns=t.columns,
                    cells=[[cell(t.cell_key(prefix, r, c)) for c in columns] for r in rows],
                    row_totals=[cell(t.row_key(prefix, r)) for r in rows] if t.row_totals else None,
                    column_totals=[cell(t.column_key(prefix, c)) for c in columns]
                    if t.column_totals
                    else None,
                    total=cell(t.grand_key(prefix)) if t.column_totals else None,
                )
            )
        out.append(PublishedSection(name=section.name, basis=section.basis, tables=tables))
    return out


# --- publishing ----------------------------------------------------------------------------


def _prefix(slug: str) -> str:
    return f"{slug}|"


def _suppressed(found: Aggregates) -> tuple[System, dict[str, Status]]:
    system = system_of(found.sections, _prefix(found.round))
    return system, suppress(system)


def round_report(session: Session, slug: str, now: datetime | None = None) -> Report:
    """The round's report as published: small counts and what would reveal them withheld."""
    round = rounds.get_round(session, slug)
    found = aggregates(session, round)
    if found is None:
        raise NoReportData(NO_DATA, round=slug)
    system, status = _suppressed(found)
    return Report(
        scope="round",
        rounds=[found.round],
        round_names=[found.round_name],
        generated_at=now or datetime.now(UTC),
        purged=[found.round] if round.purged_at is not None else [],
        threshold=THRESHOLD,
        protection=PROTECTION,
        sections=published_sections(found.sections, system, status, _prefix(found.round)),
        population=found.population,
        series=found.series,
    )


def _merge_tables(tables: list[Table]) -> Table:
    rows: dict[str, None] = {}
    columns: dict[str, None] = {}
    counts: dict[tuple[str, str], int] = {}
    row_keys: dict[str, str] = {}
    column_keys: dict[str, str] = {}
    cell_keys: dict[str, str] = {}
    for t in tables:
        rows.update(dict.fromkeys(t.rows))
        columns.update(dict.fromkeys(t.columns))
        for r, row in enumerate(t.rows):
            for c, column in enumerate(t.columns):
                counts[(row, column)] = counts.get((row, column), 0) + t.counts[r][c]
        if t.row_keys is not None:
            row_keys.update(zip(t.rows, t.row_keys, strict=True))
        if t.column_keys is not None:
            column_keys.update(zip(t.columns, t.column_keys, strict=True))
    # A cell or total is shared across rounds only where every round's table shares it (a
    # round's attendance links its members to the placed only where the two are equal).
    for key in set.intersection(*(set(t.cell_keys.items()) for t in tables)):
        cell_keys[key[0]] = key[1]
    first = tables[0]
    shared_rows = all(t.row_keys is not None for t in tables)
    shared_columns = all(t.column_keys is not None for t in tables)
    unknown_last = [r for r in rows if r != sections.UNKNOWN] + (
        [sections.UNKNOWN] if sections.UNKNOWN in rows else []
    )
    return Table(
        name=first.name,
        rows=unknown_last,
        columns=list(columns),
        counts=[[counts.get((r, c), 0) for c in columns] for r in unknown_last],
        row_totals=first.row_totals,
        column_totals=first.column_totals,
        row_keys=[row_keys[r] for r in unknown_last] if shared_rows else None,
        column_keys=[column_keys[c] for c in columns] if shared_columns else None,
        total_key=first.total_key,
        cell_keys=cell_keys,
    )


def merge(all_rounds: list[Aggregates]) -> list[Section]:
    """The sections of several rounds added up, table by table."""
    order: dict[str, dict[str, list[Table]]] = {}
    bases: dict[str, set[str | None]] = {}
    for found in all_rounds:
        for section in found.sections:
            tables = order.setdefault(section.name, {})
            bases.setdefault(section.name, set()).add(section.basis)
            for table in section.tables:
                tables.setdefault(table.name, []).append(table)
    merged = []
    for name, tables in order.items():
        basis = bases[name]
        merged.append(
            Section(
                name=name,
                tables=[_merge_tables(ts) for ts in tables.values()],
                basis=next(iter(basis)) if len(basis) == 1 else "mixed",
            )
        )
    return merged


def across(all_rounds: list[Aggregates]) -> tuple[list[Section], System, dict[str, Status]]:
    """The merged sections, and the status of their cells given each round's publication."""
    system = System()
    fixed: dict[str, Status] = {}
    per_round_keys: dict[str, set[str]] = {}
    for found in all_rounds:
        own, status = _suppressed(found)
        prefix = _prefix(found.round)
        for key, value in own.values.items():
            system.add_cell(key, value)
        system.sums.extend(own.sums)
        fixed.update(status)
        per_round_keys[prefix] = {k.removeprefix(prefix) for k in own.values}
    merged = merge(all_rounds)
    totals = system_of(merged, ACROSS)
    for key, value in totals.values.items():
        system.add_cell(key, value)
    system.sums.extend(totals.sums)
    for key in totals.values:
        bare = key.removeprefix(ACROSS)
        parts = [f"{prefix}{bare}" for prefix, keys in per_round_keys.items() if bare in keys]
        system.add_sum(key, parts)
    status = suppress(system, fixed=fixed)
    return merged, system, status


def rounds_report(session: Session, now: datetime | None = None) -> Report:
    """All rounds with data, added up: a round's small counts stay hidden in the sums."""
    found: list[Aggregates] = []
    purged: list[str] = []
    for round in queries.rounds_in_order(session):
        try:
            data = aggregates(session, round)
        except NoReportData:
            continue
        if data is not None:
            found.append(data)
            if round.purged_at is not None:
                purged.append(round.slug)
    if not found:
        raise NoReportData(NO_ROUNDS)
    merged, system, status = across(found)
    return Report(
        scope="rounds",
        rounds=[f.round for f in found],
        round_names=[f.round_name for f in found],
        generated_at=now or datetime.now(UTC),
        purged=purged,
        threshold=THRESHOLD,
        protection=PROTECTION,
        sections=published_sections(merged, system, status, ACROSS),
        series=_shared_labels(found),
    )


def _shared_labels(found: list[Aggregates]) -> dict[str, str]:
    """The series' labels that every round with that key agrees on (else the key shows)."""
    labels: dict[str, set[str]] = {}
    for data in found:
        for key, label in data.series.items():
            labels.setdefault(key, set()).add(label)
    return {key: next(iter(names)) for key, names in labels.items() if len(names) == 1}


def report(session: Session, slug: str | None, now: datetime | None = None) -> Report:
    """One round's report, or (``slug`` None) the report across rounds."""
    return rounds_report(session, now) if slug is None else round_report(session, slug, now)


# --- formats ---------------------------------------------------------------------------------

CSV_FIELDS = (
    "scope",
    "round",
    "section",
    "basis",
    "table",
    "row",
    "column",
    "count",
    "display",
    "suppressed",
)


def as_json(published: Report) -> str:
    return json.dumps(published.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def _csv_rows(published: Report) -> Iterable[dict[str, object]]:
    scope_round = published.rounds[0] if published.scope == "round" else ""
    for section in published.sections:
        for t in section.tables:
            where = {
                "scope": published.scope,
                "round": scope_round,
                "section": section.name,
                "basis": section.basis or "",
                "table": t.name,
            }
            cells: list[tuple[str, str, PublishedCell]] = []
            for r, name in enumerate(t.rows):
                cells.extend((name, column, t.cells[r][c]) for c, column in enumerate(t.columns))
                if t.row_totals is not None:
                    cells.append((name, TOTAL, t.row_totals[r]))
            if t.column_totals is not None:
                totals = t.column_totals
                cells.extend((TOTAL, column, totals[c]) for c, column in enumerate(t.columns))
            if t.total is not None:
                cells.append((TOTAL, TOTAL, t.total))
            for name, column, cell in cells:
                yield {
                    **where,
                    "row": name,
                    "column": column,
                    "count": "" if cell.count is None else cell.count,
                    "display": cell.display,
                    "suppressed": cell.suppressed or "",
                }


def as_csv(published: Report) -> str:
    out = io.StringIO(newline="")
    # Round names and labels are typed by people: no cell may become a spreadsheet formula.
    writer = SpreadsheetWriter(out)
    writer.writerow(CSV_FIELDS)
    for row in _csv_rows(published):
        writer.writerow("" if row[field] is None else str(row[field]) for field in CSV_FIELDS)
    return out.getvalue()


def share(part: PublishedCell | None, whole: PublishedCell | None) -> float | None:
    """``part`` of ``whole`` where both are published and ``whole`` is not zero."""
    if part is None or whole is None or part.count is None or not whole.count:
        return None
    return part.count / whole.count


@functools.cache
def _print_environment(zone: ZoneInfo) -> Environment:
    return build_environment(
        PackageLoader("vekl.monitoring", "templates"),
        "de",
        zone,
        extra_globals={
            "tr": functools.partial(gettext, "de"),
            "text": lambda name: display_name("", name, "de"),
            "name": lambda table, value, series=None: display_name(table, value, "de", series),
            "share": share,
        },
    )


def printable_html(published: Report, zone: ZoneInfo) -> str:
    """The council's report as HTML in German (the PDF's source)."""
    template = _print_environment(zone).get_template("council_report.html")
    return template.render(report=published)


def as_pdf(published: Report, zone: ZoneInfo) -> bytes:
    return html_to_pdf(printable_html(published, zone))


def export(published: Report, format: str, zone: ZoneInfo) -> bytes:
    """The report as ``json``, ``csv`` or ``pdf``."""
    if format == "json":
        return as_json(published).encode()
    if format == "csv":
        return as_csv(published).encode()
    if format == "pdf":
        return as_pdf(published, zone)
    raise InvalidInput(
        [
            FieldError(
                "format",
                N_("unknown format '%(value)s' (json, csv or pdf)"),
                params={"value": format},
            )
        ]
    )


# --- population shares ---------------------------------------------------------------------


def _parse_share(text: str) -> float:
    value = text.strip().replace(",", ".")
    if value.endswith("%"):
        return float(value[:-1]) / 100
    return float(value)


def set_population_shares(session: Session, slug: str, content: bytes, actor: str) -> int:
    """Replace the round's population shares from a CSV file (dimension, category, share);
    refuses the whole file with every bad line named. Returns the number of shares."""
    round = rounds.get_round(session, slug)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([FieldError("file", N_("the file is not UTF-8 text"))]) from None
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if ";" in text.split("\n")[0] else ",")
    missing = {"dimension", "category", "share"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(
            [
                FieldError(
                    "file",
                    N_("the file needs the columns dimension, category and share"),
                )
            ]
        )
    errors: list[FieldError] = []
    shares: dict[str, dict[str, float]] = {}
    for line, row in enumerate(reader, start=2):
        dimension = (row.get("dimension") or "").strip()
        category = (row.get("category") or "").strip()
        if dimension not in POPULATION_DIMENSIONS:
            errors.append(
                FieldError(
                    "dimension",
                    N_("unknown dimension '%(value)s' (one of %(known)s)"),
                    line=line,
                    params={"value": dimension, "known": ", ".join(POPULATION_DIMENSIONS)},
                )
            )
            continue
        if not category or len(category) > 64:
            errors.append(FieldError("category", N_("please give a category"), line=line))
            continue
        try:
            value = _parse_share(row.get("share") or "")
        except ValueError:
            value = -1.0
        if not 0 <= value <= 1:
            errors.append(
                FieldError(
                    "share",
                    N_("'%(value)s' is not a share between 0 and 1 (or 0%% and 100%%)"),
                    line=line,
                    params={"value": row.get("share") or ""},
                )
            )
            continue
        if category in shares.setdefault(dimension, {}):
            errors.append(FieldError("category", N_("this category is given twice"), line=line))
            continue
        shares[dimension][category] = value
    for dimension, categories in shares.items():
        if sum(categories.values()) > 1.0001:
            errors.append(
                FieldError(
                    "share",
                    N_("the shares of '%(value)s' add up to more than 100%%"),
                    params={"value": dimension},
                )
            )
    if errors:
        raise InvalidInput(errors)
    queries.replace_population_shares(session, round, shares)
    count = sum(len(c) for c in shares.values())
    audit.record(
        session, actor, "report.population_shares", round=round, subject=round.slug, shares=count
    )
    return count


__all__ = [
    "aggregates",
    "as_csv",
    "as_json",
    "as_pdf",
    "compute",
    "export",
    "keep_for_purge",
    "report",
    "round_report",
    "rounds_report",
    "set_population_shares",
]
