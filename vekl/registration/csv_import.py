"""Importing registrations and moderators collected elsewhere (paper forms, survey tools).

A file is checked whole before anything is written: every problem of the file (its header,
every bad cell of every row, repeated emails) is reported in one pass, and a file with any
problem changes nothing. Rows are matched to existing people by email, so importing the
same file again creates no duplicates.

Files come as city staff have them: UTF-8 with or without a byte-order mark, or Windows-1252
(what Excel's "CSV (Trennzeichen-getrennt)" writes), separated by ``;`` or ``,``, with the
column names in English (``first_name``) or German (``Vorname``). Problems name a column as
the file spells it. :func:`template` is an empty file with the German names.

Checking (:func:`check_file`) needs no database, only the round's series; writing
(:func:`apply_rows`) takes a batch of checked rows and one session. The command line and
small uploads do both in one transaction (:func:`import_registrations`,
:func:`import_moderators`); a worker does the same for a large upload a batch per
transaction (``vekl.registration.import_jobs``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from vekl.audit import records as audit
from vekl.errors import N_, FieldError, InvalidInput, field_errors
from vekl.moderators import service as moderators
from vekl.registration import service as registrations
from vekl.rounds.service import series_by_key
from vekl.store.models import ImportKind, Round
from vekl.validation import ModeratorInput, RegistrationInput

REGISTRATION_COLUMNS = {
    "required": ("role", "first_name", "last_name", "email", "languages", "series", "consent"),
    "optional": (
        "phone",
        "preferred_language",
        "gender",
        "age_band",
        "district",
        "origin",
        "needs",
        "needs_other",
        "companion_email",
        "priority",
    ),
}
MODERATOR_COLUMNS = {
    "required": ("name", "email", "languages", "series"),
    "optional": ("preferred_language",),
}
COLUMNS = {
    ImportKind.REGISTRATIONS: REGISTRATION_COLUMNS,
    ImportKind.MODERATORS: MODERATOR_COLUMNS,
}
# Each column's German name (as the template spells it), then other German names accepted.
GERMAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "role": ("Rolle",),
    "first_name": ("Vorname",),
    "last_name": ("Nachname", "Familienname"),
    "name": ("Name",),
    "email": ("E-Mail", "E-Mail-Adresse", "Mail", "Email-Adresse"),
    "languages": ("Sprachen",),
    "series": ("Reihen", "Abendreihen", "Abende"),
    "consent": ("Einwilligung", "Zustimmung"),
    "phone": ("Telefon", "Telefonnummer"),
    "preferred_language": ("Sprache für Mails", "Bevorzugte Sprache", "Mailsprache"),
    "gender": ("Geschlecht",),
    "age_band": ("Altersgruppe", "Alter"),
    "district": ("Stadtteil",),
    "origin": ("Herkunftsland", "Herkunft"),
    "needs": ("Bedarf", "Bedürfnisse"),
    "needs_other": ("Anderer Bedarf", "Sonstiger Bedarf"),
    "companion_email": ("E-Mail Begleitung", "Begleitung E-Mail", "Begleitung"),
    "priority": ("Vorrang", "Priorität"),
}
# The encodings a file may come in, tried in this order: Windows-1252 leaves five bytes
# undefined, so a file that is neither is refused, not guessed.
ENCODINGS = ("utf-8-sig", "cp1252")
LIST_COLUMNS = frozenset({"languages", "series", "needs"})
_LIST_SEPARATOR = re.compile(r"[|,;/\s]+")
# How city staff write a role: "Bürger", "Bürgerin" (invited by letter), "neu zugezogen".
_ROLES = {
    "bürger": "citizen",
    "bürgerin": "citizen",
    "bürger*in": "citizen",
    "bürger:in": "citizen",
    "brief": "citizen",
    "neu": "newcomer",
    "neuzugezogen": "newcomer",
    "neu zugezogen": "newcomer",
    "neuzugezogene": "newcomer",
    "neuzugezogener": "newcomer",
}
_TRUE = frozenset({"1", "x", "yes", "y", "ja", "j", "true", "wahr"})
_FALSE = frozenset({"", "0", "no", "n", "nein", "false", "falsch"})

Model = TypeVar("Model", bound=BaseModel)
# How often checking reports how far it got, in rows.
CHECK_PROGRESS_ROWS = 2000
# Rows written with one lookup and one insert per table.
APPLY_CHUNK = 500
Progress = Callable[[int], None]


@dataclass
class Row:
    line: int
    values: dict[str, str]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[FieldError] = field(default_factory=list)
    """Rows left as they are, with the reason (a message id like any service message)."""

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.skipped)

    def add(self, other: ImportResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped


Checked = list[tuple[Row, BaseModel]]
"""A file's rows that passed the checks, each with its input model."""


