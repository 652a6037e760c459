"""A wave's letters as a job: the organiser queues it, a worker renders, the page follows.

The worker runs its steps in the test's transaction (each of its transactions a savepoint
of it), on SQLite and PostgreSQL; the wave has four letters.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.organiser.conftest import EMAIL, LoggedIn, log_in
from vekl.jobs.worker import Worker
from vekl.lottery import documents, letter_jobs
from vekl.lottery import service as lottery
from vekl.settings import Settings
from vekl.store.models import (
    AuditEntry,
    Job,
    JobKind,
    JobStatus,
    LetterPrint,
    LetterPrintFile,
    LetterPrintStatus,
    Lottery,
    Round,
)

NOW = datetime.now(UTC)
WAVE = "/organiser/rounds/{slug}/lottery/waves/1"


@pytest.fixture
def worker(db: Session, settings: Settings) -> Worker:
    # As ``make_sessionmaker`` makes them, in the test's transaction.
    sessions = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return Worker(sessions, settings, name="test-worker")


def _wave(round: Round) -> str:
    return WAVE.format(slug=round.slug)


def _prints(db: Session) -> list[LetterPrint]:
    db.expire_all()
    return list(db.scalars(select(LetterPrint).order_by(LetterPrint.id)))


def _files(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(LetterPrintFile)) or 0)


def _audited(db: Session) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "lottery.letters")))


def _queue(team: LoggedIn, round: Round) -> None:
    response = team.post(f"{_wave(round)}/letters")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{_wave(round)}/letters?done=queued"


@pytest.fixture
def no_rendering(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Any laying out of letters fails the test (and is counted)."""
    calls: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> bytes:
        calls.append(args)
        raise AssertionError("letters were rendered in the request")

    monkeypatch.setattr(documents, "letters_pdf", refuse)
    monkeypatch.setattr(documents, "render_pdf", refuse)
    yield calls


def test_the_letters_page_and_its_button_need_an_organiser_and_the_forms_token(
    client: TestClient, team: LoggedIn, db: Session, drawn: Round
) -> None:
    path = f"{_wave(drawn)}/letters"
    client.cookies.clear()
    assert client.get(path).status_code == 303
    refused = client.post(path, data={"csrf_token": team.csrf})
    assert refused.status_code in (303, 403)
    team.csrf = log_in(client)
    assert client.post(path).status_code == 403
    assert client.post(path, data={"csrf_token": "forged"}).status_code == 403
    assert _prints(db) == []
    assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_queueing_returns_at_once_and_renders_nothing(
    team: LoggedIn, db: Session, drawn: Round, no_rendering: list[Any]
) -> None:
    page = team.client.get(f"{_wave(drawn)}/letters")
    assert page.status_code == 200
    assert "Briefe erzeugen" in page.text
    assert 'http-equiv="refresh"' not in page.text

    _queue(team, drawn)
    _queue(team, drawn)  # clicking again while it waits shows the waiting one
    prints = _prints(db)
    assert [(p.status, p.letters, p.created_by) for p in prints] == [
        (LetterPrintStatus.QUEUED, 4, f"organiser:{EMAIL}")
    ]
    queued = list(db.scalars(select(Job)))
    assert [(j.kind, j.status, j.letter_print_id) for j in queued] == [
        (JobKind.LETTERS, JobStatus.QUEUED, prints[0].id)
    ]
    page = team.client.get(f"{_wave(drawn)}/letters?done=queued")
    assert "Die Briefe werden im Hintergrund erzeugt." in page.text
    assert "Wartet darauf, dass der Hintergrundprozess mit den Briefen beginnt." in page.text
    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert "Briefe erzeugen" not in page.text
    # The old address of the file leads to the page while nothing is ready.
    pdf = team.client.get(f"{_wave(drawn)}/letters.pdf")
    assert pdf.status_code == 303
    assert pdf.headers["location"] == f"{_wave(drawn)}/letters"
    assert no_rendering == []
    assert _audited(db) == []


