"""The lottery's downloads and the letter's wording on the organiser pages.

Letters, the print shop's list and the protocol need a logged-in organiser; letters are
refused in German once the extract is deleted, and every download of letters is audited.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.organiser.conftest import EMAIL, LoggedIn
from vekl.lottery import letters as printing
from vekl.lottery import service as lottery
from vekl.store.models import AuditEntry, Round

NOW = datetime.now(UTC)
BASE = "/organiser/rounds/{slug}/lottery"


def _downloads(round: Round) -> list[str]:
    base = BASE.format(slug=round.slug)
    return [
        f"{base}/waves/1/letters.pdf",
        f"{base}/waves/1/letters.csv",
        f"{base}/waves/1/protocol.pdf",
    ]


def _audited(db: Session) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry).where(AuditEntry.action == "lottery.letters").order_by(AuditEntry.id)
        )
    )


def test_the_files_need_a_logged_in_organiser(
    client: TestClient, db: Session, drawn: Round
) -> None:
    for path in _downloads(drawn):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/organiser/login?next=")
    assert _audited(db) == []


def test_an_organiser_downloads_letters_list_and_protocol(
    team: LoggedIn, db: Session, drawn: Round
) -> None:
    pdf, listing, protocol = (team.client.get(path) for path in _downloads(drawn))
    # The letters are rendered by the worker (tests/organiser/test_letter_jobs.py): until
    # then their address leads to the page that prepares them.
    assert pdf.status_code == 303, pdf.text
    assert pdf.headers["location"].endswith("/waves/1/letters")
    assert listing.status_code == 200
    assert listing.headers["content-type"].startswith("text/csv")
    assert listing.content.startswith(b"\xef\xbb\xbfNr;Adresszeile 1")
    assert len(listing.content.decode("utf-8-sig").strip().split("\r\n")) == 1 + 4
    assert protocol.status_code == 200
    assert (
        "Protokoll der Auslosung" in PdfReader(io.BytesIO(protocol.content)).pages[0].extract_text()
    )
    entries = _audited(db)
    assert [(e.actor, e.details["wave"], e.details["format"]) for e in entries] == [
        (f"organiser:{EMAIL}", 1, "csv"),
    ]
    assert all(e.round_id == drawn.id for e in entries)


def test_after_deletion_letters_are_refused_in_german(
    team: LoggedIn, db: Session, drawn: Round
) -> None:
    lottery.delete_extract(db, drawn, actor="test", now=NOW)
    db.commit()
    pdf_path, csv_path, protocol_path = _downloads(drawn)
    for path in (pdf_path, csv_path):
        response = team.client.get(path)
        assert response.status_code == 409, response.text
        assert "können nicht mehr gedruckt werden" in response.text
        assert "Melderegisterauszug" in response.text
    assert team.client.get(protocol_path).status_code == 200
    assert _audited(db) == []


def test_an_unknown_wave_is_not_found(team: LoggedIn, drawn: Round) -> None:
    response = team.client.get(f"{BASE.format(slug=drawn.slug)}/waves/2/letters.pdf")
    assert response.status_code == 404


def test_the_letter_page_edits_previews_and_resets_the_wording(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    path = f"{BASE.format(slug=example_round.slug)}/letter"
    page = team.client.get(path)
    assert page.status_code == 200
    assert "Sie wurden aus dem Melderegister" in page.text
    assert "Diese Runde hat den vorgegebenen Wortlaut." in page.text

    typed = {"body": "liebe <Nachbarin>,\n\nkommen Sie!", "signature": "Anna Beispiel"}
    preview = team.post(path, {**typed, "action": "preview"})
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "application/pdf"
    front = PdfReader(io.BytesIO(preview.content)).pages[0].extract_text()
    assert "liebe <Nachbarin>," in front and "Musterbrief" in front
    assert not printing.letter_text(db, example_round).custom

    saved = team.post(path, {**typed, "action": "save"})
    assert saved.status_code == 303
    assert printing.letter_text(db, example_round).body == "liebe <Nachbarin>,\n\nkommen Sie!"
    shown = team.client.get(saved.headers["location"])
    assert "Der Wortlaut des Briefes wurde gespeichert." in shown.text
    assert "liebe &lt;Nachbarin&gt;," in shown.text

    sample = team.client.get(f"{path}/sample.pdf")
    assert sample.status_code == 200
    assert "kommen Sie!" in PdfReader(io.BytesIO(sample.content)).pages[0].extract_text()

    reset = team.post(path, {"action": "default"})
    assert reset.status_code == 303
    assert not printing.letter_text(db, example_round).custom


def test_a_bad_wording_is_shown_again_with_its_problem(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    path = f"{BASE.format(slug=example_round.slug)}/letter"
    response = team.post(path, {"body": "x" * 2001, "signature": "Team", "action": "save"})
    assert response.status_code == 422
    assert "höchstens 2000 Zeichen" in response.text
    assert 'aria-invalid="true"' in response.text
    assert not printing.letter_text(db, example_round).custom


def test_changing_the_wording_needs_the_forms_token(
    team: LoggedIn, db: Session, example_round: Round
) -> None:
    path = f"{BASE.format(slug=example_round.slug)}/letter"
    response = team.client.post(path, data={"body": "Text", "signature": "Team"})
    assert response.status_code == 403
    assert not printing.letter_text(db, example_round).custom
