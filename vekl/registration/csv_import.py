"""Importing registrations and moderators collected elsewhere (paper forms, survey tools).

A file is checked whole before anything is written: every bad row is reported at once,
and a file with any bad row changes nothing. Rows are matched to existing people by
email, so importing the same file again creates no duplicates.

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
from dataclasses import dataclass, field
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
LIST_COLUMNS = frozenset({"languages", "series", "needs"})
_LIST_SEPARATOR = re.compile(r"[|,;/\s]+")
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
    """UTF-8 with or without a byte-order mark; anything else is refused, not guessed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            [FieldError("(file)", N_("not UTF-8 text; save the file as CSV UTF-8"), line)]
        ) from None


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


def _header(
    text: str, columns: dict[str, tuple[str, ...]]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The checked column names, and the records after the header."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = _records(text, delimiter)
    try:
        _, header = next(reader)
    except StopIteration:
        raise InvalidInput([FieldError("(header)", N_("the file is empty"), 1)]) from None
    names = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]
    known = set(columns["required"]) | set(columns["optional"])
    errors = [
        FieldError(name or "(empty)", N_("unknown column"), 1)
        for name in names
        if name not in known
    ]
    errors += [
        FieldError(name, N_("required column is missing"), 1)
        for name in columns["required"]
        if name not in names
    ]
    errors += [
        FieldError(name, N_("column appears twice"), 1)
        for i, name in enumerate(names)
        if name in names[:i]
    ]
    if errors:
        raise InvalidInput(errors)
    return names, reader


def read_rows(text: str, columns: dict[str, tuple[str, ...]]) -> list[Row]:
    """Parse ``;`` or ``,`` separated text into rows keyed by header, checking the header."""
    names, reader = _header(text, columns)
    errors: list[FieldError] = []
    rows: list[Row] = []
    for line, record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(names):
            errors.append(
                FieldError(
                    "(row)",
                    N_("%(cells)s cells but the header has %(columns)s"),
                    line,
                    {"cells": len(record), "columns": len(names)},
                )
            )
            continue
        record += [""] * (len(names) - len(record))
        rows.append(Row(line, dict(zip(names, (cell.strip() for cell in record), strict=True))))
    if errors:
        raise InvalidInput(errors)
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
    return value or None


def _validate(row: Row, model: type[Model], errors: list[FieldError]) -> Model | None:
    data = {column: _cell_value(column, value) for column, value in row.values.items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors.extend(field_errors(exc, line=row.line, top_level=True))
        return None


def _check_rows(
    known_series: Collection[str],
    rows: list[Row],
    model: type[Model],
    email_of: Callable[[Model], str],
    on_progress: Progress | None = None,
) -> list[tuple[Row, Model]]:
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    valid: list[tuple[Row, Model]] = []
    for number, row in enumerate(rows, 1):
        if on_progress is not None and number % CHECK_PROGRESS_ROWS == 0:
            on_progress(number)
        for key in _cell_value("series", row.values.get("series", "")):
            if key not in known_series:
                errors.append(
                    FieldError(
                        "series",
                        N_("unknown series '%(value)s' (this round has: %(known)s)"),
                        row.line,
                        {"value": key, "known": ", ".join(known_series)},
                    )
                )
        item = _validate(row, model, errors)
        if item is None:
            continue
        email = email_of(item)
        if email in seen:
            errors.append(
                FieldError(
                    "email", N_("same email as line %(other)s"), row.line, {"other": seen[email]}
                )
            )
        seen.setdefault(email, row.line)
        valid.append((row, item))
    if errors:
        raise InvalidInput(sorted(errors, key=lambda e: e.line or 0))
    return valid


def check_header(raw: bytes, kind: ImportKind) -> None:
    """The quick checks of an upload (UTF-8, the header's columns), before it is queued."""
    _header(decode(raw), COLUMNS[kind])


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
    rows = read_rows(decode(raw), COLUMNS[kind])
    if on_rows is not None:
        on_rows(len(rows))
    if kind is ImportKind.REGISTRATIONS:
        people = _check_rows(known_series, rows, RegistrationInput, _email, on_progress)
        return list[tuple[Row, BaseModel]](people)
    moderating = _check_rows(known_series, rows, ModeratorInput, _email, on_progress)
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
