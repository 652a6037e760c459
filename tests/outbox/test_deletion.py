"""A person who deletes their data leaves none of it with anyone else.

Their moderator's rosters that have not gone out, the moderator's calendar entries, and
another person's "I come with" address all forget them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.access import tokens
from vekl.registration import self_service
from vekl.store.models import CalendarEntry, MailStatus, OutboxMail, Participant

from .conftest import BEFORE, World

NAME = "Zebulon"  # nobody else in the example round is called this


def _publish(world: World) -> tuple[Participant, Participant]:
    p, mods = world.people, world.moderators
    leaving, companion = p[0], p[1]
    leaving.first_name = NAME
    companion.companion_email = leaving.email.upper()
    world.db.flush()
    world.publish({"g1": ("mon", p[0:8], [mods[0]]), "g2": ("wed", p[8:16], [mods[1]])})
    return leaving, companion


def _readable_everywhere(world: World, db: Session) -> list[str]:
    """Where the name can still be read: mail bodies, calendar entries."""
    found = []
    for mail in db.scalars(select(OutboxMail)):
        if mail.payload is not None and NAME.encode() in world.body(mail):
            found.append(f"mail {mail.id} ({mail.kind}, {mail.status.value})")
    for entry in db.scalars(select(CalendarEntry)):
        if NAME in repr(entry.state):
            holder = (
                f"p{entry.participant_id}" if entry.participant_id else f"m{entry.moderator_id}"
            )
            found.append(f"calendar entry {entry.id} of {holder}")
    return found


def test_before_the_evenings_the_moderator_gets_the_roster_without_them(
    world: World, db: Session
) -> None:
    leaving, companion = _publish(world)
    moderator = world.moderators[0]
    rosters = [m for m in world.mails_to(moderator.email) if m.kind == "roster"]
    assert rosters and _readable_everywhere(world, db)
    other = [(m.id, m.status) for m in world.mails_to(world.moderators[1].email)]
    token = tokens.replace(leaving, world.settings.secret_key)

    self_service.delete(db, world.settings, token, now=BEFORE + timedelta(hours=1))

    db.expire_all()
    assert _readable_everywhere(world, db) == []
    assert db.get_one(Participant, companion.id).companion_email is None
    for old in rosters:
        row = db.get_one(OutboxMail, old.id)
        assert (row.status, row.payload) == (MailStatus.SUPERSEDED, None)
    fresh = [
        m
        for m in world.mails_to(moderator.email)
        if m.kind == "roster" and m.status is MailStatus.QUEUED
    ]
    assert len(fresh) == 3  # a roster with each evening, one UID per mail
    # The other moderator is not affected and hears nothing new.
    assert [(m.id, m.status) for m in world.mails_to(world.moderators[1].email)] == other


def test_after_an_evening_its_calendar_entry_forgets_them_too(world: World, db: Session) -> None:
    leaving, _ = _publish(world)
    moderator = world.moderators[0]
    for mail in world.mails_to(moderator.email):
        mail.status, mail.payload = MailStatus.SENT, None  # the roster has gone out
    first = min(e.starts_at for e in world.series["mon"].evenings)
    db.flush()
    token = tokens.replace(leaving, world.settings.secret_key)

    self_service.delete(db, world.settings, token, now=first + timedelta(days=1))

    db.expire_all()
    assert _readable_everywhere(world, db) == []
    past = db.scalars(
        select(CalendarEntry).where(
            CalendarEntry.moderator_id == moderator.id,
            CalendarEntry.evening_id.in_(
                [e.id for e in world.series["mon"].evenings if e.starts_at <= first]
            ),
        )
    ).all()
    assert past and all(len(e.state["roster"]) == 7 for e in past)
    # Future evenings: the moderator gets the roster as it now is.
    fresh = [m for m in world.mails_to(moderator.email) if m.status is MailStatus.QUEUED]
    assert [m.kind for m in fresh] == ["roster"] * 2  # the two evenings still ahead


def test_of_two_members_with_one_first_name_the_right_one_is_forgotten(
    world: World, db: Session
) -> None:
    p, mods = world.people, world.moderators
    leaving, staying = p[0], p[1]
    leaving.first_name, leaving.last_name = NAME, "Kaya"
    staying.first_name, staying.last_name = NAME, "Brandt"
    staying.languages, leaving.languages = list(leaving.languages), list(leaving.languages)
    staying.needs, leaving.needs = list(leaving.needs), list(leaving.needs)
    db.flush()
    world.publish({"g1": ("mon", p[0:8], [mods[0]])})
    for mail in world.mails_to(mods[0].email):
        mail.status, mail.payload = MailStatus.SENT, None
    first = min(e.starts_at for e in world.series["mon"].evenings)
    db.flush()
    listed = db.scalars(
        select(CalendarEntry).where(CalendarEntry.moderator_id == mods[0].id)
    ).first()
    assert listed is not None
    names = sorted(
        m["last_initial"] or "" for m in listed.state["roster"] if m["first_name"] == NAME
    )
    assert names == ["B", "K"]
    token = tokens.replace(leaving, world.settings.secret_key)

    self_service.delete(db, world.settings, token, now=first + timedelta(days=1))

    db.expire_all()
    past = db.scalars(
        select(CalendarEntry).where(
            CalendarEntry.moderator_id == mods[0].id,
            CalendarEntry.evening_id == world.series["mon"].evenings[0].id,
        )
    ).one()
    left = [m for m in past.state["roster"] if m["first_name"] == NAME]
    assert [m["last_initial"] for m in left] == ["B"]
    assert len(past.state["roster"]) == 7
