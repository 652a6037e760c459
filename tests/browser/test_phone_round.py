"""A round as its people see it on a phone: names they understand, links that keep working,
mails that carry the personal link, and registration that stays open while groups are formed.

One ``vekl serve`` with the example round: a citizen registers in German with a letter code
and a newcomer in Arabic, both on a phone; an organiser forms groups with the real solver in
the browser and publishes them. The tests then look at the invitation mails (their HTML opened
in the phone's browser), the personal pages and a moderator's page, in German and in Arabic,
and take full-page screenshots of them (into the test's temporary folder, and into
``VEKL_SCREENSHOT_DIR`` too when it is set).

The tests of this module share the round and run in the order they are written
(``make test`` keeps a file on one worker): closing registration comes last.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications.filesink import eml_filename
from tests.dates import open_for_a_month
from vekl.access import organisers
from vekl.registration import csv_import, letter_codes
from vekl.rounds import service as rounds
from vekl.runs.placements import group_label
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import (
    Group,
    GroupMember,
    MailStatus,
    MatchingRun,
    Moderator,
    OutboxMail,
    Participant,
    RegistrationStatus,
    RunStatus,
    group_moderators,
)

from .conftest import CHROMIUM, CHROMIUM_ARGS, EXAMPLE, IN_CI, SECRET, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ORGANISER = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"
WIDTH = 390
PHONE: dict[str, Any] = {
    "viewport": {"width": WIDTH, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
GERMAN = "lena.brauer@example.org"
ARABIC = "yara.khalil@example.org"
# What a solver's group key looks like ("mon-2", "g1"); the keys of the round are checked too.
KEY_LIKE = re.compile(r"\b(?:mon|wed|sat)-\d+\b|\bg\d+\b")
SERIES_LABELS = ("Montagabende", "Mittwochabende", "Samstagvormittage")
BARE_VEKL = re.compile(r"\bVEKL\b")
PERSONAL_LINK = r"/me/[A-Za-z0-9_-]{43}"
# Latin text inside Arabic text (a group's name, a venue, an address) must sit in an element
# that isolates its direction (<bdi>, or any element with a dir attribute), or bidi reordering
# scrambles it ("«mon-3» (Montagabende)"). A block of Latin text alone (the programme's name
# in the header, a language's own name) is not scrambled, nor is Latin text that a translation
# marks as left-to-right (U+200E, or between U+2066..2068 and U+2069).
UNISOLATED_LATIN = r"""() => {
    const found = [];
    const arabic = /[\u0600-\u06ff]/;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.trim();
        const parent = node.parentElement;
        // Latin text after a left-to-right mark, or between isolates, is placed right too.
        const bare = text.replace(/[\u2066-\u2068][^\u2069]*\u2069/g, "")
            .replace(/\u200e[^\u0600-\u06FF]*/g, "");
        // One Latin word ("CSV") keeps its place; a run with spaces, digits or punctuation
        // ("mon-3", "Wessenbergstraße 43, 78462 Konstanz") is what reordering scrambles.
        const runs = (bare.match(/[^\u0600-\u06FF]+/g) || [])
            .map((run) => run.replace(/^[\s()«»"“”„.,:;!?،؛]+|[\s()«»"“”„.,:;!?،؛]+$/g, ""))
            .filter((run) => /[A-Za-z]/.test(run) && !/^[A-Za-z]+$/.test(run));
        if (runs.length === 0 || ["SCRIPT", "STYLE"].includes(parent.tagName)) continue;
        if (parent.closest("bdi, [dir]:not(html)") !== null) continue;
        let block = parent;
        while (block !== document.body && getComputedStyle(block).display === "inline") {
            block = block.parentElement;
        }
        if (arabic.test(text) || arabic.test(block.innerText)) found.push(runs.join(" | "));
    }
    return found;
}"""


@dataclass
class Live:
    base_url: str
    sessions: sessionmaker[Session]
    mail_dir: Path
    codes: list[str]
    shots: list[Path]
    browser: Any
    organiser: Any = None  # the organiser's page, logged in
    run_path: str = ""  # the draft's page
    links: dict[str, str] = field(default_factory=dict)  # email -> personal link (path)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"browser tests are required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("phones")
    shots = [tmp_path_factory.mktemp("phone-screenshots")]
    if os.environ.get("VEKL_SCREENSHOT_DIR"):
        shots.append(Path(os.environ["VEKL_SCREENSHOT_DIR"]))
        shots[-1].mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'phones.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        organisers.create_user(session, ORGANISER, PASSWORD, actor="test")
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        csv_import.import_moderators(session, round, (EXAMPLE / "moderators.csv").read_bytes(), "t")
        raw = (EXAMPLE / "registrations.csv").read_bytes()
        csv_import.import_registrations(session, round, raw, "test")
        codes = letter_codes.generate(session, round, 3, secret=SECRET, actor="test")
    # The server starts before the browser, so a busy machine does not slow its start.
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("VEKL_MAIL_INTERVAL", "1")  # the server's worker sends every second
        with (
            running_server(url, folder, ready_path="/organiser/login") as base_url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield Live(base_url, sessions, folder / "mail", codes, shots, browser)
            browser.close()
    engine.dispose()


def _phone(live: Live, lang: str = "de") -> Any:
    """A phone whose browser asks for pages in ``lang``."""
    locale = {"de": "de-DE", "ar": "ar"}[lang]
    return live.browser.new_context(base_url=live.base_url, locale=locale, **PHONE)


# --- mail, as the people find it in their mailbox --------------------------------------------


def _all_sent(live: Live) -> None:
    """Wait until the server's worker has sent every queued mail into the mail folder."""
    deadline = time.monotonic() + 60
    while True:
        with live.sessions() as session:
            unsent = session.scalars(
                select(OutboxMail.id).where(
                    OutboxMail.status.in_([MailStatus.QUEUED, MailStatus.SENDING])
                )
            ).all()
        if not unsent:
            return
        assert time.monotonic() < deadline, f"{len(unsent)} mails still unsent after 60 s"
        time.sleep(0.2)


