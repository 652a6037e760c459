"""The survey after the last evening, staying in touch, and ending the news about later rounds.

The survey's link is single-use and opens no personal page; what the person answers is
stored without them (``vekl.feedback.service``). Choosing whom to stay in touch with, and
the news opt-in, are on the personal page: they are personal, and stored apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import error_texts
from api.database import DbSession
from api.errors import Reply, status_of
from api.language import Language
from api.pages import render
from api.routes.common import AppSettings
from vekl.errors import Conflict, InvalidInput
from vekl.feedback import contacts, news
from vekl.feedback import service as feedback

router = APIRouter(tags=["feedback pages"])

Field = Annotated[str, Form()]


def _by_field(found: list[error_texts.ErrorText]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for problem in found:
        out.setdefault(problem.field or "", []).append(problem.message)
    return out


@router.get("/survey/{token}", response_class=HTMLResponse, summary="The survey (single-use link)")
def survey_form(session: DbSession, request: Request, lang: Language, token: str) -> Response:
    found = feedback.survey(session, token, datetime.now(UTC))
    return render(
        request,
        lang,
        "survey.html",
        survey=found,
        token=token,
        form={},
        problems=[],
        field_errors={},
    )


@router.post("/survey/{token}", summary="Answer the survey; the link is spent")
def survey_answer(
    session: DbSession,
    settings: AppSettings,
    request: Request,
    lang: Language,
    token: str,
    satisfaction: Field = "",
    met_someone_new: Field = "",
    would_recommend: Field = "",
    stay_in_touch: Field = "",
    group_talked_freely: Field = "",
    moderate_again: Field = "",
    comment: Field = "",
) -> Response:
    form = {
        "satisfaction": satisfaction,
        "met_someone_new": met_someone_new,
        "would_recommend": would_recommend,
        "stay_in_touch": stay_in_touch,
        "group_talked_freely": group_talked_freely,
        "moderate_again": moderate_again,
        "comment": comment,
    }
    now = datetime.now(UTC)
    try:
        feedback.answer(session, token, form, settings, now)
    except InvalidInput as exc:
        found = error_texts.from_service(exc.errors, lang)
        page = render(
            request,
            lang,
            "survey.html",
            status_code=status_of(exc),
            switch_path=f"/survey/{token}",
            survey=feedback.survey(session, token, now),
            token=token,
            form=form,
            problems=found,
            field_errors=_by_field(found),
        )
        raise Reply(page) from exc
    return RedirectResponse(f"/survey-done?lang={lang}", status_code=303)


@router.get("/survey-done", response_class=HTMLResponse, summary="Thanks for answering")
def survey_done(request: Request, lang: Language) -> Response:
    return render(request, lang, "survey_done.html")


def _contacts_page(
    request: Request,
    lang: str,
    view: object,
    token: str,
    *,
    status_code: int = 200,
    found: list[error_texts.ErrorText] | None = None,
    done: str = "",
) -> HTMLResponse:
    return render(
        request,
        lang,
        "contacts.html",
        status_code=status_code,
        switch_path=f"/me/{token}/contacts",
        view=view,
        token=token,
        problems=found or [],
        field_errors=_by_field(found or []),
        done=done,
    )


@router.get(
    "/me/{token}/contacts",
    response_class=HTMLResponse,
    summary="Whom from the group to stay in touch with; news about later rounds",
)
def contacts_form(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    view = contacts.page(session, settings, token, datetime.now(UTC))
    done = request.query_params.get("done", "")[:20]
    return _contacts_page(request, lang, view, token, done=done)


@router.post("/me/{token}/contacts", summary="Save the stay-in-touch choices and the opt-in")
def contacts_save(
    session: DbSession,
    settings: AppSettings,
    request: Request,
    lang: Language,
    token: str,
    members: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    news_opt_in: Annotated[str, Form(alias="news")] = "",
) -> Response:
    now = datetime.now(UTC)
    try:
        contacts.choose(session, settings, token, members, subscribe=news_opt_in == "yes", now=now)
    except (InvalidInput, Conflict) as exc:
        found = (
            error_texts.from_service(exc.errors, lang)
            if isinstance(exc, InvalidInput)
            else [error_texts.ErrorText(None, error_texts.message(lang, exc.message))]
        )
        view = contacts.page(session, settings, token, now)
        page = _contacts_page(request, lang, view, token, status_code=status_of(exc), found=found)
        raise Reply(page) from exc
    return RedirectResponse(f"/me/{token}/contacts?done=saved&lang={lang}", status_code=303)


@router.get("/news/{token}", response_class=HTMLResponse, summary="Ask before ending the news")
def news_form(session: DbSession, request: Request, lang: Language, token: str) -> Response:
    """Opening the link only asks: mail scanners follow links, so a GET ends nothing."""
    news.subscriber_for(session, token)
    return render(request, lang, "news_withdraw.html", token=token, withdrawn=False)


@router.post("/news/{token}", response_class=HTMLResponse, summary="End the news; no login")
def news_withdraw(session: DbSession, request: Request, lang: Language, token: str) -> Response:
    news.withdraw(session, token)
    return render(request, lang, "news_withdraw.html", token=token, withdrawn=True)
