"""A round run by an organiser in a real browser against a real ``vekl serve``.

Log in, create the example round from its file, import moderators and registrations, form
groups, look at the preview, publish, mark two dropouts, rematch, publish again, and check
that the mail folder holds exactly the invitations, updates, cancellations and "group
changed" mails the changes call for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications.filesink import FileSink
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, IN_CI, running_server
from vekl.access import organisers
from vekl.mail import dispatch as mail_dispatch
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import (
    Group,
    GroupMember,
    MailStatus,
    MatchingRun,
    OutboxMail,
    Participant,
    RunStatus,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
SECRET = "organiser-browser-secret-0123456789"
EMAIL = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Server:
    base_url: str
    sessions: sessionmaker[Session]
    mail_dir: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("organiser-browser")
    url = f"sqlite:///{folder / 'organiser.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        organisers.create_user(session, EMAIL, PASSWORD, actor="test")
    with running_server(url, folder, ready_path="/organiser/login", secret=SECRET) as base_url:
        yield Server(base_url, sessions, folder / "mail")
    engine.dispose()


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"browser tests are required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        # bypass_csp lets the test inject axe-core, which the pages' own policy forbids.
        context = browser.new_context(base_url=server.base_url, locale="de-DE", bypass_csp=True)
        yield context.new_page()
        browser.close()


def _serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical findings on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run npm ci (make test does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: {v['id']} ({v['impact']}) at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _wait_for_draft(page) -> None:  # type: ignore[no-untyped-def]
    """The run page refreshes itself while the solver works, until the draft is there."""
    page.locator("#publish, .error").first.wait_for(timeout=90_000)
    assert page.locator("#publish").count(), page.locator("main").inner_text()


def _mails(server: Server) -> dict[str, tuple[str, str, str]]:
    """The mail folder: Message-ID -> (kind, recipient, calendar method) of every file."""
    with transaction(server.sessions) as session:
        kinds = {m: k for m, k in session.execute(select(OutboxMail.message_id, OutboxMail.kind))}
    found: dict[str, tuple[str, str, str]] = {}
    for path in server.mail_dir.glob("*.eml"):
        raw = path.read_bytes()
        message = message_from_bytes(raw, policy=policy.default)
        text = "".join(
            str(part.get_content())
            for part in message.walk()
            if part.get_content_type() == "text/calendar"
        )
        method = (
            "CANCEL" if "METHOD:CANCEL" in text else "REQUEST" if "METHOD:REQUEST" in text else ""
        )
        message_id = str(message["Message-ID"]).strip()
        found[message_id] = (kinds[message_id], message["To"].addresses[0].addr_spec, method)
    return found


def _to(mails: dict[str, tuple[str, str, str]], kind: str) -> set[str]:
    return {to for k, to, _ in mails.values() if k == kind}


def _methods(mails: dict[str, tuple[str, str, str]], kind: str) -> set[str]:
    return {method for k, _, method in mails.values() if k == kind}


def _dispatch(server: Server) -> None:
    """Send what is queued, as ``vekl mail send`` would, and wait until nothing is left.

    ``vekl serve`` runs a worker that sends mail too: a mail it has claimed is not ours to
    send, so the folder is read only once no mail is queued or being sent. The dispatcher
    runs in a thread of its own, because Playwright's synchronous API keeps an event loop
    running in this one.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(
            mail_dispatch.dispatch_all,
            server.sessions,
            FileSink(server.mail_dir),
            secret_key=SECRET,
        ).result()
        assert result.failed == 0 and result.retrying == 0, result.errors
        deadline = time.monotonic() + 60
        while pool.submit(_unsent, server).result():
            assert time.monotonic() < deadline, "mails still unsent after 60 s"
            time.sleep(0.2)


def _unsent(server: Server) -> int:
    with server.sessions() as session:
        return len(
            session.scalars(
                select(OutboxMail.id).where(
                    OutboxMail.status.in_([MailStatus.QUEUED, MailStatus.SENDING])
                )
            ).all()
        )


