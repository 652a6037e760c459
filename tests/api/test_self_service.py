"""The personal link: status, calendar, changing evenings, withdrawing, data, deleting."""

from __future__ import annotations

import json
import re
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.access import tokens
from vekl.calendars.uids import participant_evening_uid
from vekl.mail import planner as notify
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    GroupMember,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Round,
    RoundStatus,
    WaitlistEntry,
)

from .conftest import SECRET, link_in, mails, newcomer_form, settle, text_of, token_of
from .published import publish_group


def _registered(client: TestClient, db: Session, **changes: object) -> tuple[Participant, str]:
    """A confirmed newcomer and the path of their personal page."""
    client.post("/rounds/konstanz-mai/register", data=newcomer_form(**changes))
    confirm = link_in(mails(db, "registration_confirmation")[-1])
    client.post(confirm)
    person = db.scalars(select(Participant).order_by(Participant.id.desc())).first()
    assert person is not None and person.status is RegistrationStatus.CONFIRMED
    return person, confirm.removesuffix("/confirm")


def test_the_status_page_follows_the_registration(
    client: TestClient, db: Session, open_round: Round
) -> None:
    client.post("/rounds/konstanz-mai/register", data=newcomer_form())
    confirm = link_in(mails(db, "registration_confirmation")[0])
    page = client.get(confirm.removesuffix("/confirm") + "?lang=en")
    assert "Not confirmed yet." in page.text
    assert page.headers["cache-control"] == "no-store"
    # Opening the link (as a mail scanner would) only asks; the button confirms.
    asked = client.get(confirm + "?lang=en")
    assert "Yes, confirm my registration" in asked.text
    assert 'method="post"' in asked.text
    assert "Not confirmed yet." in client.get(confirm.removesuffix("/confirm") + "?lang=en").text
    confirmed = client.post(confirm + "?lang=en")
    assert "You are registered." in confirmed.text
    assert "your email address is confirmed" in confirmed.text
    # Once confirmed, the link leads straight to the personal page.
    again = client.get(confirm + "?lang=en")
    assert "You are registered." in again.text and "Yes, confirm" not in again.text


