"""The lottery for the last places: a rank for every participant, drawn from a seed.

When places run short, people of the same priority whom the rules treat alike are placed in
the order of their lottery rank: rank 0 first. The rank depends on the seed and the
participant's id alone, never on the order of the input:

    rank order = participants sorted by HMAC-SHA256(key=seed, message=id) as a hexadecimal
                 string (both encoded as UTF-8), ties (never seen in practice) by id

so anyone with the seed and the list of ids can redo the draw, for example with

    python -c "import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(),
               sys.argv[2].encode(), hashlib.sha256).hexdigest())" SEED ID

A problem may bring its seed (``lottery_seed``); otherwise one is drawn with
:mod:`secrets` and recorded in the solution. See docs/adr/0014-lottery-for-the-last-places.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

# The length of a drawn seed in bytes (written as twice as many hexadecimal digits).
SEED_BYTES = 16


def draw_seed() -> str:
    """A fresh seed from the operating system's secure random source."""
    return secrets.token_hex(SEED_BYTES)


def ticket(seed: str, participant_id: str) -> str:
    """The participant's lottery ticket: a lower ticket is a better rank."""
    return hmac.new(seed.encode(), participant_id.encode(), hashlib.sha256).hexdigest()


def lottery_ranks(seed: str, ids: Iterable[str]) -> dict[str, int]:
    """Each id's rank (0 is drawn first)."""
    order = sorted(ids, key=lambda i: (ticket(seed, i), i))
    return {participant_id: rank for rank, participant_id in enumerate(order)}
