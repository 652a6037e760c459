"""Registrations: counts and charts, the filtered list, one person's detail, edits, dropouts."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.errors import Reply, status_of
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import Lang, done, field_problems, form_values, parse_form
from api.organiser.rendering import render
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.errors import InvalidInput
from vekl.reference import AGE_BANDS, DISTRICTS, GENDERS, NEEDS
from vekl.registration import overview as registration_overview

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)
PERSON_LISTS = ("series", "needs")


@router.get("/rounds/{slug}/registrations", summary="Registrations: counts, charts and list")
def registrations_page(
    session: DbSession,
    me: Organiser,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
) -> Response:
    filters = {
        key: request.query_params.get(key, "")[:100] for key in registration_overview.FILTERS
    }
    view = registration_overview.overview(session, slug, filters, settings.zone)
    return render(request, lang, "registrations.html", view=view)


@router.get("/rounds/{slug}/registrations/{participant_id}", summary="One registration")
def person_page(
    session: DbSession,
    me: Organiser,
    request: Request,
    lang: Lang,
    slug: str,
    participant_id: int,
) -> Response:
    return _person(session, request, lang, slug, participant_id)


def _person(
    session: DbSession,
    request: Request,
    lang: str,
    slug: str,
    participant_id: int,
    *,
    status_code: int = 200,
    **context: object,
) -> Response:
    return render(
        request,
        lang,
        "person.html",
        status_code=status_code,
        view=registration_overview.detail(session, slug, participant_id),
        districts=DISTRICTS,
        age_bands=AGE_BANDS,
        genders=GENDERS,
        needs=NEEDS,
        **context,
    )


@router.post("/rounds/{slug}/registrations/{participant_id}", summary="Correct a registration")
def save_person(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    slug: str,
    participant_id: int,
    form: PostedForm,
) -> Response:
    values = form_values(form, PERSON_LISTS)
    typed = str(values.pop("languages_text", ""))
    values["languages"] = [code for code in re.split(r"[\s,;|/]+", typed) if code]
    data = parse_form(registration_overview.RegistrationCorrection, values)
    registration_overview.update(session, slug, participant_id, data, organisers.actor(me))
    return done(f"{PREFIX}/rounds/{slug}/registrations/{participant_id}", "saved")


@router.post(
    "/rounds/{slug}/registrations/{participant_id}/drop-out", summary="Mark as dropped out"
)
def drop_out(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    participant_id: int,
    form: PostedForm,
) -> Response:
    try:
        mails = registration_overview.drop_out(
            session,
            slug,
            participant_id,
            str(form.get("reason", "")),
            settings,
            organisers.actor(me),
            category=str(form.get("category", "")),
        )
    except InvalidInput as problem:
        # The page again, each problem next to its field; the rollback keeps everything.
        page = _person(
            session,
            request,
            lang,
            slug,
            participant_id,
            status_code=status_of(problem),
            problems=field_problems(lang, problem),
            posted={key: str(form.get(key, "")) for key in ("reason", "category")},
        )
        raise Reply(page) from None
    return done(
        f"{PREFIX}/rounds/{slug}/registrations/{participant_id}?mails={mails}", "dropped_out"
    )
