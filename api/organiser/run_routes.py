"""Matching as a job, the review of a draft, hand edits, publishing, dropouts and the outbox.

Starting a run or "send now" queues a job in the database; a worker process (``vekl worker``,
or the one inside ``vekl serve``) runs it. Cancelling asks that worker through the database,
so it works from whichever web process answers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.database import DbSession
from api.errors import Reply, status_of
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import Lang, done, field_problems
from api.organiser.rendering import PRIVATE_HEADERS, render
from api.organiser.views import mail as mail_views
from api.organiser.views import runs as run_views
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.errors import InvalidInput
from vekl.mail import overview as mail_overview
from vekl.registration import overview as registration_overview
from vekl.runs import edits as run_edits
from vekl.runs import publishing
from vekl.runs import review as run_review

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)
REFRESH_SECONDS = 2


def _run_path(slug: str, run_id: int) -> str:
    return f"{PREFIX}/rounds/{slug}/runs/{run_id}"


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


@router.get("/rounds/{slug}/matching", summary="Matching runs of a round")
def matching_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    view = run_views.matching_page(session, slug)
    return render(request, lang, "matching.html", view=view)


@router.post("/rounds/{slug}/matching", summary="Start matching (returns at once)")
def start_matching(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    slug: str,
    form: PostedForm,
) -> Response:
    try:
        time_limit = float(str(form.get("time_limit", "30")))
    except ValueError:
        time_limit = 0.0
    run = run_review.start(
        session,
        slug,
        time_limit=time_limit,
        rematch=form.get("rematch") == "yes",
        actor=organisers.actor(me),
    )
    # Its job is committed with the run; a worker takes it from there.
    return done(_run_path(slug, run.id), "started")


@router.get("/rounds/{slug}/runs/{run_id}", summary="A run: progress, groups, report, changes")
def run_page(
    session: DbSession,
    me: Organiser,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    run_id: int,
) -> Response:
    view = run_views.run_page(session, slug, run_id, settings)
    return render(
        request,
        lang,
        "run.html",
        view=view,
        refresh=REFRESH_SECONDS if view.run.status.value == "running" else None,
    )


@router.get("/rounds/{slug}/runs/{run_id}/progress.json", summary="A run's progress as JSON")
def run_progress(
    session: DbSession,
    me: Organiser,
    settings: AppSettings,
    request: Request,
    slug: str,
    run_id: int,
) -> Response:
    state = run_review.run_progress(session, slug, run_id, settings)
    return JSONResponse(state, headers=PRIVATE_HEADERS)


@router.post("/rounds/{slug}/runs/{run_id}/cancel", summary="Cancel a running run")
def cancel_run(
    session: DbSession, me: OrganiserForm, request: Request, slug: str, run_id: int
) -> Response:
    # A repeated request changes nothing; the page shows that the cancel is under way.
    run_review.cancel(session, slug, run_id, organisers.actor(me))
    return done(_run_path(slug, run_id), "cancelling")


@router.post("/rounds/{slug}/runs/{run_id}/fail", summary="Mark an abandoned run as failed")
def fail_run(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    slug: str,
    run_id: int,
) -> Response:
    run_review.mark_failed(session, slug, run_id, organisers.actor(me), settings)
    return done(_run_path(slug, run_id), "marked_failed")


@router.post("/rounds/{slug}/runs/{run_id}/pin", summary="Put a person into a group")
def pin(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    slug: str,
    run_id: int,
    form: PostedForm,
) -> Response:
    run_edits.pin(
        session,
        slug,
        run_id,
        _int(form.get("participant")),
        str(form.get("group", "")),
        organisers.actor(me),
    )
    return done(_run_path(slug, run_id), "edited")


@router.post("/rounds/{slug}/runs/{run_id}/groups/{key}/name", summary="Rename a group")
def rename_group(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    slug: str,
    run_id: int,
    key: str,
    form: PostedForm,
) -> Response:
    run_edits.rename_group(
        session, slug, run_id, key, str(form.get("name", "")), organisers.actor(me)
    )
    return done(_run_path(slug, run_id), "renamed")


@router.post("/rounds/{slug}/runs/{run_id}/swap", summary="Swap two people")
def swap(
    session: DbSession,
    me: OrganiserForm,
    request: Request,
    slug: str,
    run_id: int,
    form: PostedForm,
) -> Response:
    run_edits.swap(
        session,
        slug,
        run_id,
        _int(form.get("first")),
        _int(form.get("second")),
        organisers.actor(me),
    )
    return done(_run_path(slug, run_id), "edited")


@router.post("/rounds/{slug}/runs/{run_id}/publish", summary="Publish a draft and queue mails")
def publish(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    slug: str,
    run_id: int,
) -> Response:
    published = publishing.publish(
        session, slug, run_id, settings=settings, actor=organisers.actor(me)
    )
    return done(f"{PREFIX}/rounds/{slug}/mail?queued={len(published.mails)}", "published")


@router.get("/rounds/{slug}/dropouts", summary="Dropouts and rematching")
def dropouts_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "dropouts.html", view=run_views.dropout_page(session, slug))


@router.post("/rounds/{slug}/dropouts", summary="Mark someone as dropped out")
def record_drop_out(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    lang: Lang,
    slug: str,
    form: PostedForm,
) -> Response:
    try:
        mails = registration_overview.drop_out(
            session,
            slug,
            _int(form.get("participant")),
            str(form.get("reason", "")),
            settings,
            organisers.actor(me),
            category=str(form.get("category", "")),
        )
    except InvalidInput as problem:
        # The form again, each problem next to its field; the rollback keeps everything.
        page = render(
            request,
            lang,
            "dropouts.html",
            status_code=status_of(problem),
            view=run_views.dropout_page(session, slug),
            problems=field_problems(lang, problem),
            posted={key: str(form.get(key, "")) for key in ("participant", "reason", "category")},
        )
        raise Reply(page) from None
    return done(f"{PREFIX}/rounds/{slug}/dropouts?mails={mails}", "dropped_out")


@router.post("/rounds/{slug}/dropouts/{participant_id}/undo", summary="Undo a dropout")
def undo_drop_out(
    session: DbSession,
    me: OrganiserForm,
    settings: AppSettings,
    request: Request,
    slug: str,
    participant_id: int,
) -> Response:
    mails = registration_overview.undo_drop_out(
        session, slug, participant_id, settings, organisers.actor(me)
    )
    return done(f"{PREFIX}/rounds/{slug}/dropouts?mails={mails}", "drop_out_undone")


@router.get("/rounds/{slug}/mail", summary="The round's outbox")
def mail_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "mail.html", view=mail_views.mail_page(session, slug))


@router.post("/rounds/{slug}/mail/{mail_id}/retry", summary="Try a failed mail again")
def retry_mail(
    session: DbSession, me: OrganiserForm, request: Request, slug: str, mail_id: int
) -> Response:
    mail_overview.retry(session, slug, mail_id, organisers.actor(me))
    return done(f"{PREFIX}/rounds/{slug}/mail", "retry")


@router.post("/rounds/{slug}/mail/send", summary="Send queued mails now (by the worker)")
def send_mail(session: DbSession, me: OrganiserForm, request: Request, slug: str) -> Response:
    mail_overview.send_now(session, slug)
    return done(f"{PREFIX}/rounds/{slug}/mail", "sending")
