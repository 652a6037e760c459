"""Organisers enter attendance from the sign-in sheet, correct it, see the no-shows of the
first evening and mark them as dropped out through the usual dropout."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.attendance_setup import first_evening_began, group_of, person
from tests.dates import open_for_a_month
from tests.organiser.conftest import BERLIN, EXAMPLE, LoggedIn
from vekl.rounds import service as rounds
from vekl.store.models import (
    Attendance,
    AuditEntry,
    DropoutCategory,
    Evening,
    Participant,
    RegistrationStatus,
    Role,
    Round,
)


@pytest.fixture
def round_with_group(db: Session) -> Round:
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
    round = rounds.create_round(db, spec, BERLIN, "test")
    karim = person(db, round, "Karim", "Haddad")
    lea = person(db, round, "Lea", "Berger", role=Role.CITIZEN)
    group_of(db, round, [karim, lea])
    # Evenings 1 and 2 are over, 3 is not; evening 1 is past the moderators' week.
    first_evening_began(db, round, timedelta(days=10))
    db.commit()
    return round


def _people(db: Session, round: Round) -> dict[str, Participant]:
    return {
        p.first_name: p
        for p in db.scalars(select(Participant).where(Participant.round_id == round.id))
    }


def _evenings(db: Session, round: Round) -> list[Evening]:
    return list(next(s for s in round.series if s.key == "mon").evenings)


def _marks(db: Session) -> dict[tuple[int, int], bool]:
    db.expire_all()
    return {(r.participant_id, r.evening_id): r.present for r in db.scalars(select(Attendance))}


def test_the_team_enters_the_sign_in_sheet_corrects_it_and_the_log_says_so(
    team: LoggedIn, db: Session, round_with_group: Round
) -> None:
    people = _people(db, round_with_group)
    karim, lea = people["Karim"].id, people["Lea"].id
    first = _evenings(db, round_with_group)[0]
    path = f"/organiser/rounds/{round_with_group.slug}/evenings/{first.id}/attendance"

    sheet = team.client.get(
        f"/organiser/rounds/{round_with_group.slug}/evenings/{first.id}/sign-in"
    )
    assert path in sheet.text  # from the printed sheet to the form
    page = team.client.get(path)
    assert page.status_code == 200
    # In the order of the printed sheet: by surname.
    assert page.text.index("Berger, Lea") < page.text.index("Haddad, Karim")
    assert f"/evenings/{first.id}/sign-in" in page.text

    saved = team.post(path, {f"person-{karim}": "present", f"person-{lea}": "absent"})
    assert saved.status_code == 303
    shown = team.client.get(saved.headers["location"])
    assert "Anwesenheit gespeichert." in shown.text and "Geänderte Einträge: 2" in shown.text
    assert _marks(db) == {(karim, first.id): True, (lea, first.id): False}

    # Lea came after all; Karim's mark is taken back.
    team.post(path, {f"person-{karim}": "", f"person-{lea}": "present"})
    assert _marks(db) == {(lea, first.id): True}

    log = team.client.get(f"/organiser/rounds/{round_with_group.slug}/audit").text
    rows = [re.sub(r"<[^>]+>", " ", row) for row in log.split("<tr>") if "Abend 1" in row]
    assert any("als anwesend markiert" in r and "Karim Haddad" in r for r in rows)
    assert any("als abwesend markiert" in r and "Lea Berger" in r for r in rows)
    assert any("Anwesenheit entfernt" in r and "vorher: anwesend" in r for r in rows)
    assert all("Montagabende" in r and "team@konstanz.example" in r for r in rows)
    assert (
        db.scalar(select(AuditEntry).where(AuditEntry.action == "attendance.cleared")) is not None
    )


def test_an_evening_that_has_not_begun_cannot_be_marked(
    team: LoggedIn, db: Session, round_with_group: Round
) -> None:
    karim = _people(db, round_with_group)["Karim"].id
    third = _evenings(db, round_with_group)[2]
    path = f"/organiser/rounds/{round_with_group.slug}/evenings/{third.id}/attendance"
    assert "hat noch nicht begonnen" in team.client.get(path).text
    refused = team.post(path, {f"person-{karim}": "present"})
    assert refused.status_code == 409
    assert "Abend 3 hat noch nicht begonnen" in refused.text
    assert _marks(db) == {}


def test_someone_outside_the_evenings_groups_is_refused_and_nothing_is_saved(
    team: LoggedIn, db: Session, round_with_group: Round
) -> None:
    karim = _people(db, round_with_group)["Karim"].id
    stranger = person(db, round_with_group, "Olena", "Melnyk")
    db.commit()
    first = _evenings(db, round_with_group)[0]
    path = f"/organiser/rounds/{round_with_group.slug}/evenings/{first.id}/attendance"
    refused = team.post(path, {f"person-{karim}": "present", f"person-{stranger.id}": "present"})
    assert refused.status_code == 409
    assert f"Anmeldung {stranger.id}" in refused.text
    assert _marks(db) == {}
    assert team.post(path, {f"person-{karim}": "perhaps"}).status_code == 422
    assert _marks(db) == {}


def test_a_form_without_the_session_token_changes_nothing(
    team: LoggedIn, db: Session, round_with_group: Round
) -> None:
    karim = _people(db, round_with_group)["Karim"].id
    first = _evenings(db, round_with_group)[0]
    path = f"/organiser/rounds/{round_with_group.slug}/evenings/{first.id}/attendance"
    assert team.client.post(path, data={f"person-{karim}": "present"}).status_code == 403
    assert _marks(db) == {}


def test_a_no_show_of_the_first_evening_is_marked_as_dropped_out_through_the_usual_dropout(
    team: LoggedIn, db: Session, round_with_group: Round
) -> None:
    slug = round_with_group.slug
    people = _people(db, round_with_group)
    karim, lea = people["Karim"], people["Lea"]
    first = _evenings(db, round_with_group)[0]
    team.post(
        f"/organiser/rounds/{slug}/evenings/{first.id}/attendance",
        {f"person-{karim.id}": "absent", f"person-{lea.id}": "present"},
    )
    for page in ("attendance", "dropouts"):
        html = team.client.get(f"/organiser/rounds/{slug}/{page}").text
        section = html.split('id="no-shows"', 1)[1].split("</section>", 1)[0]
        assert "Karim Haddad" in section and "Lea Berger" not in section
        assert f'name="participant" value="{karim.id}"' in section
        assert f'action="/organiser/rounds/{slug}/dropouts"' in section
        # "Did not come" is chosen already as the reason the report counts.
        chosen = re.findall(r'<option value="(\w+)" selected>', section)
        assert chosen == ["no_show"], page

    # What the form sends as it is (the reason and the chosen category).
    reason = re.search(r'name="reason" required maxlength="500" value="([^"]*)"', section)
    assert reason is not None
    dropped = team.post(
        f"/organiser/rounds/{slug}/dropouts",
        {"participant": karim.id, "reason": reason.group(1), "category": chosen[0]},
    )
    assert dropped.status_code == 303
    db.expire_all()
    assert karim.status is RegistrationStatus.WITHDRAWN
    assert karim.dropout_category is DropoutCategory.NO_SHOW
    dropouts = team.client.get(dropped.headers["location"]).text
    assert 'id="no-shows"' not in dropouts
    assert f"/dropouts/{karim.id}/undo" in dropouts  # the usual undo
    assert 'name="rematch" value="yes"' in dropouts  # and the usual rematch with its preview