def _placements(session: Session, run_id: int) -> dict[str, tuple[int, str, tuple[int, ...]]]:
    """Email -> what a member's calendar shows of their group: series, key, moderators."""
    groups = {g.id: g for g in session.scalars(select(Group).where(Group.run_id == run_id))}
    rows = session.execute(
        select(Participant.email, GroupMember.group_id)
        .join(GroupMember, GroupMember.participant_id == Participant.id)
        .where(GroupMember.run_id == run_id)
    ).all()
    return {
        email: (
            groups[group_id].series_id,
            groups[group_id].key,
            tuple(sorted(m.id for m in groups[group_id].moderators)),
        )
        for email, group_id in rows
    }


# What a moderator's calendar shows of the group they lead in one series: its key, its
# moderators, and the roster (first name, languages, whether a step-free venue is needed).
Led = tuple[str, tuple[int, ...], tuple[tuple[str, tuple[str, ...], bool], ...]]


def _led(session: Session, run_id: int) -> dict[str, dict[int, Led]]:
    """Moderator's email -> series -> what their calendar shows of the group there."""
    found: dict[str, dict[int, Led]] = {}
    for group in session.scalars(select(Group).where(Group.run_id == run_id)):
        roster = tuple(
            sorted(
                (
                    m.participant.first_name,
                    tuple(m.participant.languages),
                    "step_free" in m.participant.needs,
                )
                for m in group.members
            )
        )
        ids = tuple(sorted(m.id for m in group.moderators))
        for moderator in group.moderators:
            found.setdefault(moderator.email, {})[group.series_id] = (group.key, ids, roster)
    return found


