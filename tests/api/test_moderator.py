"""The moderator's link: first names, languages and needs only; roster and evenings."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from vekl.moderators import moderation
from vekl.settings import Settings
from vekl.store.models import Moderator, Participant, RegistrationStatus, Role, Round

from .conftest import mails, settle, text_of
from .published import publish_group


def _person(db: Session, round: Round, first: str, email: str, **extra: object) -> Participant:
    person = Participant(
        round_id=round.id,
        role=Role.NEWCOMER,
        first_name=first,
        email=email,
        languages=["ar", "de"],
        origin="SY",
        status=RegistrationStatus.CONFIRMED,
        **{"last_name": "Secretname", **extra},
    )
    db.add(person)
    db.flush()
    return person


def test_the_moderator_sees_first_names_languages_and_needs_only(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    karim = _person(db, open_round, "Karim", "karim@example.org", needs=["step_free"])
    lea = _person(db, open_round, "Lea", "lea@example.org", needs_other="private note")
    gone = _person(db, open_round, "Gone", "gone@example.org")
    publish_group(db, open_round, [karim, lea, gone])
    gone.status = RegistrationStatus.WITHDRAWN
    [(moderator, url)] = moderation.issue_links(db, settings, open_round, actor="test")
    settle(db)
    assert url.startswith("https://vekl.example/moderator/")
    path = url.removeprefix("https://vekl.example")

    page = client.get(path + "?lang=en")
    assert page.status_code == 200
    assert "Hello <bdi>Miriam</bdi>," in page.text
    assert "Karim" in page.text and "Lea" in page.text and "Gone" not in page.text
    for secret in ("Secretname", "karim@example.org", "private note", "Syria"):
        assert secret not in page.text
    assert "Arabic and German" in page.text and "Needs step-free access" in page.text

    roster = client.get(path + "/groups/mon-1/roster.csv?lang=de")
    assert roster.status_code == 200
    rows = list(csv.reader(io.StringIO(roster.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Vorname"
    assert [r[0] for r in rows[1:]] == ["Karim", "Lea"]
    assert [r[2] for r in rows[1:]] == ["stufenloser Zugang", ""]
    assert client.get(path + "/groups/wed-9/roster.csv").status_code == 404

    calendar = Calendar.from_ical(client.get(path + "/calendar.ics").content)
    assert len(list(calendar.walk("VEVENT"))) == 3

    # Issuing links again revokes the old ones.
    moderation.issue_links(db, settings, open_round, actor="test")
    settle(db)
    assert client.get(path).status_code == 404
    assert moderator.token_hash is not None


def test_before_grouping_the_moderator_is_told_to_wait(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    db.add(Moderator(round_id=open_round.id, name="Jonas Beck", email="j@example.org"))
    db.flush()
    [(_, url)] = moderation.issue_links(db, settings, open_round, actor="test")
    settle(db)
    page = client.get(url.removeprefix("https://vekl.example") + "?lang=en")
    assert "have not been put together yet" in page.text


def test_needs_leave_the_service_as_codes_and_reach_readers_in_their_language(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    karim = _person(db, open_round, "Karim", "karim@example.org", needs=["step_free"])
    publish_group(db, open_round, [karim])
    [(_, url)] = moderation.issue_links(db, settings, open_round, actor="test")
    settle(db)
    token = url.rsplit("/", 1)[1]
    [group] = moderation.moderation(db, token).groups
    assert [m.needs for m in group.members] == [("step_free",)]

    german = client.get(f"/moderator/{token}?lang=de")
    assert "Braucht einen stufenlosen Zugang" in german.text and "step_free" not in german.text
    ukrainian = client.get(f"/api/v1/moderator/{token}?lang=uk").json()
    assert ukrainian["groups"][0]["members"][0]["needs"] == ["Потрібен безбар’єрний вхід"]


def test_a_moderator_who_asks_for_their_link_gets_it_by_mail(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    karim = _person(db, open_round, "Karim", "karim@example.org")
    publish_group(db, open_round, [karim])
    settle(db)
    asked = client.post("/link", data={"email": "Miriam@Example.org"})
    nobody = client.post("/link", data={"email": "nobody@example.org"})
    assert asked.status_code == nobody.status_code == 200
    assert asked.text == nobody.text  # says nothing either way
    [mail] = mails(db, "moderator_link", to="miriam@example.org")
    text = text_of(mail)
    found = re.search(r"https://vekl\.example(/moderator/[A-Za-z0-9_-]{43})", text)
    assert found, text
    assert "/me/" not in text
    page = client.get(found.group(1) + "?lang=en")
    assert page.status_code == 200 and "Karim" in page.text
    # Asking again at once sends nothing more; the link stays the same.
    client.post("/link", data={"email": "miriam@example.org"})
    assert len(mails(db, "moderator_link")) == 1


def test_no_link_for_a_moderator_of_a_round_whose_data_is_removed(
    client: TestClient, db: Session, open_round: Round
) -> None:
    db.add(Moderator(round_id=open_round.id, name="Jonas Beck", email="j@example.org"))
    open_round.purged_at = datetime.now(UTC)
    settle(db)
    assert client.post("/link", data={"email": "j@example.org"}).status_code == 200
    assert mails(db, "moderator_link") == []


def test_needs_appear_only_where_someone_has_them_and_namesakes_are_told_apart(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    anna_k = _person(db, open_round, "Anna", "anna.k@example.org", last_name="Kaya")
    anna_b = _person(db, open_round, "Anna", "anna.b@example.org", last_name="Brandt")
    omar = _person(db, open_round, "Omar", "omar@example.org", last_name="Said")
    publish_group(db, open_round, [anna_k, anna_b, omar])
    [(_, url)] = moderation.issue_links(db, settings, open_round, actor="test")
    settle(db)
    path = url.removeprefix("https://vekl.example")
    page = client.get(path + "?lang=de").text
    assert "<td>Anna B.</td>" in page and "<td>Anna K.</td>" in page
    assert "<td>Omar</td>" in page and "Kaya" not in page and "Said" not in page
    assert "Bedarf" not in page  # nobody in the group has a need
    rows = list(
        csv.reader(
            io.StringIO(client.get(path + "/groups/mon-1/roster.csv").text.lstrip("\ufeff")),
            delimiter=";",
        )
    )
    assert rows == [
        ["Vorname", "Sprachen"],
        ["Anna B.", "Arabisch und Deutsch"],
        ["Anna K.", "Arabisch und Deutsch"],
        ["Omar", "Arabisch und Deutsch"],
    ]
    api = client.get(path.replace("/moderator/", "/api/v1/moderator/")).json()
    assert [m["name"] for m in api["groups"][0]["members"]] == ["Anna B.", "Anna K.", "Omar"]


def test_the_moderator_page_opens_in_the_moderator_s_language(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    karim = _person(db, open_round, "Karim", "karim@example.org", needs=["step_free"])
    publish_group(db, open_round, [karim])
    moderator = db.query(Moderator).filter_by(email="miriam@example.org").one()
    moderator.preferred_language = "uk"
    [(_, url)] = moderation.issue_links(db, settings, open_round, actor="test")
    settle(db)
    path = url.removeprefix("https://vekl.example")
    client.cookies.clear()
    page = client.get(path, headers={"accept-language": "de"})
    assert '<html lang="uk" dir="ltr">' in page.text
    assert "Потрібен безбар’єрний вхід" in page.text  # the needs, named in that language
    assert '<html lang="de"' in client.get(path + "?lang=de").text
