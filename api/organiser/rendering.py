"""Rendering the organiser pages: their own Jinja environment, catalog and headers.

Every organiser response is personal data for logged-in eyes only, so none may be cached.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from api.organiser import charts
from api.organiser.i18n import LANGUAGES, tr
from vekl.reference import country_names, language_names

PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
_LOCALES = {"de": "de_DE", "en": "en_GB"}


def _filters(lang: str, zone: ZoneInfo) -> dict[str, Any]:
    locale = _LOCALES[lang]

    def day(moment: datetime | None) -> str:
        return (
            format_date(moment.astimezone(zone), "EEE d.M.yyyy", locale=locale) if moment else "–"
        )

    def clock(moment: datetime | None) -> str:
        return format_time(moment.astimezone(zone), "HH:mm", locale=locale) if moment else "–"

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "–"
        return format_datetime(moment.astimezone(zone), "d.M.yyyy HH:mm", locale=locale)

    def local_date(moment: datetime | None) -> str:
        return moment.astimezone(zone).date().isoformat() if moment else ""

    def local_time(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%H:%M") if moment else ""

    def local_datetime(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    def language(code: str) -> str:
        return language_names(lang).get(code, code)

    def country(code: str | None) -> str:
        return country_names(lang).get(code, code) if code else "–"

    def labelled(items: list[tuple[str, int]], kind: str) -> list[tuple[str, int]]:
        """Chart items with codes turned into names (languages, countries, roles)."""
        roles = {"citizen": tr(lang, "citizens"), "newcomer": tr(lang, "newcomers")}

        def name(code: str) -> str:
            if kind == "language":
                return language(code)
            if kind == "country":
                return country(code) if code != "–" else code
            return roles.get(code, code)

        return [(name(label), count) for label, count in items]

    return {
        "labelled": labelled,
        "day": day,
        "clock": clock,
        "when": when,
        "local_date": local_date,
        "local_time": local_time,
        "local_datetime": local_datetime,
        "language_name": language,
        "country_name": country,
        "percent": lambda value: f"{value:.0%}" if value is not None else "–",
    }


@functools.cache
def environment(lang: str, zone_name: str) -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_filters(lang, ZoneInfo(zone_name)))
    env.globals.update(
        lang=lang,
        languages=LANGUAGES,
        tr=functools.partial(tr, lang),
        bars=charts.bars,
        stacked=charts.stacked,
        columns=charts.columns,
    )
    return env


def render(
    request: Request, lang: str, name: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    zone = request.app.state.settings.timezone
    template = environment(lang, zone).get_template(f"organiser/{name}")
    keep = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    context.setdefault("me", getattr(request.state, "organiser", None))
    context.setdefault("done", request.query_params.get("done", "")[:20])
    context.setdefault("mails", request.query_params.get("mails", "")[:6])
    html = template.render(path=request.url.path, keep=keep + "&" if keep else "", **context)
    return HTMLResponse(html, status_code=status_code, headers=PRIVATE_HEADERS)


def download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
