"""Mail bodies in the outbox are sealed with a key that is not in the database.

A queued mail holds what its recipient may read and nobody else: a personal link, a
roster with first names. The outbox keeps it until it has left, so a copy of the database
(a backup, a dump handed to a developer) would otherwise open every page whose link is
still waiting to go out. The body is therefore encrypted with Fernet (AES-128-CBC with an
HMAC-SHA256 tag, from ``cryptography``) under a key derived with HKDF from the server's
``VEKL_SECRET_KEY``, and dropped once the mail has been delivered.

Changing the secret key makes sealed mails unreadable: the dispatcher then marks them
failed with a message that says so, rather than sending anything else.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Bump the version in the label when the scheme changes; old rows then fail loudly.
_PURPOSE = b"vekl outbox body v1"


class Unreadable(ValueError):
    """The body was sealed under another key, or has been altered."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, body: bytes) -> bytes:
    return _fernet(secret_key).encrypt(body)


def unseal(secret_key: str, sealed: bytes) -> bytes:
    try:
        return _fernet(secret_key).decrypt(sealed)
    except InvalidToken:
        raise Unreadable(
            "the mail was sealed with another secret key (was VEKL_SECRET_KEY changed?)"
        ) from None
