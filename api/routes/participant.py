"""The participant's personal link: status, calendar, changes, withdrawal, data, deletion."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import error_texts, forms
from api.database import DbSession
from api.errors import Reply, status_of
from api.language import Language, personal_language
from api.pages import render
from api.routes.common import AppSettings
from api.routes.views import ParticipantPage, participant_page
from vekl.access import links
from vekl.errors import Conflict, InvalidInput
from vekl.registration import online as online_registration
from vekl.registration import self_service
from vekl.settings import Settings

router = APIRouter(prefix="/me/{token}", tags=["participant pages"])


def _status(
    request: Request,
    lang: str,
    page: ParticipantPage,
    token: str,
    *,
    settings: Settings,
    status_code: int = 200,
    found: list[error_texts.ErrorText] | None = None,
    notice: str = "",
) -> HTMLResponse:
    return render(
        request,
        lang,
        "status.html",
        status_code=status_code,
        switch_path=f"/me/{token}",
        page=page,
        token=token,
        problems=found or [],
        notice=notice,
        calendar_path=links.PARTICIPANT_CALENDAR_PATH.format(token=token),
        subscription_url=links.subscription_url(settings, page.feed_token),
    )


@router.get("", response_class=HTMLResponse, summary="The participant's page")
def status(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    page = participant_page(session, settings, token)
    lang = personal_language(request, page.participant.preferred_language)
    notice = request.query_params.get("done", "")
    return _status(request, lang, page, token, settings=settings, notice=notice[:20])


@router.get("/confirm", response_class=HTMLResponse, summary="Ask to confirm (link from the mail)")
def confirm_form(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    """Opening the link only asks: mail scanners follow links, so a GET confirms nothing."""
    page = participant_page(session, settings, token)
    lang = personal_language(request, page.participant.preferred_language)
    if page.standing is not self_service.Standing.PENDING:
        return RedirectResponse(f"/me/{token}?lang={lang}", status_code=303)
    return render(request, lang, "confirm.html", page=page, token=token)


@router.post("/confirm", summary="Confirm the email address")
def confirm_button(session: DbSession, lang: Language, token: str) -> Response:
    online_registration.confirm(session, token)
    return RedirectResponse(f"/me/{token}?done=confirmed&lang={lang}", status_code=303)


@router.get(
    "/calendar.ics",
    summary="The participant's evenings as a calendar (download and webcal feed)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def calendar(session: DbSession, settings: AppSettings, token: str) -> Response:
    content = self_service.calendar(session, settings, token)
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="vekl.ics"'},
    )


@router.post("/link", summary="Replace the personal link; the old one stops working")
def replace_link(session: DbSession, settings: AppSettings, lang: Language, token: str) -> Response:
    fresh = self_service.replace_link(session, settings, token)
    return RedirectResponse(f"/me/{fresh}?done=link_replaced&lang={lang}", status_code=303)


@router.post("/series", summary="Change the series the participant can attend")
def change_series(
    session: DbSession,
    settings: AppSettings,
    request: Request,
    lang: Language,
    token: str,
    series: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    try:
        self_service.change_series(session, token, series)
    except (InvalidInput, Conflict) as exc:
        found = (
            error_texts.from_service(exc.errors, lang)
            if isinstance(exc, InvalidInput)
            else [error_texts.ErrorText(None, error_texts.message(lang, exc.message))]
        )
        page = participant_page(session, settings, token)
        response = _status(
            request, lang, page, token, settings=settings, status_code=status_of(exc), found=found
        )
        raise Reply(response) from exc
    return RedirectResponse(f"/me/{token}?done=changed&lang={lang}", status_code=303)


def _details_page(
    request: Request,
    lang: str,
    page: ParticipantPage,
    token: str,
    form: forms.DetailsForm,
    *,
    status_code: int = 200,
    found: list[error_texts.ErrorText] | None = None,
) -> HTMLResponse:
    by_field: dict[str, list[str]] = {}
    for problem in found or []:
        by_field.setdefault(problem.field or "", []).append(problem.message)
    return render(
        request,
        lang,
        "details.html",
        status_code=status_code,
        switch_path=f"/me/{token}/details",
        page=page,
        token=token,
        form=form,
        problems=found or [],
        field_errors=by_field,
        **forms.language_choices(lang, form.languages, form.other_languages),
    )


@router.get("/details", response_class=HTMLResponse, summary="Correct one's details")
def details_form(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    page = participant_page(session, settings, token)
    person = page.participant
    form = forms.DetailsForm(
        first_name=person.first_name,
        last_name=person.last_name,
        preferred_language=person.preferred_language,
        languages=[c for c in person.languages if c in forms.COMMON_LANGUAGES],
        other_languages=[],
        needs=list(person.needs),
        needs_other=person.needs_other or "",
    )
    chosen = forms.language_choices(lang, list(person.languages), [])
    form = form.model_copy(update={"other_languages": [v for v in chosen["other_languages"] if v]})
    return _details_page(request, lang, page, token, form)


@router.post("/details", response_class=HTMLResponse, summary="Correct one's details (form)")
def change_details(
    session: DbSession,
    settings: AppSettings,
    request: Request,
    lang: Language,
    token: str,
    form: Annotated[forms.DetailsForm, Form()],
) -> Response:
    try:
        self_service.change_details(session, token, forms.details_to_input(form, lang))
    except (InvalidInput, Conflict) as exc:
        found = (
            error_texts.from_service(exc.errors, lang)
            if isinstance(exc, InvalidInput)
            else [error_texts.ErrorText(None, error_texts.message(lang, exc.message))]
        )
        page = participant_page(session, settings, token)
        response = _details_page(
            request, lang, page, token, form, status_code=status_of(exc), found=found
        )
        raise Reply(response) from exc
    return RedirectResponse(f"/me/{token}?done=details&lang={lang}", status_code=303)


@router.get("/withdraw", response_class=HTMLResponse, summary="Ask before withdrawing")
def withdraw_form(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    page = participant_page(session, settings, token)
    return render(request, lang, "withdraw.html", page=page, token=token)


@router.post("/withdraw", summary="Withdraw from the round")
def withdraw(
    session: DbSession,
    settings: AppSettings,
    lang: Language,
    token: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    category = self_service.self_category(reason)
    self_service.withdraw(session, settings, token, category=category)
    return RedirectResponse(f"/me/{token}?done=withdrawn&lang={lang}", status_code=303)


@router.post(
    "/rejoin", summary="Take part after all: undo the withdrawal while registration is open"
)
def rejoin(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    try:
        self_service.rejoin(session, settings, token)
    except Conflict as exc:
        found = [error_texts.ErrorText(None, error_texts.message(lang, exc.message))]
        page = participant_page(session, settings, token)
        response = _status(
            request, lang, page, token, settings=settings, status_code=status_of(exc), found=found
        )
        raise Reply(response) from exc
    return RedirectResponse(f"/me/{token}?done=rejoined&lang={lang}", status_code=303)


@router.get("/data.json", summary="Everything stored about the participant")
def data(session: DbSession, token: str) -> Response:
    content = json.dumps(self_service.export(session, token), ensure_ascii=False, indent=2)
    return Response(
        content,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="vekl-data.json"'},
    )


@router.get("/delete", response_class=HTMLResponse, summary="Ask before deleting")
def delete_form(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    page = participant_page(session, settings, token)
    return render(request, lang, "delete.html", page=page, token=token)


@router.post("/delete", response_class=HTMLResponse, summary="Delete the registration")
def delete(
    session: DbSession, settings: AppSettings, request: Request, lang: Language, token: str
) -> Response:
    self_service.delete(session, settings, token)
    return render(request, lang, "deleted.html")


feeds = APIRouter(tags=["participant pages"])


@feeds.get(
    "/calendar/{feed_token}.ics",
    summary="The participant's evenings as a calendar feed, under the feed's own token",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def feed(session: DbSession, settings: AppSettings, feed_token: str) -> Response:
    content = self_service.feed(session, settings, feed_token)
    return Response(content, media_type="text/calendar; charset=utf-8")
