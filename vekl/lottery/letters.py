"""Printing a wave: its letters (PDF), the print shop's list (CSV) and its protocol (PDF).

Letters can be printed only while the register extract exists: the addresses and the codes
(derived from each letter's ``code_secret``) go with it. Every download of letters is in the
audit log (who, when, which wave), since the files hold names and addresses.

A round's letters say what the organisers wrote for it (:func:`set_letter_text`) or else the
default wording from the catalog; the letter is German.
"""

from __future__ import annotations

import io
import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.i18n import gettext
from notifications.spreadsheet import SpreadsheetWriter
from vekl.audit import records as audit
from vekl.errors import (
    N_,
    Conflict,
    FieldError,
    Invalid,
    InvalidInput,
    NotFound,
    field_errors,
)
from vekl.lottery import documents, errors, queries
from vekl.lottery.documents import LetterFrame, LetterPage, Sender, SeriesDates
from vekl.registration import letter_codes
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.models import (
    Lottery,
    LotteryLetterText,
    LotteryPerson,
    LotteryWave,
    Round,
)

DEFAULT_BODY = N_(
    "you were drawn by lot from the population register of Konstanz, and we would like to "
    "invite you to take part in “Von/Einander/Kennen/Lernen”.\n\n"
    "People who have lived in Konstanz for a long time and people who have only recently "
    "arrived meet in small groups on a few evenings. A moderator accompanies every group. You "
    "talk about everyday life in the city, about what you have experienced and what matters "
    "to you. No previous knowledge is needed, and taking part is free.\n\n"
    "Half of the places are for people drawn by lot like you, so that the groups reflect the "
    "whole city. Please register with your personal code below; it can be used once.\n\n"
    "We would be very glad to meet you."
)
DEFAULT_SIGNATURE = N_("Your VEKL team\nCity of Konstanz")

BODY_LONGEST = 2000
SIGNATURE_LONGEST = 300
SIGNATURE_LINES = 4
LETTER_LANGUAGE = "de"

TEXT_TOO_LONG = N_("the text does not fit on the front of one sheet; please shorten it")
TOO_MANY_LINES = N_("must have at most %(max)s lines")
LETTERS_GONE = N_(
    "the register extract of round '%(round)s' was deleted, and with it the addresses and "
    "codes: the letters of wave %(wave)s can no longer be printed"
)

CSV_COLUMNS = ("Nr", "Adresszeile 1", "Adresszeile 2", "Adresszeile 3", "Code", "QR-Ziel")
"""The print shop's columns: the letter's number in the wave (the order of the PDF), the
three lines of the window address (name; street and house number; postcode and town), the
code as printed, and the address the QR code opens."""

SAMPLE_PERSON = ("Erika Mustermann", ("Erika Mustermann", "Musterstraße 12a", "78462 Konstanz"))


@dataclass(frozen=True)
class LetterText:
    """A round's wording: its own, or the catalog's default (``custom`` False)."""

    body: str
    signature: str
    custom: bool


