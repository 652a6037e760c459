"""A person moved by a rematch gets one mail that says so, and nobody else hears of it."""

from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy.orm import Session

from vekl.mail import planner as notify
from vekl.runs import publishing
from vekl.runs.placements import group_label
from vekl.store.models import RegistrationStatus

from .conftest import BEFORE, World
from .replay import attached_calendars

# Keys as the solver makes them: nothing a person receives may show them.
SOLVER_KEYS = ("mon-1", "wed-2", "sat-3")


def everything_in(payload: bytes) -> str:
    """Subject, text, HTML and every calendar file of a mail, as one string."""
    message = message_from_bytes(payload, policy=policy.default)
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            parts.append(str(part.get_content()))
    parts += [ics.decode() for ics in attached_calendars(payload)]
    return "\n".join(parts)


def test_one_mail_per_moved_person_and_none_for_anyone_else(world: World, db: Session) -> None:
    mon, wed, sat = world.first_grouping(SOLVER_KEYS)
    mods = world.moderators
    leaver, movers = mon[7], mon[0:2]
    leaver.status = RegistrationStatus.WITHDRAWN
    db.flush()
    notify.resync_round(db, world.round, settings=world.settings, now=BEFORE)
    before = {p.id: len(world.mails_to(p.email)) for p in world.people}
    before_mods = {m.id: len(world.mails_to(m.email)) for m in mods}
    queued = world.publish(
        {
            "mon-1": ("mon", mon[2:7], [mods[0]]),
            "wed-2": ("wed", [*wed, movers[0]], [mods[1]]),
            "sat-3": ("sat", [*sat, movers[1]], [mods[2]]),
        },
        waitlist=world.people[24:30],
    )
    participants = [m for m in queued if m.participant_id is not None]
    assert sorted((m.kind, m.recipient) for m in participants) == sorted(
        ("group_moved", p.email) for p in movers
    )
    for person in world.people:
        new = world.mails_to(person.email)[before[person.id] :]
        assert [m.kind for m in new] == (["group_moved"] if person in movers else []), person.id
    # Moderators whose roster changed get it as before, one mail per evening.
    for moderator in mods:
        new = world.mails_to(moderator.email)[before_mods[moderator.id] :]
        assert {m.kind for m in new} <= {"roster"}
        assert len(new) == (3 if moderator in mods[0:3] else 0), moderator.id
    # The mail expires when the last evening it changes begins.
    (mail,) = world.mails_to(movers[0].email)[before[movers[0].id] :]
    evenings = [*world.series["mon"].evenings, *world.series["wed"].evenings]
    assert mail.not_after == max(e.starts_at for e in evenings)
    # Publishing again, or any later resync, sends nothing more.
    count = len(world.mails_to(movers[0].email))
    assert notify.resync_round(db, world.round, settings=world.settings, now=BEFORE) == []
    again = world.publish(
        {
            "mon-1": ("mon", mon[2:7], [mods[0]]),
            "wed-2": ("wed", [*wed, movers[0]], [mods[1]]),
            "sat-3": ("sat", [*sat, movers[1]], [mods[2]]),
        },
        waitlist=world.people[24:30],
    )
    assert again == []
    assert len(world.mails_to(movers[0].email)) == count


def test_the_mail_names_groups_as_people_see_them_and_never_the_solvers_keys(
    world: World, db: Session
) -> None:
    mon, wed, sat = world.first_grouping(SOLVER_KEYS)
    mods = world.moderators
    german, arabic = mon[0], mon[1]
    german.preferred_language = "de"
    arabic.preferred_language = "ar"
    mon[5].status = RegistrationStatus.WITHDRAWN
    db.flush()
    world.publish(
        {
            "mon-1": ("mon", [p for p in mon[2:] if p is not mon[5]], [mods[0]]),
            "wed-2": ("wed", [*wed, german, arabic], [mods[1]]),
            "sat-3": ("sat", sat, [mods[2]]),
        },
    )
    new_label = group_label(world.group("wed-2"))
    old_label = group_label(world.group("mon-1"))
    assert new_label == "B (Mittwochabende)" and old_label == "A (Montagabende)"
    # The Arabic mail names the groups with the series' Arabic labels.
    arabic_new = group_label(world.group("wed-2"), "ar")
    assert arabic_new != new_label
    for person, words, old in (
        (german, ("weil einige Teilnehmende abgesagt haben", "„B (Mittwochabende)“"), old_label),
        (
            arabic,
            ("بما أنّ بعض المشاركين اعتذروا", f"«{arabic_new}»"),
            group_label(world.group("mon-1"), "ar"),
        ),
    ):
        mail = world.mails_to(person.email)[-1]
        assert mail.kind == "group_moved"
        payload = world.body(mail)
        content = everything_in(payload)
        for key in SOLVER_KEYS:
            assert key not in content, (person.preferred_language, key)
        for word in words:
            assert word in content
        assert old in content
        # The calendar files: the old group's evenings cancelled, the new group's invited to.
        files = attached_calendars(payload)
        assert len(files) == 6
        assert all(b"METHOD:CANCEL" in f for f in files[:3])
        assert all(b"METHOD:REQUEST" in f for f in files[3:])
        assert all(b"/me/" not in f for f in files)


def test_without_dropouts_the_mail_says_the_groups_were_rearranged(world: World) -> None:
    mon, wed, sat = world.first_grouping(SOLVER_KEYS)
    mods = world.moderators
    mon[0].preferred_language = "de"
    world.publish(
        {
            "mon-1": ("mon", mon[1:], [mods[0]]),
            "wed-2": ("wed", [*wed, mon[0]], [mods[1]]),
            "sat-3": ("sat", sat, [mods[2]]),
        },
    )
    content = everything_in(world.body(world.mails_to(mon[0].email)[-1]))
    assert "wir haben die Gruppen neu eingeteilt." in content
    assert "abgesagt" not in content


def test_the_publish_preview_names_who_gets_the_group_changed_mail(
    world: World, db: Session
) -> None:
    mon, wed, sat = world.first_grouping(SOLVER_KEYS)
    mods = world.moderators
    draft = world.draft(
        {
            "mon-1": ("mon", mon[1:], [mods[0]]),
            "wed-2": ("wed", [*wed, mon[0]], [mods[1]]),
            "sat-3": ("sat", sat, [mods[2]]),
        },
    )
    preview = publishing.preview(db, draft, world.settings, now=BEFORE)
    assert preview.problem is None
    moved = [m for m in preview.mails if m.kind == "group_moved"]
    assert [(m.participant.id if m.participant else None) for m in moved] == [mon[0].id]
    assert {m.kind for m in preview.mails if m.participant is not None} == {"group_moved"}
