"""The organiser pages' language: German or English, texts from the shared catalogs.

The organiser pages are for the city team only, so they are offered in German and English
(:data:`notifications.i18n.STAFF_LANGUAGES`) rather than in every language of the public
pages. Their texts are marked with ``tr`` rather than ``_``: the catalog check then asks a
German translation of them, and none in Arabic or Ukrainian. English is the message id itself.
"""

from __future__ import annotations

from fastapi import Request

from api.language import COOKIE, requested
from notifications.i18n import STAFF_LANGUAGES, gettext

LANGUAGES = STAFF_LANGUAGES
DEFAULT = "de"


def tr(lang: str, message: str, /, **params: object) -> str:
    """``message`` in ``lang`` from the shared catalogs, placeholders filled from ``params``."""
    return gettext(lang, message, **params)


def organiser_language(request: Request) -> str:
    """``?lang=``, then the language cookie the whole site shares, then German."""
    for candidate in (requested(request), request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT
