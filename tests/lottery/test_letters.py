"""Printing a wave: the letters read back from the PDF, the print shop's CSV, the protocol.

The PDF is read the way a print shop and a phone would: the text of each page (pypdf), the
position of the window address in millimetres (pdfium's character boxes), and every QR code
decoded from a rendered page (zxing-cpp).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.letters import notes
from tests.lottery.conftest import (
    MARKED_FAMILIES,
    MARKED_STREETS,
    NOW,
    SECRET,
    draw_wave,
)
from tests.lottery.printing import Box, flat, page_texts, qr_codes, text_boxes
from vekl.errors import Conflict, InvalidInput, NotFound
from vekl.lottery import letters as printing
from vekl.lottery import service as lottery
from vekl.registration import letter_codes
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    Lottery,
    LotteryLetter,
    LotteryPerson,
    LotteryWave,
    Round,
)

# DIN 5008, form B, in mm from the top left corner of the sheet: the address field (85 x 45
# mm, 45 mm from the top, 20 mm from the left) is what the window of a DL envelope shows.
ADDRESS_FIELD = Box(20, 45, 105, 90)
RETURN_ZONE = Box(20, 45, 105, 62.7)  # "Zusatz- und Vermerkzone", return address at its foot
ADDRESS_ZONE = Box(20, 62.7, 105, 90)  # "Anschriftzone"
RETURN_LINE = Box(20, 62.7 - 4.23, 105, 62.7)  # the zone's fifth and lowest line
LETTERS = 8


@pytest.fixture
def settings() -> Settings:
    return Settings(
        environment="test",
        base_url="https://vekl.example",
        secret_key=SECRET,
        controller_name="Stadt Konstanz",
        controller_address="Kanzleistraße 15, 78462 Konstanz",
        contact_email="vekl@konstanz.example",
    )


def _expected(db: Session, wave: LotteryWave, settings: Settings) -> list[dict[str, Any]]:
    """Each letter's code, address and QR target, in draw order, worked out from the rows."""
    found = []
    rows = db.execute(
        select(LotteryLetter, LotteryPerson)
        .join(LotteryPerson, LotteryPerson.id == LotteryLetter.person_id)
        .where(LotteryLetter.wave_id == wave.id)
        .order_by(LotteryLetter.position)
    )
    for letter, person in rows:
        assert letter.code_secret is not None
        code = letter_codes.grouped(letter_codes.derived_code(SECRET, letter.code_secret))
        found.append(
            {
                "code": code,
                "hash": letter.code_hash,
                "name": f"{person.given_names} {person.family_name}",
                "street": f"{person.street} {person.house_number}",
                "town": f"{person.postcode} {person.town}",
            }
        )
    return found


@pytest.fixture
def drawn(db: Session, lottery_round: Round, settings: Settings) -> tuple[Round, LotteryWave]:
    return lottery_round, draw_wave(db, lottery_round, letters=LETTERS)


@pytest.fixture
def letters_pdf(db: Session, drawn: tuple[Round, LotteryWave], settings: Settings) -> bytes:
    round, wave = drawn
    return printing.letters_pdf(db, round, wave.number, settings, actor="test", now=NOW)


def test_each_letter_is_one_sheet_with_its_code_in_draw_order(
    db: Session, drawn: tuple[Round, LotteryWave], letters_pdf: bytes, settings: Settings
) -> None:
    round, wave = drawn
    expected = _expected(db, wave, settings)
    assert len(expected) == LETTERS
    # The codes' hashes are the stored ones: the printed codes are the ones that register.
    for letter in expected:
        assert (
            letter_codes.code_hash(letter_codes.normalise(letter["code"]), SECRET) == letter["hash"]
        )
    texts = page_texts(letters_pdf)
    assert len(texts) == 2 * LETTERS
    all_codes = [letter["code"] for letter in expected]
    for index, letter in enumerate(expected):
        front, back = texts[2 * index], texts[2 * index + 1]
        assert letter["code"] in front
        assert [code for code in all_codes if code in front] == [letter["code"]]
        assert letter["name"] in front and letter["street"] in front
        assert not any(code in back for code in all_codes)
        assert round.name in front
        assert "Guten Tag" in front and "Mit freundlichen Grüßen" in front