class LetterTextInput(BaseModel):
    """The wording as typed: plain text, paragraphs separated by a blank line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    body: str
    signature: str

    @field_validator("body", "signature")
    @classmethod
    def _plain(cls, value: str) -> str:
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not value:
            raise Invalid(errors.EMPTY)
        if any(ord(char) < 32 and char not in "\n\t" for char in value):
            raise Invalid(errors.CONTROL_CHARACTERS)
        return value

    @field_validator("body")
    @classmethod
    def _body_length(cls, value: str) -> str:
        if len(value) > BODY_LONGEST:
            raise Invalid(errors.TOO_LONG, max=BODY_LONGEST)
        return value

    @field_validator("signature")
    @classmethod
    def _signature_length(cls, value: str) -> str:
        if len(value) > SIGNATURE_LONGEST:
            raise Invalid(errors.TOO_LONG, max=SIGNATURE_LONGEST)
        if len(value.split("\n")) > SIGNATURE_LINES:
            raise Invalid(TOO_MANY_LINES, max=SIGNATURE_LINES)
        return value


def parse_letter_text(data: dict[str, Any]) -> LetterTextInput:
    try:
        return LetterTextInput.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc, top_level=True)) from None


def _stored_text(session: Session, round: Round) -> LotteryLetterText | None:
    return session.scalar(select(LotteryLetterText).where(LotteryLetterText.round_id == round.id))


def default_text() -> LetterText:
    return LetterText(
        gettext(LETTER_LANGUAGE, DEFAULT_BODY), gettext(LETTER_LANGUAGE, DEFAULT_SIGNATURE), False
    )


def letter_text(session: Session, round: Round) -> LetterText:
    stored = _stored_text(session, round)
    if stored is None:
        return default_text()
    return LetterText(stored.body, stored.signature, True)


def set_letter_text(
    session: Session, round: Round, data: LetterTextInput, *, settings: Settings, actor: str
) -> LetterText:
    """Keep the round's wording, once a sample letter shows that it fits on one sheet."""
    text = LetterText(data.body, data.signature, True)
    _fits(session, round, text, settings)
    stored = _stored_text(session, round)
    if stored is None:
        stored = LotteryLetterText(round_id=round.id, body="", signature="", updated_by=actor)
        session.add(stored)
    stored.body = text.body
    stored.signature = text.signature
    stored.updated_by = actor
    session.flush()
    audit.record(session, actor, "lottery.letter_text", round=round, subject=round.slug)
    return text


def reset_letter_text(session: Session, round: Round, *, actor: str) -> LetterText:
    """Back to the catalog's default wording."""
    stored = _stored_text(session, round)
    if stored is not None:
        session.delete(stored)
        session.flush()
        audit.record(
            session, actor, "lottery.letter_text", round=round, subject=round.slug, reset=True
        )
    return default_text()


# -- the letters ----------------------------------------------------------------------------


def paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (split at blank lines), each as its lines."""
    found = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            found.append(lines)
    return found


def form_url(settings: Settings, round: Round) -> str:
    """The registration form of the round, as printed in the letter."""
    return f"{settings.base_url}/rounds/{quote(round.slug)}"


def code_url(settings: Settings, round: Round, code: str) -> str:
    """The address the QR code opens: the round's form with the code filled in."""
    return f"{form_url(settings, round)}?code={quote(code)}"


def _sender(settings: Settings) -> Sender:
    return Sender(
        settings.controller_name,
        settings.controller_address,
        settings.contact_email,
        settings.contact_phone,
    )


def _frame(round: Round, text: LetterText, settings: Settings, now: datetime) -> LetterFrame:
    return LetterFrame(
        round_name=round.name,
        form_url=form_url(settings, round),
        deadline=round.registration_deadline,
        series=[
            SeriesDates(one.label, one.venue_name, [e.starts_at for e in one.evenings])
            for one in round.series
        ],
        body=paragraphs(text.body),
        signature=[line.strip() for line in text.signature.split("\n") if line.strip()],
        sender=_sender(settings),
        printed_on=now,
    )


def address_lines(person: LotteryPerson) -> tuple[str, ...]:
    """The window address: name, street and house number, postcode and town."""
    number = person.house_number
    suffix = (person.house_number_suffix or "").strip()
    if suffix:
        number = (
            f"{number}{suffix}" if len(suffix) == 1 and suffix.isalpha() else f"{number} {suffix}"
        )
    return (
        f"{person.given_names} {person.family_name}",
        f"{person.street} {number}",
        f"{person.postcode} {person.town}",
    )


def _wave(session: Session, round: Round, number: int) -> tuple[Lottery, LotteryWave]:
    lottery = queries.lottery_of(session, round)
    if lottery is None or lottery.extract_sha256 is None:
        raise NotFound(errors.NO_EXTRACT, round=round.slug)
    for wave in lottery.waves:
        if wave.number == number:
            return lottery, wave
    raise NotFound(errors.NO_WAVE, round=round.slug, wave=number)


