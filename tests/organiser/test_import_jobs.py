"""A large CSV upload as a job: queued by the request, checked and written by a worker.

Each test has a database of its own (a SQLite file, a fresh PostgreSQL database): the worker's
transactions must see what the request committed. The worker is the real loop, in a thread of
the test process; where a test needs the import to hold still between two batches, it waits
on an event in the batch function, after that batch's transaction has ended.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from tests.databases import fresh_database
from tests.dates import open_for_a_month
from tests.organiser.conftest import EMAIL, EXAMPLE, PASSWORD, csrf_of, login_token
from vekl.access import organisers
from vekl.jobs import service as jobs
from vekl.jobs.worker import Worker
from vekl.registration import csv_import, import_jobs
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import (
    AuditEntry,
    CsvImport,
    ImportStatus,
    ImportUpload,
    Job,
    JobStatus,
    Participant,
)

ROUND = "/organiser/rounds/konstanz-mai"
HEADER = "role;first_name;last_name;email;languages;series;consent;district"
ROWS = 1200
BATCH = 100


def people(count: int, bad: dict[int, str] | None = None) -> bytes:
    """A file of ``count`` citizens; ``bad`` replaces the row that ends on a given line."""
    lines = [HEADER] + [
        f"citizen;Vorname{i};Nachname{i};person{i}@example.org;de|en;mon|wed;ja;Egg"
        for i in range(count)
    ]
    for line, row in (bad or {}).items():
        lines[line - 1] = row
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Live:
    client: TestClient
    csrf: str
    sessions: sessionmaker[Session]
    settings: Settings

    def upload(self, raw: bytes, lang: str = "de") -> int:
        response = self.client.post(
            f"{ROUND}/import/registrations?lang={lang}",
            data={"csrf_token": self.csrf},
            files={"file": ("people.csv", raw, "text/csv")},
        )
        assert response.status_code == 303, response.text
        found = re.search(r"/imports/(\d+)\?done=queued$", response.headers["location"])
        assert found, response.headers["location"]
        return int(found.group(1))

    def imported(self, import_id: int) -> CsvImport:
        with transaction(self.sessions) as session:
            found = session.get_one(CsvImport, import_id)
            session.expunge(found)
            return found

    def job(self, import_id: int) -> Job:
        with transaction(self.sessions) as session:
            found = session.scalars(select(Job).where(Job.import_id == import_id)).one()
            session.expunge(found)
            return found

    def upload_kept(self, import_id: int) -> bool:
        with transaction(self.sessions) as session:
            return session.get(ImportUpload, import_id) is not None

    def people(self) -> int:
        with transaction(self.sessions) as session:
            return session.scalar(select(func.count()).select_from(Participant)) or 0

    def worker(self, name: str = "test-worker") -> Worker:
        return Worker(self.sessions, self.settings, name=name)


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    with fresh_database(request.param, tmp_path, "vekl_import") as url:
        settings = Settings(
            environment="test",
            database_url=url,
            secret_key="i" * 32,
            mail_dir=tmp_path / "mail",
            worker_poll_interval=0.1,
            worker_stale_after=30,
            import_inline_rows=100,
        )
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            spec = rounds.load_round_file(EXAMPLE / "round.toml")
            spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
            round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
            csv_import.import_moderators(
                session, round, (EXAMPLE / "moderators.csv").read_bytes(), "t"
            )
            organisers.create_user(session, EMAIL, PASSWORD, actor="test")
        with TestClient(create_app(settings), follow_redirects=False) as client:
            client.post(
                "/organiser/login",
                data={"email": EMAIL, "password": PASSWORD, "form_token": login_token(client)},
            )
            csrf = csrf_of(client.get("/organiser/").text)
            yield Live(client, csrf, sessions, settings)
        engine.dispose()


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dozen batches for a file of 1,200 rows, so that an import has a middle."""
    monkeypatch.setattr(import_jobs, "BATCH_ROWS", BATCH)


class Died(BaseException):
    """A worker process that ends on the spot: nothing after it runs."""


@dataclass
class Gate:
    """Holds the import after the batch that ends on row ``after``, until opened."""

    after: int
    reached: threading.Event
    opened: threading.Event


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    held = Gate(600, threading.Event(), threading.Event())
    write = import_jobs._write_batch

    def held_after(*args: Any) -> None:
        write(*args)
        start, rows = args[3], args[4]
        if start + len(rows) == held.after:
            held.reached.set()
            assert held.opened.wait(60), "the test never opened the gate"

    monkeypatch.setattr(import_jobs, "_write_batch", held_after)
    return held


@pytest.fixture
def worker(live: Live) -> Iterator[Worker]:
    """The worker loop in a thread, stopped (and waited for) at the end of the test."""
    loop = live.worker()
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    yield loop
    loop.stop()
    thread.join(timeout=60)
    assert not thread.is_alive()


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _ended(live: Live, import_id: int) -> bool:
    return live.imported(import_id).status not in import_jobs.ACTIVE


