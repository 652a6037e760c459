"""Checks on the words people read, shared by the mail and the page tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# A sentence that ends and the next one that begins without a space between: "Konstanz.Fragen?"
# (Latin, Cyrillic or Arabic letters around the stop). Addresses and links are taken out
# first, since "konstanz.example" is no sentence end.
_GLUED = re.compile(r"[^\W\d_]{2}[.!?؟][A-ZÄÖÜА-ЯІЇЄҐ\u0621-\u064a]")
_ADDRESSES = re.compile(r"\S+@\S+|\b(?:https?|webcal)://\S+|\bwww\.\S+")

_BLOCKS = frozenset(
    (
        *("address", "article", "br", "button", "div", "fieldset", "footer", "form", "header"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "hr", "label", "legend", "li", "main", "nav"),
        *("ol", "option", "p", "section", "select", "table", "td", "textarea", "th", "title"),
        *("tr", "ul"),
    )
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden -= 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader sees of ``html``: its text, with a line break at every block element."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def glued_sentences(text: str) -> list[str]:
    """Every place where a sentence runs into the next without a space, with context."""
    cleaned = _ADDRESSES.sub(" ", text)
    return [cleaned[max(0, m.start() - 20) : m.end() + 20] for m in _GLUED.finditer(cleaned)]
