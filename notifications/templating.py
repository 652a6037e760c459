"""The one way templates are set up: for mails, calendar texts, public pages and organiser pages.

:func:`build_environment` makes a Jinja environment for one language and one time zone: HTML is
autoescaped by file name (text templates are not, because escaping would garble names like
"O'Brien & Söhne" in a plain-text mail), undefined variables raise (a missing field shows up in
tests rather than as a blank in a citizen's inbox), the gettext catalog of the language is
installed, and the filters of :func:`filters` show every date and time in the given zone.

Installing a catalog changes an environment, so each language and zone gets its own; callers
build it once and only read it afterwards, so rendering has no side effects and is safe from
several threads. The zone is always passed in: this package never reads the settings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    format_interval,
    format_time,
    get_datetime_format,
)
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from notifications.i18n import (
    country_name,
    language_name,
    locale,
    normalise_language,
    text_direction,
    translations,
    weekday_after_until,
)
from notifications.roster import describe_need

JINJA_OPTIONS: dict[str, Any] = {"trimmed": True}
"""Options of the i18n extension; message extraction must use the same to find the msgids."""

NOTHING = "–"
"""What the short organiser formats show for a missing date."""


class _GettextEnvironment(Protocol):
    def install_gettext_translations(self, translations: Translations, newstyle: bool) -> None: ...


COMMAS = {"ar": "\u060c ", "fa": "\u060c "}
"""The comma between the parts of one thing, where a language's script has its own."""


def filters(lang: str, zone: ZoneInfo) -> dict[str, Callable[..., Any]]:
    """Every filter the templates use, for ``lang``; dates and times are shown in ``zone``.

    Long forms in the reader's locale are for mails and public pages (``long_date``,
    ``date_only``, ``date_time``, ``long_datetime``, ``until_datetime`` after the word
    "until", ``time_span``, ``date_span``); short
    fixed forms for the organiser's tables (``day``, ``clock``, ``when``, which show "–" for no
    date), and ISO values for form fields (``local_date``, ``local_time``, ``local_datetime``).
    """
    babel_locale = locale(lang)

    def local(moment: datetime) -> datetime:
        return moment.astimezone(zone)

    def long_date(moment: datetime) -> str:
        return format_date(local(moment), format="full", locale=babel_locale)

    def date_only(moment: datetime) -> str:
        return format_date(local(moment), format="long", locale=babel_locale)

    def short_time(moment: datetime) -> str:
        return format_time(local(moment), format="short", locale=babel_locale)

    def time_span(start: datetime, end: datetime) -> str:
        return format_interval(start, end, skeleton="Hm", tzinfo=zone, locale=babel_locale)

    # The locale's own way of joining a date and a time ("{1}, {0}", in Arabic with "،").
    date_and_time = str(get_datetime_format("full", locale=babel_locale)).replace("'", "")
    date_and_short_time = str(get_datetime_format("medium", locale=babel_locale)).replace("'", "")

    def date_time(moment: datetime) -> str:
        return date_and_short_time.replace("{1}", date_only(moment)).replace(
            "{0}", short_time(moment)
        )

    def long_datetime(moment: datetime) -> str:
        return date_and_time.replace("{1}", long_date(moment)).replace("{0}", short_time(moment))

    def until_datetime(moment: datetime) -> str:
        # As it follows "until" in a sentence: Ukrainian puts the day name in the genitive
        # ("до понеділка, 9 травня"), which Babel's day names do not have.
        text = long_datetime(moment)
        day = local(moment)
        genitive = weekday_after_until(lang, day.weekday())
        if genitive is None:
            return text
        return text.replace(format_date(day, "EEEE", locale=babel_locale), genitive, 1)

    def date_span(start: datetime, end: datetime) -> str:
        return date_and_time.replace("{1}", long_date(start)).replace("{0}", time_span(start, end))

    def day(moment: datetime | None) -> str:
        return (
            format_date(local(moment), "EEE d.M.yyyy", locale=babel_locale) if moment else NOTHING
        )

    def clock(moment: datetime | None) -> str:
        return format_time(local(moment), "HH:mm", locale=babel_locale) if moment else NOTHING

    def when(moment: datetime | None) -> str:
        if moment is None:
            return NOTHING
        return format_datetime(local(moment), "d.M.yyyy HH:mm", locale=babel_locale)

    def local_date(moment: datetime | None) -> str:
        return local(moment).date().isoformat() if moment else ""

    def local_time(moment: datetime | None) -> str:
        return local(moment).strftime("%H:%M") if moment else ""

    def local_datetime(moment: datetime | None) -> str:
        return local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""

    def join_list(items: Iterable[str]) -> str:
        return format_list(list(items), locale=babel_locale)

    comma = COMMAS.get(lang, ", ")

    def commas(items: Iterable[str]) -> str:
        """Parts of one thing (a name and an address) with the script's comma: "،" in
        Arabic script, where ``join_list`` would say "and". Parts already marked up
        (``bdi``) stay markup, and the others are escaped next to them."""
        parts = list(items)
        if any(isinstance(part, Markup) for part in parts):
            return Markup(comma).join(parts)
        return comma.join(parts)

    def language(code: str) -> str:
        return language_name(code, lang)

    def country(code: str | None) -> str:
        return country_name(code, lang) if code else NOTHING

    def needs(codes: Iterable[str]) -> list[str]:
        return [describe_need(code, lang) for code in codes]

    def isolated(text: str) -> Markup:
        # Names keep their own direction inside a sentence of the other direction.
        return Markup("<bdi>{}</bdi>").format(text)

    def percent(value: float | None) -> str:
        return f"{value:.0%}" if value is not None else NOTHING

    def decimal(value: float | None, places: int = 2) -> str:
        """A figure in the reader's notation ("1,39" in German); "–" for none."""
        if value is None:
            return NOTHING
        return format_decimal(value, format="0." + "0" * places, locale=babel_locale)

    return {
        "long_date": long_date,
        "date_only": date_only,
        "short_time": short_time,
        "time_span": time_span,
        "date_time": date_time,
        "long_datetime": long_datetime,
        "until_datetime": until_datetime,
        "date_span": date_span,
        "day": day,
        "clock": clock,
        "when": when,
        "local_date": local_date,
        "local_time": local_time,
        "local_datetime": local_datetime,
        "join_list": join_list,
        "commas": commas,
        "language_name": language,
        "country_name": country,
        "needs": needs,
        "bdi": isolated,
        "percent": percent,
        "decimal": decimal,
    }


