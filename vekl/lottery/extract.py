"""Reading and checking a register extract, without the database.

The file is a CSV as register offices export it: German headers, UTF-8 (with or without a
byte-order mark) or Windows-1252, ``;`` or ``,`` between cells. Every row is checked and
every problem reported in one pass (line, column, why); a file with any problem is refused
whole. The checked people carry two keys the draw uses (see
``docs/adr/0017-reproducible-lottery.md``):

* ``household_key``: SHA-256 of the normalised address (street, house number with its
  suffix, postcode), so that a household gets at most one letter;
* ``person_key``: SHA-256 of the normalised family name, given names, birth date and the
  same address, which orders the draw independently of the file's row order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from functools import lru_cache

from vekl.errors import FieldError, InvalidInput
from vekl.lottery import errors
from vekl.lottery.schemas import CheckedExtract, ExtractPerson

# Column (as the error names it), its field, required or not, the longest value.
COLUMNS: tuple[tuple[str, str, bool, int], ...] = (
    ("Familienname", "family_name", True, 100),
    ("Vornamen", "given_names", True, 200),
    ("Geburtsdatum", "birth_date", True, 10),
    ("Geschlecht", "gender", True, 20),
    ("Straße", "street", True, 100),
    ("Hausnummer", "house_number", True, 20),
    ("Hausnummerzusatz", "house_number_suffix", False, 20),
    ("PLZ", "postcode", True, 10),
    ("Ort", "town", True, 100),
    ("Stadtteil", "district", False, 100),
)
_ALIASES = {
    "vorname": "Vornamen",
    "postleitzahl": "PLZ",
    "wohnort": "Ort",
    "hausnr": "Hausnummer",
    "hausnrzusatz": "Hausnummerzusatz",
    "zusatz": "Hausnummerzusatz",
}
GENDERS = {
    "m": "m",
    "männlich": "m",
    "w": "w",
    "f": "w",
    "weiblich": "w",
    "d": "d",
    "divers": "d",
    "x": "x",
    "o": "x",
    "ohne angabe": "x",
    "keine angabe": "x",
    "unbestimmt": "x",
}
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_POSTCODE = re.compile(r"\d{5}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Control characters other than the line breaks between records.
_CONTROL_IN_FILE = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")  # all but letters and digits
_STREET_ABBREVIATION = re.compile(r"str\.?(?=$|\s|-)")


def _header_key(name: str) -> str:
    return re.sub(r"[\s._\-]+", "", name.strip().lstrip("\ufeff").casefold())


_BY_KEY = {_header_key(column): column for column, *_ in COLUMNS}
_BY_KEY.update(_ALIASES)
_REQUIRED = [column for column, _, required, _ in COLUMNS if required]


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def decode(raw: bytes) -> str:
    """UTF-8 with or without a byte-order mark, else Windows-1252; anything else is refused."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput([FieldError("(file)", errors.NOT_TEXT, line)]) from None


@lru_cache(maxsize=65536)
def _text(value: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()


@lru_cache(maxsize=8192)
def normal_street(street: str) -> str:
    """``Konzilstr. 3``, ``Konzilstraße`` and ``Konzil-Straße`` are one street."""
    folded = _text(street)
    folded = _STREET_ABBREVIATION.sub("strasse", folded)
    return _NOT_ALNUM.sub("", folded)


def household_material(street: str, number: str, suffix: str | None, postcode: str) -> str:
    house = _NOT_ALNUM.sub("", _text(number + (suffix or "")))
    return "\x1f".join((normal_street(street), house, postcode.strip()))


def person_material(family: str, given: str, born: date, household: str) -> str:
    return "\x1f".join((_text(family), _text(given), born.isoformat(), household))


def _digest(material: str) -> str:
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
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
                        "(row)", errors.UNREADABLE, reader.line_num, {"max": csv.field_size_limit()}
                    )
                ]
            ) from None
        yield reader.line_num, record


def _header(header: list[str]) -> list[str]:
    columns = [_BY_KEY.get(_header_key(name), "") for name in header]
    problems = [
        FieldError(name.strip() or "(empty)", errors.UNKNOWN_COLUMN, 1)
        for name, column in zip(header, columns, strict=True)
        if not column
    ]
    problems += [
        FieldError(column, errors.MISSING_COLUMN, 1)
        for column in _REQUIRED
        if column not in columns
    ]
    problems += [
        FieldError(column, errors.TWICE, 1)
        for i, column in enumerate(columns)
        if column and column in columns[:i]
    ]
    if problems:
        raise InvalidInput(problems)
    return columns


