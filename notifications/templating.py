"""One Jinja environment per language, built once and only read afterwards.

Installing a catalog into an environment changes the environment, so each language gets its own:
rendering then has no side effects and is safe from several threads. Undefined variables raise,
so a missing field shows up as an error in tests rather than a blank in a citizen's inbox. HTML
templates are autoescaped by file name; text templates are not, because escaping would garble
names like "O'Brien & Söhne" in the plain-text part.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_time, get_datetime_format
from babel.lists import format_list
from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.i18n import (
    language_name,
    locale,
    normalise_language,
    text_direction,
    translations,
)
from notifications.roster import describe_need

BERLIN = ZoneInfo("Europe/Berlin")
"""All dates are shown in Konstanz time, whatever zone the caller's datetimes carry."""

JINJA_OPTIONS: dict[str, Any] = {"trimmed": True}
"""Options of the i18n extension; message extraction must use the same to find the msgids."""


class _GettextEnvironment(Protocol):
    def install_gettext_translations(self, translations: Translations, newstyle: bool) -> None: ...


def _filters(lang: str) -> dict[str, Any]:
    babel_locale = locale(lang)

    def long_date(moment: datetime) -> str:
        return format_date(moment.astimezone(BERLIN), format="full", locale=babel_locale)

    def short_time(moment: datetime) -> str:
        return format_time(moment, format="short", tzinfo=BERLIN, locale=babel_locale)

    def time_span(start: datetime, end: datetime) -> str:
        return format_interval(start, end, skeleton="Hm", tzinfo=BERLIN, locale=babel_locale)

    # The locale's own way of joining a date and a time ("{1}, {0}", in Arabic with "،").
    date_and_time = str(get_datetime_format("full", locale=babel_locale)).replace("'", "")

    def long_datetime(moment: datetime) -> str:
        return date_and_time.replace("{1}", long_date(moment)).replace("{0}", short_time(moment))

    def when(start: datetime, end: datetime) -> str:
        return date_and_time.replace("{1}", long_date(start)).replace("{0}", time_span(start, end))

    def join_list(items: Iterable[str]) -> str:
        return format_list(list(items), locale=babel_locale)

    def language(code: str) -> str:
        return language_name(code, lang)

    def needs(codes: Iterable[str]) -> list[str]:
        return [describe_need(code, lang) for code in codes]

    return {
        "long_date": long_date,
        "short_time": short_time,
        "long_datetime": long_datetime,
        "time_span": time_span,
        "when": when,
        "join_list": join_list,
        "language_name": language,
        "needs": needs,
    }


@functools.cache
def _environment(lang: str, for_text: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        # In plain text every line break counts, and trimming the one after a tag would glue a
        # translated sentence to the next; blank lines are tidied up by _tidy_text instead.
        trim_blocks=not for_text,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = JINJA_OPTIONS["trimmed"]
    cast(_GettextEnvironment, env).install_gettext_translations(translations(lang), newstyle=True)
    env.filters.update(_filters(lang))
    env.globals.update(lang=lang, dir=text_direction(lang))
    return env


def environment(lang: str | None, *, for_text: bool = False) -> Environment:
    """The environment for ``lang`` (normalised, German fallback) with its catalog installed."""
    return _environment(normalise_language(lang), for_text)


def _tidy_text(text: str) -> str:
    # Trailing spaces go, except in the "-- " line that mail clients recognise as the start of
    # a signature; runs of blank lines left by template tags shrink to one.
    lines = [line if line == "-- " else line.rstrip() for line in text.split("\n")]
    tidied = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return tidied.strip("\n") + "\n"


def render(lang: str | None, name: str, **context: Any) -> str:
    """Render template ``name`` in ``lang``; ``.txt`` templates come out with tidy line breaks."""
    if name.endswith(".txt"):
        template = environment(lang, for_text=True).get_template(name)
        return _tidy_text(template.render(**context))
    return environment(lang).get_template(name).render(**context)


def render_block(lang: str | None, name: str, block: str, **context: Any) -> str:
    """Render only ``block`` of template ``name``, e.g. the subject kept next to a mail body."""
    template = environment(lang, for_text=name.endswith(".txt")).get_template(name)
    parts = template.blocks[block](template.new_context(context))
    return "".join(parts).strip()
