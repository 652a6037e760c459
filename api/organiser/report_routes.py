"""The monitoring report: per round and across rounds, as a page, JSON, CSV and PDF.

Every format comes from the one service (``vekl.monitoring.service``), the same the
``vekl report`` command calls; the pages only draw what it published.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.organiser.auth import PREFIX, Organiser, OrganiserForm, PostedForm
from api.organiser.common import Lang, done, upload_bytes
from api.organiser.rendering import download, render
from api.organiser.report_view import ReportPage
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.monitoring import service as monitoring
from vekl.rounds import service as rounds

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)
TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@router.get("/rounds/{slug}/report", summary="The round's monitoring report")
def round_report(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    round = rounds.get_round(session, slug)
    report = monitoring.round_report(session, slug)
    return render(request, lang, "report.html", view=ReportPage(report, round, lang))


@router.get("/rounds/{slug}/report.{format}", summary="The round's report as JSON, CSV or PDF")
def round_report_file(
    session: DbSession, me: Organiser, settings: AppSettings, slug: str, format: str
) -> Response:
    report = monitoring.round_report(session, slug)
    content = monitoring.export(report, format, settings.zone)
    return download(content, TYPES[format], f"{slug}-bericht.{format}")


@router.post("/rounds/{slug}/report/population", summary="Set the city's population shares")
def population_shares(
    session: DbSession, me: OrganiserForm, request: Request, slug: str, form: PostedForm
) -> Response:
    raw = upload_bytes(form, "file", limit=64 * 1024)
    monitoring.set_population_shares(session, slug, raw, organisers.actor(me))
    return done(f"{PREFIX}/rounds/{slug}/report", "population")


@router.get("/report", summary="The monitoring report across rounds")
def rounds_report(session: DbSession, me: Organiser, request: Request, lang: Lang) -> Response:
    report = monitoring.rounds_report(session)
    return render(request, lang, "report.html", view=ReportPage(report, None, lang))


@router.get("/report.{format}", summary="The report across rounds as JSON, CSV or PDF")
def rounds_report_file(
    session: DbSession, me: Organiser, settings: AppSettings, format: str
) -> Response:
    report = monitoring.rounds_report(session)
    content = monitoring.export(report, format, settings.zone)
    return download(content, TYPES[format], f"vekl-bericht.{format}")