def _mails(live: Live, email: str, kind: str | None = None) -> list[EmailMessage]:
    """The mails sent to ``email`` (of one kind), oldest first."""
    _all_sent(live)
    with live.sessions() as session:
        query = select(OutboxMail.message_id).where(OutboxMail.recipient == email)
        if kind is not None:
            query = query.where(OutboxMail.kind == kind)
        message_ids = session.scalars(query.order_by(OutboxMail.id)).all()
    found = []
    for message_id in message_ids:
        raw = (live.mail_dir / eml_filename(message_id)).read_bytes()
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    assert body is not None, f"{message['Subject']} has no {subtype} part"
    return str(body.get_content())


def _personal_link(live: Live, message: EmailMessage) -> str:
    found = re.search(re.escape(live.base_url) + "(" + PERSONAL_LINK + ")", _part(message, "plain"))
    assert found is not None, f"no personal link in {message['Subject']}"
    return found.group(1)


# --- what a page looks like on a phone -------------------------------------------------------


def _screenshot(live: Live, page: Any, name: str) -> None:
    first = live.shots[0] / f"{name}.png"
    page.screenshot(path=str(first), full_page=True)
    for folder in live.shots[1:]:
        shutil.copyfile(first, folder / first.name)


def _check_layout(page: Any, lang: str) -> None:
    """No sideways scrolling on the phone; Arabic runs right to left, Latin text isolated."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url}: {width} px wide on a {WIDTH} px phone"
    assert page.locator("html").get_attribute("lang") == lang
    if lang == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.evaluate(UNISOLATED_LATIN) == []
    else:
        assert page.locator("html").get_attribute("dir") in (None, "ltr")


def _visible_text(page: Any) -> str:
    return str(page.title()) + "\n" + str(page.evaluate("document.body.innerText"))


def _group_keys(live: Live) -> set[str]:
    with live.sessions() as session:
        return set(session.scalars(select(Group.key)))


def _no_solver_keys(live: Live, text: str, where: str) -> None:
    keys = {key for key in _group_keys(live) if re.search(rf"\b{re.escape(key)}\b", text)}
    assert keys == set(), f"{where} shows the solver's keys {keys}"
    assert KEY_LIKE.search(text) is None, f"{where}: {KEY_LIKE.search(text)}"
    assert BARE_VEKL.search(text) is None, f"{where} says VEKL without explaining it"
    # A group's default name says its series: a sentence need not repeat it.
    for line in text.splitlines():
        for series in SERIES_LABELS:
            assert line.count(series) <= 1, f"{where} says {series} twice: {line}"


def _group_of(live: Live, email: str, lang: str) -> tuple[str, str]:
    """The readable name of the person's group in the published grouping (in ``lang``: the
    example round names its series in every language), and its key."""
    with live.sessions() as session:
        group = session.scalars(
            select(Group)
            .join(GroupMember, GroupMember.group_id == Group.id)
            .join(MatchingRun, MatchingRun.id == Group.run_id)
            .join(Participant, Participant.id == GroupMember.participant_id)
            .where(MatchingRun.status == RunStatus.PUBLISHED, Participant.email == email)
        ).one()
        return group_label(group, lang), group.key


# --- people and the organiser ----------------------------------------------------------------


def _register(live: Live, *, lang: str, email: str, code: str = "") -> str:
    """Register on a phone, confirm with the link from the mail; the personal link."""
    context = _phone(live, lang)
    page = context.new_page()
    page.goto(f"/?lang={lang}" + (f"&code={code}" if code else ""))
    _check_layout(page, lang)
    if code:
        page.check("#role-citizen")
        page.fill("#field-first_name", "Lena")
        page.fill("#field-last_name", "Brauer")
        page.check("#language-de")
    else:
        page.check("#role-newcomer")
        page.fill("#field-first_name", "يارا")
        page.fill("#field-last_name", "خليل")
        page.check("#language-ar")
        page.check("#language-de")
    page.fill("#field-email", email)
    for series in ("mon", "wed", "sat"):
        page.check(f"#series-{series}")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/registered"))
    (confirmation,) = _mails(live, email, "registration_confirmation")
    link = _personal_link(live, confirmation)
    page.goto(link + "/confirm")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"done=confirmed"))
    context.close()
    live.links[email] = link
    return link


def _organiser(live: Live) -> Any:
    if live.organiser is None:
        context = live.browser.new_context(base_url=live.base_url, locale="de-DE")
        page = context.new_page()
        page.goto("/organiser/login")
        page.fill("#email", ORGANISER)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/organiser/")
        live.organiser = page
    return live.organiser


def _form_groups(live: Live) -> None:
    page = _organiser(live)
    page.goto("/organiser/rounds/konstanz-mai/matching")
    page.fill("#time_limit", "2")
    page.click("form[action$='/matching'] button")
    page.wait_for_url("**/runs/*")
    live.run_path = page.url.split(live.base_url, 1)[1].split("?")[0]
    page.locator("#publish, .error").first.wait_for(timeout=90_000)
    assert page.locator("#publish").count(), page.locator("main").inner_text()


def _publish(live: Live) -> None:
    page = _organiser(live)
    page.goto(live.run_path)
    page.click("#publish button")
    page.wait_for_url("**/mail?**")
    _all_sent(live)


@pytest.fixture(scope="module")
def drafted(live: Live) -> Live:
    """Both people registered and confirmed; the organiser formed groups, not yet published."""
    _register(live, lang="de", email=GERMAN, code=live.codes[0])
    _register(live, lang="ar", email=ARABIC)
    _form_groups(live)
    return live


@pytest.fixture(scope="module")
def published(drafted: Live) -> Live:
    live = drafted
    if not _mails(live, GERMAN, "invitation"):
        _publish(live)
    for email in (GERMAN, ARABIC):
        assert _mails(live, email, "invitation"), f"{email} was not placed in a group"
    return live


# --- point 11: forming groups keeps registration open ----------------------------------------


def test_forming_groups_keeps_registration_open_and_new_rounds_wait(drafted: Live) -> None:
    live = drafted
    context = _phone(live)
    page = context.new_page()
    # The letter link still takes registrations while the groups are a draft.
    page.goto(f"/?code={live.codes[1]}&lang=de")
    assert page.locator("#field-first_name").is_visible(), _visible_text(page)
    assert "keine Anmeldung" not in _visible_text(page)
    assert page.input_value("#field-code") == live.codes[1]
    # The personal page still lets the person change their evenings and details.
    page.goto(live.links[GERMAN] + "?lang=de")
    text = _visible_text(page)
    assert "Die Anmeldung ist beendet" not in text and "Anmeldung ist geschlossen" not in text
    assert page.locator(f"form[action^='{live.links[GERMAN]}/series'] button").is_visible()
    assert page.locator(f"a[href^='{live.links[GERMAN]}/details']").is_visible()
    context.close()
    organiser = _organiser(live)
    organiser.goto("/organiser/rounds/konstanz-mai")
    assert "offen" in organiser.locator("dl.facts dd").first.inner_text().lower()

    # A new round without series and deadline is not on the public pages.
    organiser.goto("/organiser/rounds/new")
    organiser.fill("#slug", "konstanz-herbst")
    organiser.fill("#name", "Konstanz im Herbst")
    organiser.click("form[action='/organiser/rounds'] button[type=submit]")
    organiser.wait_for_url("**/organiser/rounds/konstanz-herbst**")
    notice = organiser.locator("main").inner_text()
    assert "noch nicht auf den öffentlichen Seiten" in notice, notice
    visitor = _phone(live).new_page()
    visitor.goto("/?lang=de")
    assert "Konstanz im Herbst" not in _visible_text(visitor)
    assert "Konstanz, Mai" in _visible_text(visitor)
    response = visitor.goto("/rounds/konstanz-herbst?lang=de")
    assert response is not None and response.status in (404, 409)
    assert visitor.locator("#field-first_name").count() == 0
    visitor.context.close()


# --- point 1 and the screenshots: readable group names, in German and Arabic ------------------


@pytest.mark.parametrize("lang, email", [("de", GERMAN), ("ar", ARABIC)])
def test_the_invitation_and_the_personal_page_name_the_group_readably(
    published: Live, lang: str, email: str
) -> None:
    live = published
    label, key = _group_of(live, email, lang)
    invitations = _mails(live, email, "invitation")
    assert len(invitations) == 3, "one invitation per evening"
    for message in invitations:
        assert message["Content-Language"] in (None, lang)
        whole = message.as_string()  # subject, text, HTML and the calendar file
        _no_solver_keys(live, str(message["Subject"]), f"the subject {message['Subject']}")
        for subtype in ("plain", "html"):
            _no_solver_keys(live, _part(message, subtype), f"the invitation's {subtype} part")
        assert key not in whole, f"the invitation carries the solver's key {key}"
        assert label in _part(message, "plain")

    context = _phone(live, lang)
    page = context.new_page()
    mail_file = live.shots[0] / f"invitation-{lang}.html"
    mail_file.write_text(_part(invitations[0], "html"), encoding="utf-8")
    page.goto(mail_file.as_uri())
    _check_layout(page, lang)
    mail_text = _visible_text(page)
    _no_solver_keys(live, mail_text, f"the {lang} invitation as shown")
    assert label in mail_text
    _screenshot(live, page, f"invitation-{lang}")

    # The mail's link leads to the person's page, which names the same group.
    link = page.locator(f"a[href*='{live.links[email]}']").first
    assert link.is_visible()
    link.click()
    page.wait_for_url(re.compile(re.escape(live.links[email])))
    _check_layout(page, lang)
    text = _visible_text(page)
    _no_solver_keys(live, text, f"the {lang} personal page")
    assert label in page.locator("#group").inner_text()
    _screenshot(live, page, f"personal-page-{lang}")
    context.close()


def _moderator_link(live: Live) -> tuple[str, str]:
    """A moderator with a group, and the link to their page from their roster mail.

    The Arabic-speaking moderator if the solver gave her a group."""
    with live.sessions() as session:
        leading = session.scalars(
            select(Moderator)
            .join(group_moderators, group_moderators.c.moderator_id == Moderator.id)
            .join(Group, Group.id == group_moderators.c.group_id)
            .join(MatchingRun, MatchingRun.id == Group.run_id)
            .where(MatchingRun.status == RunStatus.PUBLISHED)
            .order_by(Moderator.preferred_language != "ar", Moderator.id)
        ).first()
        assert leading is not None
        email = leading.email
    rosters = _mails(live, email, "roster")
    assert rosters, f"{email} got no roster"
    found = re.search(
        re.escape(live.base_url) + r"(/moderator/[A-Za-z0-9_-]{43})", _part(rosters[-1], "plain")
    )
    assert found is not None, "the roster mail carries no link to the moderator's page"
    for message in rosters:
        _no_solver_keys(live, str(message["Subject"]), "a roster's subject")
        _no_solver_keys(live, _part(message, "plain"), "a roster")
        _no_solver_keys(live, _part(message, "html"), "a roster's HTML")
    return email, found.group(1)


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_moderator_page_names_groups_readably(published: Live, lang: str) -> None:
    live = published
    email, link = _moderator_link(live)
    with live.sessions() as session:
        labels = [
            group_label(group, lang)
            for group in session.scalars(
                select(Group)
                .join(group_moderators, group_moderators.c.group_id == Group.id)
                .join(Moderator, Moderator.id == group_moderators.c.moderator_id)
                .join(MatchingRun, MatchingRun.id == Group.run_id)
                .where(Moderator.email == email, MatchingRun.status == RunStatus.PUBLISHED)
            )
        ]
    context = _phone(live, lang)
    page = context.new_page()
    page.goto(f"{link}?lang={lang}")
    _check_layout(page, lang)
    text = _visible_text(page)
    _no_solver_keys(live, text, f"the {lang} moderator page")
    headings = page.locator("main h2").all_inner_texts()
    assert len(headings) == len(labels)
    for label in labels:
        assert any(label in heading for heading in headings), (label, headings)
    _screenshot(live, page, f"moderator-page-{lang}")
    context.close()


# --- point 2: a personal link that keeps working ---------------------------------------------


def test_asking_for_a_link_resends_it_and_only_the_person_replaces_it(published: Live) -> None:
    live = published
    (invitation, *_) = _mails(live, GERMAN, "invitation")
    bookmark = _personal_link(live, invitation)
    # The invitation offers the calendar subscription, by a webcal:// address of its own.
    feed = re.search(r"webcal://[^/\s]+(/calendar/[A-Za-z0-9_-]+\.ics)", _part(invitation, "plain"))
    assert feed is not None, "the invitation offers no calendar subscription"
    feed_path = feed.group(1)
    assert bookmark.rsplit("/", 1)[1] not in feed_path, "the feed has a token of its own"

    # Someone else types the person's address into /link, on their own phone.
    stranger = _phone(live).new_page()
    stranger.goto("/link?lang=de")
    stranger.fill("#field-email", GERMAN)
    stranger.click("button[type=submit]")
    assert "Bitte sehen Sie in Ihrem Postfach nach" in _visible_text(stranger)
    stranger.context.close()
    resent = _mails(live, GERMAN, "self_service_link")
    assert resent, "no mail with the link"
    assert _personal_link(live, resent[-1]) == bookmark, "the same link is sent again"

    # The bookmarked page and the subscription keep working.
    context = _phone(live)
    page = context.new_page()
    response = page.goto(bookmark + "?lang=de")
    assert response is not None and response.status == 200
    assert page.locator("#group").is_visible()
    calendar = context.request.get(feed_path)
    assert calendar.status == 200 and "BEGIN:VEVENT" in calendar.text()

    # A dead link says so and offers to send the current one.
    response = page.goto("/me/" + secrets.token_urlsafe(32) + "?lang=de")
    assert response is not None and response.status == 404
    _check_layout(page, "de")
    offer = page.locator("main a[href^='/link']")
    assert offer.is_visible()
    offer.click()
    page.wait_for_url(re.compile(r"/link"))
    assert page.locator("#field-email").is_visible()

    # The person replaces the link on their own page: then the old one and its feed end.
    page.goto(bookmark + "?lang=de")
    page.click(f"form[action^='{bookmark}/link'] button")
    page.wait_for_url(re.compile(r"done=link_replaced"))
    fresh = page.url.split(live.base_url, 1)[1].split("?")[0]
    assert re.fullmatch(PERSONAL_LINK, fresh) and fresh != bookmark
    assert _personal_link(live, _mails(live, GERMAN)[-1]) == fresh, "the new link is mailed"
    live.links[GERMAN] = fresh
    response = page.goto(bookmark + "?lang=de")
    assert response is not None and response.status == 404
    assert page.locator("main a[href^='/link']").is_visible()
    assert context.request.get(feed_path).status == 404
    new_feed = page.goto(fresh + "?lang=de")
    assert new_feed is not None and new_feed.status == 200
    context.close()


# --- point 3: every participant mail carries the personal link; withdrawing is confirmed -------


def test_every_mail_carries_the_personal_link_and_withdrawing_is_confirmed(
    published: Live,
) -> None:
    live = published
    for email in (GERMAN, ARABIC):
        for message in _mails(live, email):
            for subtype in ("plain", "html"):
                assert re.search(
                    re.escape(live.base_url) + PERSONAL_LINK, _part(message, subtype)
                ), f"{message['Subject']} to {email} carries no personal link"
    # The invitation says how to cancel, with the personal link.
    for email, words in (
        (GERMAN, "Ich kann nicht kommen / abmelden"),
        (ARABIC, "لا أستطيع الحضور"),
    ):
        (invitation, *_) = _mails(live, email, "invitation")
        assert words in _part(invitation, "plain")
        assert re.search(
            re.escape(live.base_url) + PERSONAL_LINK + "/withdraw", _part(invitation, "plain")
        )

    # The Arabic newcomer cannot come: from the mail, on her phone, she withdraws.
    context = _phone(live, "ar")
    page = context.new_page()
    mail_file = live.shots[0] / "invitation-ar-withdraw.html"
    mail_file.write_text(_part(invitation, "html"), encoding="utf-8")
    page.goto(mail_file.as_uri())
    page.locator("a[href$='/withdraw']", has_text="لا أستطيع الحضور").click()
    page.wait_for_url(re.compile(r"/withdraw"))
    _check_layout(page, "ar")
    before = len(_mails(live, ARABIC))
    page.click("button.danger")
    page.wait_for_url(re.compile(r"done=withdrawn"))
    _check_layout(page, "ar")
    context.close()
    with live.sessions() as session:
        status = session.scalars(
            select(Participant.status).where(Participant.email == ARABIC)
        ).one()
    assert status is RegistrationStatus.WITHDRAWN
    confirmations = _mails(live, ARABIC)[before:]
    assert confirmations, "withdrawing is confirmed by mail"
    for message in confirmations:
        assert re.search(re.escape(live.base_url) + PERSONAL_LINK, _part(message, "plain"))
        _no_solver_keys(live, _part(message, "html"), "the withdrawal's confirmation")


# --- point 11: closing registration says what it means --------------------------------------


def test_closing_registration_asks_first_and_then_ends_it(published: Live) -> None:
    live = published
    context = _phone(live)
    page = context.new_page()
    # Registration is still open after publishing: the letter link takes registrations.
    page.goto(f"/?code={live.codes[2]}&lang=de")
    assert page.locator("#field-first_name").is_visible()

    organiser = _organiser(live)
    organiser.goto("/organiser/rounds/konstanz-mai")
    organiser.click("form[action$='/status'] button:has-text('Anmeldung schließen')")
    heading = organiser.locator("h1").inner_text()
    assert "schließen?" in heading, heading
    explanation = organiser.locator("main").inner_text()
    assert "Niemand kann sich mehr anmelden" in explanation, explanation
    with live.sessions() as session:
        still_open = session.scalars(select(Participant.id)).all()
    assert still_open
    page.goto(f"/?code={live.codes[2]}&lang=de")
    assert page.locator("#field-first_name").is_visible(), "nothing closed before confirming"
    organiser.click("form[action$='/status'] button[type=submit]")
    organiser.wait_for_url("**done=status**")

    page.goto(f"/?code={live.codes[2]}&lang=de")
    assert page.locator("#field-first_name").count() == 0
    context.close()