def decode(raw: bytes) -> str:
    """UTF-8 with or without a byte-order mark, else Windows-1252 (Excel's "CSV
    (Trennzeichen-getrennt)"); a file that is neither is refused, naming the line."""
    for encoding in ENCODINGS[:-1]:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode(ENCODINGS[-1])
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            [
                FieldError(
                    "(file)",
                    N_("neither UTF-8 nor Windows-1252 text; save the file as CSV UTF-8"),
                    line,
                )
            ]
        ) from None


def _normal(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


_ALIASES = {
    _normal(alias): column for column, aliases in GERMAN_COLUMNS.items() for alias in aliases
}


def column_name(header: str, known: Collection[str]) -> str:
    """The column a header cell names (``"E-Mail"`` is ``email``), or the cell normalised."""
    name = _normal(header)
    if name in known:
        return name
    alias = _ALIASES.get(name)
    return alias if alias is not None and alias in known else name


@dataclass(frozen=True)
class Column:
    """One column of an import file, for the page that explains the file."""

    name: str
    german: str
    required: bool
    also: tuple[str, ...]
    """Other names accepted for it (its English name first)."""


def columns(kind: ImportKind) -> list[Column]:
    """The columns of a file of ``kind``, required ones first, as the template has them."""
    found = COLUMNS[kind]
    return [
        Column(
            name,
            GERMAN_COLUMNS[name][0],
            name in found["required"],
            (name, *GERMAN_COLUMNS[name][1:]),
        )
        for name in (*found["required"], *found["optional"])
    ]


def template(kind: ImportKind) -> bytes:
    """An empty file to fill in: the German column names, required ones first, ``;``
    separated, UTF-8 with a byte-order mark (which Excel needs to show umlauts)."""
    names = [column.german for column in columns(kind)]
    return ("\ufeff" + ";".join(names) + "\r\n").encode("utf-8")


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The file's records with the line each ends on; a record the csv module cannot read (a
    cell over its size limit) is refused naming its line, not left to end in a traceback."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise InvalidInput(
                [
                    FieldError(
                        "(row)",
                        N_("cannot be read as CSV: a cell is longer than %(max)s characters"),
                        reader.line_num,
                        {"max": csv.field_size_limit()},
                    )
                ]
            ) from None
        yield reader.line_num, record


@dataclass
class Header:
    """A file's first line: which cell holds which known column, and what was wrong with it."""

    names: list[str]
    """Each cell's column; ``""`` for a cell that is ignored (unknown or repeated)."""
    spelled: dict[str, str]
    """Each known column as the file spells it ("Nachname"), for naming it in problems."""
    missing: set[str]
    problems: list[FieldError]


