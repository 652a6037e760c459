"""Server-rendered public pages: the shared environment factory with the pages' own globals.

Texts come from the shared catalogs (notifications.i18n), so the pages and the mails say
the same thing in the same words, and dates use the same filters in the deployment's time
zone (VEKL_TIMEZONE). Each language and zone has its own environment, built once; after that
it is only read, safe across threads.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader

from notifications.i18n import SUPPORTED_LANGUAGES, gettext, language_name
from notifications.templating import build_environment
from vekl.mail.recipients import contact

__all__ = ["environment", "gettext", "render"]


@functools.cache
def environment(lang: str, zone_name: str) -> Environment:
    return build_environment(
        PackageLoader("api", "templates"),
        lang,
        ZoneInfo(zone_name),
        extra_globals={
            "languages": [(code, language_name(code, code)) for code in SUPPORTED_LANGUAGES]
        },
    )


def render(
    request: Request,
    lang: str,
    name: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    switch_path: str | None = None,
    **context: Any,
) -> HTMLResponse:
    settings = request.app.state.settings
    zone = settings.timezone
    template = environment(lang, zone).get_template(name)
    # The language switcher links to the same page with the same query, in another language;
    # a page that answers a form links to where the form can be opened again.
    keep = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "done")]
    )
    path = request.url.path if request.method == "GET" else switch_path or "/"
    if request.method != "GET":
        keep = ""
    # Who is responsible and how to reach the organisers: in every page's footer, and named
    # wherever a page is a dead end.
    context.setdefault("contact", contact(settings))
    html = template.render(path=path, keep=keep + "&" if keep else "", **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)