def test_an_organiser_runs_a_round_in_the_browser(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/organiser/")
    assert "/organiser/login" in page.url
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/organiser/")

    page.goto("/organiser/rounds/new")
    page.set_input_files("#round-file", str(EXAMPLE / "round.toml"))
    page.click("form[action='/organiser/rounds/upload'] button")
    page.wait_for_url("**/organiser/rounds/konstanz-mai?done=created")

    page.goto("/organiser/rounds/konstanz-mai/import")
    page.set_input_files("#moderators-file", str(EXAMPLE / "moderators.csv"))
    page.click("form[action$='/import/moderators'] button")
    assert "8" in page.locator(".notice").inner_text()
    page.set_input_files("#registrations-file", str(EXAMPLE / "registrations.csv"))
    page.click("form[action$='/import/registrations'] button")
    assert "60" in page.locator(".notice").inner_text()

    # The counts and charts are there, with their numbers as text.
    page.goto("/organiser/rounds/konstanz-mai/registrations")
    assert page.locator("svg.chart").count() >= 3
    assert page.locator("details.chart-data table").count() >= 3
    # Chart labels are readable, on a desktop and on a phone: 12 pixels or more as drawn.
    smallest = (
        "() => Math.min(...[...document.querySelectorAll('svg.chart text')].map("
        "t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"
    )
    assert page.evaluate(smallest) >= 12
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate(smallest) >= 12
    page.set_viewport_size({"width": 1280, "height": 720})
    violations = _serious_violations(page)

    page.goto("/organiser/rounds/konstanz-mai/matching")
    page.fill("#time_limit", "2")
    page.click("form[action$='/matching'] button")
    page.wait_for_url("**/runs/*")
    first_url = page.url.split("?")[0]
    _wait_for_draft(page)
    violations += _serious_violations(page)
    planned = page.locator("#publish tbody tr").count()
    assert planned > 40
    page.click("#publish button")
    page.wait_for_url("**/mail?**")
    _dispatch(server)
    first = _mails(server)

    with transaction(server.sessions) as session:
        published = session.scalar(
            select(MatchingRun).where(MatchingRun.status == RunStatus.PUBLISHED)
        )
        assert published is not None
        before = _placements(session, published.id)
        waitlisted = set(
            session.scalars(select(Participant.email).where(Participant.status == "waitlisted"))
        )
    assert _to(first, "invitation") == set(before)
    assert _methods(first, "invitation") == {"REQUEST"}
    assert _to(first, "waiting_list") == waitlisted
    assert len(first) == planned

    # Two people of the same group drop out.
    group_key = sorted(before.values())[0][1]
    leaving = sorted(email for email, place in before.items() if place[1] == group_key)[:2]
    # One from the person's page, one from the page that lists the dropouts.
    page.goto("/organiser/rounds/konstanz-mai/registrations?q=" + leaving[0])
    page.click("table.list tbody a")
    page.select_option("#category", "illness")
    page.fill("#reason", "krank")
    with page.expect_navigation(url="**done=dropped_out"):
        page.click("form[action$='/drop-out'] button")
    assert "abgesagt" in page.locator("dl.facts").inner_text()
    with transaction(server.sessions) as session:
        second = session.scalar(select(Participant.id).where(Participant.email == leaving[1]))
    page.goto("/organiser/rounds/konstanz-mai/dropouts")
    assert page.locator("#dropout-reason").get_attribute("aria-required") == "true"
    assert "*" in page.locator("label[for=dropout-reason]").inner_text()
    page.select_option("#dropout-person", str(second))
    page.select_option("#dropout-category", "illness")
    page.fill("#dropout-reason", "krank")
    with page.expect_navigation(url="**done=dropped_out"):
        page.click("#record-dropout button")
    assert page.locator("#dropped-out tbody tr").count() == 2
    _dispatch(server)
    after_dropouts = _mails(server)
    new = {k: v for k, v in after_dropouts.items() if k not in first}
    assert _to(new, "cancellation") == set(leaving)
    assert _methods(new, "cancellation") == {"CANCEL"}
    assert _to(new, "invitation") == set() and _to(new, "update") == set()
    with transaction(server.sessions) as session:
        # What the moderators' calendars hold once the dropouts have been dealt with.
        led_before = _led(session, published.id)

    page.goto("/organiser/rounds/konstanz-mai/dropouts")
    violations += _serious_violations(page)
    assert "krank" not in page.locator("main").inner_text()  # reasons stay on the person
    page.fill("#time_limit", "2")
    page.click("form[action$='/matching'] button")
    page.wait_for_url("**/runs/*")
    second_url = page.url.split("?")[0]
    assert second_url != first_url
    _wait_for_draft(page)
    preview = sorted(
        cell.split("<")[-1].rstrip(">").strip()
        for cell in page.locator("#publish tbody tr td:nth-child(2)").all_text_contents()
    )
    page.click("#publish button")
    page.wait_for_url("**/mail?**")
    _dispatch(server)
    final = _mails(server)
    rematch_mails = {k: v for k, v in final.items() if k not in after_dropouts}

    with transaction(server.sessions) as session:
        rematch = session.scalar(
            select(MatchingRun).where(MatchingRun.status == RunStatus.PUBLISHED)
        )
        assert rematch is not None and rematch.previous_run_id == published.id
        after = _placements(session, rematch.id)
        led_after = _led(session, rematch.id)
    stayed = set(before) - set(leaving)
    # Someone moved to another group gets one mail that says so and carries every calendar
    # change as files of its own (no inline invitation part); someone who stays in their
    # group hears only of a new moderator (an update per evening); newcomers are invited.
    moved = {e for e in stayed if e in after and after[e][:2] != before[e][:2]}
    assert _to(rematch_mails, "group_moved") == moved
    assert _methods(rematch_mails, "group_moved") <= {""}
    assert _to(rematch_mails, "invitation") == set(after) - set(before)
    assert _to(rematch_mails, "update") == {
        e for e in stayed - moved if e in after and after[e] != before[e]
    }
    # Moderators follow the same rule, one series at a time: the rematch may dissolve a group
    # that fell below the minimum size, or give a group another moderator. Leaving a series
    # cancels its evenings; a new series, group or roster within one is a new roster.
    moderators = set(led_before) | set(led_after)
    left_series = {m for m in moderators if set(led_before.get(m, {})) - set(led_after.get(m, {}))}
    new_roster = {
        m
        for m in moderators
        for series, led in led_after.get(m, {}).items()
        if led_before.get(m, {}).get(series) != led
    }
    assert _to(rematch_mails, "roster") == new_roster
    assert _to(rematch_mails, "cancellation") == {e for e in stayed if e not in after} | (
        left_series
    )
    page.goto("/organiser/rounds/konstanz-mai/mail")
    violations += _serious_violations(page)
    assert violations == []
    # The preview named exactly the mails publishing then sent.
    assert preview == sorted(to for _, to, _ in rematch_mails.values())
