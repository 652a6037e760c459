"""Language choice and translation catalogs: the one loader for mails, pages and organiser pages.

The catalogs are the ``.po`` files under ``notifications/locale``, one per language; they are
compiled in memory on first use, so no binary ``.mo`` file has to be built, committed or kept in
sync. German is the programme's working language and the fallback for every language without a
catalog. Message ids are the English texts: a text missing from a catalog shows in English.
The organiser pages and the services' messages are for the city team and are translated into
German only (:data:`STAFF_LANGUAGES`); their English is the message id itself.
"""

from __future__ import annotations

import functools
import io
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Final, Literal

import pyuca
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SUPPORTED_LANGUAGES: Final[tuple[str, ...]] = ("de", "en", "ar", "uk")
"""Languages with a complete catalog, German first."""

DEFAULT_LANGUAGE: Final = "de"

STAFF_LANGUAGES: Final[tuple[str, ...]] = ("de", "en")
"""Languages of the organiser pages; the English texts are the message ids."""

NOTE_LANGUAGES: Final[tuple[str, ...]] = ("en", "ar", "uk", "tr", "fa")
"""Languages of the short note on the back of a lottery letter, in the order printed."""

NOTE_ONLY_LANGUAGES: Final[tuple[str, ...]] = ("tr", "fa")
"""Languages whose catalog holds only the letter's note: no page or mail is offered in them."""

# The locale used for dates and language names. English readers in Germany expect a 24-hour
# clock and day-month order, so British conventions fit better than American ones.
_FORMAT_LOCALES: Final[dict[str, str]] = {"de": "de_DE", "en": "en_GB", "ar": "ar", "uk": "uk_UA"}


# Day names as they follow "until" ("до понеділка"): the CLDR data Babel formats with has only
# the nominative ("понеділок"). Monday first, as ``datetime.weekday()`` counts.
_WEEKDAYS_AFTER_UNTIL: Final[dict[str, tuple[str, ...]]] = {
    "uk": ("понеділка", "вівторка", "середи", "четверга", "пʼятниці", "суботи", "неділі"),
}


def weekday_after_until(lang: str | None, weekday: int) -> str | None:
    """The day name in the form it takes after "until", where it differs from Babel's."""
    forms = _WEEKDAYS_AFTER_UNTIL.get(normalise_language(lang))
    return forms[weekday] if forms is not None else None


def normalise_language(tag: str | None) -> str:
    """Map a stored or requested language tag to a supported language, German if none fits."""
    if not tag:
        return DEFAULT_LANGUAGE
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def catalog_file(lang: str) -> Traversable:
    """Where the ``.po`` catalog of a supported language lives inside the package."""
    return _catalog_of(normalise_language(lang))


def _catalog_of(lang: str) -> Traversable:
    return resources.files("notifications") / "locale" / lang / "LC_MESSAGES" / "messages.po"


@functools.cache
def _load(lang: str) -> Translations:
    with _catalog_of(lang).open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


def translations(lang: str | None) -> Translations:
    """The compiled catalog for ``lang`` (normalised first); cached for the process."""
    return _load(normalise_language(lang))


def gettext(lang: str | None, message: str, /, **params: object) -> str:
    """``message`` translated into ``lang``, with ``%(name)s`` placeholders filled from ``params``.

    Without ``params`` the text is returned as translated, so a literal ``%`` needs no escaping.
    """
    text = translations(lang).gettext(message)
    return text % params if params else text


def note_gettext(lang: str, message: str, /) -> str:
    """``message`` in ``lang``, one of :data:`NOTE_LANGUAGES` (Turkish and Farsi included).

    The note on the back of a lottery letter is printed in languages that are no page
    language; their catalogs translate that note only.
    """
    if lang not in NOTE_LANGUAGES:
        raise ValueError(f"no note in {lang!r}")
    text: str = _load(lang).gettext(message)
    return text


def note_direction(lang: str) -> Literal["ltr", "rtl"]:
    """``rtl`` for Arabic and Farsi, for the ``dir`` of a note on the back of a letter."""
    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


def own_language_name(lang: str) -> str:
    """The name of ``lang`` in that language ("Türkçe", "فارسی")."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:] if lang not in ("ar", "fa") else name


def locale(lang: str | None) -> Locale:
    """The Babel locale for formatting dates, times and language names in ``lang``."""
    return Locale.parse(_FORMAT_LOCALES[normalise_language(lang)])


def text_direction(lang: str | None) -> Literal["ltr", "rtl"]:
    """``rtl`` for right-to-left scripts such as Arabic, for HTML ``dir`` attributes."""
    return "rtl" if locale(lang).character_order == "right-to-left" else "ltr"


def negotiate(accept_language: str | None) -> str:
    """Pick the best supported language from an HTTP ``Accept-Language`` header.

    Entries are tried by descending quality (ties in header order); ``q=0`` means "not this
    one". Falls back to German when nothing matches or the header is missing or malformed.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    candidates: list[tuple[float, int, str]] = []
    for index, entry in enumerate(accept_language.split(",")):
        tag, _, params = entry.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            candidates.append((-quality, index, tag.strip()))
    for _, _, tag in sorted(candidates):
        primary = tag.replace("_", "-").split("-", 1)[0].lower()
        if primary in SUPPORTED_LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


# Apostrophes inside names ("Вʼєтнам", "Côte d’Ivoire") do not count when sorting.
_IGNORED_IN_SORTING = str.maketrans("", "", "'\u02bc\u2019")


@functools.cache
def _collator() -> pyuca.Collator:
    return pyuca.Collator()


def collation_key(text: str) -> tuple[int, ...]:
    """Sorts names as readers expect them in a list: "Dänemark" before "Dschibuti".

    The Unicode Collation Algorithm with its default table: accents and case count only
    after the letters, and every script keeps its alphabetical order (Cyrillic "і" and "ї"
    after "и", as Ukrainian has them). Babel has no collation, ``locale.strxfrm`` depends on
    the locales installed on the machine, and ICU is a large native library; pyuca is a
    small, pure-Python implementation of the algorithm.
    """
    key: tuple[int, ...] = _collator().sort_key(text.translate(_IGNORED_IN_SORTING))
    return key


def language_name(code: str, in_lang: str | None) -> str:
    """The name of language ``code`` written in ``in_lang``, e.g. ``("ar", "de") -> "Arabisch"``.

    Unknown codes are returned as given rather than guessed.
    """
    names = locale(in_lang).languages
    normalised = code.replace("-", "_")
    return str(names.get(normalised) or names.get(normalised.split("_", 1)[0].lower()) or code)


def country_name(code: str, in_lang: str | None) -> str:
    """The name of country ``code`` (ISO 3166-1 alpha-2) in ``in_lang``; unknown codes as given."""
    return str(locale(in_lang).territories.get(code.upper(), code))