def find_wave(session: Session, round: Round, number: int) -> tuple[Lottery, LotteryWave]:
    """The round's lottery and its wave ``number``; not found without an extract or wave."""
    return _wave(session, round, number)


def _pages(session: Session, round: Round, number: int, settings: Settings) -> list[LetterPage]:
    """The wave's letters in the order drawn; refused once the extract is deleted."""
    lottery, wave = _wave(session, round, number)
    if lottery.extract_deleted_at is not None:
        raise Conflict(LETTERS_GONE, round=round.slug, wave=number)
    pages = []
    for letter, person in queries.wave_letters(session, wave):
        if letter.code_secret is None:
            raise Conflict(LETTERS_GONE, round=round.slug, wave=number)
        code = letter_codes.grouped(
            letter_codes.derived_code(settings.secret_key, letter.code_secret)
        )
        lines = address_lines(person)
        pages.append(LetterPage(lines[0], lines, code, code_url(settings, round, code)))
    if len(pages) != wave.letters:
        raise Conflict(LETTERS_GONE, round=round.slug, wave=number)
    return pages


def _render(
    frame: LetterFrame, pages: list[LetterPage], settings: Settings, *, sample: bool = False
) -> bytes:
    try:
        return documents.letters_pdf(frame, pages, settings.zone, sample=sample)
    except documents.LetterTooLong:
        raise InvalidInput([FieldError("body", TEXT_TOO_LONG)]) from None


def _fits(session: Session, round: Round, text: LetterText, settings: Settings) -> None:
    """Refuse a wording whose sample letter would take more than one sheet."""
    sample_pdf(session, round, settings, text=text, now=datetime.now(settings.zone))


def letters_pdf(
    session: Session,
    round: Round,
    wave: int,
    settings: Settings,
    *,
    actor: str,
    now: datetime,
    first: int | None = None,
) -> bytes:
    """The wave's letters, one sheet each (front, then the notes on the back), in draw order;
    only the ``first`` of them where given (a specimen, as in the demo)."""
    pages = _pages(session, round, wave, settings)[:first]
    audit.record(
        session,
        actor,
        "lottery.letters",
        round=round,
        subject=round.slug,
        wave=wave,
        letters=len(pages),
        format="pdf",
    )
    frame = _frame(round, letter_text(session, round), settings, now)
    return _render(frame, pages, settings)


def prepare_letters(
    session: Session, round: Round, wave: int, settings: Settings, *, now: datetime
) -> tuple[LetterFrame, list[LetterPage]]:
    """What the worker renders a wave's letters from, read in the caller's (short)
    transaction: no audit entry, since nothing leaves the server yet."""
    pages = _pages(session, round, wave, settings)
    return _frame(round, letter_text(session, round), settings, now), pages


def letters_csv(
    session: Session, round: Round, wave: int, settings: Settings, *, actor: str
) -> bytes:
    """The print shop's list: :data:`CSV_COLUMNS`, ``;``-separated, UTF-8 with a BOM so that
    Excel opens it, a row per letter in the order of the PDF."""
    pages = _pages(session, round, wave, settings)
    audit.record(
        session,
        actor,
        "lottery.letters",
        round=round,
        subject=round.slug,
        wave=wave,
        letters=len(pages),
        format="csv",
    )
    out = io.StringIO(newline="")
    writer = SpreadsheetWriter(out, delimiter=";")
    writer.writerow(CSV_COLUMNS)
    for number, page in enumerate(pages, 1):
        writer.writerow([str(number), *page.address, page.code, page.url])
    return out.getvalue().encode("utf-8-sig")


def sample_pdf(
    session: Session,
    round: Round,
    settings: Settings,
    *,
    now: datetime,
    text: LetterText | None = None,
) -> bytes:
    """One letter to an invented person, with a code that cannot be used (its check
    character is wrong), in the round's wording or in ``text``."""
    name, lines = SAMPLE_PERSON
    payload = letter_codes.derived_code(settings.secret_key, "sample letter")[:-1]
    valid = letter_codes.check_character(payload)
    wrong = next(c for c in letter_codes.ALPHABET if c != valid)
    code = letter_codes.grouped(payload + wrong)
    page = LetterPage(name, lines, code, code_url(settings, round, code))
    frame = _frame(round, text or letter_text(session, round), settings, now)
    return _render(frame, [page], settings, sample=True)


