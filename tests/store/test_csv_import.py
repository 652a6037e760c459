from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vekl.errors import InvalidInput
from vekl.registration import csv_import
from vekl.registration import service as registrations
from vekl.store.models import ImportKind, Moderator, Participant, RegistrationStatus, Round

from .conftest import EXAMPLE

HEADER = "role;first_name;last_name;email;languages;series;consent;origin;district"


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Participant)) or 0


def test_the_example_file_imports_as_confirmed_registrations(
    db: Session, example_round: Round
) -> None:
    result = csv_import.import_registrations(
        db, example_round, (EXAMPLE / "registrations.csv").read_bytes(), "t"
    )
    assert result.created == 60
    statuses = set(db.scalars(select(Participant.status)))
    assert statuses == {RegistrationStatus.CONFIRMED}


def test_reimporting_the_same_file_creates_no_duplicates(db: Session, example_round: Round) -> None:
    raw = (EXAMPLE / "registrations.csv").read_bytes()
    csv_import.import_registrations(db, example_round, raw, "t")
    again = csv_import.import_registrations(db, example_round, raw, "t")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 60)
    assert _count(db) == 60
    mods = (EXAMPLE / "moderators.csv").read_bytes()
    csv_import.import_moderators(db, example_round, mods, "t")
    assert csv_import.import_moderators(db, example_round, mods, "t").unchanged == 8
    assert db.scalar(select(func.count()).select_from(Moderator)) == 8


def test_a_changed_row_updates_the_registration(db: Session, example_round: Round) -> None:
    row = "newcomer;Lina;Haddad;lina@example.org;ar|de;mon;ja;SY;Paradies"
    csv_import.import_registrations(db, example_round, f"{HEADER}\n{row}\n".encode(), "t")
    changed = row.replace("mon;", "mon|sat;")
    result = csv_import.import_registrations(
        db, example_round, f"{HEADER}\n{changed}\n".encode(), "t"
    )
    assert result.updated == 1
    person = db.scalars(select(Participant)).one()
    assert [s.key for s in person.series] == ["mon", "sat"]


def test_every_bad_row_is_reported_and_nothing_is_imported(
    db: Session, example_round: Round
) -> None:
    text = "\n".join(
        [
            HEADER,
            "citizen;Anna;Weber;anna@example.org;de;mon;ja;;Altstadt",
            "citizen;Ben;Kohl;ben@example.org;de|xx;mon;ja;;Altstadt",
            "newcomer;Omar;Haddad;not-an-email;ar;tue;ja;SY;Paradies",
            "visitor;Eva;Graf;eva@example.org;de;sat;nein;;Mars",
            "citizen;Anna;Weber;ANNA@example.org;de;mon;ja;;Altstadt",
        ]
    )
    with pytest.raises(InvalidInput) as info:
        csv_import.import_registrations(db, example_round, text.encode(), "t")
    messages = [str(e) for e in info.value.errors]
    assert "line 3, column languages: unknown language code 'xx'" in messages
    assert any(m.startswith("line 4, column email: not a valid email") for m in messages)
    assert any(m.startswith("line 4, column series: unknown series 'tue'") for m in messages)
    assert any(m.startswith("line 5, column role:") for m in messages)
    assert any(m.startswith("line 5, column consent:") for m in messages)
    assert any(m.startswith("line 5, column district: unknown district 'Mars'") for m in messages)
    assert "line 6, column email: same email as line 2" in messages
    assert _count(db) == 0


def test_comma_separated_with_byte_order_mark(db: Session, example_round: Round) -> None:
    text = (
        "\ufeffrole,first_name,last_name,email,languages,series,consent\n"
        'citizen,Jürgen,Müller,juergen@example.org,"de, en",mon,yes\n'
    )
    result = csv_import.import_registrations(db, example_round, text.encode("utf-8"), "t")
    assert result.created == 1
    person = db.scalars(select(Participant)).one()
    assert person.first_name == "Jürgen" and person.languages == ["de", "en"]


def test_header_problems_are_named(db: Session, example_round: Round) -> None:
    with pytest.raises(InvalidInput) as info:
        csv_import.import_registrations(db, example_round, b"role;first_name;shoe_size\n", "t")
    messages = [str(e) for e in info.value.errors]
    assert "line 1, column shoe_size: unknown column" in messages
    assert "line 1, column email: required column is missing" in messages


def test_a_windows_1252_file_with_german_headers_imports_with_its_umlauts(
    db: Session, example_round: Round
) -> None:
    """What Excel's "CSV (Trennzeichen-getrennt)" writes on a German Windows."""
    text = (
        "Rolle;Vorname;Nachname;E-Mail;Sprachen;Reihen;Einwilligung;Herkunftsland;Stadtteil\r\n"
        "citizen;Jürgen;Weiß;juergen@example.org;de;mon;ja;;Egg\r\n"
        "newcomer;Zoë;Günaydın-Öz;zoe@example.org;de|en;mon|sat;x;FR;Paradies\r\n"
    )
    with pytest.raises(UnicodeEncodeError):
        text.encode("cp1252")  # "ı" is not in Windows-1252: write the file without it
    raw = text.replace("ı", "i").encode("cp1252")
    assert b"\xfc" in raw  # ü as Windows-1252 writes it, not UTF-8's two bytes
    result = csv_import.import_registrations(db, example_round, raw, "t")
    assert result.created == 2
    names = {(p.first_name, p.last_name) for p in db.scalars(select(Participant))}
    assert names == {("Jürgen", "Weiß"), ("Zoë", "Günaydin-Öz")}


def test_problems_name_the_column_as_the_file_spells_it(db: Session, example_round: Round) -> None:
    text = (
        "Rolle,Vorname,Nachname,E-Mail,Sprachen,Reihen,Einwilligung\n"
        "Bürgerin,Anna,,anna@example.org,de,mon,ja\n"
    )
    with pytest.raises(InvalidInput) as info:
        csv_import.import_registrations(db, example_round, text.encode(), "t")
    assert [str(e) for e in info.value.errors] == ["line 2, column Nachname: is required"]


def test_files_in_neither_encoding_are_refused(db: Session, example_round: Round) -> None:
    # 0x81 is undefined in Windows-1252 and cannot start a UTF-8 character.
    raw = f"{HEADER}\ncitizen;J\x81rgen;M;j@example.org;de;mon;ja;;Egg\n".encode("latin-1")
    with pytest.raises(InvalidInput, match="line 2, column \\(file\\): neither UTF-8 nor"):
        csv_import.import_registrations(db, example_round, raw, "t")


def test_every_problem_of_a_file_is_reported_in_one_pass(db: Session, example_round: Round) -> None:
    """The header, short and long rows, bad cells and a repeated email (in a row that has
    other problems too) come back together, and nothing is written."""
    text = "\n".join(
        [
            "role;first_name;last_name;email;languages;series;consent;shoe_size",
            "citizen;Anna;Weber;anna@example.org;de;mon;ja;42",
            "citizen;Ben;Kohl;ben@example.org;de;mon;ja;43;extra",
            "citizen;Anna;;ANNA@example.org;xx;tue;ja;41",
            "newcomer;Omar;Haddad;omar@example.org;ar;mon;ja;40",
        ]
    )
    with pytest.raises(InvalidInput) as info:
        csv_import.import_registrations(db, example_round, text.encode(), "t")
    messages = [str(e) for e in info.value.errors]
    assert messages == [
        "line 1, column shoe_size: unknown column",
        "line 3, column (row): 9 cells but the header has 8",
        "line 4, column series: unknown series 'tue' (this round has: mon, wed, sat)",
        "line 4, column last_name: is required",
        "line 4, column languages: unknown language code 'xx'",
        "line 4, column email: same email as line 2",
    ]
    assert _count(db) == 0


def test_control_characters_are_refused(db: Session, example_round: Round) -> None:
    raw = f"{HEADER}\ncitizen;Anna\x07;W;a@example.org;de;mon;ja;;Egg\n".encode()
    with pytest.raises(InvalidInput, match=r"line 2, column first_name: .*control characters"):
        csv_import.import_registrations(db, example_round, raw, "t")


def test_a_whole_file_is_looked_up_and_written_a_chunk_at_a_time(
    db: Session, example_round: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lookup for 70,000 addresses would pass more values than a statement may carry
    (65,535 on PostgreSQL): the rows go in chunks, and the counts add up across them."""
    monkeypatch.setattr(csv_import, "APPLY_CHUNK", 7)
    looked_up: list[int] = []
    find = registrations.find_by_emails

    def counted(session: Session, round: Round, emails: list[str]) -> dict[str, Participant]:
        looked_up.append(len(emails))
        return find(session, round, emails)

    monkeypatch.setattr(registrations, "find_by_emails", counted)
    raw = (EXAMPLE / "registrations.csv").read_bytes()
    first = csv_import.import_registrations(db, example_round, raw, "t")
    assert (first.created, first.updated, first.unchanged) == (60, 0, 0)
    assert max(looked_up) == 7 and sum(looked_up) == 60
    again = csv_import.import_registrations(db, example_round, raw, "t")
    assert (again.created, again.unchanged) == (0, 60)
    assert _count(db) == 60


def test_a_large_upload_is_refused_at_once_only_when_it_is_no_file_of_its_kind() -> None:
    """Before a large file is queued, only what makes it unreadable stops it; its other
    header problems come from the worker with those of its rows, in one pass."""
    kind = ImportKind.REGISTRATIONS
    csv_import.check_header(b"Vorname;Nachname;Schuhgr\xf6\xdfe\n", kind)  # cp1252, queued
    with pytest.raises(InvalidInput) as info:
        csv_import.check_header(b"Artikel;Preis\n", kind)
    assert "line 1, column Artikel: unknown column" in [str(e) for e in info.value.errors]
    with pytest.raises(InvalidInput, match="neither UTF-8 nor"):
        csv_import.check_header(b"Vorname;\x81\n", kind)
