"""Reading printed letters back: text, positions (in mm) and QR codes of a PDF."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader

MM = 72 / 25.4
"""Points per millimetre."""


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Whitespace (line breaks of the layout) as single spaces, without the zero-width
    (non-)joiners of Farsi, which shape the glyphs but are no glyph of their own."""
    return re.sub(r"\s+", " ", text.replace("\u200c", "").replace("\u200d", "")).strip()


@dataclass(frozen=True)
class Box:
    """Where a text lies on its page, in mm from the page's top left corner."""

    left: float
    top: float
    right: float
    bottom: float

    def within(self, other: Box) -> bool:
        return (
            self.left >= other.left
            and self.right <= other.right
            and self.top >= other.top
            and self.bottom <= other.bottom
        )


def text_boxes(pdf: bytes, page_index: int, text: str) -> list[Box]:
    """The box around each occurrence of ``text`` on the page (every character in it)."""
    document = pdfium.PdfDocument(pdf)
    page = document[page_index]
    height = page.get_height()
    textpage = page.get_textpage()
    searcher = textpage.search(text, match_case=True)
    found: list[Box] = []
    while (occurrence := searcher.get_next()) is not None:
        start, count = occurrence
        boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
        left = min(b[0] for b in boxes)
        bottom = min(b[1] for b in boxes)
        right = max(b[2] for b in boxes)
        top = max(b[3] for b in boxes)
        found.append(Box(left / MM, (height - top) / MM, right / MM, (height - bottom) / MM))
    return found


def qr_codes(pdf: bytes, page_index: int, scale: float = 3.0) -> list[str]:
    """The text of every QR code on the page, rendered at 72 * ``scale`` dpi."""
    document = pdfium.PdfDocument(pdf)
    image = document[page_index].render(scale=scale, grayscale=True).to_pil()
    return [
        found.text
        for found in zxingcpp.read_barcodes(image)
        if found.format == zxingcpp.BarcodeFormat.QRCode
    ]
