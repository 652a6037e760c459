"""Attendance: every evening's counts, one evening's groups to mark or correct (from the
printed sign-in sheet, say), and who did not come to the first evening."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import Lang, done
from api.organiser.rendering import render
from vekl.access import organisers
from vekl.attendance import service as attendance
from vekl.attendance.schemas import field_name, parse_marks

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)


@router.get("/rounds/{slug}/attendance", summary="Attendance of every evening")
def attendance_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    view = attendance.overview(session, slug, now=datetime.now(UTC))
    return render(request, lang, "attendance.html", view=view)


@router.get("/rounds/{slug}/evenings/{evening_id}/attendance", summary="Who came to an evening")
def evening_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str, evening_id: int
) -> Response:
    sheet = attendance.evening_sheet(session, slug, evening_id, now=datetime.now(UTC))
    changed = request.query_params.get("changed", "")
    return render(
        request,
        lang,
        "attendance_evening.html",
        sheet=sheet,
        field_name=field_name,
        changed=int(changed) if changed.isdigit() and len(changed) < 6 else 0,
    )


@router.post(
    "/rounds/{slug}/evenings/{evening_id}/attendance", summary="Record or correct who came"
)
def record(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    slug: str,
    evening_id: int,
    form: PostedForm,
) -> Response:
    given = parse_marks(form.multi_items(), may_clear=True)
    saved = attendance.mark_by_organiser(
        session, slug, evening_id, given, organisers.actor(me), now=datetime.now(UTC)
    )
    path = f"{PREFIX}/rounds/{slug}/evenings/{evening_id}/attendance?changed={saved.changed}"
    return done(path, "attendance")
