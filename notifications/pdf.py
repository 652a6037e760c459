"""Printable documents: the project's own HTML (from the one Jinja environment) laid out as PDF.

WeasyPrint lays the pages out with Pango and HarfBuzz, so Arabic and Farsi are shaped and run
right to left like on the web pages, and the print layout is plain CSS (``@page``, millimetres)
next to the templates that use it. Rendering has no side effects: HTML in, bytes out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

# WeasyPrint's fontTools subsetting and its CSS warnings go to their own loggers; a document
# the project renders must not depend on them, and they would fill the service's log.
for _name in ("weasyprint", "fontTools"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of one HTML document; ``base_url`` resolves relative links and images."""
    from weasyprint import HTML

    document: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return document


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int


def render_pdf(html: str, *, base_url: str | None = None) -> RenderedPdf:
    """The PDF of one HTML document and its number of pages (to check a layout's fit)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render()
    content: bytes = document.write_pdf()
    return RenderedPdf(content, len(document.pages))
