"""The lottery's printed documents: the letters of a wave and its protocol, as PDF.

HTML from the project's Jinja environment (``notifications.templating``), laid out by
WeasyPrint (``notifications.pdf``); QR codes by segno, as SVG. Rendering has no side effects:
data in, bytes out. The letters are rendered in chunks and joined, so a wave of 1,500
letters never holds 3,000 laid-out pages in memory at once.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, PackageLoader
from pypdf import PdfReader, PdfWriter

from notifications.letters import notes
from notifications.pdf import render_pdf
from notifications.templating import build_environment

LETTERS_PER_CHUNK = 50
"""Letters laid out in one WeasyPrint document before the chunks are joined."""


@dataclass(frozen=True)
class Sender:
    """Who sends the letters: the controller, as the settings name it."""

    name: str | None
    address: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class SeriesDates:
    label: str
    venue: str
    starts: list[datetime]


@dataclass(frozen=True)
class LetterPage:
    """One letter: the window address (name first), the grouped code, the QR code's target."""

    name: str
    address: tuple[str, ...]
    code: str
    url: str

    @property
    def qr(self) -> str:
        return qr_data_uri(self.url)


@dataclass(frozen=True)
class LetterFrame:
    """What every letter of a round shares."""

    round_name: str
    form_url: str
    deadline: datetime | None
    series: list[SeriesDates]
    body: list[list[str]]
    signature: list[str]
    sender: Sender
    printed_on: datetime


class LetterTooLong(Exception):
    """The letter's text does not fit on the front of one sheet."""


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as a PNG data URI, one pixel a module (error correction M, the
    usual quiet zone); printed without smoothing, it is as sharp as a vector (and an SVG
    costs WeasyPrint ten times as much to lay out)."""
    uri: str = segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=4)
    return uri


@functools.cache
def _environment(zone: ZoneInfo) -> Environment:
    return build_environment(PackageLoader("vekl.lottery", "templates"), "de", zone)


# About this many characters of the return line fit its 80 mm at 7 pt.
RETURN_LINE_CHARACTERS = 60


def _return_line(sender: Sender) -> str:
    """Who the post returns the letter to, on one line: the controller and their address.

    A long name ("Stadt Konstanz, Amt für Migration und Integration") is cut to its first
    part before a comma, which is enough for the post; the address always stays whole.
    """
    full = " · ".join(part for part in (sender.name, sender.address) if part)
    if len(full) <= RETURN_LINE_CHARACTERS:
        return full
    short = (sender.name or "").split(",")[0].strip()
    return " · ".join(part for part in (short, sender.address) if part)


def _return_size(line: str) -> float:
    """The return line's font size in pt: 7, smaller for a line that would not fit."""
    return round(max(4.0, 7 * min(1.0, RETURN_LINE_CHARACTERS / max(len(line), 1))), 2)


def _render(zone: ZoneInfo, name: str, **context: Any) -> str:
    return _environment(zone).get_template(name).render(**context)


def fronts_html(
    frame: LetterFrame, letters: Sequence[LetterPage], zone: ZoneInfo, *, sample: bool = False
) -> str:
    """The fronts of ``letters``, one page each."""
    return _render(
        zone,
        "letter_fronts.html",
        title=frame.round_name,
        letters=[_letter_context(letter) for letter in letters],
        return_line=(line := _return_line(frame.sender)),
        return_size=_return_size(line),
        sender=frame.sender,
        printed_on=frame.printed_on,
        round_name=frame.round_name,
        form_url=frame.form_url,
        deadline=frame.deadline,
        series=frame.series,
        body=frame.body,
        signature=frame.signature,
        notes=notes(),
        sample=sample,
    )


def back_html(zone: ZoneInfo) -> str:
    """The back every letter shares: the note in each language of :data:`NOTE_LANGUAGES`."""
    return _render(zone, "letter_back.html", notes=notes())


def _letter_context(letter: LetterPage) -> dict[str, Any]:
    return {"name": letter.name, "address": letter.address, "code": letter.code, "qr": letter.qr}


def letters_pdf(
    frame: LetterFrame,
    letters: Sequence[LetterPage],
    zone: ZoneInfo,
    *,
    sample: bool = False,
    chunk: int = LETTERS_PER_CHUNK,
    on_chunk: Callable[[int], None] | None = None,
) -> bytes:
    """Every letter on one sheet, in the order given: its front, then the shared back.

    The back is laid out once and its page repeated after every front (the file holds its
    content once). Raises :class:`LetterTooLong` when a front would take more than a page.
    ``on_chunk`` hears how many letters are laid out after each chunk (and may raise to
    stop the rendering).
    """
    back = render_pdf(back_html(zone))
    if back.pages != 1:
        raise LetterTooLong
    fronts: list[bytes] = []
    for start in range(0, len(letters), chunk):
        part = letters[start : start + chunk]
        rendered = render_pdf(fronts_html(frame, part, zone, sample=sample))
        if rendered.pages != len(part):
            raise LetterTooLong
        fronts.append(rendered.content)
        if on_chunk is not None:
            on_chunk(start + len(part))
    return interleave(fronts, back.content)


def interleave(fronts: list[bytes], back: bytes) -> bytes:
    """One PDF: each page of ``fronts`` (in order) followed by the one page of ``back``."""
    writer = PdfWriter()
    # pypdf gives each copy of the back a page dictionary of its own that shares the content.
    back_page = PdfReader(io.BytesIO(back)).pages[0]
    for part in fronts:
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
            writer.add_page(back_page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def protocol_pdf(protocol: dict[str, Any], commands: list[str], zone: ZoneInfo) -> bytes:
    """The printable protocol of a wave (German): everything needed to re-run the draw."""
    html = _render(
        zone,
        "protocol.html",
        p=protocol,
        drawn_at=datetime.fromisoformat(protocol["drawn_at"]),
        commands=commands,
    )
    return render_pdf(html).content
