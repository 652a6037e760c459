"""Server-rendered pages: one Jinja environment per language, autoescaped, with gettext.

Texts come from the shared catalogs (notifications.i18n), so the pages and the mails say
the same thing in the same words. Each language has its own environment because installing
a catalog changes the environment; after that they are only read, safe across threads.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Protocol, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_time
from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from notifications.i18n import (
    SUPPORTED_LANGUAGES,
    language_name,
    locale,
    text_direction,
    translations,
)
from vekl.reference import country_names


class _Gettext(Protocol):
    def install_gettext_translations(self, translations: Translations, newstyle: bool) -> None: ...


def _filters(lang: str, zone: ZoneInfo) -> dict[str, Any]:
    babel_locale = locale(lang)

    def long_date(moment: datetime) -> str:
        return format_date(moment.astimezone(zone), format="full", locale=babel_locale)

    def date_only(moment: datetime) -> str:
        return format_date(moment.astimezone(zone), format="long", locale=babel_locale)

    def time_span(start: datetime, end: datetime) -> str:
        return format_interval(start, end, skeleton="Hm", tzinfo=zone, locale=babel_locale)

    def date_time(moment: datetime) -> str:
        local = moment.astimezone(zone)
        day = format_date(local, format="long", locale=babel_locale)
        return f"{day}, {format_time(local, format='short', locale=babel_locale)}"

    def language(code: str) -> str:
        return language_name(code, lang)

    def country(code: str) -> str:
        return country_names(lang).get(code, code)

    def isolated(text: str) -> Markup:
        # Names keep their own direction inside a sentence of the other direction.
        return Markup("<bdi>{}</bdi>").format(text)

    return {
        "long_date": long_date,
        "date_only": date_only,
        "time_span": time_span,
        "date_time": date_time,
        "language_name": language,
        "country_name": country,
        "bdi": isolated,
    }


@functools.cache
def environment(lang: str, zone_name: str) -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    cast(_Gettext, env).install_gettext_translations(translations(lang), newstyle=True)
    env.filters.update(_filters(lang, ZoneInfo(zone_name)))
    env.globals.update(
        lang=lang,
        dir=text_direction(lang),
        languages=[(code, language_name(code, code)) for code in SUPPORTED_LANGUAGES],
    )
    return env


def gettext(lang: str, message: str, **params: Any) -> str:
    """Translate one message outside a template, e.g. an error message."""
    text = translations(lang).gettext(message)
    return text % params if params else text


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
    zone = request.app.state.settings.timezone
    template = environment(lang, zone).get_template(name)
    # The language switcher links to the same page with the same query, in another language;
    # a page that answers a form links to where the form can be opened again.
    keep = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "done")]
    )
    path = request.url.path if request.method == "GET" else switch_path or "/"
    if request.method != "GET":
        keep = ""
    html = template.render(path=path, keep=keep + "&" if keep else "", **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)