def _header(
    text: str, columns: dict[str, tuple[str, ...]]
) -> tuple[Header, Iterator[tuple[int, list[str]]]]:
    """The header's columns and problems, and the records after it."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = _records(text, delimiter)
    try:
        _, cells = next(reader)
    except StopIteration:
        raise InvalidInput([FieldError("(header)", N_("the file is empty"), 1)]) from None
    known = set(columns["required"]) | set(columns["optional"])
    header = Header([], {}, set(), [])
    for cell in cells:
        name = column_name(cell, known)
        if name not in known:
            header.problems.append(FieldError(cell.strip() or "(empty)", N_("unknown column"), 1))
            name = ""
        elif name in header.spelled:
            header.problems.append(FieldError(cell.strip(), N_("column appears twice"), 1))
            name = ""
        else:
            header.spelled[name] = cell.strip()
        header.names.append(name)
    # A missing column is named in the language of the others.
    english = all(_normal(cell) == name for name, cell in header.spelled.items())
    for name in columns["required"]:
        if name not in header.spelled:
            header.missing.add(name)
            spelled = name if english else GERMAN_COLUMNS[name][0]
            header.problems.append(FieldError(spelled, N_("required column is missing"), 1))
    return header, reader


def _read(text: str, columns: dict[str, tuple[str, ...]]) -> tuple[Header, list[Row]]:
    """The header and the rows keyed by column, with every problem of either in
    ``header.problems``; a row with more cells than the header is left out."""
    header, reader = _header(text, columns)
    width = len(header.names)
    rows: list[Row] = []
    for line, record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > width:
            header.problems.append(
                FieldError(
                    "(row)",
                    N_("%(cells)s cells but the header has %(columns)s"),
                    line,
                    {"cells": len(record), "columns": width},
                )
            )
            continue
        record += [""] * (width - len(record))
        values = {
            name: cell.strip() for name, cell in zip(header.names, record, strict=True) if name
        }
        rows.append(Row(line, values))
    return header, rows


def read_rows(text: str, columns: dict[str, tuple[str, ...]]) -> list[Row]:
    """Parse ``;`` or ``,`` separated text into rows keyed by column, checking the header."""
    header, rows = _read(text, columns)
    if header.problems:
        raise InvalidInput(header.problems)
    return rows


def _cell_value(column: str, value: str) -> Any:
    if column in LIST_COLUMNS:
        return [item for item in _LIST_SEPARATOR.split(value) if item]
    if column == "consent":
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return value
    if column == "priority":
        return value or 0
    if column == "role":
        return _ROLES.get(value.lower(), value) or None
    return value or None


def _validate(row: Row, model: type[Model], header: Header) -> Model | None:
    # An empty cell is as if the column were not there: a required one is missing, an
    # optional one takes its default (an empty "Sprache für Mails" is German).
    cells = ((column, _cell_value(column, value)) for column, value in row.values.items())
    data = {column: value for column, value in cells if value is not None}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in field_errors(exc, line=row.line, top_level=True):
            if error.field in header.missing:
                continue  # said once, for the header
            spelled = header.spelled.get(error.field, error.field)
            header.problems.append(replace(error, field=spelled))
        return None


def _check_rows(
    known_series: Collection[str],
    header: Header,
    rows: list[Row],
    model: type[Model],
    email_of: Callable[[Model], str],
    on_progress: Progress | None = None,
) -> list[tuple[Row, Model]]:
    errors = header.problems
    seen: dict[str, int] = {}
    valid: list[tuple[Row, Model]] = []
    for number, row in enumerate(rows, 1):
        if on_progress is not None and number % CHECK_PROGRESS_ROWS == 0:
            on_progress(number)
        for key in _cell_value("series", row.values.get("series", "")):
            if key not in known_series:
                errors.append(
                    FieldError(
                        header.spelled.get("series", "series"),
                        N_("unknown series '%(value)s' (this round has: %(known)s)"),
                        row.line,
                        {"value": key, "known": ", ".join(known_series)},
                    )
                )
        item = _validate(row, model, header)
        # A row with other problems still counts for repeated emails, so they show at once.
        email = email_of(item) if item is not None else row.values.get("email", "").lower()
        if email and email in seen:
            errors.append(
                FieldError(
                    header.spelled.get("email", "email"),
                    N_("same email as line %(other)s"),
                    row.line,
                    {"other": seen[email]},
                )
            )
        if email:
            seen.setdefault(email, row.line)
        if item is not None:
            valid.append((row, item))
    if errors:
        raise InvalidInput(sorted(errors, key=lambda e: e.line or 0))
    return valid


def check_header(raw: bytes, kind: ImportKind) -> None:
    """The quick checks of a large upload before it is queued: it can be read, and its
    header names at least one required column (else it is no file of this kind). Other
    problems of the header come with those of the rows, all in one pass, from the worker."""
    header, _ = _header(decode(raw), COLUMNS[kind])
    if header.missing >= set(COLUMNS[kind]["required"]):
        raise InvalidInput(header.problems)


def check_file(
    raw: bytes,
    kind: ImportKind,
    known_series: Collection[str],
    *,
    on_rows: Callable[[int], None] | None = None,
    on_progress: Progress | None = None,
) -> Checked:
    """Every row of the file checked, without the database: ``known_series`` are the round's
    series keys. Raises :class:`InvalidInput` naming every bad row.

    ``on_rows`` is told the number of rows once the file is read, ``on_progress`` how many
    have been checked every few thousand rows.
    """
    header, rows = _read(decode(raw), COLUMNS[kind])
    if on_rows is not None:
        on_rows(len(rows))
    if kind is ImportKind.REGISTRATIONS:
        people = _check_rows(known_series, header, rows, RegistrationInput, _email, on_progress)
        return list[tuple[Row, BaseModel]](people)
    moderating = _check_rows(known_series, header, rows, ModeratorInput, _email, on_progress)
    return list[tuple[Row, BaseModel]](moderating)


def _email(data: RegistrationInput | ModeratorInput) -> str:
    return data.email


def _as(model: type[Model], rows: Sequence[tuple[Row, BaseModel]]) -> list[tuple[Row, Model]]:
    typed: list[tuple[Row, Model]] = []
    for row, data in rows:
        if not isinstance(data, model):
            raise TypeError(f"line {row.line} was checked as {type(data).__name__}")
        typed.append((row, data))
    return typed


def apply_rows(
    session: Session,
    round: Round,
    kind: ImportKind,
    rows: Sequence[tuple[Row, BaseModel]],
    actor: str,
) -> ImportResult:
    """Write checked rows (all of a file, or one batch of it); flushes, never commits.

    Rows are looked up and inserted ``APPLY_CHUNK`` at a time: one statement for a whole
    file would pass more values than a statement may carry (65,535 on PostgreSQL).
    """
    result = ImportResult()
    for start in range(0, len(rows), APPLY_CHUNK):
        chunk = rows[start : start + APPLY_CHUNK]
        if kind is ImportKind.REGISTRATIONS:
            result.add(_apply_registrations(session, round, _as(RegistrationInput, chunk), actor))
        else:
            result.add(_apply_moderators(session, round, _as(ModeratorInput, chunk), actor))
    return result


def _apply_registrations(
    session: Session, round: Round, rows: list[tuple[Row, RegistrationInput]], actor: str
) -> ImportResult:
    result = ImportResult()
    existing = registrations.find_by_emails(session, round, [data.email for _, data in rows])
    new: list[tuple[Row, RegistrationInput]] = []
    for row, data in rows:
        found = existing.get(data.email)
        if found is None:
            new.append((row, data))
        elif found.source != "import":
            result.skipped.append(_registered_online(row, data))
        elif registrations.differs(found, data):
            registrations.update(session, round, found, data, actor)
            result.updated += 1
        else:
            result.unchanged += 1
    outcomes = registrations.register_many(
        session, round, [data for _, data in new], source="import", actor=actor, confirmed=True
    )
    for (row, data), outcome in zip(new, outcomes, strict=True):
        if outcome.created:
            result.created += 1
        else:  # registered by someone else a moment ago
            result.skipped.append(_registered_online(row, data))
    result.skipped.sort(key=lambda e: e.line or 0)
    return result


def _registered_online(row: Row, data: RegistrationInput) -> FieldError:
    return FieldError(
        "email",
        N_("%(email)s registered online; left as is"),
        row.line,
        {"email": data.email},
    )


def _apply_moderators(
    session: Session, round: Round, rows: list[tuple[Row, ModeratorInput]], actor: str
) -> ImportResult:
    result = ImportResult()
    for _row, data in rows:
        outcome = moderators.save_moderator(session, round, data, actor)
        if outcome.created:
            result.created += 1
        elif outcome.changed:
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def record_import(
    session: Session, round: Round, kind: ImportKind, result: ImportResult, actor: str
) -> None:
    """The audit entry of a whole import of registrations (moderators have one each)."""
    if kind is not ImportKind.REGISTRATIONS:
        return
    audit.record(
        session,
        actor,
        "registrations.import",
        round=round,
        subject=round.slug,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        skipped=len(result.skipped),
    )


def import_file(
    session: Session, round: Round, kind: ImportKind, raw: bytes, actor: str
) -> ImportResult:
    """Check and import a whole file in the caller's transaction; nothing if a row is bad."""
    return import_checked(session, round, kind, check_file(raw, kind, series_by_key(round)), actor)


def import_checked(
    session: Session, round: Round, kind: ImportKind, rows: Checked, actor: str
) -> ImportResult:
    """Write a whole checked file in the caller's transaction, with its audit entry."""
    result = apply_rows(session, round, kind, rows, actor)
    record_import(session, round, kind, result, actor)
    return result


def import_registrations(session: Session, round: Round, raw: bytes, actor: str) -> ImportResult:
    return import_file(session, round, ImportKind.REGISTRATIONS, raw, actor)


def import_moderators(session: Session, round: Round, raw: bytes, actor: str) -> ImportResult:
    return import_file(session, round, ImportKind.MODERATORS, raw, actor)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            [
                FieldError(
                    str(path),
                    N_("cannot read the file: %(reason)s"),
                    None,
                    {"reason": exc.strerror},
                )
            ]
        ) from None
