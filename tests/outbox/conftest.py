"""Fixtures for the outbox tests: a published grouping made by hand, and the SMTP server.

Groups are written directly rather than solved, so these tests pin down exactly who
moves where and stay independent of the solver.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.notifications.conftest import (  # noqa: F401  (fixtures)
    ca_file,
    certificate_authority,
    client_tls,
    server_tls,
    start_server,
)
from vekl.mail import outbox
from vekl.mail import planner as notify
from vekl.registration import csv_import
from vekl.rounds import service as rounds
from vekl.runs import service as matching_runs
from vekl.runs.placements import published_run
from vekl.settings import Settings
from vekl.store.models import (
    Group,
    GroupMember,
    MatchingRun,
    Moderator,
    OutboxMail,
    Participant,
    Round,
    RunStatus,
    WaitlistEntry,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
BERLIN = ZoneInfo("Europe/Berlin")
# Weeks before the example round's first evening.
BEFORE = datetime(2027, 4, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        secret_key="s" * 32,
        base_url="https://vekl.konstanz.example",
        mail_from="VEKL Konstanz <vekl@konstanz.example>",
        mail_dir=tmp_path / "mail",
    )


@pytest.fixture
def round_(db: Session) -> Round:
    round = rounds.create_round(db, rounds.load_round_file(EXAMPLE / "round.toml"), BERLIN, "t")
    csv_import.import_moderators(db, round, (EXAMPLE / "moderators.csv").read_bytes(), "t")
    csv_import.import_registrations(db, round, (EXAMPLE / "registrations.csv").read_bytes(), "t")
    return round


class World:
    """The round plus helpers to publish groupings and read back each person's mail."""

    def __init__(self, db: Session, round: Round, settings: Settings) -> None:
        self.db, self.round, self.settings = db, round, settings
        self.people = list(
            db.scalars(
                select(Participant).where(Participant.round_id == round.id).order_by(Participant.id)
            )
        )
        self.moderators = list(
            db.scalars(
                select(Moderator).where(Moderator.round_id == round.id).order_by(Moderator.id)
            )
        )
        self.series = {s.key: s for s in round.series}

    def publish(
        self,
        groups: dict[str, tuple[str, list[Participant], list[Moderator]]],
        waitlist: Sequence[Participant] = (),
        now: datetime = BEFORE,
    ) -> list[OutboxMail]:
        run = self.draft(groups, waitlist)
        publication = matching_runs.publish(self.db, run, "t")
        return notify.publication_mails(self.db, publication, settings=self.settings, now=now)

    def draft(
        self,
        groups: dict[str, tuple[str, list[Participant], list[Moderator]]],
        waitlist: Sequence[Participant] = (),
    ) -> MatchingRun:
        """A draft of this grouping, computed from the published one."""
        previous = published_run(self.db, self.round)
        run = MatchingRun(
            round_id=self.round.id,
            status=RunStatus.DRAFT,
            problem={},
            previous_run_id=previous.id if previous else None,
        )
        self.db.add(run)
        self.db.flush()
        for key, (series_key, members, moderators) in groups.items():
            group = Group(
                key=key, series_id=self.series[series_key].id, language="de", moderators=moderators
            )
            run.groups.append(group)
            self.db.flush()
            for person in members:
                group.members.append(GroupMember(run_id=run.id, participant_id=person.id))
        for person in waitlist:
            run.waitlist.append(WaitlistEntry(participant_id=person.id, reason="no room"))
        self.db.flush()
        return run

    def first_grouping(
        self, keys: tuple[str, str, str] = ("g1", "g2", "g3")
    ) -> tuple[list[Participant], list[Participant], list[Participant]]:
        """Three groups of eight (Monday, Wednesday, Saturday), one moderator each, the
        last six people waiting; published. Returns the three groups' members."""
        p, mods = self.people, self.moderators
        mon, wed, sat = p[0:8], p[8:16], p[16:24]
        self.publish(
            {
                keys[0]: ("mon", mon, [mods[0]]),
                keys[1]: ("wed", wed, [mods[1]]),
                keys[2]: ("sat", sat, [mods[2]]),
            },
            waitlist=p[24:30],
        )
        return mon, wed, sat

    def group(self, key: str) -> Group:
        """The published run's group ``key``."""
        run = published_run(self.db, self.round)
        assert run is not None
        return next(g for g in run.groups if g.key == key)

    def body(self, mail: OutboxMail) -> bytes:
        return outbox.body(mail, self.settings.secret_key)

    def mails_to(self, email: str) -> list[OutboxMail]:
        return list(
            self.db.scalars(
                select(OutboxMail).where(OutboxMail.recipient == email).order_by(OutboxMail.id)
            )
        )


@pytest.fixture
def world(db: Session, round_: Round, settings: Settings) -> Iterator[World]:
    yield World(db, round_, settings)
