"""The codes printed in lottery letters.

A code is read from paper and typed by hand, so it uses no characters that look alike
(no 0/O, no 1/I/L, no Z next to 2) and comes in groups of four. Its last character is a
check character (Luhn mod 30; the even base is what makes it catch every single mistyped
character, and it catches most swapped neighbours too). That lets the form say "typo"
instead of "wrong code", and a typo does not count as a guess. The eleven random characters
give 54 bits. Only a keyed hash of each code is stored, so the table alone cannot be turned
back into letters.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vekl.access import guesses
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, InvalidInput
from vekl.store.models import InvitationCode, Participant, Round, RoundStatus

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXY"
RANDOM_LENGTH = 11
LENGTH = RANDOM_LENGTH + 1
GROUP = 4
_CONFUSABLE = frozenset("0O1ILZ")
_SEPARATORS = str.maketrans("", "", " -_.\u00a0\u2010\u2011\u2012\u2013\u2014")

# Messages for the "code" field; they are the msgids the web pages translate.
CODE_REQUIRED = N_("Please enter the code from your letter.")
CODE_LENGTH = N_("A code has 12 characters in three groups of four, like K7QX-M3PD-W9TA.")
CODE_CONFUSABLE = N_(
    "Codes never contain 0, O, 1, I, L or Z. Please compare the code with your letter."
)
CODE_CHARACTERS = N_("The code contains characters that codes never have. Please check it.")
CODE_TYPO = N_("The code seems to contain a typo. Please compare it with your letter.")
CODE_UNKNOWN = N_("We do not know this code. Please compare it with your letter.")
CODE_USED = N_(
    "This code has already been used. If it was not you, please write to us and we will help."
)


def _value(char: str) -> int:
    return ALPHABET.index(char)


def check_character(payload: str) -> str:
    """Luhn mod N over the alphabet: detects any single substitution and adjacent swaps."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for char in reversed(payload):
        addend = factor * _value(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def _checks_out(code: str) -> bool:
    return check_character(code[:-1]) == code[-1]


def new_code() -> str:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return payload + check_character(payload)


def grouped(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """Upper case without spaces or dashes: what people type from the letter."""
    return typed.translate(_SEPARATORS).upper()


def format_problem(code: str) -> str | None:
    """Why a typed (normalised) code cannot be one of ours, or ``None`` if it could be."""
    if not code:
        return CODE_REQUIRED
    if any(char in _CONFUSABLE for char in code):
        return CODE_CONFUSABLE
    if any(char not in ALPHABET for char in code):
        return CODE_CHARACTERS
    if len(code) != LENGTH:
        return CODE_LENGTH
    if not _checks_out(code):
        return CODE_TYPO
    return None


def code_hash(code: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"letter-code\x1f" + code.encode(), hashlib.sha256).hexdigest()


NO_LONGER_REGISTERING = N_(
    "round '%(round)s' no longer takes registrations, so nobody could use letter codes for it"
)


def ensure_registering(round: Round, moment: datetime) -> None:
    """Refuse codes for a round that has closed, finished, passed its deadline or been purged."""
    deadline = round.registration_deadline
    if (
        round.status in (RoundStatus.CLOSED, RoundStatus.FINISHED)
        or round.purged_at is not None
        or (deadline is not None and deadline <= moment)
    ):
        raise Conflict(NO_LONGER_REGISTERING, round=round.slug)


def derived_code(secret: str, code_secret: str) -> str:
    """The code of a drawn letter: HMAC-SHA256 over the letter's own secret, keyed with the
    server's key, written in the code alphabet with its check character.

    The letter keeps only ``code_secret`` (until its extract is deleted) and the code's
    hash, so the letters can be printed after the draw without storing a readable code.
    """
    digest = hmac.new(
        secret.encode(), b"lottery-letter\x1f" + code_secret.encode(), hashlib.sha256
    ).digest()
    number = int.from_bytes(digest, "big")
    payload = []
    for _ in range(RANDOM_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        payload.append(ALPHABET[index])
    text = "".join(payload)
    return text + check_character(text)


def generate(
    session: Session,
    round: Round,
    count: int,
    *,
    secret: str,
    actor: str,
    now: datetime | None = None,
) -> list[str]:
    """Create ``count`` new codes for ``round``; returned grouped, stored only as hashes.

    Codes are made before registration opens (letters are printed first), but not for a
    round that has closed, finished, passed its deadline or been purged.
    """
    if count < 1:
        raise InvalidInput([FieldError("count", N_("must be at least 1"))])
    moment = now or datetime.now(UTC)
    ensure_registering(round, moment)
    codes: dict[str, str] = {}
    while len(codes) < count:
        code = new_code()
        codes[code_hash(code, secret)] = code
    taken = set(
        session.scalars(select(InvitationCode.code_hash).where(InvitationCode.code_hash.in_(codes)))
    )
    for digest in taken:
        del codes[digest]
    session.add_all(
        InvitationCode(round_id=round.id, code_hash=digest, created_at=moment) for digest in codes
    )
    session.flush()
    audit.record(
        session, actor, "codes.generate", round=round, subject=round.slug, count=len(codes)
    )
    return [grouped(code) for code in codes.values()]


@dataclass(frozen=True)
class CheckedCode:
    """A code that may be used for this registration.

    ``row`` is ``None`` when the code was already used by this very email: the person is
    registering a second time, which is answered like a first registration.
    """

    row: InvitationCode | None


def check(
    session: Session,
    round: Round,
    typed: str | None,
    *,
    email: str,
    client: str,
    secret: str,
    now: datetime,
) -> CheckedCode:
    """Check a typed code for ``email``; wrong codes count against ``client``."""
    code = normalise(typed or "")
    if not code:
        raise InvalidInput([FieldError("code", CODE_REQUIRED)])
    guesses.check(session, "letter_code", client, now)
    problem = format_problem(code)
    if problem is not None:
        raise InvalidInput([FieldError("code", problem)])
    row = session.scalar(
        select(InvitationCode).where(
            InvitationCode.code_hash == code_hash(code, secret),
            InvitationCode.round_id == round.id,
        )
    )
    if row is None:
        raise guesses.RejectedGuess(
            [FieldError("code", CODE_UNKNOWN)], scope="letter_code", client=client, at=now
        )
    if row.used_at is None:
        return CheckedCode(row)
    owner = session.get(Participant, row.participant_id) if row.participant_id else None
    if owner is not None and owner.email == email:
        return CheckedCode(None)
    raise guesses.RejectedGuess(
        [FieldError("code", CODE_USED)], scope="letter_code", client=client, at=now
    )


def consume(session: Session, row: InvitationCode, participant: Participant, now: datetime) -> None:
    """Mark the code used by ``participant``; only one of two racing requests can."""
    result = session.execute(
        update(InvitationCode)
        .where(InvitationCode.id == row.id, InvitationCode.used_at.is_(None))
        .values(used_at=now, participant_id=participant.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise InvalidInput([FieldError("code", CODE_USED)])


def release_codes_of(session: Session, participant_ids: list[int]) -> None:
    """Make the codes of registrations that never became valid usable again."""
    if participant_ids:
        session.execute(
            update(InvitationCode)
            .where(InvitationCode.participant_id.in_(participant_ids))
            .values(used_at=None, participant_id=None)
            .execution_options(synchronize_session=False)
        )
