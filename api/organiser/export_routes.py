"""Downloads and print pages (rosters, sign-in sheets, the round as JSON) and the purge."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.database import DbSession
from api.organiser.auth import PREFIX, Organiser, OrganiserForm
from api.organiser.common import Lang, done
from api.organiser.rendering import download, render
from api.organiser.views.exports import exports_page as build_exports_page
from api.routes.common import AppSettings
from vekl.access import organisers
from vekl.exports import service as exports
from vekl.retention import service as retention

router = APIRouter(prefix=PREFIX, tags=["organiser pages"], default_response_class=HTMLResponse)
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/rounds/{slug}/exports", summary="Exports and print pages")
def exports_page(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str
) -> Response:
    return render(request, lang, "exports.html", view=build_exports_page(session, slug))


@router.get("/rounds/{slug}/groups/{key}/roster.csv", summary="One group's roster (CSV)")
def group_roster_csv(
    session: DbSession, me: Organiser, request: Request, slug: str, key: str
) -> Response:
    return download(exports.roster_file(session, slug, group_key=key), CSV, f"{slug}-{key}.csv")


@router.get("/rounds/{slug}/series/{key}/roster.csv", summary="A series' rosters (CSV)")
def series_roster_csv(
    session: DbSession, me: Organiser, request: Request, slug: str, key: str
) -> Response:
    return download(exports.roster_file(session, slug, series_key=key), CSV, f"{slug}-{key}.csv")


@router.get("/rounds/{slug}/groups/{key}/roster", summary="One group's roster (to print)")
def group_roster(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str, key: str
) -> Response:
    groups = exports.rosters(session, slug, group_key=key)
    return render(request, lang, "roster.html", slug=slug, groups=groups)


@router.get("/rounds/{slug}/series/{key}/roster", summary="A series' rosters (to print)")
def series_roster(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str, key: str
) -> Response:
    groups = exports.rosters(session, slug, series_key=key)
    return render(request, lang, "roster.html", slug=slug, groups=groups)


@router.get("/rounds/{slug}/evenings/{evening_id}/sign-in", summary="Sign-in sheets (to print)")
def sign_in(
    session: DbSession, me: Organiser, request: Request, lang: Lang, slug: str, evening_id: int
) -> Response:
    sheet = exports.sign_in_sheet(session, slug, evening_id)
    return render(request, lang, "sign_in.html", sheet=sheet)


@router.get("/rounds/{slug}/export.json", summary="The whole round as JSON")
def round_json(session: DbSession, me: Organiser, request: Request, slug: str) -> Response:
    content = json.dumps(exports.round_export(session, slug), ensure_ascii=False, indent=2)
    return download(content, "application/json", f"{slug}.json")


@router.get("/rounds/{slug}/registrations.xlsx", summary="The registrations as an Excel sheet")
def registrations_xlsx(
    session: DbSession, me: Organiser, settings: AppSettings, request: Request, slug: str
) -> Response:
    content = exports.registrations_workbook(session, slug, settings.zone)
    return download(content, XLSX, f"{slug}-anmeldungen.xlsx")


@router.post("/rounds/{slug}/purge", summary="Remove the round's personal data")
def purge(session: DbSession, me: OrganiserForm, request: Request, slug: str) -> Response:
    retention.purge(session, slug, organisers.actor(me), datetime.now(UTC))
    return done(f"{PREFIX}/rounds/{slug}/exports", "purged")
