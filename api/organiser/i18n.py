"""The organiser pages' own texts: English message ids, German first, English as written.

The pages for participants share their catalogs with the mails (notifications/locale); the
organiser pages are for the city team only, so their texts live in a catalog of their own
(``locale/de/LC_MESSAGES/organiser.po`` beside this file) and are marked with ``tr`` rather
than ``_``, which keeps them out of the participants' catalogs.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request

from api.language import COOKIE, requested

LANGUAGES = ("de", "en")
DEFAULT = "de"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "organiser.po"


@functools.cache
def translations(lang: str) -> NullTranslations:
    path = catalog_path(lang)
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


def tr(lang: str, message: str, **params: object) -> str:
    text = translations(lang).gettext(message)
    return text % params if params else text


def organiser_language(request: Request) -> str:
    """``?lang=``, then the language cookie the whole site shares, then German."""
    for candidate in (requested(request), request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT
