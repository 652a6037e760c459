"""The lottery in a real browser: an organiser uploads the register extract, plans, draws with
a seed made in public, follows the response per stratum and draws a second wave.

A real ``vekl serve`` and Debian's Chromium; registrations with the letters' codes are marked
in the database, as the registration form does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.conftest import EXAMPLE, running_server
from tests.dates import open_for_a_month
from tests.lottery.conftest import EXTRACT, HEADER, csv_bytes, example_rows
from vekl.access import organisers
from vekl.rounds import service as rounds
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import InvitationCode, LotteryLetter, LotteryPerson, LotteryWave

ORGANISER = "lottery@konstanz.example"
PASSWORD = "ein-langes-geheimes-wort"
PAGE = "/organiser/rounds/konstanz-mai/lottery"
SEED = "3 14 15 92 65 / 35"


@dataclass
class Live:
    base_url: str
    sessions: sessionmaker[Session]
    folder: Path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("lottery")
    url = f"sqlite:///{folder / 'lottery.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        organisers.create_user(session, ORGANISER, PASSWORD, actor="test")
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
        rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
    with running_server(url, folder, ready_path="/organiser/login") as base_url:
        yield Live(base_url, sessions, folder)
    engine.dispose()


def _count(live: Live, model: type) -> int:
    with live.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _answer(live: Live, strata: dict[str, int]) -> None:
    with transaction(live.sessions) as session:
        for stratum, count in strata.items():
            for code in session.scalars(
                select(InvitationCode)
                .join(LotteryLetter, LotteryLetter.code_hash == InvitationCode.code_hash)
                .where(LotteryLetter.stratum == stratum, InvitationCode.used_at.is_(None))
                .limit(count)
            ):
                code.used_at = code.created_at


def _errors_next_to(page: Any, field: str) -> str:
    """The error shown next to a field (the page is German)."""
    return str(page.locator(f'[id="error-{field}"]').inner_text())


def test_upload_plan_draw_follow_the_response_and_draw_a_second_wave(
    live: Live, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(base_url=live.base_url, locale="de-DE")
    page = context.new_page()
    page.goto("/organiser/login")
    page.fill("#email", ORGANISER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/organiser/")
    page.goto("/organiser/rounds/konstanz-mai")
    page.click(f'main a[href="{PAGE}"]')
    page.wait_for_url(f"**{PAGE}")
    assert "Losverfahren" in page.locator("h1").inner_text()

    # A bad extract: every bad row named at once, nothing stored.
    rows = example_rows()[:30]
    rows[4][2] = "30.02.1990"
    rows[20][7] = "ABCDE"
    bad = tmp_path / "auszug-fehler.csv"
    bad.write_bytes(csv_bytes(rows, header=HEADER))
    page.set_input_files("#file", str(bad))
    page.click("#extract button[type=submit]")
    errors = _errors_next_to(page, "file")
    assert "Zeile 6" in errors and "Geburtsdatum" in errors
    assert "Zeile 22" in errors and "PLZ" in errors
    assert _count(live, LotteryPerson) == 0

    # The good extract, and the day it must be deleted by.
    page.set_input_files("#file", str(EXTRACT))
    page.click("#extract button[type=submit]")
    page.wait_for_url(re.compile(r"done=imported"))
    assert re.fullmatch(r".+ \d{1,2}\.\d{1,2}\.20\d\d", page.locator("#delete-by").inner_text())
    assert _count(live, LotteryPerson) == 3000

    # Plan: no districts, 20 places; the preview comes before any draw.
    page.fill("#places", "20")
    page.uncheck("#dim-district")
    page.fill("#default_rate", "5")
    page.click("#plan button[type=submit]")
    page.wait_for_url(re.compile(r"done=planned"))
    assert page.locator("#plan-letters").inner_text() == "400"
    assert page.locator("#plan-expected").inner_text() == "20,0"
    assert _count(live, LotteryWave) == 0

    # A rate per stratum, and a plan that wants more letters than people: refused, unchanged.
    page.fill("#places", "2000")
    page.click("#plan button[type=submit]")
    assert "Personen können gezogen werden" in _errors_next_to(page, "strata")
    assert page.locator("#plan-letters").inner_text() == "400"

    # The draw: an empty seed is refused next to its field; the seed typed in draws.
    page.goto(PAGE)
    assert "öffentlich" in page.locator("#draw").inner_text()
    page.fill("#seed", "  ")
    page.click("#draw button[type=submit]")
    assert "Startwert" in _errors_next_to(page, "seed")
    assert _count(live, LotteryLetter) == 0
    page.fill("#seed", SEED)
    page.click("#draw button[type=submit]")
    page.wait_for_url(re.compile(r"done=drawn"))
    assert _count(live, LotteryLetter) == 400
    for link in ("letters", "letters.csv", "protocol.pdf"):
        assert page.locator(f'a[href="{PAGE}/waves/1/{link}"]').count() == 1
    assert SEED in page.locator("#waves").inner_text()

    # Registrations with the codes: the response table counts them, with a chart.
    with live.sessions() as session:
        letters = {
            key: n
            for key, n in session.execute(
                select(LotteryLetter.stratum, func.count()).group_by(LotteryLetter.stratum)
            )
        }
    _answer(live, {key: n for key, n in letters.items() if key != "45-59|w"} | {"45-59|w": 1})
    page.goto(PAGE)
    registered = sum(n for key, n in letters.items() if key != "45-59|w") + 1
    assert page.locator("#response-registered").inner_text() == str(registered)
    sizes = page.eval_on_selector_all(
        "#response svg.chart text", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert sizes and min(sizes) >= 12
    short = page.locator("#response-table tr.short")
    assert short.count() == 1 and "45-59 · w" in short.inner_text()

    # The second wave: filled in with the suggestion, changed, drawn; nobody drawn twice.
    field = page.locator('input[name="more:45-59|w"]')
    assert int(field.input_value()) > 0
    field.fill("12")
    page.click("#more button[type=submit]")
    assert "Startwert" in page.locator("#more").inner_text()
    assert _count(live, LotteryWave) == 1
    page.fill("#more-seed", "2 7 1 8 28")
    page.click("#more button[type=submit]")
    page.wait_for_url(re.compile(r"done=drawn"))
    with live.sessions() as session:
        waves = {
            number: letters
            for number, letters in session.execute(select(LotteryWave.number, LotteryWave.letters))
        }
        people = session.scalars(select(LotteryLetter.person_id)).all()
    assert waves == {1: 400, 2: 12}
    assert len(people) == len(set(people)) == 412
    assert page.locator(f'a[href="{PAGE}/waves/2/letters"]').count() == 1
    context.close()
