"""Secret link tokens for participants and moderators.

A token is the only thing that grants access to a person's page, so it is long and random,
and only its SHA-256 hash is stored: a copy of the database opens no page. Issuing a new
token replaces the stored hash, which is how a leaked link is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.errors import N_, NotFound
from vekl.store.models import Moderator, Participant

TOKEN_BYTES = 32
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
NO_SUCH_LINK = N_("no such link")


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _well_formed(token: str) -> bool:
    return bool(_SHAPE.match(token))


def issue(holder: Participant | Moderator) -> str:
    """Give ``holder`` a new token; any earlier link stops working."""
    token = new_token()
    holder.token_hash = token_hash(token)
    return token


def revoke(holder: Participant | Moderator) -> None:
    holder.token_hash = None


def _found(stored: str | None, token: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, token_hash(token))


Holder = TypeVar("Holder", Participant, Moderator)


def _holder(session: Session, model: type[Holder], token: str) -> Holder:
    if not _well_formed(token):
        raise NotFound(NO_SUCH_LINK)
    found = session.scalar(select(model).where(model.token_hash == token_hash(token)))
    if found is None or not _found(found.token_hash, token) or found.round.purged_at is not None:
        raise NotFound(NO_SUCH_LINK)
    return found


def participant_for(session: Session, token: str) -> Participant:
    """The participant a link belongs to; anything else is simply not found."""
    return _holder(session, Participant, token)


def moderator_for(session: Session, token: str) -> Moderator:
    return _holder(session, Moderator, token)
