"""Which language a page is shown in: ``?lang=``, then the cookie, then Accept-Language.

A ``?lang=`` choice is remembered in a cookie (set by the middleware in api.app), so the
switcher works without JavaScript and the choice follows the visitor through forms.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from notifications.i18n import SUPPORTED_LANGUAGES, negotiate

COOKIE = "vekl_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def requested(request: Request) -> str | None:
    """A supported language explicitly asked for in the query, if any."""
    value = request.query_params.get("lang", "").strip().lower()
    return value if value in SUPPORTED_LANGUAGES else None


def page_language(request: Request) -> str:
    chosen = requested(request)
    if chosen is not None:
        return chosen
    cookie = request.cookies.get(COOKIE, "")
    if cookie in SUPPORTED_LANGUAGES:
        return cookie
    return negotiate(request.headers.get("accept-language"))


Language = Annotated[str, Depends(page_language)]
