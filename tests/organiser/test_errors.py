"""One table of statuses for service errors: public pages, JSON API and organiser pages agree.

The organiser pages answer with their own error page, naming every problem, and the change
the route had made is rolled back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.database import DbSession
from api.organiser.auth import Organiser
from matching.rules import Rule
from tests.organiser.conftest import LoggedIn
from vekl.access.guesses import TooManyGuesses
from vekl.access.organisers import LoginLocked
from vekl.audit import records as audit
from vekl.errors import Conflict, FieldError, InvalidInput, NotFound, ServiceError
from vekl.registration.online import RegistrationClosed
from vekl.runs.edits import Breach, EditRefused
from vekl.store.models import AuditEntry, Round

ERRORS: dict[str, tuple[ServiceError, int]] = {
    "plain": (ServiceError("cannot do that"), 400),
    "not-found": (NotFound("no round 'x'"), 404),
    "conflict": (Conflict("run 3 is published"), 409),
    "closed": (RegistrationClosed("closed"), 409),
    "refused": (EditRefused([Breach(Rule.SERIES, "series_not_listed", "A", "Ann")]), 409),
    "invalid": (
        InvalidInput([FieldError("day", "not a date"), FieldError("rooms", "at least 1")]),
        422,
    ),
    "guesses": (TooManyGuesses(timedelta(minutes=5)), 429),
    "locked": (LoginLocked(timedelta(minutes=15)), 429),
}
LEFT_BEHIND = "test.left_behind"


def _raise(kind: str) -> None:
    raise ERRORS[kind][0]


def _organiser_raise(session: DbSession, me: Organiser, kind: str) -> None:
    # A change first, then the error: the change must not stay.
    audit.record(session, "test", LEFT_BEHIND)
    raise ERRORS[kind][0]


@pytest.fixture
def failing(app: FastAPI) -> FastAPI:
    app.add_api_route("/failing/{kind}", _raise)
    app.add_api_route("/api/v1/failing/{kind}", _raise)
    app.add_api_route("/organiser/failing/{kind}", _organiser_raise)
    return app


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_a_service_error_has_one_status_everywhere(
    failing: FastAPI, team: LoggedIn, db: Session, kind: str
) -> None:
    expected = ERRORS[kind][1]
    public = team.client.get(f"/failing/{kind}?lang=en")
    api = team.client.get(f"/api/v1/failing/{kind}?lang=en")
    organiser = team.client.get(f"/organiser/failing/{kind}?lang=en")
    assert (public.status_code, api.status_code, organiser.status_code) == (expected,) * 3
    assert api.json()["errors"]
    # The organiser pages have their own error page, with the organiser still logged in.
    assert "That did not work" in organiser.text and "Log out" in organiser.text
    assert organiser.headers["cache-control"] == "no-store"
    if expected == 429:
        for response in (public, api, organiser):
            assert int(response.headers["Retry-After"]) > 60
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == LEFT_BEHIND)) is None


def test_the_organiser_error_page_names_every_problem(failing: FastAPI, team: LoggedIn) -> None:
    page = team.client.get("/organiser/failing/invalid?lang=en")
    assert "day: not a date" in page.text and "rooms: at least 1" in page.text
    conflict = team.client.get("/organiser/failing/conflict?lang=en")
    assert "run 3 is published" in conflict.text
    # A refused edit without the values its sentence needs is named by its rule.
    refused = team.client.get("/organiser/failing/refused?lang=en")
    assert "The change breaks rule 4 (the evenings people chose" in refused.text


def test_real_routes_agree_on_what_is_not_found(team: LoggedIn, example_round: Round) -> None:
    unknown = "A" * 43
    public = team.client.get(f"/me/{unknown}?lang=en")
    api = team.client.get(f"/api/v1/me/{unknown}?lang=en")
    organiser = team.client.get("/organiser/rounds/nowhere/matching?lang=en")
    assert (public.status_code, api.status_code, organiser.status_code) == (404, 404, 404)
    assert "That did not work" not in public.text
    assert "no round &#39;nowhere&#39;" in organiser.text
