"""Organiser login: cookie flags, sessions stored as hashes, CSRF, logout, lockout."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.organiser.auth import SESSION_COOKIE
from tests.organiser.conftest import EMAIL, PASSWORD, LoggedIn, log_in, login_token
from vekl.access import organisers
from vekl.store.models import AuditEntry, Organiser, OrganiserSession


def _try(client: TestClient, password: str, email: str = EMAIL) -> int:
    response = client.post(
        "/organiser/login",
        data={"email": email, "password": password, "form_token": login_token(client)},
    )
    return int(response.status_code)


def test_login_sets_a_strict_cookie_and_stores_only_its_hash(
    client: TestClient, organiser: str, db: Session
) -> None:
    response = client.post(
        "/organiser/login",
        data={"email": EMAIL, "password": PASSWORD, "form_token": login_token(client)},
    )
    assert response.status_code == 303
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    token = client.cookies[SESSION_COOKIE]
    stored = db.scalars(select(OrganiserSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored
    account = db.scalar(select(Organiser))
    assert account is not None and account.password_hash.startswith("$argon2id$")


def test_a_wrong_password_is_refused_and_logged_in_pages_need_the_session(
    client: TestClient, organiser: str
) -> None:
    assert _try(client, "falsch-falsch-falsch") == 401
    page = client.get("/organiser/")
    assert page.status_code == 303 and page.headers["location"].startswith("/organiser/login")
    assert _try(client, PASSWORD) == 303
    assert client.get("/organiser/").status_code == 200


def test_forms_need_the_sessions_csrf_token(team: LoggedIn, example_round: object) -> None:
    path = "/organiser/rounds/konstanz-mai/status"
    missing = team.client.post(path, data={"status": "closed"})
    assert missing.status_code == 403
    wrong = team.client.post(path, data={"status": "closed", "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    right = team.post(path, {"status": "closed", "confirm": "yes"})
    assert right.status_code == 303


def test_the_login_form_needs_its_own_token(client: TestClient, organiser: str) -> None:
    client.get("/organiser/login")
    response = client.post(
        "/organiser/login", data={"email": EMAIL, "password": PASSWORD, "form_token": "forged"}
    )
    assert response.status_code == 403


def test_logout_ends_the_session(team: LoggedIn, db: Session) -> None:
    response = team.post("/organiser/logout")
    assert response.status_code == 303
    assert db.scalars(select(OrganiserSession)).all() == []
    team.client.cookies.set(SESSION_COOKIE, "stale")
    assert team.client.get("/organiser/").status_code == 303


def test_the_account_locks_after_repeated_failures_even_with_the_right_password(
    client: TestClient, organiser: str, db: Session
) -> None:
    for _ in range(organisers.ACCOUNT_LIMIT):
        assert _try(client, "falsch-falsch-falsch") == 401
    locked = client.post(
        "/organiser/login",
        data={"email": EMAIL, "password": PASSWORD, "form_token": login_token(client)},
    )
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # Another account from the same client is not locked by this one's failures.
    organisers.create_user(db, "zweite@konstanz.example", PASSWORD, actor="test")
    db.commit()
    assert _try(client, PASSWORD, "zweite@konstanz.example") == 303


def test_one_client_is_locked_out_across_accounts(client: TestClient, organiser: str) -> None:
    for index in range(organisers.CLIENT_LIMIT):
        assert _try(client, "falsch-falsch-falsch", f"probe{index}@example.org") == 401
    assert _try(client, PASSWORD) == 429


def test_sessions_expire_when_idle(db: Session, organiser: str) -> None:
    now = datetime.now(UTC)
    new = organisers.login(db, EMAIL, PASSWORD, client="c", secret="s" * 32, now=now)
    assert organisers.current(db, new.token, now + timedelta(minutes=30)) is not None
    later = now + timedelta(minutes=30) + organisers.IDLE_TIMEOUT + timedelta(seconds=1)
    assert organisers.current(db, new.token, later) is None
    assert db.scalars(select(OrganiserSession)).all() == []
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "organiser.login"))


def test_pages_are_not_cached(team: LoggedIn) -> None:
    response = team.client.get("/organiser/")
    assert response.headers["Cache-Control"] == "no-store"


def test_participant_pages_do_not_accept_the_organiser_cookie(
    client: TestClient, organiser: str
) -> None:
    log_in(client)
    assert client.get("/me/" + "A" * 43).status_code == 404