def test_a_placed_person_sees_group_evenings_and_moderator_and_gets_the_calendar(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, page_path = _registered(client, db)
    group = publish_group(db, open_round, [person])
    page = client.get(page_path + "?lang=en")
    assert "You have a place in a group." in page.text
    assert "Miriam" in page.text and "Okafor" not in page.text
    assert "Cultural Centre by the Minster" in page.text and "The venue is step-free." in page.text
    token = token_of(page_path)
    subscription = re.search(r"webcal://vekl\.example(/calendar/[A-Za-z0-9_-]{43}\.ics)", page.text)
    assert subscription is not None and token not in subscription.group(1)
    subscribed = client.get(subscription.group(1))
    assert subscribed.status_code == 200

    ics = client.get(f"/me/{token}/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(ics.content)
    events = list(calendar.walk("VEVENT"))
    expected = {
        participant_evening_uid(person.id, evening.id, domain="konstanz.example", secret=SECRET)
        for evening in group.series.evenings
    }
    assert {str(e["UID"]) for e in events} == expected
    assert token not in ics.text, "no access token in a calendar file"
    assert {str(e["UID"]) for e in Calendar.from_ical(subscribed.content).walk("VEVENT")} == (
        expected
    )

    # Withdrawing empties the feed and is logged for the organisers.
    withdrawn = client.post(f"/me/{token}/withdraw?lang=en", follow_redirects=True)
    assert "You have withdrawn from this round." in withdrawn.text
    db.refresh(person)
    assert person.status is RegistrationStatus.WITHDRAWN and person.withdrawn_at is not None
    assert (
        db.scalar(
            select(func.count()).where(
                AuditEntry.action == "registration.withdraw",
                AuditEntry.subject == f"participant:{person.id}",
            )
        )
        == 1
    )
    empty = Calendar.from_ical(client.get(f"/me/{token}/calendar.ics").content)
    assert list(empty.walk("VEVENT")) == []


def test_the_waiting_list_is_shown(client: TestClient, db: Session, open_round: Round) -> None:
    person, page_path = _registered(client, db)
    other, _ = _registered(client, db, email="someone@example.org", first_name="Sami")
    group = publish_group(db, open_round, [other])
    db.add(WaitlistEntry(run_id=group.run_id, participant_id=person.id, reason="no place"))
    person.status = RegistrationStatus.WAITLISTED
    settle(db)
    assert "You are on the waiting list." in client.get(page_path + "?lang=en").text


def test_evenings_can_be_changed_while_registration_is_open(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, page_path = _registered(client, db)
    changed = client.post(
        page_path + "/series?lang=en", data={"series": ["wed"]}, follow_redirects=True
    )
    assert "Your evenings have been changed." in changed.text
    db.refresh(person)
    assert [s.key for s in person.series] == ["wed"]
    none = client.post(page_path + "/series?lang=en", data={})
    assert none.status_code == 422 and "at least one series" in none.text
    unknown = client.post(page_path + "/series?lang=en", data={"series": ["tue"]})
    assert unknown.status_code == 422
    open_round.status = RoundStatus.CLOSED
    settle(db)
    closed = client.post(page_path + "/series?lang=en", data={"series": ["sat"]})
    # A conflict, as the JSON API and the organiser pages answer it too (api.errors.STATUS).
    assert closed.status_code == 409 and "can no longer be changed" in closed.text
    db.refresh(person)
    assert [s.key for s in person.series] == ["wed"]


def test_the_data_download_holds_everything_about_the_person(
    client: TestClient, db: Session, open_round: Round
) -> None:
    _person, page_path = _registered(client, db)
    download = client.get(page_path + "/data.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    data = json.loads(download.content)
    assert data["registration"]["email"] == "olena.melnyk@example.org"
    assert data["registration"]["origin"] == "UA"
    assert data["registration"]["series"] == ["mon", "sat"]
    assert {m["kind"] for m in data["mails"]} == {"registration_confirmation"}
    assert [h["action"] for h in data["history"]][:2] == [
        "registration.create",
        "registration.confirm",
    ]


def test_deleting_removes_the_person_and_everything_hanging_off_them(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, page_path = _registered(client, db)
    publish_group(db, open_round, [person])
    person_id = person.id
    form = client.get(page_path + "/delete?lang=en")
    assert "cannot be undone" in form.text
    deleted = client.post(page_path + "/delete?lang=en")
    assert deleted.status_code == 200 and "Your data has been deleted" in deleted.text
    db.expire_all()
    assert db.get(Participant, person_id) is None
    assert db.scalar(select(func.count()).where(OutboxMail.participant_id == person_id)) == 0
    assert db.scalar(select(func.count()).where(GroupMember.participant_id == person_id)) == 0
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "registration.delete")).one()
    assert entry.subject == f"participant:{person_id}" and entry.details == {}
    assert client.get(page_path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/me/not-a-token",
        "/me/" + "A" * 43,
        "/me/" + "A" * 43 + "/calendar.ics",
        "/me/" + "A" * 43 + "/data.json",
        "/moderator/" + "B" * 43,
        "/nowhere",
    ],
)
def test_wrong_links_get_a_plain_404_page(client: TestClient, open_round: Round, path: str) -> None:
    response = client.get(path + "?lang=en")
    assert response.status_code == 404
    assert "the link is no longer valid" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_asking_for_the_link_again_sends_the_same_link(
    client: TestClient, db: Session, open_round: Round
) -> None:
    """Whoever types a person's address gets nothing but a mail to that person, with the
    link they already have: bookmarks and calendar subscriptions keep working."""
    person, page_path = _registered(client, db)
    publish_group(db, open_round, [person])
    feed = _feed_path(client, page_path)
    client.post("/link", data={"email": person.email})
    assert link_in(mails(db, "self_service_link")[-1]) == page_path
    assert client.get(page_path).status_code == 200
    assert client.get(feed).status_code == 200


def test_only_the_person_replaces_their_link(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, page_path = _registered(client, db)
    publish_group(db, open_round, [person])
    old_feed = _feed_path(client, page_path)
    replaced = client.post(page_path + "/link?lang=en", follow_redirects=False)
    assert replaced.status_code == 303
    new_path = replaced.headers["location"].split("?")[0]
    assert new_path != page_path
    page = client.get(replaced.headers["location"])
    assert "Your personal link has been replaced" in page.text
    assert link_in(mails(db, "self_service_link")[-1]) == new_path
    new_feed = _feed_path(client, new_path)
    assert new_feed != old_feed and client.get(new_feed).status_code == 200
    # The old link and the old feed are dead; the dead link offers to send the current one.
    dead = client.get(page_path + "?lang=en")
    assert dead.status_code == 404
    assert 'href="/link?lang=en"' in dead.text and "Send me my personal link" in dead.text
    assert client.get(old_feed).status_code == 404
    tokens.revoke(person)
    settle(db)
    assert client.get(new_path).status_code == 404


def _feed_path(client: TestClient, page_path: str) -> str:
    found = re.search(
        r"webcal://vekl\.example(/calendar/[A-Za-z0-9_-]{43}\.ics)", client.get(page_path).text
    )
    assert found is not None
    return found.group(1)


def test_withdrawing_after_the_invitation_cancels_the_same_calendar_entries(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    person, page_path = _registered(client, db)
    publish_group(db, open_round, [person])
    notify.resync_round(db, open_round, settings=settings)
    settle(db)
    invitations = mails(db, "invitation", to=person.email)
    token = token_of(page_path)
    feed = Calendar.from_ical(client.get(f"/me/{token}/calendar.ics").content)
    feed_uids = {str(e["UID"]) for e in feed.walk("VEVENT")}

    client.post(f"/me/{token}/withdraw")
    cancellations = mails(db, "cancellation", to=person.email)

    def uid(message: EmailMessage) -> str:
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                (event,) = Calendar.from_ical(part.get_content()).walk("VEVENT")
                return str(event["UID"])
        raise AssertionError("no calendar")

    assert len(invitations) == len(cancellations) == len(feed_uids) == 3
    assert {uid(m) for m in invitations} == feed_uids == {uid(m) for m in cancellations}


def test_withdrawing_is_confirmed_by_mail_with_the_personal_link(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    waiting, waiting_path = _registered(client, db)
    client.post(waiting_path + "/withdraw")
    [confirmation] = mails(db, "withdrawal_confirmed", to=waiting.email)
    assert link_in(confirmation) == waiting_path
    assert "Ви відмовилися від участі" in str(confirmation["Subject"])  # in her language

    placed, placed_path = _registered(client, db, email="placed@example.org")
    publish_group(db, open_round, [placed])
    notify.resync_round(db, open_round, settings=settings)
    settle(db)
    invitations = mails(db, "invitation", to=placed.email)
    assert invitations and all(link_in(m) == placed_path for m in invitations)
    assert "webcal://vekl.example/calendar/" in text_of(invitations[0])
    client.post(placed_path + "/withdraw")
    cancellations = mails(db, "cancellation", to=placed.email)
    assert len(cancellations) == len(invitations)
    assert all(link_in(m) == placed_path for m in cancellations)
    assert mails(db, "withdrawal_confirmed", to=placed.email) == []


def test_people_correct_their_own_details_while_registration_is_open(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, path = _registered(client, db)
    page = client.get(path + "?lang=en").text
    assert "Correct my name, languages or needs" in page and "Download all my data<" in page
    form = client.get(path + "/details?lang=en").text
    assert (
        'value="Olena"' in form and 'id="language-uk" name="languages" value="uk" checked' in form
    )
    assert 'id="language-en" name="languages" value="en" checked' in form
    bad = client.post(
        path + "/details?lang=en",
        data={"first_name": "", "last_name": "Visit http://phish.example", "languages": []},
    )
    assert bad.status_code == 422
    assert 'id="error-first_name"' in bad.text and 'id="error-last_name"' in bad.text
    db.refresh(person)
    assert person.first_name == "Olena"  # nothing is saved from a form with a mistake
    saved = client.post(
        path + "/details?lang=en",
        data={
            "first_name": "Olena",
            "last_name": "Kovalenko-Schmidt",
            "preferred_language": "de",
            "languages": ["uk", "de"],
            "other_languages": ["Polnisch"],
            "needs": ["step_free"],
            "needs_other": "",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "done=details" in saved.headers["location"]
    db.refresh(person)
    assert person.last_name == "Kovalenko-Schmidt" and person.preferred_language == "de"
    assert person.languages == ["uk", "de", "pl"] and person.needs == ["step_free"]
    [entry] = db.scalars(select(AuditEntry).filter_by(action="registration.details")).all()
    assert sorted(entry.details["fields"]) == ["languages", "last_name", "preferred_language"]
    assert "Kovalenko" not in json.dumps(entry.details)

    # With a group, the details that group was formed for are fixed.
    publish_group(db, open_round, [person])
    settle(db)
    assert "Correct my name" not in client.get(path + "?lang=en").text
    refused = client.post(path + "/details?lang=en", data={"first_name": "O", "last_name": "K"})
    assert refused.status_code == 409 and "can no longer be changed here" in refused.text


def test_the_personal_page_opens_in_the_language_the_person_chose_for_their_mails(
    client: TestClient, db: Session, open_round: Round
) -> None:
    _, path = _registered(client, db, preferred_language="ar", email="ar@example.org")
    client.cookies.clear()
    german_browser = {"accept-language": "de-DE,de;q=0.9"}
    page = client.get(path, headers=german_browser)
    assert '<html lang="ar" dir="rtl">' in page.text
    # The person's choice on this browser wins: the switcher, then the cookie it sets.
    english = client.get(path + "?lang=en", headers=german_browser)
    assert '<html lang="en" dir="ltr">' in english.text
    assert '<html lang="en" dir="ltr">' in client.get(path, headers=german_browser).text
    client.cookies.clear()
    confirm = client.get(path + "/confirm", headers=german_browser)
    assert '<html lang="ar" dir="rtl">' in confirm.text
