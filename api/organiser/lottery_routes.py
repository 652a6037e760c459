"""The lottery: upload the register extract, plan, draw with a public seed, follow the response.

One page (``/organiser/rounds/{slug}/lottery``) with a form per step. Each form's route reads
the form, calls one function of :mod:`vekl.lottery.pages` and goes back to the page; a
refused form shows the page again with every problem next to its field (the transaction is
rolled back, so nothing changed). Other service errors go through the organiser error page.
The letters, the print shop's CSV and the protocol are downloaded from the wave's links.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api import error_texts
from api.database import DbSession
from api.errors import Reply
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import Lang, done, form_again, form_values, upload_bytes
from api.organiser.rendering import render
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.errors import InvalidInput
from vekl.lottery import pages as lottery_pages

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)

EXTRACT_UPLOAD_LIMIT = 32 * 1024 * 1024
"""A register extract of all 90,000 adults of Konstanz is about 8 MB."""
PLAN_LISTS = ("dimensions",)


def _done(slug: str, notice: str, anchor: str) -> Response:
    """Back to the page at the step just taken, which says what happened."""
    return done(f"{PREFIX}/rounds/{slug}/lottery", notice, anchor)


def _again(
    session: DbSession,
    request: Request,
    lang: str,
    slug: str,
    form: str,
    problem: InvalidInput,
    posted: dict[str, object],
) -> Reply:
    """The page once more, the form ``form`` with what was typed and every problem next to
    its field; raised, so the transaction rolls back."""
    problems = None
    if form == "extract":
        # A file's problems name their line and column, all of them under the file field.
        problems = {"file": [error_texts.field_text(lang, e) for e in problem.errors]}
    view = lottery_pages.page(session, slug)
    return form_again(
        request, lang, "lottery.html", problem, posted, form=form, problems=problems, view=view
    )


@router.get("/rounds/{slug}/lottery", summary="The lottery: extract, plan, draw, response")
def lottery_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "lottery.html", view=lottery_pages.page(session, slug))


@router.post("/rounds/{slug}/lottery/extract", summary="Upload the register extract")
def upload_extract(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    try:
        raw = upload_bytes(form, "file", limit=EXTRACT_UPLOAD_LIMIT)
        lottery_pages.import_extract(
            session,
            slug,
            raw,
            actor=organisers.actor(me),
            now=datetime.now(UTC),
            settings=settings,
        )
    except InvalidInput as problem:
        raise _again(session, request, lang, slug, "extract", problem, {}) from None
    return _done(slug, "imported", "extract")


@router.post("/rounds/{slug}/lottery/plan", summary="Plan the draw and show the preview")
def plan(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    values = form_values(form, PLAN_LISTS)
    try:
        lottery_pages.plan(
            session,
            slug,
            values,
            actor=organisers.actor(me),
            now=datetime.now(UTC),
            settings=settings,
        )
    except InvalidInput as problem:
        raise _again(session, request, lang, slug, "plan", problem, values) from None
    return _done(slug, "planned", "plan")


@router.post("/rounds/{slug}/lottery/draw", summary="Draw the first wave with the public seed")
def draw(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    seed = str(form.get("seed", ""))
    try:
        lottery_pages.draw(
            session,
            slug,
            seed,
            None,
            actor=organisers.actor(me),
            now=datetime.now(UTC),
            settings=settings,
        )
    except InvalidInput as problem:
        raise _again(session, request, lang, slug, "draw", problem, {"seed": seed}) from None
    return _done(slug, "drawn", "waves")


@router.post("/rounds/{slug}/lottery/more", summary="Draw another wave for strata that fall short")
def draw_more(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    values = form_values(form)
    seed = str(form.get("seed", ""))
    more = {
        name.removeprefix(lottery_pages.MORE_FIELD): str(value)
        for name, value in form.multi_items()
        if name.startswith(lottery_pages.MORE_FIELD)
    }
    try:
        lottery_pages.draw(
            session,
            slug,
            seed,
            more,
            actor=organisers.actor(me),
            now=datetime.now(UTC),
            settings=settings,
        )
    except InvalidInput as problem:
        raise _again(session, request, lang, slug, "more", problem, values) from None
    return _done(slug, "drawn", "waves")


@router.post("/rounds/{slug}/lottery/delete-extract", summary="Delete the register extract")
def delete_extract(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    typed = str(form.get("confirm", ""))
    try:
        lottery_pages.delete_extract(
            session, slug, typed, actor=organisers.actor(me), now=datetime.now(UTC)
        )
    except InvalidInput as problem:
        raise _again(session, request, lang, slug, "delete", problem, {"confirm": typed}) from None
    return _done(slug, "extract_deleted", "extract")
