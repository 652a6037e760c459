"""The page of an import by the worker, in each of its states, as an organiser reads it.

The imports are written straight into the test's database as a worker leaves them; the
worker itself is in tests/organiser/test_import_jobs.py.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.organiser.conftest import EXAMPLE, LoggedIn
from vekl.errors import FieldError
from vekl.jobs import service as jobs
from vekl.registration import import_jobs
from vekl.settings import Settings
from vekl.store.models import (
    CsvImport,
    ImportKind,
    ImportStatus,
    ImportUpload,
    JobKind,
    Participant,
    Round,
)

ROUND = "/organiser/rounds/konstanz-mai"
REFRESH = 'http-equiv="refresh"'


def _import(db: Session, round: Round, **fields: Any) -> CsvImport:
    values: dict[str, Any] = {
        "round_id": round.id,
        "kind": ImportKind.REGISTRATIONS,
        "size": 120_000,
        "created_by": "organiser:team@konstanz.example",
        **fields,
    }
    imported = CsvImport(**values)
    db.add(imported)
    db.flush()
    jobs.enqueue(db, JobKind.IMPORT, import_id=imported.id)
    db.commit()
    return imported


def _page(team: LoggedIn, imported: CsvImport, lang: str = "de") -> str:
    response = team.client.get(f"{ROUND}/imports/{imported.id}?lang={lang}")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return str(response.text)


def _progress(html: str) -> tuple[str, str]:
    found = re.search(r'<progress id="progress" max="(\d+)" value="(\d+)">', html)
    assert found, html
    return found.group(1), found.group(2)


def test_a_queued_import_waits_for_the_worker(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    imported = _import(db, example_round)
    page = _page(team, imported)
    assert "Wartet darauf, dass der Hintergrundprozess diesen Import startet." in page
    assert REFRESH in page
    english = _page(team, imported, "en")
    assert "Waiting for the background worker to start this import." in english


def test_checking_and_importing_show_rows_done_of_the_total(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    checking = _import(
        db, example_round, status=ImportStatus.CHECKING, total_rows=70_000, rows_checked=24_000
    )
    page = _page(team, checking)
    assert "24000 von 70000 Zeilen geprüft" in page
    assert "gespeichert wird erst, wenn die ganze Datei stimmt" in page
    assert _progress(page) == ("70000", "24000")
    assert REFRESH in page

    importing = _import(
        db,
        example_round,
        status=ImportStatus.IMPORTING,
        total_rows=70_000,
        rows_checked=70_000,
        rows_done=35_500,
    )
    page = _page(team, importing)
    assert "35500 von 70000 Zeilen importiert" in page
    assert _progress(page) == ("70000", "35500")
    assert REFRESH in page
    assert "35500 of 70000 rows imported" in _page(team, importing, "en")
    state = team.client.get(f"{ROUND}/imports/{importing.id}/progress.json").json()
    assert state["status"] == "importing" and state["job"] == "queued"
    assert (state["rows_done"], state["total_rows"]) == (35_500, 70_000)

    # The import page lists both, with how far they got.
    listing = team.client.get(f"{ROUND}/import?lang=de").text
    assert "Letzte große Importe" in listing
    assert f"/imports/{checking.id}" in listing and f"/imports/{importing.id}" in listing
    assert "35500 / 70000" in listing and "importiert" in listing


def test_a_finished_import_shows_its_counts_and_what_it_skipped(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    skipped = FieldError(
        "email", "%(email)s registered online; left as is", 7, {"email": "ana@example.org"}
    )
    imported = _import(
        db,
        example_round,
        status=ImportStatus.DONE,
        total_rows=1200,
        rows_checked=1200,
        rows_done=1200,
        created=1199,
        skipped=[import_jobs.dump_error(skipped)],
    )
    page = _page(team, imported)
    assert "Anmeldungen: 1199 neu, 0 aktualisiert, 0 unverändert, 1 übersprungen." in page
    assert "Zeile 7, Spalte email: ana@example.org" in page
    assert REFRESH not in page and "<progress" not in page


def test_a_refused_import_lists_every_bad_row_in_the_pages_language(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    errors = [
        FieldError("languages", "unknown language code '%(value)s'", 5, {"value": "xx"}),
        FieldError("email", "same email as line %(other)s", 1100, {"other": 2}),
    ]
    imported = _import(
        db,
        example_round,
        status=ImportStatus.REFUSED,
        total_rows=1200,
        errors=[import_jobs.dump_error(e) for e in errors],
    )
    page = _page(team, imported)
    assert "Die Datei hat 2 Fehler, unten aufgeführt. Es wurde nichts importiert." in page
    assert "Zeile 5, Spalte languages: unbekanntes Sprachkürzel &#39;xx&#39;" in page
    assert "Zeile 1100, Spalte email: gleiche E-Mail-Adresse wie Zeile 2" in page
    assert REFRESH not in page
    english = _page(team, imported, "en")
    assert "line 5, column languages: unknown language code &#39;xx&#39;" in english
    assert "line 1100, column email: same email as line 2" in english
    assert "Zeile" not in english


def test_a_failed_import_says_how_far_it_got_and_how_to_finish_it(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    imported = _import(
        db,
        example_round,
        status=ImportStatus.FAILED,
        total_rows=1200,
        rows_done=500,
        error=import_jobs.WORKER_LOST,
    )
    page = _page(team, imported)
    assert "Der Import brach nach 500 von 1200 Zeilen ab (worker lost)." in page
    assert "Laden Sie dieselbe Datei erneut hoch" in page
    assert REFRESH not in page


def test_an_import_is_only_shown_in_its_round(
    team: LoggedIn, example_round: Round, db: Session
) -> None:
    imported = _import(db, example_round)
    other = Round(slug="anderswo", name="Anderswo")
    db.add(other)
    db.commit()
    missing = team.client.get(f"/organiser/rounds/anderswo/imports/{imported.id}")
    assert missing.status_code == 404
    assert f"kein Import {imported.id} in Runde &#39;anderswo&#39;" in missing.text


def test_a_large_upload_is_kept_and_queued_without_being_imported(
    team: LoggedIn, example_round: Round, db: Session, settings: Settings
) -> None:
    """Over the line limit the request stores the file and returns; the worker imports it."""
    settings.import_inline_rows = 10
    before = db.scalar(select(func.count()).select_from(Participant))
    lines = (EXAMPLE / "registrations.csv").read_text(encoding="utf-8").splitlines()
    response = team.post(
        f"{ROUND}/import/registrations",
        files={"file": ("people.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert response.status_code == 303, response.text
    found = re.search(r"/imports/(\d+)\?done=queued$", response.headers["location"])
    assert found, response.headers["location"]
    imported = db.get(CsvImport, int(found.group(1)))
    assert imported is not None and imported.status is ImportStatus.QUEUED
    upload = db.get(ImportUpload, imported.id)
    assert upload is not None and upload.content == "\n".join(lines).encode()
    assert db.scalar(select(func.count()).select_from(Participant)) == before
    page = team.client.get(response.headers["location"]).text
    assert "Die Datei liegt für den Hintergrundprozess bereit" in page
    # A header that names none of the required columns is no file of registrations: it is
    # refused at once, and nothing is kept. (Other header problems come from the worker,
    # with those of the rows, in one pass.)
    wrong = team.post(
        f"{ROUND}/import/registrations",
        files={"file": ("people.csv", ("nme;telefonnr\n" * 20).encode(), "text/csv")},
    )
    assert wrong.status_code == 422
    assert "Zeile 1, Spalte nme: unbekannte Spalte" in wrong.text
    assert db.scalar(select(func.count()).select_from(CsvImport)) == 1
