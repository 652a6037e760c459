"""Reading a register extract: encodings, separators, headers, every bad row at once."""

from __future__ import annotations

from datetime import date

import pytest

from tests.lottery.conftest import HEADER, csv_bytes
from vekl.errors import InvalidInput
from vekl.lottery import extract

TODAY = date(2026, 11, 30)
ROW = [
    "Weiß",
    "Jürgen Karl",
    "05.03.1961",
    "m",
    "Konzilstraße",
    "3",
    "",
    "78462",
    "Konstanz",
    "Altstadt",
]


def _problems(raw: bytes) -> list[tuple[int | None, str, str]]:
    with pytest.raises(InvalidInput) as refused:
        extract.check(raw, TODAY)
    return [(e.line, e.field, e.text) for e in refused.value.errors]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ";"), ("utf-8", ";"), ("utf-8", ","), ("cp1252", ";"), ("cp1252", ",")],
)
def test_every_encoding_and_separator_gives_the_same_people(encoding: str, delimiter: str) -> None:
    checked = extract.check(csv_bytes([ROW], delimiter=delimiter, encoding=encoding), TODAY)
    (person,) = checked.people
    assert (person.family_name, person.given_names, person.street) == (
        "Weiß",
        "Jürgen Karl",
        "Konzilstraße",
    )
    assert person.birth_date == date(1961, 3, 5)
    reference = extract.check(csv_bytes([ROW]), TODAY).people[0]
    assert person.person_key == reference.person_key


def test_headers_are_matched_loosely_and_stadtteil_is_optional() -> None:
    header = ["FAMILIENNAME", "Vorname", "Geburtsdatum", "Geschlecht", "Strasse", "Haus-Nr"]
    header += ["PLZ", "Wohnort"]
    checked = extract.check(csv_bytes([ROW[:4] + ROW[4:6] + ROW[7:9]], header=header), TODAY)
    assert not checked.has_districts and checked.people[0].district is None


def test_a_bad_header_names_every_column() -> None:
    header = ["Familienname", "Vornamen", "Religion", "Geschlecht", "Straße", "PLZ", "PLZ"]
    problems = _problems(csv_bytes([], header=header))
    assert (
        1,
        "Religion",
        "unknown column; the extract should hold only the columns the draw needs",
    ) in problems
    assert (1, "Geburtsdatum", "required column is missing") in problems
    assert (1, "Hausnummer", "required column is missing") in problems
    assert (1, "PLZ", "column appears twice") in problems


def test_every_bad_row_is_reported_in_one_pass() -> None:
    rows = [
        ROW,
        [*ROW[:2], "30.02.1970", *ROW[3:]],
        [*ROW[:2], "01.01.2030", "x", *ROW[4:]],
        [*ROW[:2], "01.01.1899", "weiblich", *ROW[4:]],
        [*ROW[:3], "?", *ROW[4:7], "D-78462", *ROW[8:]],
        [*ROW, "extra"],
        ROW,
        ["Kim", "Lee\x07", "01.01.1990", "d", "A" * 101, "1", "", "78462", "Konstanz", "Egg"],
    ]
    assert _problems(csv_bytes(rows)) == [
        (3, "Geburtsdatum", "must be a date as DD.MM.YYYY, like 24.12.1980"),
        (4, "Geburtsdatum", "lies in the future"),
        (5, "Geburtsdatum", "lies before 1900"),
        (6, "Geschlecht", "must be m, w, d or x (männlich, weiblich, divers, ohne Angabe)"),
        (6, "PLZ", "must be five digits"),
        (7, "(row)", "11 cells but the header has 10"),
        (8, "(row)", "the same person as line 2"),
        (9, "Vornamen", "contains characters that are not allowed here"),
        (9, "Straße", "must have at most 100 characters"),
    ]


def test_files_that_are_no_extract() -> None:
    assert _problems(b"") == [(1, "(file)", "the file is empty")]
    assert _problems(csv_bytes([])) == [(1, "(file)", "the extract holds nobody")]
    assert _problems("Familienname;\x81\n".encode("latin-1")) == [
        (1, "(file)", "neither UTF-8 nor Windows-1252 text; save the file as CSV")
    ]


def test_one_address_written_differently_is_one_household() -> None:
    rows = [
        ROW,
        [
            "Weiß",
            "Anna",
            "01.01.1965",
            "w",
            "Konzilstr. 3"[:-2],
            " 3 ",
            "",
            "78462",
            "Konstanz",
            "Altstadt",
        ],
        [
            "Kaya",
            "Elif",
            "01.01.1990",
            "w",
            "KONZIL-STRASSE",
            "3",
            "",
            "78462",
            "Konstanz",
            "Altstadt",
        ],
        [
            "Kaya",
            "Emre",
            "01.01.1991",
            "m",
            "Konzilstraße",
            "3",
            "a",
            "78462",
            "Konstanz",
            "Altstadt",
        ],
        [
            "Kaya",
            "Deniz",
            "01.01.1992",
            "d",
            "Konzilstraße",
            "3a",
            "",
            "78462",
            "Konstanz",
            "Altstadt",
        ],
    ]
    people = extract.check(csv_bytes(rows), TODAY).people
    assert len({p.household_key for p in people[:3]}) == 1
    assert people[3].household_key == people[4].household_key != people[0].household_key
    assert len({p.person_key for p in people}) == 5


def test_the_header_list_is_the_documented_one() -> None:
    assert [column for column, *_ in extract.COLUMNS] == HEADER
