"""Who may see the organiser pages: a logged-in organiser, and for forms, their CSRF token.

Participant and moderator links prove nothing here: only the organiser session cookie
counts. Pages answer a missing login with a redirect to the login form, the JSON endpoints
with 401.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.datastructures import FormData

from api.database import DbSession
from api.errors import Reply
from api.organiser.i18n import organiser_language, tr
from api.organiser.rendering import PRIVATE_HEADERS, render
from vekl.access import organisers
from vekl.errors import N_
from vekl.store.models import OrganiserSession

PREFIX = "/organiser"
SESSION_COOKIE = "vekl_organiser"
LOGIN_COOKIE = "vekl_login_form"
LOGIN_PATH = f"{PREFIX}/login"
FORM_EXPIRED = N_("This form has expired. Please reload the page and send it again.")


@dataclass(frozen=True)
class Account:
    email: str


@dataclass(frozen=True)
class SignedIn:
    """What every page shows of the organiser: plain values, still there after a rollback.

    A failed action rolls its transaction back before the error page is drawn, which
    expires (and, once the request's session is closed, detaches) the session's rows.
    """

    csrf_token: str
    organiser: Account


def signed_in(request: Request) -> SignedIn | None:
    found = getattr(request.state, "signed_in", None)
    return found if isinstance(found, SignedIn) else None


def secure_cookies(request: Request) -> bool:
    return bool(request.app.state.settings.base_url.startswith("https:"))


def _wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json") or "/api/" in request.url.path


def current_session(request: Request, session: DbSession) -> OrganiserSession:
    row = organisers.current(session, request.cookies.get(SESSION_COOKIE), datetime.now(UTC))
    if row is None:
        if _wants_json(request):
            raise Reply(
                JSONResponse(
                    {"errors": [{"field": None, "message": "login required"}]},
                    status_code=401,
                    headers=PRIVATE_HEADERS,
                )
            )
        target = request.url.path if request.method == "GET" else PREFIX + "/"
        raise Reply(
            RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", 303, headers=PRIVATE_HEADERS)
        )
    request.state.organiser = row
    request.state.signed_in = SignedIn(row.csrf_token, Account(row.organiser.email))
    return row


Organiser = Annotated[OrganiserSession, Depends(current_session)]


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop; Starlette keeps it for later readers.

    Only this reading is asynchronous: the routes that take the form are plain functions, so
    their database work runs in a worker thread and never holds up the event loop.
    """
    return await request.form()


PostedForm = Annotated[FormData, Depends(read_form)]


def checked_form(request: Request, row: Organiser, form: PostedForm) -> OrganiserSession:
    """The session, once the form has carried back the session's synchroniser token."""
    submitted = form.get("csrf_token")
    if not organisers.csrf_ok(row, submitted if isinstance(submitted, str) else None):
        lang = organiser_language(request)
        raise Reply(
            render(request, lang, "error.html", status_code=403, messages=[tr(lang, FORM_EXPIRED)])
        )
    return row


OrganiserForm = Annotated[OrganiserSession, Depends(checked_form)]


def login_form_token(request: Request) -> str:
    """The double-submit token of the login form (there is no session to tie it to yet)."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def redirect_target(next_path: str | None) -> str:
    """Only paths of the organiser pages, never another site."""
    if next_path and next_path.startswith(PREFIX + "/") and "//" not in next_path:
        return next_path
    return PREFIX + "/"
