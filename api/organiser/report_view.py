"""What the report pages show: the published report, with charts drawn from published
counts only (a withheld cell gets no bar, only its mark), and names in the page's language."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from api.organiser.charts import BARS_WIDTH, FONT_SIZE, PALETTE
from vekl.monitoring.labels import display_name
from vekl.monitoring.schemas import PublishedCell, PublishedTable, Report
from vekl.monitoring.service import share
from vekl.store.models import Round

_ids = itertools.count(1)


def bars(items: Sequence[tuple[str, PublishedCell]], title: str) -> Markup:
    """Horizontal bars like ``charts.bars``; a withheld count is drawn as its mark alone."""
    if not items:
        return Markup("")
    chart_id = f"report-chart-{next(_ids)}"
    top = max((c.count or 0 for _, c in items), default=0) or 1
    row_height, width = 40, BARS_WIDTH
    height = row_height * len(items) + 4
    described = "; ".join(f"{label}: {cell.display}" for label, cell in items)
    parts = [
        f"<svg class='chart' role='img' viewBox='0 0 {width} {height}' width='{width}' "
        f"height='{height}' aria-label='{escape(title)}' aria-describedby='{chart_id}-d' "
        "preserveAspectRatio='xMinYMin meet'>",
        f"<title id='{chart_id}-t'>{escape(title)}</title>",
        f"<desc id='{chart_id}-d'>{escape(described)}</desc>",
    ]
    for index, (label, cell) in enumerate(items):
        y = index * row_height + 2
        bar = round((width - 50) * (cell.count or 0) / top)
        parts.append(
            f"<text x='0' y='{y + 15}' font-size='{FONT_SIZE}'>{escape(label[:40])}</text>"
        )
        if cell.count is not None:
            parts.append(
                f"<rect x='0' y='{y + 20}' width='{max(bar, 1)}' height='14' fill='{PALETTE[0]}'/>"
            )
        parts.append(
            f"<text x='{bar + 5}' y='{y + 33}' font-size='{FONT_SIZE}'>"
            f"{escape(cell.display)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class ReportPage:
    report: Report
    round: Round | None  # None: across rounds
    lang: str

    def text(self, name: str) -> str:
        """A section's, table's or basis' name in the page's language."""
        return display_name("", name, self.lang)

    def name(self, table: str, value: str) -> str:
        return display_name(table, value, self.lang, self.report.series)

    def chart(self, table: PublishedTable, title: str) -> Markup:
        """Bars of each row's total (or of its only column)."""
        if table.row_totals is not None:
            cells = table.row_totals
        elif len(table.columns) == 1:
            cells = [line[0] for line in table.cells]
        else:
            return Markup("")
        return bars(
            [(self.name(table.name, r), c) for r, c in zip(table.rows, cells, strict=True)], title
        )

    def share(self, part: PublishedCell | None, whole: PublishedCell | None) -> float | None:
        return share(part, whole)

    def population(self, table: str, row: str) -> float | None:
        return self.report.population.get(table, {}).get(row)
