"""Every route of the app, with every kind of credential: only the right one gets in.

Organiser routes open only for an organiser session; participant routes only for the
participant's link token and moderator routes only for the moderator's. The routes are
taken from the app itself, so a route added later is checked without anyone listing it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api import create_app
from api.organiser.auth import SESSION_COOKIE
from tests.dates import open_for_a_month
from tests.organiser.conftest import BERLIN, EXAMPLE, PASSWORD
from vekl.access import organisers, tokens
from vekl.jobs import service as jobs
from vekl.rounds import service as rounds
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store.models import (
    Group,
    GroupMember,
    JobKind,
    MatchingRun,
    Moderator,
    Organiser,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RunStatus,
    WorkerHeartbeat,
)

CREDENTIALS = ("none", "participant", "moderator", "organiser")
PUBLIC_ORGANISER_PATHS = {"/organiser/login"}
_PASSWORD_HASH = organisers.hash_password(PASSWORD)


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings(environment="test", secret_key="s" * 32))
    found = []
    for route in iter_route_contexts(app.routes):
        methods = getattr(route, "methods", None) or set()
        for method in sorted(set(methods) - {"HEAD"}):
            assert route.path is not None, route
            found.append((method, route.path))
    return found


ROUTES = _routes()


def kind_of(path: str) -> str:
    if path.startswith("/organiser") and path not in PUBLIC_ORGANISER_PATHS:
        return "organiser"
    if "/me/{token}" in path:
        return "participant"
    if "/moderator/{token}" in path:
        return "moderator"
    return "public"


@dataclass
class World:
    round: Round
    participant_token: str
    moderator_token: str
    organiser_token: str
    csrf: str
    values: dict[str, str]


@pytest.fixture
def world(db: Session) -> World:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    round = rounds.create_round(
        db, spec.model_copy(update={"registration_deadline": open_for_a_month()}), BERLIN, "test"
    )
    person = Participant(
        round_id=round.id,
        role=Role.NEWCOMER,
        first_name="Amal",
        last_name="Haddad",
        email="amal@example.org",
        languages=["ar", "de"],
        series=[round.series[0]],
        status=RegistrationStatus.CONFIRMED,
    )
    moderator = Moderator(
        round_id=round.id,
        name="Miriam Albrecht",
        email="miriam@example.org",
        languages=["de"],
        series=[round.series[0]],
    )
    db.add_all([person, moderator])
    db.flush()
    participant_token = tokens.replace(person, "t" * 32)
    moderator_token = tokens.replace(moderator, "t" * 32)
    # Hashing a password takes a while; the login itself is tested in test_login.
    team = Organiser(email="team@konstanz.example", password_hash=_PASSWORD_HASH)
    db.add(team)
    db.flush()
    session = organisers.start_session(db, team, datetime.now(UTC))
    run = matching_runs.start_run(db, round, actor="test", time_limit=1.0)
    jobs.enqueue(db, JobKind.MATCHING, run_id=run.id)
    # A worker that is alive, so that the health check answers as it does in service.
    db.add(WorkerHeartbeat(name="matrix", heartbeat_at=datetime.now(UTC)))
    published = MatchingRun(
        round_id=round.id, status=RunStatus.PUBLISHED, problem={}, published_at=datetime.now(UTC)
    )
    db.add(published)
    db.flush()
    group = Group(key="mon-1", series_id=round.series[0].id, language="de", moderators=[moderator])
    published.groups.append(group)
    db.flush()
    group.members.append(GroupMember(run_id=published.id, participant_id=person.id))
    db.commit()
    values = {
        "slug": round.slug,
        "participant_id": str(person.id),
        "run_id": str(run.id),
        "evening_id": str(round.series[0].evenings[0].id),
        "mail_id": "999999",
        "kind": "registrations",
    }
    return World(
        round, participant_token, moderator_token, session.token, session.row.csrf_token, values
    )


def _path(template: str, world: World, token: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token":
            return token
        if name == "key":
            return "mon-1" if "/groups/" in template else "mon"
        return world.values.get(name, "x")

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, template)


def _request(
    client: TestClient, method: str, template: str, world: World, credential: str
) -> tuple[int, str]:
    random_token = secrets.token_urlsafe(32)
    token = {
        "participant": world.participant_token,
        "moderator": world.moderator_token,
    }.get(credential, random_token)
    cookies = {
        "none": {},
        # A person's link token offered as if it were an organiser session.
        "participant": {SESSION_COOKIE: world.participant_token},
        "moderator": {SESSION_COOKIE: world.moderator_token},
        "organiser": {SESSION_COOKIE: world.organiser_token},
    }[credential]
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    path = _path(template, world, token)
    kwargs: dict[str, object] = {}
    if method in ("POST", "PUT", "PATCH"):
        if path.startswith("/api/"):
            kwargs["json"] = {"series": ["mon"]}
        else:
            kwargs["data"] = {"csrf_token": world.csrf, "series": "mon"}
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    return response.status_code, response.headers.get("location", "")


def _denied_organiser(status: int, location: str) -> bool:
    return status in (401, 403) or (status == 303 and location.startswith("/organiser/login?next="))


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_only_the_right_credential_opens_a_route(
    app: FastAPI, client: TestClient, world: World, method: str, path: str
) -> None:
    kind = kind_of(path)
    # The rightful credential goes last: some routes end it (logout, delete).
    order = [c for c in CREDENTIALS if c != kind] + ([kind] if kind in CREDENTIALS else [])
    public_answers = set()
    for credential in order:
        status, location = _request(client, method, path, world, credential)
        assert status < 500, f"{credential}: {method} {path} -> {status}"
        if kind == "organiser":
            denied = _denied_organiser(status, location)
            assert denied == (credential != "organiser"), (
                f"{credential}: {method} {path} -> {status} {location}"
            )
        elif kind in ("participant", "moderator"):
            assert (status == 404) == (credential != kind), (
                f"{credential}: {method} {path} -> {status}"
            )
        else:
            public_answers.add(status)
    # Public routes answer everyone alike: no credential changes what they do.
    assert len(public_answers) <= 1, f"{method} {path} -> {public_answers}"


def test_every_route_is_in_the_matrix() -> None:
    kinds = {kind_of(path) for _, path in ROUTES}
    assert {"organiser", "participant", "moderator", "public"} <= kinds
    organiser_routes = [p for _, p in ROUTES if kind_of(p) == "organiser"]
    assert len(organiser_routes) > 30