@lru_cache(maxsize=65536)
def _calendar_date(value: str) -> date | None:
    match = _DATE.fullmatch(value)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _birth_date(value: str, today: date) -> tuple[date | None, str | None]:
    born = _calendar_date(value)
    if born is None:
        return None, errors.NOT_A_BIRTH_DATE
    if born > today:
        return None, errors.IN_THE_FUTURE
    if born.year < 1900:
        return None, errors.TOO_OLD
    return born, None


def check(raw: bytes, today: date) -> CheckedExtract:
    """Every row of the extract checked; :class:`InvalidInput` names every problem."""
    text = decode(raw)
    controls = _CONTROL_IN_FILE.search(text) is not None
    records = _records(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise InvalidInput([FieldError("(file)", errors.EMPTY_FILE, 1)]) from None
    columns = _header(header)
    width = len(columns)
    # Where each column of ``COLUMNS`` is in the file's records (None: not in the file).
    where = [columns.index(column) if column in columns else None for column, *_ in COLUMNS]
    must = [
        column in _REQUIRED or (column == "Stadtteil" and column in columns)
        for column, *_ in COLUMNS
    ]
    longest = [longest for *_, longest in COLUMNS]
    names = [column for column, *_ in COLUMNS]
    problems: list[FieldError] = []
    people: list[ExtractPerson] = []
    seen: dict[str, int] = {}
    for line, record in records:
        if len(record) > width:
            if any(cell.strip() for cell in record):
                problems.append(
                    FieldError(
                        "(row)",
                        errors.TOO_MANY_CELLS,
                        line,
                        {"cells": len(record), "columns": width},
                    )
                )
            continue
        cells = [record[i].strip() if i is not None and i < len(record) else "" for i in where]
        if not any(cells):
            continue
        row_problems: list[FieldError] = []
        for index, value in enumerate(cells):
            if not value:
                if must[index]:
                    row_problems.append(FieldError(names[index], errors.EMPTY, line))
            elif len(value) > longest[index]:
                row_problems.append(
                    FieldError(names[index], errors.TOO_LONG, line, {"max": longest[index]})
                )
            elif controls and _CONTROL.search(value):
                row_problems.append(FieldError(names[index], errors.CONTROL_CHARACTERS, line))
        values = dict(zip(names, cells, strict=True))
        born: date | None = None
        if values["Geburtsdatum"]:
            born, why = _birth_date(values["Geburtsdatum"], today)
            if why is not None:
                row_problems.append(FieldError("Geburtsdatum", why, line))
        gender = GENDERS.get(_text(values["Geschlecht"]))
        if values["Geschlecht"] and gender is None:
            row_problems.append(FieldError("Geschlecht", errors.NOT_A_GENDER, line))
        if values["PLZ"] and not _POSTCODE.fullmatch(values["PLZ"]):
            row_problems.append(FieldError("PLZ", errors.NOT_A_POSTCODE, line))
        if row_problems or born is None or gender is None:
            problems.extend(row_problems)
            continue
        suffix = values["Hausnummerzusatz"] or None
        household = household_material(
            values["Straße"], values["Hausnummer"], suffix, values["PLZ"]
        )
        person_key = _digest(
            person_material(values["Familienname"], values["Vornamen"], born, household)
        )
        if person_key in seen:
            problems.append(
                FieldError("(row)", errors.SAME_PERSON, line, {"other": seen[person_key]})
            )
            continue
        seen[person_key] = line
        people.append(
            ExtractPerson(
                line=line,
                family_name=values["Familienname"],
                given_names=values["Vornamen"],
                birth_date=born,
                gender=gender,
                street=values["Straße"],
                house_number=values["Hausnummer"],
                house_number_suffix=suffix,
                postcode=values["PLZ"],
                town=values["Ort"],
                district=values["Stadtteil"] or None,
                person_key=person_key,
                household_key=_digest(household),
            )
        )
    if problems:
        raise InvalidInput(problems)
    if not people:
        raise InvalidInput([FieldError("(file)", errors.NOBODY, 1)])
    return CheckedExtract(sha256(raw), people, "Stadtteil" in columns)
