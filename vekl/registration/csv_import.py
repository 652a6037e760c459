"""Importing registrations and moderators collected elsewhere (paper forms, survey tools).

A file is checked whole before anything is written: every bad row is reported at once,
and a file with any bad row changes nothing. Rows are matched to existing people by
email, so importing the same file again creates no duplicates.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
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
from vekl.store.models import Round
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
LIST_COLUMNS = frozenset({"languages", "series", "needs"})
_LIST_SEPARATOR = re.compile(r"[|,;/\s]+")
_TRUE = frozenset({"1", "x", "yes", "y", "ja", "j", "true", "wahr"})
_FALSE = frozenset({"", "0", "no", "n", "nein", "false", "falsch"})

Model = TypeVar("Model", bound=BaseModel)


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


def read_rows(text: str, columns: dict[str, tuple[str, ...]]) -> list[Row]:
    """Parse ``;`` or ``,`` separated text into rows keyed by header, checking the header."""
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
    round: Round, rows: list[Row], model: type[Model], email_of: Callable[[Model], str]
) -> list[tuple[Row, Model]]:
    errors: list[FieldError] = []
    known_series = series_by_key(round)
    seen: dict[str, int] = {}
    valid: list[tuple[Row, Model]] = []
    for row in rows:
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


def import_registrations(session: Session, round: Round, raw: bytes, actor: str) -> ImportResult:
    rows = read_rows(decode(raw), REGISTRATION_COLUMNS)
    checked = _check_rows(round, rows, RegistrationInput, lambda r: r.email)
    result = ImportResult()
    for row, data in checked:
        existing = registrations.find_by_email(session, round, data.email)
        if existing is None:
            registrations.register(
                session, round, data, source="import", actor=actor, confirmed=True
            )
            result.created += 1
        elif existing.source != "import":
            result.skipped.append(
                FieldError(
                    "email",
                    N_("%(email)s registered online; left as is"),
                    row.line,
                    {"email": data.email},
                )
            )
        elif registrations.differs(existing, data):
            registrations.update(session, round, existing, data, actor)
            result.updated += 1
        else:
            result.unchanged += 1
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
    return result


def import_moderators(session: Session, round: Round, raw: bytes, actor: str) -> ImportResult:
    rows = read_rows(decode(raw), MODERATOR_COLUMNS)
    checked = _check_rows(round, rows, ModeratorInput, lambda m: m.email)
    result = ImportResult()
    for _row, data in checked:
        outcome = moderators.save_moderator(session, round, data, actor)
        if outcome.created:
            result.created += 1
        elif outcome.changed:
            result.updated += 1
        else:
            result.unchanged += 1
    return result


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
