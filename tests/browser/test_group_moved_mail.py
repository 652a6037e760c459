"""An organiser runs a rematch that moves two people to groups on other evenings; each of
them gets one "group changed" mail, photographed on a phone in German and in Arabic.

Groups are formed and published in the browser, one person drops out, the rematch is run
from the dropouts page, and the organiser swaps two people of different series by hand in
the draft (a pair found with the checker the page uses, so the swap is always allowed).
The preview names them; the mail folder then holds, for each, exactly one mail: the "group
changed" mail with a calendar file per evening that leaves or joins their calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import matching
from tests.browser.conftest import running_server
from tests.organiser.test_browser import SECRET, _dispatch, _wait_for_draft
from vekl.access import organisers
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.runs.solver_input import parse_key
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import MatchingRun, OutboxMail, Participant, RunStatus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
EMAIL = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"
SLUG = "konstanz-mai"
PHONE = {"width": 390, "height": 844}
SOLVER_KEY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)-\d+\b")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Server:
    base_url: str
    sessions: sessionmaker[Session]
    mail_dir: Path
    folder: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("group-moved")
    url = f"sqlite:///{folder / 'moved.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        organisers.create_user(session, EMAIL, PASSWORD, actor="test")
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        csv_import.import_moderators(session, round, (EXAMPLE / "moderators.csv").read_bytes(), "t")
        csv_import.import_registrations(
            session, round, (EXAMPLE / "registrations.csv").read_bytes(), "t"
        )
    with running_server(url, folder, ready_path="/organiser/login", secret=SECRET) as base_url:
        yield Server(base_url, sessions, folder / "mail", folder)
    engine.dispose()


def _mail_files(server: Server) -> dict[str, Any]:
    """Message-ID -> parsed message of every mail in the folder."""
    found = {}
    for path in server.mail_dir.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        found[str(message["Message-ID"]).strip()] = message
    return found


def _legal_swap(run: MatchingRun) -> tuple[int, int]:
    """Two people of the draft in groups of different series who may change places, found
    with the checker every hand edit goes through (a swap keeps every group's size)."""
    problem = matching.Problem.model_validate(run.problem)
    solution = run.solution or {}
    groups = solution["groups"]
    for index, first in enumerate(groups):
        for second in groups[index + 1 :]:
            if first["series"] == second["series"]:
                continue
            for a in first["members"]:
                for b in second["members"]:
                    swap = {a: b, b: a}
                    edited = dict(solution)
                    edited["groups"] = [
                        dict(g, members=[swap.get(m, m) for m in g["members"]]) for g in groups
                    ]
                    if matching.check(problem, matching.Solution.model_validate(edited)).ok:
                        return parse_key(a, "p"), parse_key(b, "p")
    raise AssertionError("no allowed swap between two series in this draft")


def _log_in(page: Any) -> None:
    page.goto("/organiser/")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/organiser/")


def test_a_person_moved_by_a_rematch_gets_one_mail_that_says_so(
    server: Server, browser: Any
) -> None:
    context = browser.new_context(base_url=server.base_url, locale="de-DE")
    page = context.new_page()
    # Publishing renders a mail per person and evening; give a busy machine time for it.
    page.set_default_timeout(120_000)
    _log_in(page)

    # Groups formed and published.
    page.goto(f"/organiser/rounds/{SLUG}/matching")
    page.fill("#time_limit", "2")
    page.click("form[action$='/matching'] button")
    page.wait_for_url("**/runs/*")
    _wait_for_draft(page)
    page.click("#publish button")
    page.wait_for_url("**/mail?**")
    _dispatch(server)  # type: ignore[arg-type]

    # One person drops out, and the organiser rematches from the dropouts page.
    with transaction(server.sessions) as session:
        leaver = session.scalar(
            select(Participant).where(Participant.status == "placed").order_by(Participant.id)
        )
        assert leaver is not None
        leaver_id = leaver.id
    page.goto(f"/organiser/rounds/{SLUG}/registrations/{leaver_id}")
    page.select_option("#category", "illness")
    page.fill("#reason", "krank")
    with page.expect_navigation(url="**done=dropped_out"):
        page.click("form[action$='/drop-out'] button")
    _dispatch(server)  # type: ignore[arg-type]
    page.goto(f"/organiser/rounds/{SLUG}/dropouts")
    page.fill("#time_limit", "2")
    page.click("form[action$='/matching'] button")
    page.wait_for_url("**/runs/*")
    _wait_for_draft(page)
    run_url = page.url.split("?")[0]
    run_id = int(run_url.rstrip("/").rsplit("/", 1)[1])

    # The organiser swaps two people of groups on different evenings.
    with transaction(server.sessions) as session:
        first, second = _legal_swap(session.get_one(MatchingRun, run_id))
        movers = {"de": first, "ar": second}
        for language, person_id in movers.items():
            session.get_one(Participant, person_id).preferred_language = language
    page.goto(run_url)
    page.select_option("#swap-first", value=str(first))
    page.select_option("#swap-second", value=str(second))
    with page.expect_navigation():
        page.click("form[action$='/swap'] button")
    assert page.locator(".error").count() == 0, page.locator(".error").all_inner_texts()

    # The preview names who gets the "group changed" mail.
    page.goto(run_url)
    with transaction(server.sessions) as session:
        names = {lang: session.get_one(Participant, pid).full_name for lang, pid in movers.items()}
        emails = {lang: session.get_one(Participant, pid).email for lang, pid in movers.items()}
        already = set(session.scalars(select(OutboxMail.message_id)))
    page.click("#publish summary")  # "Wer welche E-Mail bekommt"
    rows = page.locator("#publish tbody tr").all_inner_texts()
    for language, name in names.items():
        # By name and address: the example round has namesakes (two people called Hiba
        # Nasser), and the rematch may move both.
        found = [r for r in rows if f"{name} <{emails[language]}>" in r]
        assert len(found) == 1, (name, rows)
        assert "Gruppenwechsel" in found[0]
    page.click("#publish button")
    page.wait_for_url("**/mail?**")
    _dispatch(server)  # type: ignore[arg-type]

    with transaction(server.sessions) as session:
        published = session.get_one(MatchingRun, run_id)
        assert published.status is RunStatus.PUBLISHED
        kinds = dict(session.execute(select(OutboxMail.message_id, OutboxMail.kind)).all())
    new = {k: m for k, m in _mail_files(server).items() if k not in already}
    shots = server.folder / "screenshots"
    shots.mkdir(exist_ok=True)
    for language, email in emails.items():
        mine = [m for m in new.values() if m["To"].addresses[0].addr_spec == email]
        # One mail, and it is the "group changed" mail.
        assert len(mine) == 1, [kinds[str(m["Message-ID"]).strip()] for m in mine]
        (mail,) = mine
        assert kinds[str(mail["Message-ID"]).strip()] == "group_moved"
        assert not [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        files = [p for p in mail.walk() if p.get_content_type() == "application/ics"]
        methods = [str(Calendar.from_ical(p.get_payload(decode=True))["METHOD"]) for p in files]
        assert "CANCEL" in methods and "REQUEST" in methods
        assert methods == sorted(methods)  # the old evenings go before the new ones come
        text = str(mail.get_body(preferencelist=("plain",)).get_content())
        html = str(mail.get_body(preferencelist=("html",)).get_content())
        subject = str(mail["Subject"])
        ics = "".join(p.get_payload(decode=True).decode() for p in files)
        for part in (subject, text, html, ics):
            assert not SOLVER_KEY.search(part), part
        assert f"{server.base_url}/me/" in text
        if language == "de":
            assert subject.startswith("Ihre Gruppe hat sich geändert: Sie sind jetzt in „")
            assert "weil einige Teilnehmende abgesagt haben" in text
            assert "Wenn Sie nicht kommen können" in text
        else:
            assert subject.startswith("تغيّرت مجموعتكم")
            assert "بما أنّ بعض المشاركين اعتذروا" in text
        # The mail's HTML on a phone.
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2)
        view = phone.new_page()
        view.set_content(html)
        direction = view.evaluate("document.documentElement.dir")
        assert direction == ("rtl" if language == "ar" else "ltr")
        # Nothing is wider than the phone.
        assert view.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot = shots / f"group-moved-mail-{language}.png"
        view.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        phone.close()
    context.close()