def build_environment(
    loader: BaseLoader,
    lang: str | None,
    zone: ZoneInfo,
    *,
    extra_filters: Mapping[str, Callable[..., Any]] | None = None,
    extra_globals: Mapping[str, Any] | None = None,
) -> Environment:
    """A new environment for ``lang`` (normalised, German fallback) showing times in ``zone``.

    Autoescaping goes by file name (``.html``). Callers add their own filters and globals
    here and cache the result; it is not changed afterwards.
    """
    lang = normalise_language(lang)
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        # The line break after a tag is kept, in HTML as in plain text: trimming it glues a
        # translated sentence to the next ("…Konstanz.Fragen?") wherever a line ends with
        # ``{% endtrans %}`` or ``{% endif %}``. In HTML it is a space; in plain text, blank
        # lines are tidied up by _tidy_text.
        trim_blocks=False,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = JINJA_OPTIONS["trimmed"]
    cast(_GettextEnvironment, env).install_gettext_translations(translations(lang), newstyle=True)
    env.filters.update(filters(lang, zone))
    env.filters.update(extra_filters or {})
    env.globals.update(lang=lang, dir=text_direction(lang))
    env.globals.update(extra_globals or {})
    return env


@functools.cache
def _environment(lang: str, zone: ZoneInfo) -> Environment:
    loader = PackageLoader("notifications", "templates")
    return build_environment(loader, lang, zone)


def environment(lang: str | None, zone: ZoneInfo) -> Environment:
    """The mail and calendar environment for ``lang`` and ``zone``, built once per process."""
    return _environment(normalise_language(lang), zone)


def _tidy_text(text: str) -> str:
    # Trailing spaces go, except in the "-- " line that mail clients recognise as the start of
    # a signature; runs of blank lines left by template tags shrink to one.
    lines = [line if line == "-- " else line.rstrip() for line in text.split("\n")]
    tidied = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return tidied.strip("\n") + "\n"


def render(lang: str | None, zone: ZoneInfo, name: str, **context: Any) -> str:
    """Render template ``name`` in ``lang`` and ``zone``; ``.txt`` comes out with tidy lines."""
    if name.endswith(".txt"):
        template = environment(lang, zone).get_template(name)
        return _tidy_text(template.render(**context))
    return environment(lang, zone).get_template(name).render(**context)


def render_block(lang: str | None, zone: ZoneInfo, name: str, block: str, **context: Any) -> str:
    """Render only ``block`` of template ``name``, e.g. the subject kept next to a mail body."""
    template = environment(lang, zone).get_template(name)
    parts = template.blocks[block](template.new_context(context))
    return "".join(parts).strip()
