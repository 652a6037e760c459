"""The moderator's link: their groups with first names, languages and needs; the evenings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.language import Language
from api.pages import render
from api.routes.common import AppSettings
from api.routes.views import moderator_page
from vekl.moderators import moderation

router = APIRouter(prefix="/moderator/{token}", tags=["moderator pages"])


@router.get("", response_class=HTMLResponse, summary="The moderator's page")
def page(session: DbSession, request: Request, lang: Language, token: str) -> Response:
    found = moderator_page(session, token, lang)
    return render(request, lang, "moderator.html", page=found, token=token)


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
