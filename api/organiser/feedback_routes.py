"""The feedback page: send the survey after the last evening, see how many answered."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.organiser.auth import PREFIX, Organiser, OrganiserForm
from api.organiser.common import Lang, done
from api.organiser.rendering import render
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.feedback import service as feedback

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)


@router.get("/rounds/{slug}/feedback", summary="The survey: invitations and answers")
def feedback_page(
    session: DbSession,
    me: Organiser,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
) -> Response:
    view = feedback.overview(session, slug, settings, datetime.now(UTC))
    return render(request, lang, "feedback.html", view=view)


@router.post("/rounds/{slug}/feedback/send", summary="Send the survey to whoever is due")
def send_survey(
    session: DbSession, me: OrganiserForm, settings: AppSettings, request: Request, slug: str
) -> Response:
    sent = feedback.send(session, slug, settings, datetime.now(UTC), organisers.actor(me))
    return done(f"{PREFIX}/rounds/{slug}/feedback?sent={sent.total}", "survey_sent")