def test_the_worker_renders_and_the_organiser_downloads(
    team: LoggedIn, db: Session, drawn: Round, worker: Worker
) -> None:
    _queue(team, drawn)
    assert worker.run_once() is True
    (done,) = _prints(db)
    assert done.status is LetterPrintStatus.DONE
    assert done.letters_done == 4
    assert done.expires_at is not None
    assert db.scalar(select(Job.status)) is JobStatus.DONE
    assert _files(db) == 1
    assert _audited(db) == []  # rendering is not a download

    page = team.client.get(f"{_wave(drawn)}/letters")
    assert 'http-equiv="refresh"' not in page.text
    assert "Die Briefe sind fertig: 4 Briefe" in page.text
    assert f'href="{_wave(drawn)}/letters.pdf"' in page.text
    assert "Briefe erzeugen" in page.text

    for _ in range(2):
        pdf = team.client.get(f"{_wave(drawn)}/letters.pdf")
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["cache-control"] == "no-store"
        assert 'filename="konstanz-mai-welle-1-briefe.pdf"' in pdf.headers["content-disposition"]
        assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2 * 4
    entries = _audited(db)
    assert [(e.actor, e.details["wave"], e.details["format"]) for e in entries] == [
        (f"organiser:{EMAIL}", 1, "pdf")
    ] * 2

    # Rendering again replaces the file: one PDF of a wave at a time.
    _queue(team, drawn)
    assert worker.run_once() is True
    assert [p.status for p in _prints(db)] == [LetterPrintStatus.DONE] * 2
    assert _files(db) == 1


def test_deleting_the_extract_deletes_the_letters_and_refuses_them(
    team: LoggedIn, db: Session, drawn: Round, worker: Worker
) -> None:
    _queue(team, drawn)
    worker.run_once()
    assert _files(db) == 1
    lottery.delete_extract(db, drawn, actor="test", now=NOW)
    db.commit()
    assert _files(db) == 0
    pdf = team.client.get(f"{_wave(drawn)}/letters.pdf")
    assert pdf.status_code == 409
    assert "können nicht mehr gedruckt werden" in pdf.text
    page = team.client.get(f"{_wave(drawn)}/letters")
    assert "Der Melderegisterauszug wurde gelöscht" in page.text
    assert "Briefe erzeugen" not in page.text
    again = team.post(f"{_wave(drawn)}/letters")
    assert again.status_code == 409
    assert len(_prints(db)) == 1
    assert _audited(db) == []


def test_a_rendering_whose_extract_goes_first_stores_nothing(
    team: LoggedIn, db: Session, drawn: Round, worker: Worker
) -> None:
    _queue(team, drawn)
    lottery.delete_extract(db, drawn, actor="test", now=NOW)
    db.commit()
    worker.run_once()
    (failed,) = _prints(db)
    assert (failed.status, failed.error) == (LetterPrintStatus.FAILED, "extract deleted")
    assert _files(db) == 0


def _delete_extract(session: Session, round_id: int) -> None:
    lottery.delete_extract(session, session.get_one(Round, round_id), actor="test", now=NOW)


def _stamp_deleted(session: Session, round_id: int) -> None:
    """Only the lottery's record of the deletion: the print and the people are untouched,
    so the worker's own look at the lottery is what refuses the letters."""
    found = session.scalars(select(Lottery).where(Lottery.round_id == round_id)).one()
    found.extract_deleted_at = NOW


@pytest.mark.parametrize("deletion", [_delete_extract, _stamp_deleted])
def test_an_extract_deleted_while_rendering_leaves_no_file(
    team: LoggedIn,
    db: Session,
    drawn: Round,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    deletion: Callable[[Session, int], None],
) -> None:
    real = documents.letters_pdf

    def delete_midway(*args: Any, **kwargs: Any) -> bytes:
        with worker.sessions.begin() as other:
            deletion(other, drawn.id)
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "letters_pdf", delete_midway)
    _queue(team, drawn)
    worker.run_once()
    (failed,) = _prints(db)
    assert (failed.status, failed.error) == (LetterPrintStatus.FAILED, "extract deleted")
    assert _files(db) == 0


