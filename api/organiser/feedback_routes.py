"""The feedback page: send the survey after the last evening, see how many answered; and
the announcement to everyone who asked to hear about later rounds (write, preview, confirm)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import Lang, done, form_again
from api.organiser.rendering import render
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.errors import InvalidInput
from vekl.feedback import announcements
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


NEWS_PATH = f"{PREFIX}/news"


def _posted(form: PostedForm) -> dict[str, str]:
    return {key: value for key in form if isinstance(value := form.get(key), str)}


def _news_context(session: DbSession) -> dict[str, Any]:
    """What the announcement's form shows besides what was typed."""
    return {
        "counts": announcements.subscriber_counts(session),
        "versions": announcements.LANGUAGES,
        "limits": {"subject": announcements.SUBJECT_MAX, "text": announcements.TEXT_MAX},
    }


def _compose(
    session: DbSession,
    request: Request,
    lang: str,
    posted: dict[str, str],
    sent: int | None = None,
) -> Response:
    """The announcement's form with what was typed (nothing refused), and how many the last
    one went to."""
    return render(
        request, lang, "news.html", posted=posted, problems={}, sent=sent, **_news_context(session)
    )


def _parsed(
    session: DbSession, request: Request, lang: str, posted: dict[str, str]
) -> announcements.Announcement:
    """The announcement, or the form again with each problem next to its field."""
    try:
        return announcements.parse(posted)
    except InvalidInput as problem:
        raise form_again(
            request, lang, "news.html", problem, posted, **_news_context(session)
        ) from None


@router.get("/news", summary="Write to everyone who asked for news about later rounds")
def news_page(session: DbSession, me: Organiser, request: Request, lang: Lang) -> Response:
    sent = request.query_params.get("sent", "")
    return _compose(session, request, lang, {}, sent=int(sent) if sent.isdigit() else None)


@router.post("/news/edit", summary="The announcement's form again, to change it")
def news_edit(
    session: DbSession, me: OrganiserForm, request: Request, lang: Lang, form: PostedForm
) -> Response:
    return _compose(session, request, lang, _posted(form))


@router.post("/news/preview", summary="Each language's mail and how many get it, to confirm")
def news_preview(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    form: PostedForm,
) -> Response:
    announcement = _parsed(session, request, lang, _posted(form))
    view = announcements.preview(session, settings, announcement, datetime.now(UTC))
    return render(request, lang, "news_preview.html", view=view)


@router.post("/news/send", summary="Send the confirmed announcement, once per subscriber")
def news_send(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    form: PostedForm,
) -> Response:
    announcement = _parsed(session, request, lang, _posted(form))
    sent = announcements.send(
        session, settings, announcement, datetime.now(UTC), organisers.actor(me)
    )
    return done(f"{NEWS_PATH}?sent={sent.total}", "news_sent")
