"""Replaying every calendar file a person received leaves exactly their current evenings."""

from __future__ import annotations

from datetime import date, time
from email import message_from_bytes, policy

from sqlalchemy.orm import Session

from vekl.mail import planner as notify
from vekl.rounds import service as rounds
from vekl.store.models import Group, Moderator, Participant, RegistrationStatus

from .conftest import BEFORE, BERLIN, World
from .replay import ClientCalendar


def text_of(payload: bytes) -> str:
    message = message_from_bytes(payload, policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def expected(group: Group | None) -> set[tuple[object, object, str]]:
    if group is None:
        return set()
    series = group.series
    return {
        (e.starts_at, e.ends_at, f"{series.venue_name}, {series.venue_address}")
        for e in series.evenings
    }


def replayed(world: World, person: Participant | Moderator) -> tuple[ClientCalendar, list[str]]:
    client = ClientCalendar()
    methods = client.replay([world.body(m) for m in world.mails_to(person.email)])
    return client, methods


def test_invitations_give_each_member_their_three_evenings(world: World) -> None:
    mon, _, _ = world.first_grouping()
    client, methods = replayed(world, mon[0])
    # One invitation per evening: a mail program takes one event from each.
    assert methods == ["REQUEST"] * 3
    assert client.evenings() == expected(world.group("g1"))
    assert len(client.entries) == 3
    assert [m.kind for m in world.mails_to(mon[0].email)] == ["invitation"] * 3


def test_waitlisted_people_get_no_calendar(world: World) -> None:
    world.first_grouping()
    waiting = world.people[24]
    client, methods = replayed(world, waiting)
    assert methods == [] and client.evenings() == set()
    assert [m.kind for m in world.mails_to(waiting.email)] == ["waiting_list"]


def test_moved_to_another_series(world: World) -> None:
    mon, wed, sat = world.first_grouping()
    mover = mon[0]
    mods = world.moderators
    world.publish(
        {
            "g1": ("mon", mon[1:], [mods[0]]),
            "g2": ("wed", [*wed, mover], [mods[1]]),
            "g3": ("sat", sat, [mods[2]]),
        },
        waitlist=world.people[24:30],
    )
    client, methods = replayed(world, mover)
    # One mail says so; its files cancel exactly the old evenings and invite to the new ones.
    assert [m.kind for m in world.mails_to(mover.email)] == ["invitation"] * 3 + ["group_moved"]
    assert methods == ["REQUEST"] * 3 + ["CANCEL"] * 3 + ["REQUEST"] * 3
    assert client.evenings() == expected(world.group("g2"))
    assert len(client.cancelled) == 3
    # Nobody else in g1, g2 or g3 was told anything new.
    for person in (mon[1], wed[0], sat[0]):
        assert [m.kind for m in world.mails_to(person.email)] == ["invitation"] * 3


def test_moved_to_another_group_in_the_same_series(world: World) -> None:
    p, mods = world.people, world.moderators
    a, b = p[0:8], p[8:16]
    world.publish({"g1": ("mon", a, [mods[0]]), "g4": ("mon", b, [mods[4]])})
    mover = a[0]
    world.publish({"g1": ("mon", a[1:], [mods[0]]), "g4": ("mon", [*b, mover], [mods[4]])})
    client, methods = replayed(world, mover)
    # Same evenings, same UIDs: one mail, whose files update them with a higher SEQUENCE.
    assert methods == ["REQUEST"] * 6
    assert client.evenings() == expected(world.group("g4"))
    assert {e.sequence for e in client.entries.values()} == {1}
    assert [m.kind for m in world.mails_to(mover.email)] == ["invitation"] * 3 + ["group_moved"]
    assert "Ihre Abende bleiben dieselben:" in text_of(world.body(world.mails_to(mover.email)[-1]))
    assert [m.kind for m in world.mails_to(b[0].email)] == ["invitation"] * 3


def test_group_cancelled(world: World) -> None:
    mon, wed, sat = world.first_grouping()
    mods = world.moderators
    world.publish(
        {"g2": ("wed", wed, [mods[1]]), "g3": ("sat", sat, [mods[2]])},
        waitlist=[*mon, *world.people[24:30]],
    )
    for person in mon:
        client, methods = replayed(world, person)
        assert methods == ["REQUEST"] * 3 + ["CANCEL"] * 3
        assert client.evenings() == set()
    moderator_mails = world.mails_to(mods[0].email)
    assert [m.kind for m in moderator_mails] == ["roster"] * 3 + ["cancellation"] * 3


def test_participant_withdrawn(world: World, db: Session) -> None:
    mon, _, _ = world.first_grouping()
    leaver = mon[3]
    leaver.status = RegistrationStatus.WITHDRAWN
    db.flush()
    queued = notify.resync_round(db, world.round, settings=world.settings, now=BEFORE)
    assert [m.recipient for m in queued] == [leaver.email] * 3
    client, methods = replayed(world, leaver)
    # A withdrawal cancels every evening.
    assert methods == ["REQUEST"] * 3 + ["CANCEL"] * 3
    assert client.evenings() == set() and len(client.cancelled) == 3


def test_joined_from_the_waiting_list(world: World) -> None:
    mon, wed, sat = world.first_grouping()
    joiner = world.people[24]
    mods = world.moderators
    world.publish(
        {
            "g1": ("mon", [*mon, joiner], [mods[0]]),
            "g2": ("wed", wed, [mods[1]]),
            "g3": ("sat", sat, [mods[2]]),
        },
        waitlist=world.people[25:30],
    )
    client, methods = replayed(world, joiner)
    assert methods == ["REQUEST"] * 3
    assert client.evenings() == expected(world.group("g1"))
    assert [m.kind for m in world.mails_to(joiner.email)] == ["waiting_list"] + ["invitation"] * 3
    # The moderator gets an updated roster; the other members hear nothing.
    assert [m.kind for m in world.mails_to(mods[0].email)] == ["roster"] * 6
    assert [m.kind for m in world.mails_to(mon[0].email)] == ["invitation"] * 3


def test_evening_moved_and_venue_changed_by_the_organisers(world: World, db: Session) -> None:
    mon, wed, _ = world.first_grouping()
    series = world.series["mon"]
    second = series.evenings[1]
    mon[0].preferred_language = "de"
    was = (second.starts_at, second.ends_at)
    rounds.reschedule_evening(db, second, date(2027, 5, 11), time(18, 30), time(21, 0), BERLIN, "t")
    rounds.change_venue(
        db,
        world.series["wed"],
        name="Bürgersaal",
        address="Kanzleistraße 15, 78462 Konstanz",
        step_free=True,
        actor="t",
    )
    notify.resync_round(db, world.round, settings=world.settings, now=BEFORE)
    client, methods = replayed(world, mon[0])
    # Moving one evening updates just that one.
    assert methods == ["REQUEST"] * 4
    assert client.evenings() == expected(world.group("g1"))
    moved = [e for e in client.entries.values() if e.sequence == 1]
    assert [(e.start, e.end) for e in moved] == [(second.starts_at, second.ends_at)]
    # The update names the evening's old and new time.
    update = text_of(world.body(world.mails_to(mon[0].email)[-1]))
    assert was[0].day != 11 and "11. Mai 2027, 18:30–21:00" in update
    assert "Der Abend am" in update and "wird verschoben auf" in update
    client, _ = replayed(world, wed[0])
    assert {loc for _, _, loc in client.evenings()} == {
        "Bürgersaal, Kanzleistraße 15, 78462 Konstanz"
    }
    assert [m.kind for m in world.mails_to(wed[0].email)] == ["invitation"] * 3 + ["update"] * 3


def test_nothing_changes_nothing_is_sent(world: World, db: Session) -> None:
    world.first_grouping()
    assert notify.resync_round(db, world.round, settings=world.settings, now=BEFORE) == []


def test_a_moderator_leading_two_series_gets_a_roster_and_evenings_for_each(world: World) -> None:
    p, mods = world.people, world.moderators
    world.publish({"g1": ("mon", p[0:8], [mods[0]]), "g2": ("wed", p[8:16], [mods[0]])})
    mails = world.mails_to(mods[0].email)
    assert [m.kind for m in mails] == ["roster"] * 6
    client, methods = replayed(world, mods[0])
    assert methods == ["REQUEST"] * 6
    assert client.evenings() == expected(world.group("g1")) | expected(world.group("g2"))
    # Handing one group to a colleague cancels only that group's evenings.
    world.publish({"g1": ("mon", p[0:8], [mods[0]]), "g2": ("wed", p[8:16], [mods[5]])})
    client, methods = replayed(world, mods[0])
    assert methods == ["REQUEST"] * 6 + ["CANCEL"] * 3
    assert client.evenings() == expected(world.group("g1"))
    assert [m.kind for m in world.mails_to(p[8].email)] == ["invitation"] * 3 + ["update"] * 3
    assert [m.kind for m in world.mails_to(p[0].email)] == ["invitation"] * 3


def test_a_new_working_language_alone_sends_nothing(world: World, db: Session) -> None:
    world.first_grouping()
    world.group("g1").language = "en"
    db.flush()
    assert notify.resync_round(db, world.round, settings=world.settings, now=BEFORE) == []


def test_every_mail_carries_the_same_personal_link(world: World, db: Session) -> None:
    from vekl.access import tokens

    mon, wed, sat = world.first_grouping()
    person = mon[0]
    invitation = text_of(world.body(world.mails_to(person.email)[0]))
    assert "https://vekl.konstanz.example/me/" in invitation
    token = invitation.split("https://vekl.konstanz.example/me/", 1)[1][:43]
    assert tokens.participant_for(db, token).id == person.id
    mods = world.moderators
    world.publish(
        {
            "g1": ("mon", mon[1:], [mods[0]]),
            "g2": ("wed", [*wed, person], [mods[1]]),
            "g3": ("sat", sat, [mods[2]]),
        },
    )
    later = [text_of(world.body(m)) for m in world.mails_to(person.email)[1:]]
    assert later and all(f"https://vekl.konstanz.example/me/{token}" in text for text in later)
    assert tokens.participant_for(db, token).id == person.id
    # No calendar file ever carries the link.
    from .replay import calendar_part

    for mail in world.mails_to(person.email):
        assert b"/me/" not in (calendar_part(world.body(mail)) or b"")


def test_reminders_go_out_once_the_day_before_each_evening(world: World, db: Session) -> None:
    from datetime import timedelta

    mon, wed, _ = world.first_grouping()
    leaver = mon[1]
    leaver.status = RegistrationStatus.WITHDRAWN
    db.flush()
    first_monday = world.series["mon"].evenings[0].starts_at
    day_before = first_monday - timedelta(hours=20)
    queued = notify.queue_reminders(db, settings=world.settings, now=day_before)
    assert {m.recipient for m in queued} == {p.email for p in mon if p is not leaver}
    assert {m.kind for m in queued} == {"reminder"}
    assert all(m.not_after == first_monday for m in queued)
    # Running again sends nothing new; a week earlier nothing is due.
    assert notify.queue_reminders(db, settings=world.settings, now=day_before) == []
    assert notify.queue_reminders(db, settings=world.settings, now=BEFORE) == []
    assert [m.kind for m in world.mails_to(wed[0].email)] == ["invitation"] * 3


def _feed_uids(ics: bytes) -> set[str]:
    from icalendar import Calendar

    return {str(e["UID"]) for e in Calendar.from_ical(ics).walk("VEVENT")}


def test_the_feed_holds_the_same_uids_as_the_mailed_invitations(world: World, db: Session) -> None:
    """A calendar that holds both the subscription and the invitations shows each evening once."""
    from vekl.calendars.personal import moderator_calendar, participant_calendar

    mon, wed, sat = world.first_grouping()
    mover, mods = mon[0], world.moderators
    world.publish(
        {
            "g1": ("mon", mon[1:], [mods[0]]),
            "g2": ("wed", [*wed, mover], [mods[1]]),
            "g3": ("sat", sat, [mods[2]]),
        },
    )
    rounds.reschedule_evening(
        db,
        world.series["wed"].evenings[2],
        date(2027, 5, 28),
        time(18, 0),
        time(20, 0),
        BERLIN,
        "t",
    )
    notify.resync_round(db, world.round, settings=world.settings, now=BEFORE)
    for holder, feed in (
        (mover, participant_calendar(db, world.settings, mover, now=BEFORE)),
        (mods[1], moderator_calendar(db, world.settings, mods[1], now=BEFORE)),
    ):
        client, _ = replayed(world, holder)
        assert len(client.entries) == 3
        assert _feed_uids(feed) == set(client.entries)


def test_each_evening_is_its_own_mail_that_expires_when_the_evening_begins(world: World) -> None:
    mon, _, _ = world.first_grouping()
    series = world.series["mon"]
    for person in (mon[0], world.moderators[0]):
        mails = world.mails_to(person.email)
        assert sorted(m.not_after for m in mails if m.not_after) == sorted(
            e.starts_at for e in series.evenings
        )


def test_the_roster_mail_carries_the_moderators_personal_link(world: World, db: Session) -> None:
    from vekl.access import tokens

    world.first_grouping()
    moderator = world.moderators[0]
    texts = [text_of(world.body(m)) for m in world.mails_to(moderator.email)]
    prefix = "https://vekl.konstanz.example/moderator/"
    assert texts and all(prefix in text for text in texts)
    token = texts[0].split(prefix, 1)[1][:43]
    assert tokens.moderator_for(db, token).id == moderator.id
    assert all(f"{prefix}{token}" in text for text in texts)
    from .replay import calendar_part

    for mail in world.mails_to(moderator.email):
        assert b"/moderator/" not in (calendar_part(world.body(mail)) or b"")
