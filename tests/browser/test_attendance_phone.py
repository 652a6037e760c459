"""A moderator marks on a phone, without JavaScript, who came to the first evening; the
organiser then sees the no-show and marks her as dropped out through the usual dropout.

A ``vekl serve`` of its own, with a published group made by hand whose first evening began
an hour ago (no solver needed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.attendance_setup import first_evening_began, group_of, person
from tests.dates import open_for_a_month
from vekl.access import organisers, tokens
from vekl.rounds import service as rounds
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import Attendance, Moderator, Participant, RegistrationStatus, Role

from .conftest import CHROMIUM, CHROMIUM_ARGS, EXAMPLE, IN_CI, SECRET, running_server
from .test_accessibility import _serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "de-DE",
}


@dataclass
class Live:
    base_url: str
    sessions: sessionmaker[Session]
    moderator_path: str
    browser: Any
    shots: Path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"browser tests are required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("attendance")
    url = f"sqlite:///{folder / 'attendance.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        organisers.create_user(session, ORGANISER, PASSWORD, actor="test")
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        people = [
            person(session, round, "Karim", "Haddad"),
            person(session, round, "Lea", "Berger", role=Role.CITIZEN),
            person(session, round, "Olena", "Melnyk"),
        ]
        group_of(session, round, people)
        first_evening_began(session, round, timedelta(hours=1))
        moderator = session.scalars(select(Moderator)).one()
        token = tokens.replace(moderator, SECRET)
    with (
        running_server(url, folder, ready_path="/organiser/login") as base_url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield Live(base_url, sessions, f"/moderator/{token}", browser, folder)
        browser.close()
    engine.dispose()


def _fits_the_phone(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"


def test_the_moderator_marks_on_a_phone_without_javascript(live: Live) -> None:
    context = live.browser.new_context(base_url=live.base_url, java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(live.moderator_path)
    page.get_by_role("link", name="Eintragen, wer da war: Abend 1").click()
    page.get_by_role("heading", name="Wer war da?").wait_for()
    _fits_the_phone(page)
    for name, answer in (("Karim", "war da"), ("Lea", "war da"), ("Olena", "war nicht da")):
        page.locator("fieldset", has_text=name).get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Speichern").click()
    page.get_by_role("status").filter(has_text="Danke, gespeichert").wait_for()
    assert "2 waren da, 1 nicht." in page.get_by_role("status").inner_text()
    # The page shows what was saved, ready to be corrected.
    assert page.locator("fieldset", has_text="Olena").get_by_label("war nicht da").is_checked()
    _fits_the_phone(page)
    page.screenshot(path=str(live.shots / "moderator-attendance.png"), full_page=True)
    context.close()
    with live.sessions() as session:
        marks = {
            session.get_one(Participant, a.participant_id).first_name: a.present
            for a in session.scalars(select(Attendance))
        }
    assert marks == {"Karim": True, "Lea": True, "Olena": False}


def test_the_organiser_sees_the_no_show_and_marks_her_as_dropped_out(live: Live) -> None:
    context = live.browser.new_context(base_url=live.base_url, **PHONE)
    page = context.new_page()
    page.goto("/organiser/login")
    page.fill("#email", ORGANISER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/organiser/")
    page.goto("/organiser/rounds/konstanz-mai/attendance")
    page.screenshot(path=str(live.shots / "organiser-attendance.png"), full_page=True)
    no_shows = page.locator("#no-shows")
    assert "Olena Melnyk" in no_shows.inner_text()
    assert "Karim" not in no_shows.inner_text()
    no_shows.get_by_role("button", name="Olena Melnyk als abgesagt markieren").click()
    page.wait_for_url("**/dropouts?**")
    assert "Als abgesagt markiert." in page.get_by_role("status").first.inner_text()
    dropped = page.locator("#dropped-out")
    assert "Olena Melnyk" in dropped.inner_text()
    assert (
        dropped.get_by_role("button", name="Absage von Olena Melnyk rückgängig machen").count() == 1
    )
    assert page.locator("#no-shows").count() == 0
    context.close()
    with live.sessions() as session:
        olena = session.scalars(select(Participant).where(Participant.first_name == "Olena")).one()
        assert olena.status is RegistrationStatus.WITHDRAWN
        assert olena.withdrawn_reason == "ist nicht zum ersten Abend gekommen"


def test_the_attendance_pages_have_no_serious_accessibility_problems(live: Live) -> None:
    # axe is injected as a script, which the pages' own policy rightly forbids.
    context = live.browser.new_context(base_url=live.base_url, bypass_csp=True, **PHONE)
    page = context.new_page()
    found = []
    with live.sessions() as session:
        evening = session.scalars(select(Attendance.evening_id)).first()
    for lang in ("de", "ar"):
        page.goto(f"{live.moderator_path}/groups/mon-1/evenings/{evening}?lang={lang}")
        found += [f"moderator ({lang}): {v}" for v in _serious_violations(page)]
    page.goto("/organiser/login")
    page.fill("#email", ORGANISER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/organiser/")
    for path in ("/attendance", f"/evenings/{evening}/attendance"):
        page.goto(f"/organiser/rounds/konstanz-mai{path}")
        found += [f"organiser {path}: {v}" for v in _serious_violations(page)]
    context.close()
    assert found == []
