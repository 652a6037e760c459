"""Small charts drawn on the server as inline SVG, readable without JavaScript.

Each chart carries its numbers as text too: a title and description for screen readers and
a table under it, so nobody has to read values off a bar. Only presentation attributes are
used (no ``style``), which the pages' Content-Security-Policy allows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from markupsafe import Markup, escape

# Distinguishable for common colour-vision deficiencies; segments are labelled in text too.
PALETTE = ("#1d5266", "#d08c00", "#5b8c3a", "#9c3d6e", "#6f6f6f", "#2f7fb5", "#b35c00", "#3f3f8f")
_ids = itertools.count(1)


def _table(caption: str, rows: Sequence[tuple[str, int]], total: int | None = None) -> str:
    body = "".join(f"<tr><th scope='row'>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    if total is not None:
        body += f"<tr><th scope='row'>Σ</th><td>{total}</td></tr>"
    return (
        f"<details class='chart-data'><summary>{escape(caption)}</summary>"
        f"<table><tbody>{body}</tbody></table></details>"
    )


FONT_SIZE = 14
"""Text in charts, in pixels at the chart's natural width. A chart is drawn at that width and
only ever shrinks to fit (a phone's column of 300 pixels), so its labels stay 12 pixels or
larger; they are never scaled down to a wide chart's viewBox."""
BARS_WIDTH = 340
COLUMNS_WIDTH = 360


def _svg_open(
    chart_id: str, title: str, width: int, height: int, items: Sequence[tuple[str, int]]
) -> list[str]:
    return [
        f"<svg class='chart' role='img' viewBox='0 0 {width} {height}' width='{width}' "
        f"height='{height}' aria-label='{escape(title)}' aria-describedby='{chart_id}-d' "
        "preserveAspectRatio='xMinYMin meet'>",
        f"<title id='{chart_id}-t'>{escape(title)}</title>",
        f"<desc id='{chart_id}-d'>"
        + escape("; ".join(f"{label}: {value}" for label, value in items))
        + "</desc>",
    ]


def bars(items: Sequence[tuple[str, int]], title: str, table_caption: str = "Numbers") -> Markup:
    """Horizontal bars, one per category: its label on a line above it, its count after it."""
    chart_id = f"chart-{next(_ids)}"
    if not items:
        return Markup("")
    top = max(v for _, v in items) or 1
    row_height, width = 40, BARS_WIDTH
    height = row_height * len(items) + 4
    parts = _svg_open(chart_id, title, width, height, items)
    for index, (label, value) in enumerate(items):
        y = index * row_height + 2
        bar = round((width - 50) * value / top)
        parts.append(
            f"<text x='0' y='{y + 15}' font-size='{FONT_SIZE}'>{escape(label[:40])}</text>"
            f"<rect x='0' y='{y + 20}' width='{max(bar, 1)}' height='14' fill='{PALETTE[0]}'/>"
            f"<text x='{bar + 5}' y='{y + 33}' font-size='{FONT_SIZE}'>{value}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts) + _table(table_caption, items))


def columns(items: Sequence[tuple[str, int]], title: str, table_caption: str = "Numbers") -> Markup:
    """Columns over time (one per day), labelled at the ends and at every peak."""
    chart_id = f"chart-{next(_ids)}"
    if not items:
        return Markup("")
    top = max(v for _, v in items) or 1
    width, height, base = COLUMNS_WIDTH, 170, 140
    step = width / len(items)
    parts = _svg_open(chart_id, title, width, height, items)
    parts.append(f"<line x1='0' y1='{base}' x2='{width}' y2='{base}' stroke='#6f6f6f'/>")
    for index, (_label, value) in enumerate(items):
        bar = (base - 24) * value / top
        x = index * step
        parts.append(
            f"<rect x='{x + step * 0.1:.1f}' y='{base - bar:.1f}' width='{step * 0.8:.1f}' "
            f"height='{bar:.1f}' fill='{PALETTE[0]}'/>"
        )
        if value == top or index in (0, len(items) - 1):
            anchor = "start" if index == 0 else "end" if index == len(items) - 1 else "middle"
            at = x if index == 0 else x + step if index == len(items) - 1 else x + step / 2
            parts.append(
                f"<text x='{at:.1f}' y='{base - bar - 4:.1f}' font-size='{FONT_SIZE}' "
                f"text-anchor='{anchor}'>{value}</text>"
            )
    first, last = items[0][0], items[-1][0]
    parts.append(f"<text x='0' y='{base + 20}' font-size='{FONT_SIZE}'>{escape(first)}</text>")
    parts.append(
        f"<text x='{width}' y='{base + 20}' font-size='{FONT_SIZE}' text-anchor='end'>"
        f"{escape(last)}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts) + _table(table_caption, items, sum(v for _, v in items)))


def stacked(segments: Sequence[tuple[str, int]], title: str) -> Markup:
    """One bar split into shares (a group's mix by gender, age, ...), with a text legend."""
    chart_id = f"chart-{next(_ids)}"
    total = sum(v for _, v in segments)
    if total == 0:
        return Markup("")
    width, height = 300, 14
    label = f"{title}: " + ", ".join(f"{name} {value}" for name, value in segments)
    parts = [
        f"<svg class='stacked' role='img' viewBox='0 0 {width} {height}' width='100%' "
        f"height='{height}' preserveAspectRatio='none' aria-label='{escape(label)}'>",
        f"<title id='{chart_id}-t'>{escape(label)}</title>",
    ]
    x = 0.0
    for index, (_label, value) in enumerate(segments):
        w = width * value / total
        parts.append(
            f"<rect x='{x:.2f}' y='0' width='{w:.2f}' height='{height}' "
            f"fill='{PALETTE[index % len(PALETTE)]}'/>"
        )
        x += w
    parts.append("</svg>")
    legend = "".join(
        f"<li><svg width='10' height='10' aria-hidden='true'><rect width='10' height='10' "
        f"fill='{PALETTE[index % len(PALETTE)]}'/></svg> {escape(label)}: {value}</li>"
        for index, (label, value) in enumerate(segments)
    )
    return Markup("".join(parts) + f"<ul class='legend'>{legend}</ul>")
