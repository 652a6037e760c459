"""The moderator's link: their groups with first names, languages and needs; the evenings;
who came to each evening (a plain form, no JavaScript needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import error_texts
from api.database import DbSession
from api.errors import Reply, status_of
from api.language import Language, personal_language
from api.pages import render
from api.routes.common import AppSettings, PostedForm
from api.routes.views import moderator_page
from vekl.attendance import errors as attendance_errors
from vekl.attendance import service as attendance
from vekl.attendance.schemas import field_name, parse_marks
from vekl.attendance.service import ModeratorSheet
from vekl.errors import Conflict, InvalidInput
from vekl.moderators import moderation
from vekl.runs.placements import group_label

router = APIRouter(prefix="/moderator/{token}", tags=["moderator pages"])
WINDOW_CLOSED = (attendance_errors.NOT_STARTED, attendance_errors.TOO_LATE)


@router.get("", response_class=HTMLResponse, summary="The moderator's page")
def page(session: DbSession, settings: AppSettings, request: Request, token: str) -> Response:
    found = moderator_page(
        session,
        token,
        lambda stored: personal_language(request, stored),
        attendance_days=settings.attendance_days,
        now=datetime.now(UTC),
    )
    return render(request, found.lang, "moderator.html", page=found, token=token)


@router.get(
    "/calendar.ics",
    summary="The evenings of the moderator's groups",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def calendar(session: DbSession, settings: AppSettings, token: str) -> Response:
    return Response(
        moderation.calendar(session, settings, token),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="vekl-moderation.ics"'},
    )


@router.get(
    "/groups/{key}/roster.csv",
    summary="The members of one group as a spreadsheet",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def roster(session: DbSession, lang: Language, token: str, key: str) -> Response:
    content = moderation.roster(session, token, key, lang=lang)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="vekl-group.csv"'},
    )


def _evening_path(token: str, key: str, evening_id: int) -> str:
    return f"/moderator/{token}/groups/{key}/evenings/{evening_id}"


def _attendance_page(
    request: Request,
    lang: str,
    sheet: ModeratorSheet,
    token: str,
    *,
    status_code: int = 200,
    found: list[error_texts.ErrorText] | None = None,
    saved: tuple[int, int] | None = None,
) -> HTMLResponse:
    # Outside the window the page says why instead of showing the form.
    closed = None
    if sheet.problem is not None:
        closed = error_texts.translate(lang, sheet.problem, {"days": sheet.days})
    return render(
        request,
        lang,
        "moderator_attendance.html",
        status_code=status_code,
        switch_path=_evening_path(token, sheet.group.key, sheet.evening.id),
        sheet=sheet,
        token=token,
        problems=found or [],
        closed=closed,
        saved=saved,
        field_name=field_name,
        group_title=group_label(sheet.group, lang),
    )


def _count(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 5 else 0


@router.get(
    "/groups/{key}/evenings/{evening_id}",
    response_class=HTMLResponse,
    summary="Who came to an evening of the moderator's group",
)
def attendance_form(
    session: DbSession,
    settings: AppSettings,
    request: Request,
    lang: Language,
    token: str,
    key: str,
    evening_id: int,
) -> Response:
    sheet = attendance.moderator_sheet(
        session, token, key, evening_id, days=settings.attendance_days, now=datetime.now(UTC)
    )
    saved = None
    if request.query_params.get("done") == "saved":
        saved = (_count(request, "present"), _count(request, "absent"))
    return _attendance_page(request, lang, sheet, token, saved=saved)


@router.post(
    "/groups/{key}/evenings/{evening_id}",
    response_class=HTMLResponse,
    summary="Record who came to an evening of the moderator's group",
)
def record_attendance(
    session: DbSession,
    settings: AppSettings,
    request: Request,
    lang: Language,
    token: str,
    key: str,
    evening_id: int,
    form: PostedForm,
) -> Response:
    now = datetime.now(UTC)
    days = settings.attendance_days
    try:
        given = parse_marks(form.multi_items(), may_clear=False)
        saved = attendance.mark_by_moderator(
            session,
            token,
            key,
            evening_id,
            {pid: mark for pid, mark in given.items() if mark is not None},
            days=days,
            now=now,
        )
    except (InvalidInput, Conflict) as exc:
        if isinstance(exc, InvalidInput):
            found = error_texts.from_service(exc.errors, lang)
        elif exc.message in WINDOW_CLOSED:
            found = []  # the page itself says the window is closed
        else:
            found = [error_texts.ErrorText(None, error_texts.translate(lang, exc.message, {}))]
        sheet = attendance.moderator_sheet(session, token, key, evening_id, days=days, now=now)
        response = _attendance_page(
            request, lang, sheet, token, status_code=status_of(exc), found=found
        )
        raise Reply(response) from exc
    path = _evening_path(token, key, evening_id)
    return RedirectResponse(
        f"{path}?done=saved&present={saved.present}&absent={saved.absent}&lang={lang}",
        status_code=303,
    )
