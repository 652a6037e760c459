"""A round whose Monday group met on four evenings that are over: the feedback's setting.

The evenings are moved to the last weeks, so that pages (which use the clock) and services
(which are given ``now``) see the same: the last evening ended yesterday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import BERLIN, CONTACT, EXAMPLE, SECRET
from tests.dates import open_for_a_month
from tests.organiser.conftest import (  # noqa: F401 (fixtures)
    app,
    client,
    organiser,
    quick_password_hashing,
    team,
)
from vekl.mail import outbox
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.models import (
    Group,
    GroupMember,
    MatchingRun,
    Moderator,
    OutboxMail,
    Participant,
    RegistrationStatus,
    Role,
    Round,
    RunStatus,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        base_url="https://vekl.example",
        secret_key=SECRET,
        mail_from="VEKL Konstanz <vekl@konstanz.example>",
        **CONTACT,
    )


@dataclass
class Finished:
    round: Round
    group: Group
    members: list[Participant]
    moderator: Moderator
    now: datetime
    """An hour after the group's last evening ended."""


def _place(db: Session, round: Round, people: list[Participant], moderator: Moderator) -> Group:
    run = MatchingRun(
        round_id=round.id, status=RunStatus.PUBLISHED, problem={}, published_at=datetime.now(UTC)
    )
    db.add(run)
    db.flush()
    monday = next(s for s in round.series if s.key == "mon")
    group = Group(run_id=run.id, key="mon-1", series_id=monday.id, language="de")
    group.moderators = [moderator]
    db.add(group)
    db.flush()
    for person in people:
        db.add(GroupMember(run_id=run.id, group_id=group.id, participant_id=person.id))
        person.status = RegistrationStatus.PLACED
    return group


@pytest.fixture
def finished(db: Session) -> Finished:
    return make_finished(db)


def make_finished(db: Session, slug: str = "konstanz-mai") -> Finished:
    """The round with its finished Monday group, committed."""
    spec = rounds.load_round_file(EXAMPLE / "round.toml")
    spec = spec.model_copy(update={"registration_deadline": open_for_a_month(), "slug": slug})
    round = rounds.create_round(db, spec, BERLIN, "test")
    csv_import.import_moderators(db, round, (EXAMPLE / "moderators.csv").read_bytes(), "test")
    csv_import.import_registrations(db, round, (EXAMPLE / "registrations.csv").read_bytes(), "test")
    db.flush()
    people = list(
        db.scalars(select(Participant).where(Participant.round_id == round.id).order_by("id"))
    )
    citizens = [p for p in people if p.role == Role.CITIZEN][:4]
    newcomers = [p for p in people if p.role == Role.NEWCOMER][:4]
    members = citizens + newcomers
    # Two members share a first name: the group tells them apart as "Anna K." and "Anna S.".
    members[0].first_name, members[0].last_name = "Anna", "Keller"
    members[4].first_name, members[4].last_name = "Anna", "Sahin"
    members[5].preferred_language = "ar"
    members[6].preferred_language = "uk"
    members[7].preferred_language = "en"
    moderator = db.scalars(select(Moderator).where(Moderator.round_id == round.id)).first()
    assert moderator is not None
    group = _place(db, round, members, moderator)
    now = datetime.now(UTC).replace(microsecond=0)
    evenings = sorted(group.series.evenings, key=lambda e: e.starts_at)
    for weeks_ago, evening in enumerate(reversed(evenings)):
        start = now - timedelta(days=1, hours=3) - timedelta(weeks=weeks_ago)
        evening.starts_at, evening.ends_at = start, start + timedelta(hours=2)
    db.commit()
    db.refresh(group)
    last = max(e.ends_at for e in group.series.evenings)
    return Finished(round, group, members, moderator, last + timedelta(hours=1))


def mails(db: Session, kind: str) -> list[OutboxMail]:
    return list(db.scalars(select(OutboxMail).where(OutboxMail.kind == kind).order_by("id")))


def message(row: OutboxMail) -> EmailMessage:
    parsed = message_from_bytes(outbox.body(row, SECRET), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def text_of(row: OutboxMail) -> str:
    part = message(row).get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def survey_token(row: OutboxMail) -> str:
    found = re.search(r"/survey/([A-Za-z0-9_-]{43})", text_of(row))
    assert found, text_of(row)
    return found.group(1)


def contacts_token(row: OutboxMail) -> str:
    found = re.search(r"/me/([A-Za-z0-9_-]{43})/contacts", text_of(row))
    assert found, text_of(row)
    return found.group(1)
