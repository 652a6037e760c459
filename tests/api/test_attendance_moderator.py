"""A moderator marks who came, from their link: own groups only, within the window, no JS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.attendance_setup import first_evening_began, group_of, person
from vekl.moderators import moderation
from vekl.settings import Settings
from vekl.store.models import Attendance, AuditEntry, Moderator, Role, Round

from .conftest import settle


def _marks(db: Session) -> dict[int, bool]:
    db.expire_all()
    return {row.participant_id: row.present for row in db.scalars(select(Attendance))}


@pytest.fixture
def marking(db: Session, settings: Settings, open_round: Round) -> dict[str, object]:
    """Karim and Lea in Miriam's group; the first evening began an hour ago."""
    karim = person(db, open_round, "Karim", "Haddad")
    lea = person(db, open_round, "Lea", "Berger", role=Role.CITIZEN)
    group = group_of(db, open_round, [karim, lea])
    evenings = first_evening_began(db, open_round, timedelta(hours=1))
    [(_, url)] = moderation.issue_links(db, settings, open_round, actor="test")
    settle(db)
    token = url.rsplit("/", 1)[1]
    return {
        "karim": karim.id,
        "lea": lea.id,
        "token": token,
        "path": f"/moderator/{token}/groups/{group.key}/evenings/{evenings[0].id}",
        "evenings": evenings,
    }


def test_the_moderator_marks_who_came_with_a_plain_form_and_reads_a_confirmation(
    client: TestClient, db: Session, marking: dict[str, object]
) -> None:
    token, path = marking["token"], str(marking["path"])
    page = client.get(f"/moderator/{token}?lang=de")
    assert "Eintragen, wer da war: Abend 1" in page.text
    assert "Abend 2" not in page.text  # not begun yet
    assert path in page.text

    form = client.get(path + "?lang=de")
    assert form.status_code == 200
    assert "<script" not in form.text
    assert 'method="post"' in form.text
    assert "Haddad" not in form.text and "Berger" not in form.text  # first names only
    sent = client.post(
        path + "?lang=de",
        data={f"person-{marking['karim']}": "present", f"person-{marking['lea']}": "absent"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "done=saved" in sent.headers["location"]
    shown = client.get(sent.headers["location"])
    assert "Danke, gespeichert: 1 waren da, 1 nicht." in shown.text
    assert _marks(db) == {marking["karim"]: True, marking["lea"]: False}
    moderator = db.scalar(select(Moderator))
    assert moderator is not None
    actors = {
        e.actor
        for e in db.scalars(select(AuditEntry).where(AuditEntry.action.like("attendance.%")))
    }
    assert actors == {f"moderator:{moderator.id}"}


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", "bis 7 Tage nach dem Abend"),
        ("en", "only until 7 days after the evening"),
        ("uk", "лише протягом 7 днів після вечора"),
        ("ar", "إلا حتى 7 أيام بعد الأمسية"),
    ],
)
def test_after_the_window_the_moderator_is_told_so_in_their_language_and_nothing_changes(
    client: TestClient, db: Session, marking: dict[str, object], lang: str, words: str
) -> None:
    evenings = marking["evenings"]
    assert isinstance(evenings, list)
    # The first evening ended seven days and a minute ago.
    first_evening_began(db, evenings[0].series.round, timedelta(days=7, hours=2, minutes=1))
    settle(db)
    path = str(marking["path"])
    form = client.get(f"{path}?lang={lang}")
    assert words in form.text and 'method="post"' not in form.text
    sent = client.post(f"{path}?lang={lang}", data={f"person-{marking['karim']}": "present"})
    assert sent.status_code == 409
    assert words in sent.text
    assert _marks(db) == {}


def test_before_the_evening_begins_nothing_can_be_marked(
    client: TestClient, db: Session, marking: dict[str, object]
) -> None:
    evenings = marking["evenings"]
    assert isinstance(evenings, list)
    first_evening_began(db, evenings[0].series.round, -timedelta(minutes=5))
    settle(db)
    sent = client.post(f"{marking['path']}?lang=en", data={f"person-{marking['karim']}": "present"})
    assert sent.status_code == 409
    assert "This evening has not begun yet." in sent.text
    assert _marks(db) == {}


def test_someone_not_in_the_group_is_refused_and_nothing_is_saved(
    client: TestClient, db: Session, marking: dict[str, object], open_round: Round
) -> None:
    stranger = person(db, open_round, "Olena", "Melnyk")
    settle(db)
    sent = client.post(
        f"{marking['path']}?lang=en",
        data={f"person-{marking['karim']}": "present", f"person-{stranger.id}": "present"},
    )
    assert sent.status_code == 409
    assert "is not a member of this group. Nothing was saved." in sent.text
    assert "Olena" not in sent.text
    assert _marks(db) == {}


def test_a_moderator_cannot_mark_another_moderators_group(
    client: TestClient,
    db: Session,
    settings: Settings,
    marking: dict[str, object],
    open_round: Round,
) -> None:
    db.add(Moderator(round_id=open_round.id, name="Jonas Beck", email="jonas@example.org"))
    db.flush()
    links = dict(
        (m.email, url.rsplit("/", 1)[1])
        for m, url in moderation.issue_links(db, settings, open_round, actor="test")
    )
    settle(db)
    path = str(marking["path"]).replace(str(marking["token"]), links["jonas@example.org"])
    assert client.get(path).status_code == 404
    sent = client.post(path, data={f"person-{marking['karim']}": "present"})
    assert sent.status_code == 404
    assert _marks(db) == {}


def test_a_made_up_mark_is_refused(
    client: TestClient, db: Session, marking: dict[str, object]
) -> None:
    sent = client.post(f"{marking['path']}?lang=en", data={f"person-{marking['karim']}": "maybe"})
    assert sent.status_code == 422
    assert _marks(db) == {}


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Who came?", "did not come", "Evening 1,")),
        ("ar", ("من حضر؟", "لم يحضر", "الأمسية 1")),
        ("uk", ("Хто прийшов?", "не прийшов(-ла)", "Вечір 1,")),
    ],
)
def test_the_form_speaks_the_moderators_language(
    client: TestClient, marking: dict[str, object], lang: str, words: tuple[str, ...]
) -> None:
    form = client.get(f"{marking['path']}?lang={lang}")
    assert all(word in form.text for word in words), form.text
    assert ('dir="rtl"' in form.text) == (lang == "ar")