def test_an_error_fails_the_letters_without_quoting_it(
    team: LoggedIn,
    db: Session,
    drawn: Round,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    quoted: list[str] = []

    def broken(frame: Any, pages: list[documents.LetterPage], *args: Any, **kw: Any) -> bytes:
        # An error whose message quotes a letter's address and code, as a library's might.
        quoted.extend([*pages[0].address, pages[0].code])
        raise RuntimeError(", ".join(quoted))

    monkeypatch.setattr(documents, "letters_pdf", broken)
    _queue(team, drawn)
    with caplog.at_level(logging.DEBUG):
        worker.run_once()
    assert "letters" in caplog.text and "RuntimeError" in caplog.text
    assert quoted and not any(part in caplog.text for part in quoted)
    (failed,) = _prints(db)
    assert (failed.status, failed.error) == (LetterPrintStatus.FAILED, "RuntimeError")
    assert db.scalar(select(Job.status)) is JobStatus.FAILED
    page = team.client.get(f"{_wave(drawn)}/letters")
    assert "Die Briefe konnten nicht erzeugt werden (RuntimeError)." in page.text
    assert "Briefe erzeugen" in page.text


def test_the_letters_go_after_their_time_by_the_worker_and_by_purge(
    team: LoggedIn, db: Session, drawn: Round, worker: Worker, settings: Settings
) -> None:
    _queue(team, drawn)
    worker.run_once()
    (done,) = _prints(db)
    assert done.expires_at is not None
    keep = timedelta(minutes=settings.lottery_letters_keep_minutes)
    assert letter_jobs.forget_expired(db, datetime.now(UTC)) == 0
    # Past its time the file is no longer handed out, even before it is deleted.
    later = datetime.now(UTC) + keep + timedelta(minutes=1)
    assert letter_jobs.download_letters(db, drawn.slug, 1, actor="test", now=later) is None
    lottery.purge_due(db, actor="test", now=later, exclusion_years=3)
    assert _files(db) == 0

    _queue(team, drawn)
    worker.run_once()
    assert _files(db) == 1
    db.execute(update(LetterPrint).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()
    worker.reap()
    assert _files(db) == 0
    page = team.client.get(f"{_wave(drawn)}/letters")
    assert "nach Ablauf ihrer Frist gelöscht" in page.text
    assert team.client.get(f"{_wave(drawn)}/letters.pdf").status_code == 303


def test_a_stopping_worker_hands_the_letters_back(
    team: LoggedIn, db: Session, drawn: Round, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "LETTERS_PER_CHUNK", 2)
    real = documents.letters_pdf

    def stop_after_a_chunk(*args: Any, **kwargs: Any) -> bytes:
        worker.stop()
        return real(*args, chunk=2, **{k: v for k, v in kwargs.items() if k != "chunk"})

    monkeypatch.setattr(documents, "letters_pdf", stop_after_a_chunk)
    _queue(team, drawn)
    worker.run_once()
    (back,) = _prints(db)
    assert (back.status, back.letters_done) == (LetterPrintStatus.QUEUED, 0)
    job = db.scalar(select(Job))
    assert job is not None
    assert (job.status, job.worker) == (JobStatus.QUEUED, None)
    assert _files(db) == 0


def test_the_rounds_purge_deletes_the_letters_at_once(
    team: LoggedIn, db: Session, drawn: Round, worker: Worker
) -> None:
    _queue(team, drawn)
    worker.run_once()
    assert _files(db) == 1
    # What the round's purge (and ``vekl purge`` at the extract's deadline) does with the
    # extract, within the PDF's own hour.
    assert lottery.delete_if_present(db, drawn, actor="test", now=NOW) > 0
    assert _files(db) == 0
