"""Rendering the organiser pages: the shared environment factory plus charts and headers.

Dates and times follow the deployment's time zone (VEKL_TIMEZONE), like the public pages and
the mails. Every organiser response is personal data for logged-in eyes only, so none may be
cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader

from api import error_texts
from api.organiser import charts
from api.organiser.i18n import LANGUAGES, tr
from notifications.i18n import country_name, language_name
from notifications.templating import build_environment
from vekl.runs.placements import group_label

PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _labelled(lang: str) -> Callable[[list[tuple[str, int]], str], list[tuple[str, int]]]:
    roles = {"citizen": tr(lang, "citizens"), "newcomer": tr(lang, "newcomers")}

    def labelled(items: list[tuple[str, int]], kind: str) -> list[tuple[str, int]]:
        """Chart items with codes turned into names (languages, countries, roles)."""

        def name(code: str) -> str:
            if kind == "language":
                return language_name(code, lang)
            if kind == "country":
                return country_name(code, lang) if code != "–" else code
            return roles.get(code, code)

        return [(name(label), count) for label, count in items]

    return labelled


def _rule_label(lang: str) -> Callable[[int], str]:
    """What joining a group would break, by the rule's number in the solver's contract (a
    rematch's reasons for changing someone's evenings)."""
    labels = {
        2: tr(lang, "full"),
        3: tr(lang, "newcomer share"),
        6: tr(lang, "language"),
        7: tr(lang, "too many from one country"),
        9: tr(lang, "kept apart"),
    }

    def rule_label(rule: int) -> str:
        return labels.get(rule, tr(lang, "rule %(n)s", n=rule))

    return rule_label


@functools.cache
def environment(lang: str, zone_name: str) -> Environment:
    return build_environment(
        PackageLoader("api", "templates"),
        lang,
        ZoneInfo(zone_name),
        extra_filters={"labelled": _labelled(lang), "rule_broken_label": _rule_label(lang)},
        extra_globals={
            "languages": LANGUAGES,
            "tr": functools.partial(tr, lang),
            "service_texts": functools.partial(error_texts.service_texts, lang),
            "bars": charts.bars,
            "stacked": charts.stacked,
            "columns": charts.columns,
            "group_label": group_label,
        },
    )


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
