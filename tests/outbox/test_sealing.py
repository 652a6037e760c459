"""The outbox holds no live link: bodies are sealed, and dropped once a mail has gone."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from notifications.filesink import FileSink
from vekl.access import tokens
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import outbox, sealing
from vekl.store.base import Base
from vekl.store.models import MailStatus, OutboxMail

from .conftest import World

LINK = re.compile(r"https://vekl\.konstanz\.example/me/([A-Za-z0-9_-]{43})")


def _published(world: World) -> list[OutboxMail]:
    p, mods = world.people, world.moderators
    return world.publish(
        {
            "g1": ("mon", p[0:8], [mods[0]]),
            "g2": ("wed", p[8:16], [mods[1]]),
        }
    )


def _links(world: World, mails: list[OutboxMail]) -> set[str]:
    found: set[str] = set()
    for mail in mails:
        message = message_from_bytes(world.body(mail), policy=policy.default)
        for part in message.walk():
            if part.get_content_maintype() == "text":
                found |= set(LINK.findall(str(part.get_content())))
    return found


def _everything_stored(db: Session) -> str:
    """Every value of every row of every table, as text and as the bytes it holds."""
    seen: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(text(f'SELECT * FROM "{table.name}"')):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    seen.append(bytes(value).decode("latin-1"))
                else:
                    seen.append(repr(value))
    return "\n".join(seen)


def test_a_copy_of_the_database_holds_no_link_that_opens_a_page(world: World, db: Session) -> None:
    mails = _published(world)
    live = _links(world, mails)
    assert len(live) >= 10, "the invitations carry personal links"
    for token in live:
        assert tokens.participant_for(db, token) is not None
    stored = _everything_stored(db)
    assert "/me/" not in stored
    assert not any(token in stored for token in live)
    # The names in the rosters are not readable either.
    assert world.people[0].first_name not in "".join(
        bytes(m.payload or b"").decode("latin-1") for m in mails
    )


def test_a_sent_mail_keeps_no_body(world: World, db: Session, tmp_path: Path) -> None:
    mails = _published(world)
    db.commit()
    sessions = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint")
    result = mail_dispatch.dispatch_all(
        sessions, FileSink(tmp_path), secret_key=world.settings.secret_key
    )
    assert result.sent == len(mails) and result.failed == 0
    db.expire_all()
    rows = db.scalars(select(OutboxMail)).all()
    assert {row.status for row in rows} == {MailStatus.SENT}
    assert {row.payload for row in rows} == {None}
    # What a person received is in the mail folder, not in the database.
    assert len(list(tmp_path.glob("*.eml"))) == len(mails)


def test_a_changed_secret_key_fails_the_mail_and_says_why(
    world: World, db: Session, tmp_path: Path
) -> None:
    (first, *_) = _published(world)
    db.commit()
    sessions = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint")
    result = mail_dispatch.dispatch_once(
        sessions, FileSink(tmp_path), secret_key="another-secret-key-0123456789", batch_size=1
    )
    assert (result.failed, result.sent) == (1, 0)
    assert list(tmp_path.glob("*.eml")) == []
    db.expire_all()
    row = db.get_one(OutboxMail, first.id)
    assert row.status is MailStatus.FAILED
    assert "VEKL_SECRET_KEY" in (row.last_error or "")


def test_sealing_round_trips_and_detects_tampering() -> None:
    sealed = sealing.seal("k" * 32, b"Hallo Anna")
    assert b"Hallo" not in sealed
    assert sealing.unseal("k" * 32, sealed) == b"Hallo Anna"
    tampered = sealed[:-2] + (b"A" if sealed[-2:-1] != b"A" else b"B") + sealed[-1:]
    for key, body in (("x" * 32, sealed), ("k" * 32, tampered)):
        with pytest.raises(sealing.Unreadable):
            sealing.unseal(key, body)


def test_a_dropped_body_cannot_be_read(world: World) -> None:
    (mail, *_) = _published(world)
    mail.payload = None
    with pytest.raises(outbox.BodyGone):
        world.body(mail)