def test_every_qr_code_opens_the_form_with_its_code(
    db: Session, drawn: tuple[Round, LotteryWave], letters_pdf: bytes, settings: Settings
) -> None:
    round, wave = drawn
    expected = _expected(db, wave, settings)
    for index, letter in enumerate(expected):
        url = f"https://vekl.example/rounds/{round.slug}?code={letter['code']}"
        assert qr_codes(letters_pdf, 2 * index) == [url]
        assert qr_codes(letters_pdf, 2 * index + 1) == []


def test_the_address_sits_in_the_window_of_din_5008_form_b(
    db: Session, drawn: tuple[Round, LotteryWave], letters_pdf: bytes, settings: Settings
) -> None:
    _, wave = drawn
    for index, letter in enumerate(_expected(db, wave, settings)):
        page = 2 * index
        lines = [text_boxes(letters_pdf, page, letter[key]) for key in ("name", "street", "town")]
        in_window = [[box for box in boxes if box.within(ADDRESS_ZONE)] for boxes in lines]
        assert all(len(boxes) == 1 for boxes in in_window), (letter, lines)
        name, street, town = (boxes[0] for boxes in in_window)
        # Lines one under another, starting 5 mm inside the field (25 mm from the edge).
        assert name.bottom < street.top and street.bottom < town.top
        assert all(abs(box.left - 25) < 1 for box in (name, street, town))
        assert 62.7 <= name.top < 64.2  # the address starts at the top of its zone
        # The return address is the zone's lowest line (the zone is filled from the bottom).
        returned = text_boxes(letters_pdf, page, "Stadt Konstanz · Kanzleistraße 15")
        assert [box for box in returned if box.within(RETURN_LINE)], returned
        # The street is nowhere else in the window (no greeting or text slipped into it).
        assert len(text_boxes(letters_pdf, page, letter["street"])) == 1


@pytest.mark.parametrize(
    ("name", "address", "printed"),
    [
        # A department after a comma: the post needs only the city and the address.
        (
            "Stadt Konstanz, Amt für Migration und Integration",
            "Kanzleistraße 15, 78462 Konstanz",
            "Stadt Konstanz · Kanzleistraße 15, 78462 Konstanz",
        ),
        # One long name without a comma: the whole line, set smaller.
        (
            "Integrationsbeauftragte der Stadt Konstanz im Bürgerbüro Stadtmitte",
            "Kanzleistraße 15, 78462 Konstanz",
            "Integrationsbeauftragte der Stadt Konstanz im Bürgerbüro Stadtmitte · "
            "Kanzleistraße 15, 78462 Konstanz",
        ),
    ],
)
def test_a_long_return_address_stays_whole_within_its_line(
    db: Session,
    drawn: tuple[Round, LotteryWave],
    settings: Settings,
    name: str,
    address: str,
    printed: str,
) -> None:
    round, wave = drawn
    long_named = settings.model_copy(
        update={"controller_name": name, "controller_address": address}
    )
    pdf = printing.letters_pdf(db, round, wave.number, long_named, actor="test", now=NOW)
    returned = text_boxes(pdf, 0, printed)
    assert [box for box in returned if box.within(RETURN_LINE)], (printed, returned)


def test_the_back_holds_the_note_in_five_languages(letters_pdf: bytes) -> None:
    texts = page_texts(letters_pdf)
    for back in texts[1::2]:
        for note in notes():
            assert note.language_name in back
            assert flat(note.text)[:40] in flat(back), note.lang
    langs = [note.lang for note in notes()]
    assert langs == ["en", "ar", "uk", "tr", "fa"]
    arabic, farsi = (next(n for n in notes() if n.lang == lang) for lang in ("ar", "fa"))
    assert "دعوة" in arabic.text and "دعوت" in farsi.text
    assert arabic.direction == farsi.direction == "rtl"
    # Right to left: the Arabic and Farsi headings end at the right margin (190 mm).
    for note in (arabic, farsi):
        heading = text_boxes(letters_pdf, 1, note.language_name)[0]
        assert 185 < heading.right <= 190.5, heading


