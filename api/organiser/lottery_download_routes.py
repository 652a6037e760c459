"""The lottery's print files: a wave's letters (PDF), the print shop's list (CSV), the
wave's protocol (PDF), and the page where the letter's wording and signature are edited.

Rendering 1,500 letters takes a minute or two of CPU, longer than a reverse proxy waits:
the letters page queues the rendering for the worker (``vekl.lottery.letter_jobs``) and
shows how far it got, refreshing itself, and then the download. The list, the protocol and
the sample letter are quick and come straight from the request; these are plain functions,
so FastAPI runs them in a worker thread and the event loop stays free. Every download of
letters is in the audit log (they hold names and addresses).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.database import DbSession
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import Lang, done, form_again, form_values
from api.organiser.rendering import PRIVATE_HEADERS, download, render
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.errors import InvalidInput
from vekl.lottery import letter_jobs
from vekl.lottery import letters as printing

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)
PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
REFRESH_SECONDS = 3


def _letters_path(slug: str, n: int) -> str:
    return f"{PREFIX}/rounds/{slug}/lottery/waves/{n}/letters"


@router.get("/rounds/{slug}/lottery/waves/{n}/letters", summary="A wave's letters: render them")
def letters_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str, n: int
) -> Response:
    view = letter_jobs.letters_view(session, slug, n, now=datetime.now(UTC))
    return render(
        request,
        lang,
        "lottery_letters.html",
        view=view,
        refresh=REFRESH_SECONDS if view.active else None,
    )


@router.post("/rounds/{slug}/lottery/waves/{n}/letters", summary="Render a wave's letters")
def request_letters(session: DbSession, me: OrganiserForm, slug: str, n: int) -> Response:
    """Queue the rendering for the worker (or find the one under way) and return at once."""
    letter_jobs.request_letters(session, slug, n, actor=organisers.actor(me))
    return done(_letters_path(slug, n), "queued")


@router.get("/rounds/{slug}/lottery/waves/{n}/letters.pdf", summary="A wave's letters (PDF)")
def letters_pdf(session: DbSession, me: Organiser, slug: str, n: int) -> Response:
    """The letters the worker rendered; without them, the page that renders them."""
    content = letter_jobs.download_letters(
        session, slug, n, actor=organisers.actor(me), now=datetime.now(UTC)
    )
    if content is None:
        return RedirectResponse(_letters_path(slug, n), 303, headers=PRIVATE_HEADERS)
    return download(content, PDF, f"{slug}-welle-{n}-briefe.pdf")


@router.get("/rounds/{slug}/lottery/waves/{n}/letters.csv", summary="The print shop's list (CSV)")
def letters_csv(
    session: DbSession, me: Organiser, settings: AppSettings, slug: str, n: int
) -> Response:
    content = printing.wave_letters_csv(session, slug, n, settings, actor=organisers.actor(me))
    return download(content, CSV, f"{slug}-welle-{n}-druckerei.csv")


@router.get("/rounds/{slug}/lottery/waves/{n}/protocol.pdf", summary="A wave's protocol (PDF)")
def protocol_pdf(
    session: DbSession, me: Organiser, settings: AppSettings, slug: str, n: int
) -> Response:
    content = printing.wave_protocol_pdf(session, slug, n, settings)
    return download(content, PDF, f"{slug}-welle-{n}-protokoll.pdf")


@router.get("/rounds/{slug}/lottery/letter", summary="The letter's wording and signature")
def letter_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    view = printing.letter_view(session, slug)
    return render(request, lang, "lottery_letter.html", view=view, posted=None, problems={})


@router.get("/rounds/{slug}/lottery/letter/sample.pdf", summary="A sample letter (PDF)")
def sample_letter(session: DbSession, me: Organiser, settings: AppSettings, slug: str) -> Response:
    content = printing.round_sample_pdf(session, slug, settings, now=datetime.now(UTC))
    return Response(
        content,
        media_type=PDF,
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'inline; filename="{slug}-muster.pdf"'},
    )


@router.post("/rounds/{slug}/lottery/letter", summary="Change, preview or reset the wording")
def change_letter(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    form: PostedForm,
    slug: str,
) -> Response:
    """``action`` is "preview" (a sample letter with the typed text, nothing kept), "save"
    (kept if it fits on one sheet) or "default" (back to the catalog's wording)."""
    values = form_values(form)
    action = values.pop("action", "save")
    posted = {"body": values.get("body", ""), "signature": values.get("signature", "")}
    try:
        if action == "default":
            printing.reset_round_letter_text(session, slug, actor=organisers.actor(me))
            return done(f"{PREFIX}/rounds/{slug}/lottery/letter", "reset")
        if action == "preview":
            content = printing.round_sample_pdf(
                session, slug, settings, now=datetime.now(UTC), typed=posted
            )
            return Response(
                content,
                media_type=PDF,
                headers={
                    **PRIVATE_HEADERS,
                    "Content-Disposition": f'inline; filename="{slug}-muster.pdf"',
                },
            )
        printing.set_round_letter_text(
            session, slug, posted, settings=settings, actor=organisers.actor(me)
        )
    except InvalidInput as problem:
        view = printing.letter_view(session, slug)
        raise form_again(
            request, lang, "lottery_letter.html", problem, posted, view=view
        ) from problem
    return done(f"{PREFIX}/rounds/{slug}/lottery/letter", "saved")