# -- the protocol ---------------------------------------------------------------------------


def protocol_commands(protocol: dict[str, Any]) -> list[str]:
    """The commands that repeat the waves up to this one, in a fresh database."""
    slug = str(protocol["round"])
    strata = protocol["strata"]
    plan = protocol["plan"]
    round_option = f"--round {shlex.quote(slug)}"
    dimensions = ",".join(strata["dimensions"]) or "none"
    commands = [
        f"vekl lottery import EXTRACT.csv {round_option}",
        " ".join(
            [
                f"vekl lottery plan {round_option} --places {plan['places']}",
                f"--strata {dimensions}",
                f"--age-bands {','.join(str(a) for a in strata['age_bands'])}",
                f"--rate {plan['default_rate']}",
                *(f"--stratum-rate {shlex.quote(f'{k}={r}')}" for k, r in plan["rates"].items()),
                f"--reference-date {strata['reference_date']}",
            ]
        ),
    ]
    if int(protocol["wave"]) > 1:
        commands.append(f"# {gettext(LETTER_LANGUAGE, EARLIER_WAVES, wave=protocol['wave'])}")
    seed = f"--seed {shlex.quote(str(protocol['seed']))}"
    if int(protocol["wave"]) == 1:
        commands.append(f"vekl lottery draw {round_option} {seed}")
    else:
        pairs = [f"{row['stratum']}={row['letters']}" for row in protocol["allocation"]]
        more = " ".join(f"--more {shlex.quote(pair)}" for pair in pairs)
        commands.append(f"vekl lottery draw {round_option} {seed} {more}")
    return commands


EARLIER_WAVES = N_("first repeat the waves before wave %(wave)s with their protocols")


def protocol_pdf(session: Session, round: Round, wave: int, settings: Settings) -> bytes:
    """The wave's protocol as a printable German document; it names no person."""
    _, found = _wave(session, round, wave)
    protocol = dict(found.protocol)
    return documents.protocol_pdf(protocol, protocol_commands(protocol), settings.zone)


# -- by the round's short name, as the organiser pages call them ----------------------------


@dataclass(frozen=True)
class LetterView:
    round: Round
    text: LetterText


def letter_view(session: Session, slug: str) -> LetterView:
    round = rounds.get_round(session, slug)
    return LetterView(round, letter_text(session, round))


def set_round_letter_text(
    session: Session, slug: str, data: dict[str, Any], *, settings: Settings, actor: str
) -> LetterText:
    round = rounds.get_round(session, slug)
    return set_letter_text(session, round, parse_letter_text(data), settings=settings, actor=actor)


def reset_round_letter_text(session: Session, slug: str, *, actor: str) -> LetterText:
    return reset_letter_text(session, rounds.get_round(session, slug), actor=actor)


def round_sample_pdf(
    session: Session,
    slug: str,
    settings: Settings,
    *,
    now: datetime,
    typed: dict[str, Any] | None = None,
) -> bytes:
    """A sample letter in the round's wording, or in the ``typed`` one (checked, not kept)."""
    round = rounds.get_round(session, slug)
    text = None
    if typed is not None:
        checked = parse_letter_text(typed)
        text = LetterText(checked.body, checked.signature, True)
    return sample_pdf(session, round, settings, now=now, text=text)


def wave_letters_csv(
    session: Session, slug: str, wave: int, settings: Settings, *, actor: str
) -> bytes:
    return letters_csv(session, rounds.get_round(session, slug), wave, settings, actor=actor)


def wave_protocol_pdf(session: Session, slug: str, wave: int, settings: Settings) -> bytes:
    return protocol_pdf(session, rounds.get_round(session, slug), wave, settings)
