"""Setting a round up: rules, series, evenings, venues, imports, letter codes, status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.database import DbSession
from api.errors import Reply
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import (
    MAX_ROUND_FILE,
    Lang,
    done,
    form_again,
    form_values,
    parse_form,
    upload_bytes,
)
from api.organiser.rendering import PRIVATE_HEADERS, download, render
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.errors import InvalidInput
from vekl.reference import language_names
from vekl.registration import import_jobs
from vekl.rounds import service as rounds
from vekl.rounds import setup as round_setup
from vekl.rounds.schemas import EveningInput, NewSeriesInput, RoundSettingsInput, SeriesInput
from vekl.store.models import CsvImport

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)
ROUND_LISTS = ("languages_offered", "working_languages")
REFRESH_SECONDS = 2


def _round_path(slug: str, page: str = "") -> str:
    return f"{PREFIX}/rounds/{slug}{page}"


@router.get("/rounds/new", summary="Form for a new round")
def new_round(me: Organiser, request: Request, lang: Lang) -> Response:
    return render(request, lang, "round_new.html", language_choices=language_names(lang))


@router.post("/rounds", summary="Create a round from the form")
def create_round(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    form: PostedForm,
) -> Response:
    values = form_values(form, ROUND_LISTS)
    slug = str(values.pop("slug", "")).strip().lower()
    try:
        try:
            data = parse_form(RoundSettingsInput, values)
        except InvalidInput as problem:
            problem.errors[:0] = rounds.slug_problems(slug)
            raise
        round = round_setup.create_round(session, slug, data, settings, organisers.actor(me))
    except InvalidInput as problem:
        raise form_again(
            request,
            lang,
            "round_new.html",
            problem,
            {**values, "slug": slug},
            language_choices=language_names(lang),
        ) from None
    return done(_round_path(round.slug), "created")


@router.post("/rounds/upload", summary="Create a round from a round file (TOML)")
def upload_round(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    form: PostedForm,
) -> Response:
    # Parsed and created within the request (and on SQLite under the write lock): small only.
    raw = upload_bytes(form, "file", limit=MAX_ROUND_FILE)
    round = round_setup.create_round_from_file(session, raw, settings, organisers.actor(me))
    return done(_round_path(round.slug), "created")


@router.get("/rounds/{slug}", summary="A round at a glance")
def round_overview(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "round.html", view=round_setup.overview(session, slug))


@router.get("/rounds/{slug}/setup", summary="Rules, series, evenings and venues")
def setup_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(
        request,
        lang,
        "setup.html",
        view=round_setup.overview(session, slug),
        language_choices=language_names(lang),
    )


@router.post("/rounds/{slug}/settings", summary="Change the round's rules")
def save_settings(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    values = form_values(form, ROUND_LISTS)
    try:
        data = parse_form(RoundSettingsInput, values)
        round_setup.update_round(session, slug, data, settings, organisers.actor(me))
    except InvalidInput as problem:
        raise form_again(
            request,
            lang,
            "setup.html",
            problem,
            values,
            view=round_setup.overview(session, slug),
            language_choices=language_names(lang),
        ) from None
    return done(_round_path(slug, "/setup"), "saved")


@router.post("/rounds/{slug}/status", summary="Open or close registration")
def set_status(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    """Closing registration first says what it means, and needs a second click."""
    status = str(form.get("status", ""))
    if status == "closed" and form.get("confirm") != "yes":
        view = round_setup.overview(session, slug)
        return render(request, lang, "close_registration.html", view=view)
    round_setup.set_status(session, slug, status, organisers.actor(me))
    return done(_round_path(slug), "status")


def _setup_again(
    session: DbSession,
    request: Request,
    lang: str,
    slug: str,
    prefix: str,
    problem: InvalidInput,
    posted: dict[str, object],
) -> Reply:
    """The set-up page once more, the form ``prefix`` with what was typed and every problem
    next to its field; raised, so the transaction rolls back."""
    return form_again(
        request,
        lang,
        "setup.html",
        problem,
        posted,
        form=prefix,
        view=round_setup.overview(session, slug),
        language_choices=language_names(lang),
    )


@router.post("/rounds/{slug}/series", summary="Add a series")
def add_series(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    values = form_values(form)
    try:
        data = parse_form(NewSeriesInput, values)
        round_setup.add_series(session, slug, data, settings, organisers.actor(me))
    except InvalidInput as problem:
        raise _setup_again(session, request, lang, slug, "new-series", problem, values) from None
    return done(_round_path(slug, "/setup"), "saved")


@router.post("/rounds/{slug}/series/{key}", summary="Change a series or its venue")
def edit_series(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    key: str,
    form: PostedForm,
) -> Response:
    values = form_values(form)
    try:
        data = parse_form(SeriesInput, values)
        mails = round_setup.edit_series(session, slug, key, data, settings, organisers.actor(me))
    except InvalidInput as problem:
        raise _setup_again(session, request, lang, slug, f"s-{key}", problem, values) from None
    return done(_round_path(slug, f"/setup?mails={mails}"), "saved")


@router.post("/rounds/{slug}/series/{key}/evenings", summary="Add an evening")
def add_evening(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    key: str,
    form: PostedForm,
) -> Response:
    values = form_values(form)
    try:
        data = parse_form(EveningInput, values)
        mails = round_setup.add_evening(session, slug, key, data, settings, organisers.actor(me))
    except InvalidInput as problem:
        raise _setup_again(session, request, lang, slug, f"new-{key}", problem, values) from None
    return done(_round_path(slug, f"/setup?mails={mails}"), "saved")


@router.post("/rounds/{slug}/evenings/{evening_id}", summary="Move an evening")
def reschedule_evening(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    evening_id: int,
    form: PostedForm,
) -> Response:
    """Without ``confirm``, a move that mails people first shows who would be told."""
    values = form_values(form)
    confirmed = values.pop("confirm", None) == "yes"
    try:
        data = parse_form(EveningInput, values)
        if not confirmed:
            preview = round_setup.reschedule_preview(session, slug, evening_id, data, settings)
            if preview.mails:
                return render(request, lang, "evening_move.html", preview=preview, data=data)
        mails = round_setup.reschedule_evening(
            session, slug, evening_id, data, settings, organisers.actor(me)
        )
    except InvalidInput as problem:
        prefix = f"e-{evening_id}"
        raise _setup_again(session, request, lang, slug, prefix, problem, values) from None
    return done(_round_path(slug, f"/setup?mails={mails}"), "saved")


@router.post("/rounds/{slug}/evenings/{evening_id}/delete", summary="Remove an evening")
def remove_evening(
    session: DbSession, me: OrganiserForm, request: Request, slug: str, evening_id: int
) -> Response:
    round_setup.remove_evening(session, slug, evening_id, organisers.actor(me))
    return done(_round_path(slug, "/setup"), "saved")


@router.get("/rounds/{slug}/import", summary="Import moderators and registrations")
def import_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    page = round_setup.import_page(session, slug)
    return render(
        request,
        lang,
        "import.html",
        view=page.overview,
        imports=page.imports,
        columns=page.columns,
    )


@router.get("/rounds/{slug}/import/{kind}/template.csv", summary="An empty file to fill in")
def import_template(me: Organiser, request: Request, slug: str, kind: str) -> Response:
    content = round_setup.import_template(kind)
    filename = "anmeldungen" if kind == "registrations" else "moderierende"
    return download(content, "text/csv; charset=utf-8", f"vorlage-{filename}.csv")


@router.post("/rounds/{slug}/import/{kind}", summary="Import a CSV file, or queue a large one")
def import_file(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    kind: str,
    form: PostedForm,
) -> Response:
    raw = upload_bytes(form, "file")
    outcome = round_setup.import_file(
        session, slug, kind, raw, organisers.actor(me), inline_rows=settings.import_inline_rows
    )
    if isinstance(outcome, CsvImport):
        # Kept and queued with this transaction; a worker imports it, the page follows.
        return done(_round_path(slug, f"/imports/{outcome.id}"), "queued")
    page = round_setup.import_page(session, slug)
    return render(
        request,
        lang,
        "import.html",
        view=page.overview,
        imports=page.imports,
        columns=page.columns,
        result=outcome,
        kind=kind,
    )


@router.get("/rounds/{slug}/imports/{import_id}", summary="An import by the worker")
def import_job_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str, import_id: int
) -> Response:
    found = round_setup.import_progress(session, slug, import_id)
    return render(
        request,
        lang,
        "import_job.html",
        round=found.round,
        view=found.view,
        refresh=REFRESH_SECONDS if found.view.active else None,
    )


@router.get(
    "/rounds/{slug}/imports/{import_id}/progress.json", summary="An import's progress as JSON"
)
def import_job_progress(
    session: DbSession, me: Organiser, request: Request, slug: str, import_id: int
) -> Response:
    found = round_setup.import_progress(session, slug, import_id)
    return JSONResponse(import_jobs.progress(found.view), headers=PRIVATE_HEADERS)


@router.get("/rounds/{slug}/moderators", summary="The moderators and their links")
def moderators_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "moderators.html", view=round_setup.overview(session, slug))


@router.post("/rounds/{slug}/moderators/links", summary="Issue new moderator links")
def moderator_links(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
) -> Response:
    issued = round_setup.moderator_links(session, slug, settings, organisers.actor(me))
    view = round_setup.overview(session, slug)
    return render(request, lang, "moderators.html", view=view, issued=issued)


@router.get("/rounds/{slug}/codes", summary="Codes for the lottery letters")
def codes_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "codes.html", view=round_setup.overview(session, slug))


@router.post("/rounds/{slug}/codes", summary="Generate codes and download them")
def generate_codes(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    slug: str,
    form: PostedForm,
) -> Response:
    try:
        count = int(str(form.get("count", "")))
    except ValueError:
        count = 0
    content = round_setup.letter_codes_csv(session, slug, count, settings, organisers.actor(me))
    return download(content, "text/csv; charset=utf-8", f"{slug}-codes.csv")