def test_the_print_shops_csv_lists_the_letters_in_the_pdfs_order(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    round, wave = drawn
    raw = printing.letters_csv(db, round, wave.number, settings, actor="test")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == list(printing.CSV_COLUMNS)
    assert rows[0] == ["Nr", "Adresszeile 1", "Adresszeile 2", "Adresszeile 3", "Code", "QR-Ziel"]
    expected = _expected(db, wave, settings)
    assert rows[1:] == [
        [
            str(number),
            letter["name"],
            letter["street"],
            letter["town"],
            letter["code"],
            f"https://vekl.example/rounds/{round.slug}?code={letter['code']}",
        ]
        for number, letter in enumerate(expected, 1)
    ]
    assert b"\r\n" in raw


def test_every_download_of_letters_is_in_the_audit_log(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    round, wave = drawn
    printing.letters_csv(db, round, wave.number, settings, actor="organiser:anna")
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.letters"))
    assert entry is not None
    assert entry.actor == "organiser:anna" and entry.round_id == round.id
    assert entry.details == {"wave": 1, "letters": LETTERS, "format": "csv"}
    assert entry.at is not None


def test_after_the_extract_is_deleted_no_letter_can_be_printed(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    round, wave = drawn
    lottery.delete_extract(db, round, actor="test", now=NOW + timedelta(days=1))
    with pytest.raises(Conflict) as refused:
        printing.letters_pdf(db, round, wave.number, settings, actor="test", now=NOW)
    assert refused.value.message == printing.LETTERS_GONE
    with pytest.raises(Conflict) as refused:
        printing.letters_csv(db, round, wave.number, settings, actor="test")
    assert refused.value.message == printing.LETTERS_GONE
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.letters")) is None
    # The protocol names nobody, so it stays printable.
    assert page_texts(printing.protocol_pdf(db, round, wave.number, settings))


def test_an_unknown_wave_is_named(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    round, _ = drawn
    with pytest.raises(NotFound):
        printing.letters_pdf(db, round, 2, settings, actor="test", now=NOW)


def test_the_protocol_holds_what_an_observer_needs_and_no_name(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    round, wave = drawn
    protocol = wave.protocol
    text = flat(" ".join(page_texts(printing.protocol_pdf(db, round, wave.number, settings))))
    assert "Protokoll der Auslosung" in text
    for value in (
        protocol["extract"]["sha256"],
        protocol["selection_sha256"],
        protocol["exclusions"]["person_keys_sha256"],
        protocol["software"]["version"],
        protocol["seed"],
        str(protocol["extract"]["rows"]),
    ):
        assert value in text.replace(" ", "") or value in text, value
    for row in protocol["allocation"]:
        assert row["stratum"] in text
    assert "vekl lottery draw --round konstanz-mai --seed '1 2 3'" in text
    assert "vekl lottery plan --round konstanz-mai --places 1 --strata none" in text
    for marked in (*MARKED_FAMILIES, *MARKED_STREETS):
        assert marked not in text


def test_the_commands_repeat_a_second_wave_with_its_letters_per_stratum() -> None:
    protocol = {
        "round": "r",
        "wave": 2,
        "seed": "7 7",
        "strata": {"dimensions": ["age"], "age_bands": [18, 30], "reference_date": "2026-05-01"},
        "plan": {"places": 4, "default_rate": 0.05, "rates": {"18-29": 0.02}},
        "allocation": [{"stratum": "18-29", "letters": 3}, {"stratum": "30+", "letters": 2}],
    }
    commands = printing.protocol_commands(protocol)
    assert commands[1] == (
        "vekl lottery plan --round r --places 4 --strata age --age-bands 18,30 --rate 0.05 "
        "--stratum-rate 18-29=0.02 --reference-date 2026-05-01"
    )
    assert commands[-1] == ("vekl lottery draw --round r --seed '7 7' --more 18-29=3 --more 30+=2")


# -- the wording ----------------------------------------------------------------------------


def test_the_default_wording_comes_from_the_catalog(db: Session, lottery_round: Round) -> None:
    text = printing.letter_text(db, lottery_round)
    assert not text.custom
    assert text.body.startswith("Sie wurden aus dem Melderegister")
    assert text.signature == "Ihr VEKL-Team\nStadt Konstanz"


def test_a_rounds_own_wording_is_printed_as_plain_text(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    round, _ = drawn
    body = "erster Absatz mit <b>Markup</b> & Zeichen.\n\nzweiter Absatz,\nzweite Zeile."
    printing.set_letter_text(
        db,
        round,
        printing.parse_letter_text({"body": body, "signature": "Anna Beispiel\nBürgeramt"}),
        settings=settings,
        actor="test",
    )
    stored = printing.letter_text(db, round)
    assert stored.custom and stored.body == body
    front = flat(page_texts(printing.sample_pdf(db, round, settings, now=NOW))[0])
    assert "erster Absatz mit <b>Markup</b> & Zeichen." in front
    assert "zweiter Absatz, zweite Zeile." in front
    assert "Mit freundlichen Grüßen Anna Beispiel Bürgeramt" in front
    assert "Musterbrief" in front and "Erika Mustermann" in front
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.letter_text"))
    assert entry is not None
    printing.reset_letter_text(db, round, actor="test")
    assert not printing.letter_text(db, round).custom


def test_the_sample_letters_code_cannot_be_used(
    db: Session, lottery_round: Round, settings: Settings
) -> None:
    pdf = printing.sample_pdf(db, lottery_round, settings, now=NOW)
    (url,) = qr_codes(pdf, 0)
    code = letter_codes.normalise(url.rsplit("=", 1)[1])
    assert letter_codes.format_problem(code) == letter_codes.CODE_TYPO


def test_a_wording_too_long_for_one_sheet_is_refused_and_not_kept(
    db: Session, lottery_round: Round, settings: Settings
) -> None:
    body = "\n\n".join(f"Absatz {i}." for i in range(60))
    with pytest.raises(InvalidInput) as refused:
        printing.set_letter_text(
            db,
            lottery_round,
            printing.parse_letter_text({"body": body, "signature": "Team"}),
            settings=settings,
            actor="test",
        )
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("body", printing.TEXT_TOO_LONG)
    ]
    assert not printing.letter_text(db, lottery_round).custom


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "  ", "signature": "Team"}, "body"),
        ({"body": "x" * 2001, "signature": "Team"}, "body"),
        ({"body": "Text", "signature": "1\n2\n3\n4\n5"}, "signature"),
        ({"body": "Text\x07", "signature": "Team"}, "body"),
    ],
)
def test_bad_wording_is_named_by_field(data: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        printing.parse_letter_text(data)
    assert [e.field for e in refused.value.errors] == [field]


def test_once_the_lottery_says_the_extract_is_deleted_no_letter_is_made(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    """Refused by the lottery's record of the deletion itself, not only because the
    addresses and codes are gone: here they are still there."""
    round, wave = drawn
    found = db.scalars(select(Lottery).where(Lottery.round_id == round.id)).one()
    found.extract_deleted_at = NOW
    db.flush()
    makers: dict[str, Callable[[], object]] = {
        "pdf": lambda: printing.letters_pdf(db, round, wave.number, settings, actor="t", now=NOW),
        "csv": lambda: printing.letters_csv(db, round, wave.number, settings, actor="t"),
        "worker": lambda: printing.prepare_letters(db, round, wave.number, settings, now=NOW),
    }
    for name, make in makers.items():
        with pytest.raises(Conflict) as refused:
            make()
        assert refused.value.message == printing.LETTERS_GONE, name
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.letters")) is None


def test_a_wave_with_a_letter_missing_its_recipient_is_not_printed_in_part(
    db: Session, drawn: tuple[Round, LotteryWave], settings: Settings
) -> None:
    round, wave = drawn
    letter = db.scalars(select(LotteryLetter).where(LotteryLetter.wave_id == wave.id)).first()
    assert letter is not None
    letter.person_id = None
    db.flush()
    with pytest.raises(Conflict) as refused:
        printing.letters_csv(db, round, wave.number, settings, actor="test")
    assert refused.value.message == printing.LETTERS_GONE
