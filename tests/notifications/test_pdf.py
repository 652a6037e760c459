"""The PDF layer: HTML in, a PDF out whose text reads back, Arabic included."""

from __future__ import annotations

import io

from pypdf import PdfReader

from notifications.pdf import html_to_pdf


def test_html_becomes_a_pdf_whose_text_reads_back() -> None:
    html = (
        "<html><head><style>@page { size: A4; margin: 20mm }</style></head><body>"
        "<p>Einladung für Anna Weber</p>"
        "<p style='page-break-before: always' dir='rtl' lang='ar'>مرحبا</p>"
        "</body></html>"
    )
    reader = PdfReader(io.BytesIO(html_to_pdf(html)))
    assert len(reader.pages) == 2
    assert "Einladung für Anna Weber" in (reader.pages[0].extract_text() or "")
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    # A4 in PostScript points.
    assert (round(float(width)), round(float(height))) == (595, 842)
    assert (reader.pages[1].extract_text() or "").strip()
