"""The survey and the stay-in-touch page on a phone (390 x 844), in German and in Arabic.

One ``vekl serve`` with the example round, a Monday group whose last evening ended
yesterday, and the survey invitations queued by the service. Each person opens the link
from their mail on a phone, answers, and is thanked; the same link then says it was used.
A participant in Arabic chooses someone to stay in touch with and asks to hear about later
rounds, right to left, with nothing scrolling sideways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.dates import open_for_a_month
from vekl.feedback import service as feedback
from vekl.mail import outbox
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import (
    ContactChoice,
    Group,
    GroupMember,
    MatchingRun,
    Moderator,
    NewsSubscriber,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RunStatus,
    SurveyAnswer,
)

from .conftest import CHROMIUM, CHROMIUM_ARGS, EXAMPLE, IN_CI, SECRET, running_server
from .test_accessibility import _serious_violations
from .test_phone_round import PHONE, _check_layout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Survey:
    base_url: str
    sessions: sessionmaker[Session]
    browser: Any
    links: dict[str, str]  # email -> the survey link's path, as in the mail
    contacts: dict[str, str]  # email -> the contacts page's path
    people: dict[str, str]  # "de", "ar", "moderator" -> email


def _set_up(session: Session) -> None:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
    round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
    csv_import.import_moderators(session, round, (EXAMPLE / "moderators.csv").read_bytes(), "t")
    csv_import.import_registrations(
        session, round, (EXAMPLE / "registrations.csv").read_bytes(), "t"
    )
    session.flush()
    people = list(session.scalars(select(Participant).order_by(Participant.id)))
    members = [p for p in people if p.role == Role.CITIZEN][:3] + [
        p for p in people if p.role == Role.NEWCOMER
    ][:3]
    members[3].preferred_language = "ar"
    moderator = session.scalars(select(Moderator).order_by(Moderator.id)).first()
    assert moderator is not None
    run = MatchingRun(
        round_id=round.id, status=RunStatus.PUBLISHED, problem={}, published_at=datetime.now(UTC)
    )
    session.add(run)
    session.flush()
    monday = next(s for s in round.series if s.key == "mon")
    group = Group(run_id=run.id, key="mon-1", series_id=monday.id, language="de")
    group.moderators = [moderator]
    session.add(group)
    session.flush()
    for person in members:
        session.add(GroupMember(run_id=run.id, group_id=group.id, participant_id=person.id))
        person.status = RegistrationStatus.PLACED
    now = datetime.now(UTC).replace(microsecond=0)
    for weeks_ago, evening in enumerate(sorted(monday.evenings, key=lambda e: e.starts_at)[::-1]):
        start = now - timedelta(days=1, hours=3) - timedelta(weeks=weeks_ago)
        evening.starts_at, evening.ends_at = start, start + timedelta(hours=2)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Survey]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"browser tests are required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    folder: Path = tmp_path_factory.mktemp("survey-phones")
    url = f"sqlite:///{folder / 'survey.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        _set_up(session)
    with running_server(url, folder, ready_path="/") as base_url, sync_playwright() as playwright:
        settings = Settings(
            environment="test",
            database_url=url,
            base_url=base_url,
            secret_key=SECRET,
            mail_from="VEKL Konstanz <vekl@konstanz.example>",
        )
        links: dict[str, str] = {}
        contacts: dict[str, str] = {}
        people: dict[str, str] = {}
        with transaction(sessions) as session:
            round = session.scalars(select(MatchingRun)).one().round_id
            feedback.send_invitations(
                session, session.get_one(Round, round), settings, datetime.now(UTC)
            )
            for row in session.scalars(select(OutboxMail).where(OutboxMail.kind == "survey")):
                mail = message_from_bytes(outbox.body(row, SECRET), policy=policy.default)
                text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
                found = re.search(re.escape(base_url) + r"(/survey/\S+)", text)
                assert found
                links[row.recipient] = found.group(1)
                page = re.search(re.escape(base_url) + r"(/me/\S+/contacts\S*)", text)
                if page:
                    contacts[row.recipient] = page.group(1)
                if row.moderator_id:
                    people["moderator"] = row.recipient
                else:
                    person = session.get_one(Participant, row.participant_id)
                    people.setdefault(person.preferred_language, row.recipient)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield Survey(base_url, sessions, browser, links, contacts, people)
        browser.close()
    engine.dispose()


def _phone(live: Survey, lang: str) -> Any:
    # axe is injected as a script, which the pages' own policy rightly forbids.
    locale = {"de": "de-DE", "ar": "ar"}[lang]
    return live.browser.new_context(base_url=live.base_url, locale=locale, bypass_csp=True, **PHONE)


def _answers(live: Survey) -> int:
    with live.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SurveyAnswer)) or 0)


QUESTIONS = {
    "de": ("Wie zufrieden waren Sie mit den Abenden?", "Antworten absenden", "Vielen Dank"),
    "ar": ("ما مدى رضاكم عن الأمسيات؟", "إرسال إجاباتي", "تم حفظ إجاباتكم"),
}


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_a_participant_answers_the_survey_on_a_phone_once(live: Survey, lang: str) -> None:
    email = live.people[lang]
    path = live.links[email]
    assert path.endswith(f"?lang={lang}")
    before = _answers(live)
    context = _phone(live, lang)
    page = context.new_page()
    page.goto(path)
    question, button, thanks = QUESTIONS[lang]
    assert question in page.content()
    _check_layout(page, lang)
    # Sending nothing names every missing answer, in the reader's language.
    page.get_by_role("button", name=button).click()
    assert page.locator(".problems li").count() == 4
    _check_layout(page, lang)
    assert _serious_violations(page) == []
    page.locator("label[for=satisfaction-4]").click()
    for name in ("met_someone_new-yes", "would_recommend-yes", "stay_in_touch-yes"):
        page.locator(f"label[for={name}]").click()
    page.locator("#field-comment").fill("Danke!" if lang == "de" else "شكرًا!")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r"/survey-done"))
    assert thanks in page.content()
    _check_layout(page, lang)
    assert _answers(live) == before + 1
    # The same link again: a clear page, and nothing stored.
    again = page.goto(path)
    assert again is not None and again.status == 409
    _check_layout(page, lang)
    assert _answers(live) == before + 1
    context.close()


def test_a_participant_in_arabic_chooses_whom_to_stay_in_touch_with(live: Survey) -> None:
    email = live.people["ar"]
    context = _phone(live, "ar")
    page = context.new_page()
    page.goto(live.contacts[email])
    _check_layout(page, "ar")
    boxes = page.locator("input[name=members]")
    assert boxes.count() == 5
    page.locator("#field-members label").first.click()
    page.locator("label[for=news]").click()
    page.get_by_role("button", name="حفظ").click()
    page.wait_for_url(re.compile(r"done=saved"))
    assert "تم الحفظ" in page.content()
    _check_layout(page, "ar")
    assert _serious_violations(page) == []
    assert page.locator("input[name=members]:checked").count() == 1
    with live.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ContactChoice)) == 1
        assert session.scalar(select(func.count()).select_from(NewsSubscriber)) == 1
    context.close()


def test_the_moderator_answers_their_own_survey_on_a_phone(live: Survey) -> None:
    context = _phone(live, "de")
    page = context.new_page()
    page.goto(live.links[live.people["moderator"]])
    assert "Würden Sie wieder moderieren?" in page.content()
    _check_layout(page, "de")
    page.locator("label[for=satisfaction-5]").click()
    page.locator("label[for=group_talked_freely-yes]").click()
    page.locator("label[for=moderate_again-yes]").click()
    page.get_by_role("button", name="Antworten absenden").click()
    page.wait_for_url(re.compile(r"/survey-done"))
    with live.sessions() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(SurveyAnswer)
                .where(SurveyAnswer.respondent == "moderator")
            )
            == 1
        )
    context.close()
