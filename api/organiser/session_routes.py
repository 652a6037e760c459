"""Logging in and out, the list of rounds, and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.database import DbSession
from api.errors import Reply, retry_after, status_of
from api.organiser.auth import (
    LOGIN_COOKIE,
    LOGIN_PATH,
    PREFIX,
    SESSION_COOKIE,
    Organiser,
    OrganiserForm,
    login_form_token,
    redirect_target,
    secure_cookies,
)
from api.organiser.common import Lang
from api.organiser.i18n import tr
from api.organiser.rendering import PRIVATE_HEADERS, render
from api.organiser.views.audit import audit_page
from api.routes.common import AppSettings, Client
from vekl.access import organisers
from vekl.rounds import setup as round_setup

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)


def _login_page(
    request: Request, lang: str, *, next_path: str, problem: str = "", status_code: int = 200
) -> Response:
    token = login_form_token(request)
    response = render(
        request,
        lang,
        "login.html",
        status_code=status_code,
        form_token=token,
        next_path=redirect_target(next_path),
        problem=problem,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path=LOGIN_PATH,
    )
    return response


@router.get("/login", summary="Organiser login form")
def login_form(request: Request, lang: Lang, next: str = "") -> Response:
    return _login_page(request, lang, next_path=next)


@router.post("/login", summary="Log in as organiser")
def login(
    session: DbSession,
    settings: AppSettings,
    client: Client,
    request: Request,
    lang: Lang,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    form_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or cookie != form_token:
        raise Reply(
            _login_page(
                request,
                lang,
                next_path=next,
                problem=tr(
                    lang, "This form has expired. Please reload the page and send it again."
                ),
                status_code=403,
            )
        )
    try:
        new = organisers.login(
            session,
            email,
            password,
            client=client,
            secret=settings.secret_key,
            now=datetime.now(UTC),
        )
    except organisers.LoginLocked as exc:
        page = _login_page(
            request,
            lang,
            next_path=next,
            problem=tr(lang, organisers.LOCKED),
            status_code=status_of(exc),
        )
        raise Reply(retry_after(page, exc)) from exc
    except organisers.LoginRejected as exc:
        page = _login_page(
            request,
            lang,
            next_path=next,
            problem=tr(lang, organisers.LOGIN_FAILED),
            status_code=status_of(exc),
        )
        raise Reply(page) from exc
    response = RedirectResponse(redirect_target(next), 303, headers=PRIVATE_HEADERS)
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=int(organisers.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path=PREFIX,
    )
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout", summary="Log out")
def logout(session: DbSession, me: OrganiserForm, request: Request) -> Response:
    organisers.logout(session, me)
    response = RedirectResponse(LOGIN_PATH + "?done=logged_out", 303, headers=PRIVATE_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/", summary="The rounds")
def home(session: DbSession, me: Organiser, request: Request, lang: Lang) -> Response:
    return render(request, lang, "home.html", rounds=round_setup.all_rounds(session))


@router.get("/audit", summary="The audit log of all rounds")
def audit_all(session: DbSession, me: Organiser, request: Request, lang: Lang) -> Response:
    return render(request, lang, "audit.html", page=audit_page(session))


@router.get("/rounds/{slug}/audit", summary="The audit log of one round")
def audit_round(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "audit.html", page=audit_page(session, slug))
