"""Which language a page is shown in: ``?lang=``, then the cookie, then Accept-Language.

A person's own pages (opened from a link in a mail) put the language the person chose for
their mails before Accept-Language: a newcomer who reads Arabic mails on a borrowed German
phone still gets the page in Arabic.

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


def chosen(request: Request) -> str | None:
    """The language the visitor chose on this browser: ``?lang=``, then the cookie."""
    asked = requested(request)
    if asked is not None:
        return asked
    cookie = request.cookies.get(COOKIE, "")
    return cookie if cookie in SUPPORTED_LANGUAGES else None


def page_language(request: Request) -> str:
    return chosen(request) or negotiate(request.headers.get("accept-language"))


def personal_language(request: Request, stored: str | None) -> str:
    """The language of a person's own page: their choice on this browser, else the language
    they chose for their mails, else the browser's."""
    asked = chosen(request)
    if asked is not None:
        return asked
    if stored in SUPPORTED_LANGUAGES:
        return stored
    return negotiate(request.headers.get("accept-language"))


Language = Annotated[str, Depends(page_language)]
