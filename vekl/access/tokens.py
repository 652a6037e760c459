"""Personal links for participants and moderators.

A link's token is derived, not stored: HMAC-SHA256 over the holder's kind, id and a random
per-person link secret, keyed with the server's ``VEKL_SECRET_KEY``. The database keeps
the link secret and the SHA-256 hash of the token (to find the holder), neither of which
opens a page without the server's key: a copy of the database opens no page. Because the
token can be derived again, a forgotten link is sent again unchanged, and every mail can
carry it; only the person, from their own page, replaces it (a new link secret), which is
also how a leaked link is revoked.

A participant's calendar feed has a token of its own, derived the same way for another
purpose, so a shared subscription does not share the page.

Changing ``VEKL_SECRET_KEY`` changes every derived token: links mailed before stop
working, and the next mail to each person carries the new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vekl.errors import N_, NotFound
from vekl.store.models import Moderator, Participant

TOKEN_BYTES = 32
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
NO_SUCH_LINK = N_("no such link")

Purpose = Literal["page", "feed"]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _well_formed(token: str) -> bool:
    return bool(_SHAPE.match(token))


def well_formed(token: str) -> bool:
    """Whether ``token`` has the shape of the tokens made here (43 URL-safe characters)."""
    return _well_formed(token)


def _derive(holder: Participant | Moderator, server_key: str, purpose: Purpose) -> str:
    if holder.id is None or holder.link_secret is None:
        raise ValueError("a link needs a stored holder with a link secret")
    kind = "participant" if isinstance(holder, Participant) else "moderator"
    message = f"vekl link\x1f{purpose}\x1f{kind}\x1f{holder.id}\x1f{holder.link_secret}"
    mac = hmac.new(server_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")  # 43 chars


def _with_secret(holder: Participant | Moderator) -> None:
    if holder.link_secret is None:
        holder.link_secret = secrets.token_hex(TOKEN_BYTES)


def link_token(holder: Participant | Moderator, server_key: str) -> str:
    """The holder's current link token: the same each time, until the link is replaced.

    A holder without a link gets one. A stored hash that does not fit (a link from before
    links were derived, or one derived under an earlier server key) is replaced, once.
    """
    _with_secret(holder)
    token = _derive(holder, server_key, "page")
    digest = token_hash(token)
    if holder.token_hash is None or not hmac.compare_digest(holder.token_hash, digest):
        holder.token_hash = digest
    if isinstance(holder, Participant):
        feed_token(holder, server_key)
    return token


def feed_token(person: Participant, server_key: str) -> str:
    """The token of the person's calendar feed; it opens the calendar and nothing else."""
    _with_secret(person)
    token = _derive(person, server_key, "feed")
    digest = token_hash(token)
    if person.feed_token_hash is None or not hmac.compare_digest(person.feed_token_hash, digest):
        person.feed_token_hash = digest
    return token


def replace(holder: Participant | Moderator, server_key: str) -> str:
    """A new link (and feed); every earlier one stops working."""
    holder.link_secret = secrets.token_hex(TOKEN_BYTES)
    return link_token(holder, server_key)


def revoke(holder: Participant | Moderator) -> None:
    holder.link_secret = None
    holder.token_hash = None
    if isinstance(holder, Participant):
        holder.feed_token_hash = None


Holder = TypeVar("Holder", Participant, Moderator)


def _holder(session: Session, model: type[Holder], token: str) -> Holder:
    if not _well_formed(token):
        raise NotFound(NO_SUCH_LINK)
    digest = token_hash(token)
    found = session.scalar(select(model).where(model.token_hash == digest))
    if (
        found is None
        or found.token_hash is None
        or not hmac.compare_digest(found.token_hash, digest)
        or found.round.purged_at is not None
    ):
        raise NotFound(NO_SUCH_LINK)
    return found


def participant_for(session: Session, token: str) -> Participant:
    """The participant a link belongs to; anything else is simply not found."""
    return _holder(session, Participant, token)


def moderator_for(session: Session, token: str) -> Moderator:
    return _holder(session, Moderator, token)


def participant_for_feed(session: Session, token: str) -> Participant:
    """The participant a calendar feed belongs to."""
    if not _well_formed(token):
        raise NotFound(NO_SUCH_LINK)
    digest = token_hash(token)
    found = session.scalar(select(Participant).where(Participant.feed_token_hash == digest))
    if found is None or found.round.purged_at is not None:
        raise NotFound(NO_SUCH_LINK)
    return found
