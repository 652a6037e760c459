"""The moderator's link: their groups with first names, languages and needs; the evenings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.language import Language
from api.pages import gettext, render
from api.problems import N_
from api.routes.common import AppSettings
from vekl.moderators import pages as moderator_pages

router = APIRouter(prefix="/moderator/{token}", tags=["moderator pages"])

STEP_FREE = N_("Needs step-free access")


@router.get("", response_class=HTMLResponse, summary="The moderator's page")
def page(session: DbSession, request: Request, lang: Language, token: str) -> Response:
    found = moderator_pages.page(session, token, step_free_note=gettext(lang, STEP_FREE))
    return render(request, lang, "moderator.html", page=found, token=token)


@router.get(
    "/calendar.ics",
    summary="The evenings of the moderator's groups",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def calendar(session: DbSession, settings: AppSettings, token: str) -> Response:
    return Response(
        moderator_pages.calendar(session, settings, token),
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
    content = moderator_pages.roster(
        session, token, key, lang=lang, step_free_note=gettext(lang, STEP_FREE)
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="vekl-group.csv"'},
    )