def _registration(email: str) -> dict[str, object]:
    return {
        "role": "newcomer",
        "first_name": "Olena",
        "last_name": "Melnyk",
        "email": email,
        "preferred_language": "uk",
        "languages": ["uk", "de"],
        "series": ["mon"],
        "origin": "UA",
        "consent": True,
    }


def test_a_large_file_is_imported_by_the_worker_while_the_site_answers(
    live: Live, worker: Worker, gate: Gate
) -> None:
    import_id = live.upload(people(ROWS))
    assert gate.reached.wait(120), "the import never got half way"

    # Half way: the job runs, the first batches are stored, the file is still kept.
    assert live.job(import_id).status is JobStatus.RUNNING
    imported = live.imported(import_id)
    assert (imported.status, imported.rows_done, imported.total_rows) == (
        ImportStatus.IMPORTING,
        600,
        ROWS,
    )
    assert live.people() == 600 and live.upload_kept(import_id)
    page = live.client.get(f"{ROUND}/imports/{import_id}?lang=de").text
    assert "600 von 1200 Zeilen importiert" in page and 'http-equiv="refresh"' in page
    state = live.client.get(f"{ROUND}/imports/{import_id}/progress.json").json()
    assert (state["status"], state["job"], state["rows_done"]) == ("importing", "running", 600)

    # Everyone else is answered meanwhile: a style sheet, the rounds, a registration of an
    # address that comes later in the file. Matching waits for the import.
    assert live.client.get("/static/organiser.css").status_code == 200
    assert live.client.get("/api/v1/rounds").status_code == 200
    registered = live.client.post(
        "/api/v1/rounds/konstanz-mai/registrations",
        json=_registration("person1100@example.org"),
    )
    assert registered.status_code == 202, registered.text
    matching = live.client.post(
        f"{ROUND}/matching?lang=de", data={"csrf_token": live.csrf, "time_limit": "5"}
    )
    assert matching.status_code == 409
    assert "in diese Runde wird gerade importiert (600 von 1200 Zeilen)" in matching.text
    assert live.job(import_id).status is JobStatus.RUNNING

    gate.opened.set()
    _wait_for(lambda: live.job(import_id).status is JobStatus.DONE, "the job to end")
    imported = live.imported(import_id)
    assert imported.status is ImportStatus.DONE
    # The address registered online meanwhile is left as it is, and said so.
    assert (imported.created, imported.rows_done, len(imported.skipped)) == (ROWS - 1, ROWS, 1)
    assert live.people() == ROWS
    assert not live.upload_kept(import_id)
    page = live.client.get(f"{ROUND}/imports/{import_id}?lang=de").text
    assert "Anmeldungen: 1199 neu, 0 aktualisiert, 0 unverändert, 1 übersprungen." in page
    assert "Zeile 1102, Spalte email: person1100@example.org" in page
    assert 'http-equiv="refresh"' not in page
    with transaction(live.sessions) as session:
        summary = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "registrations.import")
        ).one()
        assert summary.details["created"] == ROWS - 1 and summary.details["skipped"] == 1


def test_a_file_with_bad_rows_imports_nothing_and_names_every_one(
    live: Live, worker: Worker
) -> None:
    raw = people(
        ROWS,
        bad={
            5: "citizen;Vorname;Nachname;v5@example.org;de|xx;mon;ja;Egg",
            700: "citizen;Vorname;Nachname;kein-at-zeichen;de;mon;ja;Egg",
            1100: "citizen;Vorname;Nachname;person0@example.org;de;tue;ja;Egg",
        },
    )
    import_id = live.upload(raw)
    _wait_for(lambda: _ended(live, import_id), "the import to end")
    imported = live.imported(import_id)
    assert imported.status is ImportStatus.REFUSED
    assert (imported.rows_done, imported.created) == (0, 0)
    assert live.people() == 0
    assert not live.upload_kept(import_id)
    _wait_for(lambda: live.job(import_id).status is JobStatus.DONE, "the job to end")
    page = live.client.get(f"{ROUND}/imports/{import_id}?lang=de").text
    assert "Die Datei hat 4 Fehler, unten aufgeführt. Es wurde nichts importiert." in page
    assert "Zeile 5, Spalte languages: unbekanntes Sprachkürzel &#39;xx&#39;" in page
    assert "Zeile 700, Spalte email: keine gültige E-Mail-Adresse" in page
    assert "Zeile 1100, Spalte series: unbekannte Reihe &#39;tue&#39;" in page
    assert "Zeile 1100, Spalte email: gleiche E-Mail-Adresse wie Zeile 2" in page
    english = live.client.get(f"{ROUND}/imports/{import_id}?lang=en").text
    assert "line 5, column languages: unknown language code &#39;xx&#39;" in english
    assert "line 1100, column email: same email as line 2" in english


def _claim_as(live: Live, name: str) -> Job:
    with transaction(live.sessions) as session:
        job = jobs.claim(session, name, datetime.now(UTC))
        assert job is not None
        session.expunge(job)
        return job


