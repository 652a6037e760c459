"""Hearing about later rounds and the city's international meet-ups: an opt-in that outlives
the round's purge, holding only the address and the language.

The link that ends it is derived from the address and the server's key, like the personal
links (``vekl.access.tokens``): every mail about later rounds can carry it, and the table
keeps only its hash, which opens nothing. The link needs no login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from notifications import kinds
from notifications.i18n import normalise_language
from notifications.models import Recipient
from vekl.access import links, tokens
from vekl.errors import Conflict
from vekl.feedback import errors, mails
from vekl.settings import Settings
from vekl.store.models import NewsSubscriber, Participant, Round

MAIL_KIND = "news"


def _normal(email: str) -> str:
    return email.strip().lower()


def withdraw_token(settings: Settings, email: str) -> str:
    message = f"vekl news\x1f{_normal(email)}"
    mac = hmac.new(settings.secret_key.encode(), message.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def withdraw_url(settings: Settings, email: str) -> str:
    """The link that ends the mails to ``email``: into every mail about later rounds."""
    return links.news_withdraw_url(settings, withdraw_token(settings, email))


def find(session: Session, email: str) -> NewsSubscriber | None:
    return session.scalar(select(NewsSubscriber).where(NewsSubscriber.email == _normal(email)))


def subscribe(
    session: Session,
    settings: Settings,
    person: Participant,
    round: Round,
    now: datetime,
) -> bool:
    """Put the person's address on the list (in their language) and confirm it by mail.

    Already there: only the language follows theirs, and no second mail goes out.
    """
    language = normalise_language(person.preferred_language)
    found = find(session, person.email)
    if found is not None:
        found.language = language
        return False
    token = withdraw_token(settings, person.email)
    session.add(
        NewsSubscriber(
            email=_normal(person.email), language=language, token_hash=tokens.token_hash(token)
        )
    )
    mail = kinds.NewsSubscribed(
        recipient=Recipient(
            name=person.full_name,
            first_name=person.first_name,
            email=person.email,
            language=language,
        ),
        withdraw_url=links.news_withdraw_url(settings, token),
        self_service_url=links.self_service_url(
            settings, tokens.link_token(person, settings.secret_key)
        ),
    )
    # The confirmation belongs to the round's mails, so the purge takes it along; the
    # subscription itself stays.
    mails.queue(
        session,
        settings,
        mail,
        kind=MAIL_KIND,
        now=now,
        round=round,
        participant=person,
        dedupe_key=None,
    )
    session.flush()
    return True


def unsubscribe(session: Session, email: str) -> bool:
    found = find(session, email)
    if found is None:
        return False
    session.delete(found)
    session.flush()
    return True


def subscriber_for(session: Session, token: str) -> NewsSubscriber:
    if not tokens.well_formed(token):
        raise Conflict(errors.NO_SUCH_NEWS_LINK)
    digest = tokens.token_hash(token)
    found = session.scalar(select(NewsSubscriber).where(NewsSubscriber.token_hash == digest))
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        raise Conflict(errors.NO_SUCH_NEWS_LINK)
    return found


def withdraw(session: Session, token: str) -> str:
    """End the mails for the link's holder; the row is deleted. Returns their language."""
    found = subscriber_for(session, token)
    language = found.language
    session.execute(
        delete(NewsSubscriber).where(NewsSubscriber.id == found.id),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    return language


def subscribers(session: Session, settings: Settings) -> list[tuple[str, str, str]]:
    """(email, language, withdraw link) of everyone on the list, to write to them: each
    mail about later rounds carries its reader's link."""
    return [
        (row.email, row.language, withdraw_url(settings, row.email))
        for row in session.scalars(select(NewsSubscriber).order_by(NewsSubscriber.email))
    ]
