"""Personal links are derived from a per-person secret and the server's key."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from vekl.access import tokens
from vekl.errors import NotFound
from vekl.store.models import Participant, Role, Round

KEY = "server-key-0123456789abcdefghij"


@pytest.fixture
def person(db: Session) -> Participant:
    round = Round(slug="links", name="Links")
    db.add(round)
    db.flush()
    found = Participant(
        round_id=round.id,
        role=Role.NEWCOMER,
        first_name="Anna",
        last_name="Weber",
        email="anna@example.org",
    )
    db.add(found)
    db.flush()
    return found


def test_the_same_link_each_time_and_it_finds_the_person(db: Session, person: Participant) -> None:
    first = tokens.link_token(person, KEY)
    db.flush()
    assert tokens.link_token(person, KEY) == first
    assert tokens.participant_for(db, first) is person
    # Only the hash and the person's secret are stored; neither is the link.
    assert first not in (person.token_hash, person.link_secret, person.feed_token_hash)


def test_the_stored_secret_opens_nothing_without_the_server_key(
    db: Session, person: Participant
) -> None:
    real = tokens.link_token(person, KEY)
    db.flush()
    guessed = tokens.link_token(person, "a-copy-of-the-database-has-no-key")
    assert guessed != real
    # Deriving under another key replaced the link: the real one no longer works.
    db.flush()
    with pytest.raises(NotFound):
        tokens.participant_for(db, real)


def test_the_feed_opens_the_feed_only(db: Session, person: Participant) -> None:
    page = tokens.link_token(person, KEY)
    feed = tokens.feed_token(person, KEY)
    db.flush()
    assert feed != page
    assert tokens.participant_for_feed(db, feed) is person
    with pytest.raises(NotFound):
        tokens.participant_for(db, feed)
    with pytest.raises(NotFound):
        tokens.participant_for_feed(db, page)


def test_replacing_revokes_page_and_feed(db: Session, person: Participant) -> None:
    page, feed = tokens.link_token(person, KEY), tokens.feed_token(person, KEY)
    new_page = tokens.replace(person, KEY)
    db.flush()
    assert new_page != page and tokens.feed_token(person, KEY) != feed
    for old, lookup in ((page, tokens.participant_for), (feed, tokens.participant_for_feed)):
        with pytest.raises(NotFound):
            lookup(db, old)
    assert tokens.participant_for(db, new_page) is person