def test_an_import_whose_worker_died_is_finished_by_the_next_one(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = live.upload(people(ROWS))
    job = _claim_as(live, "dead-worker")
    write = import_jobs._write_batch

    def dies_after_three(*args: Any) -> None:
        if args[3] == 3 * BATCH:
            raise Died()
        write(*args)

    monkeypatch.setattr(import_jobs, "_write_batch", dies_after_three)
    with pytest.raises(Died):
        import_jobs.execute(live.sessions, import_id)
    monkeypatch.setattr(import_jobs, "_write_batch", write)
    # What a dead worker leaves: three batches stored, the job running, the file kept.
    assert live.imported(import_id).rows_done == 3 * BATCH
    assert live.people() == 3 * BATCH and live.upload_kept(import_id)
    with transaction(live.sessions) as session:
        session.get_one(Job, job.id).heartbeat_at = datetime.now(UTC) - timedelta(hours=1)

    successor = live.worker("successor")
    reaped = successor.reap()
    assert reaped == [jobs.Reaped(job.id, None, import_id, requeued=True)]
    assert live.job(import_id).status is JobStatus.QUEUED
    assert successor.run_once()
    imported = live.imported(import_id)
    assert (imported.status, imported.rows_done, imported.created) == (
        ImportStatus.DONE,
        ROWS,
        ROWS,
    )
    assert live.people() == ROWS  # nobody twice
    assert not live.upload_kept(import_id)
    finished = live.job(import_id)
    assert (finished.status, finished.attempts, finished.worker) == (
        JobStatus.DONE,
        2,
        "successor",
    )


def test_an_import_that_keeps_failing_ends_failed_and_its_upload_goes(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = live.upload(people(ROWS))
    apply_rows = csv_import.apply_rows
    calls = [0]

    def breaks_after_two(*args: Any) -> csv_import.ImportResult:
        calls[0] += 1
        if calls[0] > 2:
            raise RuntimeError("the disk is full of person1000@example.org")
        return apply_rows(*args)

    monkeypatch.setattr(csv_import, "apply_rows", breaks_after_two)
    loop = live.worker()
    for attempt in range(1, jobs.MAX_ATTEMPTS):
        assert loop.run_once()
        # Queued again for the next try, from where it stopped.
        job = live.job(import_id)
        assert (job.status, job.attempts) == (JobStatus.QUEUED, attempt)
        assert live.imported(import_id).status is ImportStatus.IMPORTING
        assert live.upload_kept(import_id)
    assert loop.run_once()
    job = live.job(import_id)
    assert (job.status, job.error) == (JobStatus.FAILED, "RuntimeError")
    imported = live.imported(import_id)
    assert (imported.status, imported.rows_done, imported.error) == (
        ImportStatus.FAILED,
        2 * BATCH,
        "RuntimeError",
    )
    assert live.people() == 2 * BATCH
    assert not live.upload_kept(import_id)
    page = live.client.get(f"{ROUND}/imports/{import_id}?lang=de").text
    assert "Der Import brach nach 200 von 1200 Zeilen ab (RuntimeError)." in page
    assert "person1000" not in page


def test_a_stopping_worker_hands_the_import_back_and_the_next_goes_on(
    live: Live, gate: Gate
) -> None:
    loop = live.worker()
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    import_id = live.upload(people(ROWS))
    assert gate.reached.wait(120), "the import never got half way"
    loop.stop()
    gate.opened.set()
    thread.join(timeout=60)
    assert not thread.is_alive()
    job = live.job(import_id)
    # Handed back after the batch in hand, with its attempt given back.
    assert (job.status, job.attempts, job.worker) == (JobStatus.QUEUED, 0, None)
    imported = live.imported(import_id)
    assert (imported.status, imported.rows_done) == (ImportStatus.IMPORTING, 600)
    assert live.upload_kept(import_id)

    gate.after = -1
    assert live.worker("next").run_once()
    imported = live.imported(import_id)
    assert (imported.status, imported.created) == (ImportStatus.DONE, ROWS)
    assert live.people() == ROWS
    assert not live.upload_kept(import_id)


def test_an_import_whose_workers_keep_dying_ends_failed(live: Live) -> None:
    import_id = live.upload(people(ROWS))
    job = _claim_as(live, "dead-worker")
    with transaction(live.sessions) as session:
        stale = session.get_one(Job, job.id)
        stale.attempts = jobs.MAX_ATTEMPTS
        stale.heartbeat_at = datetime.now(UTC) - timedelta(hours=1)
    reaped = live.worker("reaper").reap()
    assert reaped == [jobs.Reaped(job.id, None, import_id)]
    assert live.job(import_id).status is JobStatus.FAILED
    imported = live.imported(import_id)
    assert (imported.status, imported.error) == (ImportStatus.FAILED, import_jobs.WORKER_LOST)
    assert not live.upload_kept(import_id)
