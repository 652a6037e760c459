"""Ways back: deleting frees the letter code, a withdrawal can be undone while registration
is open, and registering again after withdrawing says what really happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.mail import planner as notify
from vekl.registration import overview
from vekl.runs.placements import published_run
from vekl.runs.solver_input import build_problem
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    GroupMember,
    InvitationCode,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Round,
    WaitlistEntry,
)

from .conftest import citizen_form, link_in, mails, newcomer_form, settle, text_of, token_of
from .published import publish_group

BUTTON = "I would like to take part after all"


def _registered(
    client: TestClient, db: Session, form: dict[str, object] | None = None
) -> tuple[Participant, str]:
    data = form or newcomer_form()
    client.post("/rounds/konstanz-mai/register", data=data)
    confirm = link_in(mails(db, "registration_confirmation", to=str(data["email"]))[-1])
    client.post(confirm)
    person = db.scalars(select(Participant).filter_by(email=data["email"])).one()
    return person, confirm.removesuffix("/confirm")


def test_deleting_frees_the_letter_code(
    client: TestClient, db: Session, open_round: Round, codes: list[str]
) -> None:
    _, path = _registered(client, db, citizen_form(codes[0]))
    asked = client.get(path + "/delete?lang=en")
    assert "The code from your letter can then be used again" in asked.text
    client.post(path + "/delete")
    assert [r.used_at for r in db.scalars(select(InvitationCode))] == [None, None, None]
    assert db.scalar(select(func.count()).where(InvitationCode.participant_id.is_not(None))) == 0
    # The same letter registers again, by the same person or anyone holding it.
    again = client.post("/rounds/konstanz-mai/register?lang=en", data=citizen_form(codes[0]))
    assert again.status_code == 200
    assert "already been used" not in again.text
    newcomer = db.scalars(select(Participant)).one()
    assert newcomer.status is RegistrationStatus.PENDING
    assert db.scalars(select(InvitationCode).filter_by(participant_id=newcomer.id)).one()


def test_a_newcomer_is_not_told_about_a_letter_code(
    client: TestClient, db: Session, open_round: Round
) -> None:
    _, path = _registered(client, db)
    assert "code from your letter" not in client.get(path + "/delete?lang=en").text


def test_a_withdrawal_can_be_undone_while_registration_is_open(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, path = _registered(client, db)
    assert "change your mind" in client.get(path + "/withdraw?lang=en").text
    client.post(path + "/withdraw")
    page = client.get(path + "?lang=en")
    assert "You have withdrawn from this round." in page.text
    assert (
        "Until registration closes on" in page.text and "you can take part after all" in page.text
    )
    assert BUTTON in page.text and f'action="{path}/rejoin?lang=en"' in page.text
    assert "is not kept for you" not in page.text  # no group to lose

    back = client.post(path + "/rejoin?lang=en")
    assert back.status_code == 200 and "done=rejoined" in str(back.url)
    assert "Welcome back: you are taking part again." in back.text
    assert "You are registered." in back.text
    db.refresh(person)
    assert person.status is RegistrationStatus.CONFIRMED
    assert person.withdrawn_at is None and person.withdrawn_reason is None
    [entry] = db.scalars(select(AuditEntry).filter_by(action="registration.rejoin")).all()
    assert entry.actor == "web" and entry.subject == f"participant:{person.id}"
    assert entry.details == {"previous_status": "confirmed", "status": "confirmed"}
    # Again is harmless, and the person can withdraw once more.
    assert client.post(path + "/rejoin").status_code == 200
    assert db.scalar(select(func.count()).where(AuditEntry.action == "registration.rejoin")) == 1
    client.post(path + "/withdraw")
    db.refresh(person)
    assert person.status is RegistrationStatus.WITHDRAWN  # type: ignore[comparison-overlap]


def test_the_deadline_is_named_and_a_pending_person_stays_pending(
    client: TestClient, db: Session, open_round: Round
) -> None:
    open_round.registration_deadline = datetime(2099, 4, 20, 21, 59, tzinfo=UTC)
    settle(db)
    client.post("/rounds/konstanz-mai/register", data=newcomer_form(preferred_language="de"))
    path = link_in(mails(db, "registration_confirmation")[0]).removesuffix("/confirm")
    client.post(path + "/withdraw")
    page = client.get(path + "?lang=de").text
    assert "Bis zum Ende der Anmeldung am 20. April 2099, 23:59 können Sie doch teilnehmen." in page
    assert "Ich möchte doch teilnehmen" in page
    client.post(path + "/rejoin")
    person = db.scalars(select(Participant)).one()
    assert person.status is RegistrationStatus.PENDING


def test_a_placed_person_who_comes_back_does_not_get_the_place_back_by_itself(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    person, path = _registered(client, db)
    other, _ = _registered(client, db, newcomer_form(email="other@example.org", first_name="Petro"))
    publish_group(db, open_round, [person, other])
    notify.resync_round(db, open_round, settings=settings)
    settle(db)
    client.post(path + "/withdraw")
    evenings = len(open_round.series[0].evenings)
    # One cancellation per evening (one evening per calendar mail).
    assert len(mails(db, "cancellation", to=person.email)) == evenings
    page = client.get(path + "?lang=en").text
    assert "Your place in your group is not kept for you" in page
    assert "the organisers next put the groups together, they may find a place for you" in page

    rosters = len(mails(db, "roster"))
    back = client.post(path + "/rejoin?lang=en")
    assert "You are registered." in back.text
    assert "Your group:" not in back.text
    # Miriam's roster no longer lists her; she gets it as it now is, for every evening.
    assert len(mails(db, "roster")) == rosters + evenings
    roster = text_of(mails(db, "roster")[-1]).split("-- ")[0]
    assert "Petro" in roster and "Olena" not in roster
    db.refresh(person)
    assert person.status is RegistrationStatus.CONFIRMED
    run = published_run(db, open_round)
    assert run is not None
    members = set(db.scalars(select(GroupMember.participant_id).filter_by(run_id=run.id)))
    assert members == {other.id}
    [entry] = db.scalars(select(AuditEntry).filter_by(action="registration.rejoin")).all()
    assert entry.details == {"previous_status": "placed", "status": "confirmed"}
    # No later change to the round invites them again; the next rematch considers them.
    sent = db.scalar(select(func.count()).select_from(OutboxMail))
    notify.resync_round(db, open_round, settings=settings)
    assert db.scalar(select(func.count()).select_from(OutboxMail)) == sent
    problem = build_problem(db, open_round, previous=run)
    assert f"p{person.id}" in {p["id"] for p in problem["participants"]}
    [group] = problem["previous"]["groups"]
    assert group["members"] == [f"p{other.id}"]


def test_someone_on_the_waiting_list_comes_back_onto_it(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, path = _registered(client, db)
    other, _ = _registered(client, db, newcomer_form(email="other@example.org"))
    group = publish_group(db, open_round, [other])
    db.add(WaitlistEntry(run_id=group.run_id, participant_id=person.id, reason="full"))
    person.status = RegistrationStatus.WAITLISTED
    settle(db)
    client.post(path + "/withdraw")
    back = client.post(path + "/rejoin?lang=en")
    assert "You are on the waiting list." in back.text
    db.refresh(person)
    assert person.status is RegistrationStatus.WAITLISTED


def test_after_registration_closes_the_page_names_the_organisers(
    client: TestClient, db: Session, open_round: Round
) -> None:
    person, path = _registered(client, db)
    client.post(path + "/withdraw")
    open_round.registration_deadline = datetime.now(UTC) - timedelta(minutes=1)
    settle(db)
    page = client.get(path + "?lang=en").text
    assert BUTTON not in page
    assert "If you would like to take part after all, please contact the organisers." in page
    assert 'href="mailto:dialog@konstanz.example"' in page.split("<footer", 1)[0]
    refused = client.post(path + "/rejoin?lang=en")
    assert refused.status_code == 409
    assert "Registration has closed, so you can no longer take part after all here." in (
        refused.text
    )
    db.refresh(person)
    assert person.status is RegistrationStatus.WITHDRAWN


def test_an_organisers_drop_out_is_not_undone_from_the_page(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    person, path = _registered(client, db)
    overview.drop_out(
        db,
        open_round.slug,
        person.id,
        "called to cancel",
        settings,
        "organiser:eva",
        category="time",
    )
    settle(db)
    page = client.get(path + "?lang=en").text
    assert BUTTON not in page
    assert "please contact the organisers" in page
    refused = client.post(path + "/rejoin?lang=en")
    assert refused.status_code == 409
    assert "The organisers have taken you off this round." in refused.text
    db.refresh(person)
    assert person.status is RegistrationStatus.WITHDRAWN


def test_registering_again_after_withdrawing_mails_the_way_back(
    client: TestClient, db: Session, open_round: Round
) -> None:
    form = newcomer_form(preferred_language="en")
    person, path = _registered(client, db, form)
    client.post(path + "/withdraw")
    again = client.post("/rounds/konstanz-mai/register?lang=en", data=form)
    assert "We have sent an email to <bdi>olena.melnyk@example.org</bdi>." in again.text
    assert "If you had already registered with this address" in again.text
    assert "Almost done" not in again.text
    db.refresh(person)
    assert person.status is RegistrationStatus.WITHDRAWN
    [mail] = mails(db, "self_service_link", to=person.email)
    text = " ".join(text_of(mail).split())
    assert "You have withdrawn from this round, so we will not place you in a group." in text
    assert "choose “I would like to take part after all”" in text
    assert "This is possible until" in text
    assert link_in(mail) == path
    # Shown once: the address does not stay on the thank-you page.
    assert "olena.melnyk" not in client.get("/registered?lang=en").text


def test_asking_for_the_link_after_a_drop_out_says_to_reply(
    client: TestClient, db: Session, settings: Settings, open_round: Round
) -> None:
    form = newcomer_form(preferred_language="en")
    person, _ = _registered(client, db, form)
    overview.drop_out(
        db,
        open_round.slug,
        person.id,
        "called to cancel",
        settings,
        "organiser:eva",
        category="time",
    )
    settle(db)
    client.post("/link", data={"email": person.email})
    [mail] = mails(db, "self_service_link", to=person.email)
    text = " ".join(text_of(mail).split())
    assert "If you would like to take part after all, please reply to this email." in text
    assert "I would like to take part after all" not in text


def test_the_api_undoes_a_withdrawal_too(
    client: TestClient, db: Session, open_round: Round
) -> None:
    _, path = _registered(client, db)
    token = token_of(path)
    assert client.post(f"/api/v1/me/{token}/withdraw").json()["standing"] == "withdrawn"
    assert client.post(f"/api/v1/me/{token}/rejoin").json()["standing"] == "registered"
