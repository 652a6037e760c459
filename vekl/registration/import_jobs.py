"""Large CSV imports as jobs: the upload is stored and queued, a worker checks and writes it.

:func:`submit` runs in the organiser's request: it checks what is quick (UTF-8, the
header), keeps the file's bytes in ``import_uploads`` and queues an import job, all in the
request's transaction. A worker then runs :func:`execute`:

1. Every row is checked, with no transaction open (only the round's series are read
   first). A file with any bad row ends as ``refused`` with every problem listed, and
   nothing is written.
2. The checked rows are written ``BATCH_ROWS`` at a time, each batch in a transaction of
   its own that also moves the import's ``rows_done`` and counts on. A batch is claimed by a
   conditional update of ``rows_done``, so it is written once even if two workers ever hold
   the same import. On SQLite a batch holds the database's one write lock for a fraction
   of a second, and every request's transaction takes that lock when it begins. A
   connection waiting for it tries again only every 100 ms once it has waited a while, so a
   worker that began its next batch at once would win the lock every time and keep the
   site waiting until the whole file is in: after each batch it leaves the lock free for
   ``SQLITE_PAUSE``, in which the requests that queued up get their turn.
3. The last transaction marks the import done, writes the audit entry and deletes the
   upload.

A worker that stops (SIGTERM) hands the job back after the batch in hand; a worker that
dies, or an error, gives the job to the next worker (``jobs.RESUMABLE``), which checks the
file again and goes on after the last stored batch: an import ends complete, not halfway.
Only after ``jobs.MAX_ATTEMPTS`` does it end as ``failed``, with the rows stored so far
kept and said on its page (importing the same file again adds the rest, since rows are
matched by email). Once an import has ended, however it ended, its upload is deleted in the
same transaction. While an import of a round is under way, matching that round is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from vekl.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from vekl.jobs import service as jobs
from vekl.registration import csv_import
from vekl.registration.service import RegistrationInProgress
from vekl.rounds.service import series_by_key
from vekl.store.db import transaction
from vekl.store.models import (
    CsvImport,
    ImportKind,
    ImportStatus,
    ImportUpload,
    Job,
    JobKind,
    Round,
)

BATCH_ROWS = 500
# Seconds between two batches on SQLite: longer than a waiting connection's 100 ms between
# two tries for the write lock (SQLite's busy handler), so that each waiting request gets in.
SQLITE_PAUSE = 0.15
# Checking writes how far it got at most this often (seconds).
PROGRESS_INTERVAL = 1.0
# A batch that met a registration of one of its addresses in progress is tried again.
BATCH_TRIES = 3
KEEP_FINISHED = timedelta(days=7)
ACTIVE = (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.IMPORTING)
# Why an import failed, for its page; no personal data.
WORKER_LOST = "worker lost"
UPLOAD_GONE = "upload missing"
ROUND_PURGED = "round purged"

StopSignal = Callable[[], bool]


class ImportInterrupted(Exception):
    """The worker is stopping; the import goes on where it stopped with the next one."""


class ImportTakenOver(Exception):
    """The import moved on without this worker (another worker has it, or it ended)."""


class ImportUnderWay(Conflict):
    def __init__(self, imported: CsvImport) -> None:
        super().__init__(
            N_(
                "an import into this round is under way (%(done)s of %(total)s rows); "
                "start matching when it has finished"
            ),
            done=imported.rows_done,
            total=imported.total_rows if imported.total_rows is not None else "?",
        )


@dataclass(frozen=True)
class ImportView:
    """An import and its job, as its page and its progress show it."""

    imported: CsvImport
    job: Job | None

    @property
    def active(self) -> bool:
        return self.imported.status in ACTIVE

    @property
    def errors(self) -> list[FieldError]:
        return [load_error(item) for item in self.imported.errors]

    @property
    def skipped(self) -> list[FieldError]:
        return [load_error(item) for item in self.imported.skipped]


def dump_error(error: FieldError) -> dict[str, Any]:
    """A field error as the JSON an import keeps: message id, values, line and column."""
    return {
        "field": error.field,
        "message": error.message,
        "line": error.line,
        "params": {key: value for key, value in error.params.items()},
    }


def load_error(item: dict[str, Any]) -> FieldError:
    return FieldError(
        str(item.get("field", "")),
        str(item.get("message", "")),
        item.get("line"),
        dict(item.get("params") or {}),
    )


def _now() -> datetime:
    return datetime.now(UTC)


# -- in the request -------------------------------------------------------------------------


def submit(session: Session, round: Round, kind: ImportKind, raw: bytes, actor: str) -> CsvImport:
    """Keep the upload and queue its import; a worker takes it once this transaction commits.

    Refuses at once what needs no more than a glance: text in neither UTF-8 nor
    Windows-1252, a header without any of the required columns. The worker reports every
    other problem of the file, the header's with the rows', in one pass.
    """
    if round.purged_at is not None:
        raise Conflict(N_("round '%(round)s' was purged"), round=round.slug)
    csv_import.check_header(raw, kind)
    imported = CsvImport(round_id=round.id, kind=kind, size=len(raw), created_by=actor)
    session.add(imported)
    session.flush()
    session.add(ImportUpload(import_id=imported.id, content=raw))
    jobs.enqueue(session, JobKind.IMPORT, import_id=imported.id)
    session.flush()
    return imported


def get_import(session: Session, round: Round, import_id: int) -> ImportView:
    imported = session.get(CsvImport, import_id)
    if imported is None or imported.round_id != round.id:
        raise NotFound(N_("no import %(id)s in round '%(round)s'"), id=import_id, round=round.slug)
    job = session.scalar(select(Job).where(Job.import_id == imported.id))
    return ImportView(imported, job)


def recent_imports(session: Session, round: Round, limit: int = 10) -> list[CsvImport]:
    return list(
        session.scalars(
            select(CsvImport)
            .where(CsvImport.round_id == round.id)
            .order_by(CsvImport.id.desc())
            .limit(limit)
        )
    )


def active_import(session: Session, round: Round) -> CsvImport | None:
    return session.scalar(
        select(CsvImport)
        .where(CsvImport.round_id == round.id, CsvImport.status.in_(ACTIVE))
        .order_by(CsvImport.id)
        .limit(1)
    )


def refuse_while_importing(session: Session, round: Round) -> None:
    """Matching waits for an import of the round: it would see only part of the file."""
    under_way = active_import(session, round)
    if under_way is not None:
        raise ImportUnderWay(under_way)


def progress(view: ImportView) -> dict[str, Any]:
    """An import's state as data, for pages that poll."""
    imported = view.imported
    return {
        "import": imported.id,
        "kind": imported.kind.value,
        "status": imported.status.value,
        "job": view.job.status.value if view.job is not None else None,
        "total_rows": imported.total_rows,
        "rows_checked": imported.rows_checked,
        "rows_done": imported.rows_done,
        "created": imported.created,
        "updated": imported.updated,
        "unchanged": imported.unchanged,
        "skipped": len(imported.skipped),
        "errors": len(imported.errors),
    }


# -- in the worker --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Work:
    raw: bytes
    kind: ImportKind
    round_id: int
    series: list[str]
    rows_done: int
    actor: str
    # How long to leave the write lock free after a batch (SQLite only).
    pause: float


def execute(
    sessions: sessionmaker[Session], import_id: int, *, stop: StopSignal | None = None
) -> ImportStatus:
    """Check and write an import, from where it stopped; returns how it ended.

    Raises :class:`ImportInterrupted` when ``stop`` says so between two batches, and
    :class:`ImportTakenOver` when the import moved on without this call.
    """
    work = _start(sessions, import_id)
    if work is None:
        return _status(sessions, import_id)
    try:
        checked = csv_import.check_file(
            work.raw,
            work.kind,
            work.series,
            on_rows=lambda total: _counted(sessions, import_id, total),
            on_progress=_checking_progress(sessions, import_id),
        )
    except InvalidInput as exc:
        with transaction(sessions) as session:
            _end(
                session,
                import_id,
                ImportStatus.REFUSED,
                errors=[dump_error(error) for error in exc.errors],
            )
        return ImportStatus.REFUSED
    with transaction(sessions) as session:
        session.execute(
            update(CsvImport)
            .where(CsvImport.id == import_id, CsvImport.status.in_(ACTIVE))
            .values(status=ImportStatus.IMPORTING, rows_checked=len(checked))
        )
    for start in range(work.rows_done, len(checked), BATCH_ROWS):
        if stop is not None and stop():
            raise ImportInterrupted(f"import {import_id} stopped after {start} rows")
        _write_batch(sessions, import_id, work, start, checked[start : start + BATCH_ROWS])
        if work.pause:
            time.sleep(work.pause)
    with transaction(sessions) as session:
        imported = session.get_one(CsvImport, import_id)
        if imported.status is not ImportStatus.IMPORTING or imported.rows_done < len(checked):
            raise ImportTakenOver(f"import {import_id} ended without this worker")
        round = session.get_one(Round, work.round_id)
        result = csv_import.ImportResult(
            created=imported.created,
            updated=imported.updated,
            unchanged=imported.unchanged,
            skipped=[load_error(item) for item in imported.skipped],
        )
        csv_import.record_import(session, round, work.kind, result, work.actor)
        _end(session, import_id, ImportStatus.DONE)
    return ImportStatus.DONE


def _status(sessions: sessionmaker[Session], import_id: int) -> ImportStatus:
    with transaction(sessions) as session:
        imported = session.get(CsvImport, import_id)
        return imported.status if imported is not None else ImportStatus.FAILED


def _start(sessions: sessionmaker[Session], import_id: int) -> _Work | None:
    """What the worker needs, read in one short transaction; None if there is nothing to do."""
    with transaction(sessions) as session:
        imported = session.get(CsvImport, import_id)
        if imported is None or imported.status not in ACTIVE:
            return None
        upload = session.get(ImportUpload, import_id)
        round = session.get_one(Round, imported.round_id)
        if upload is None or round.purged_at is not None:
            _end(
                session,
                import_id,
                ImportStatus.FAILED,
                error=UPLOAD_GONE if upload is None else ROUND_PURGED,
            )
            return None
        if imported.status is ImportStatus.QUEUED:
            imported.status = ImportStatus.CHECKING
            imported.started_at = _now()
        return _Work(
            raw=upload.content,
            kind=imported.kind,
            round_id=round.id,
            series=list(series_by_key(round)),
            rows_done=imported.rows_done,
            actor=imported.created_by,
            pause=SQLITE_PAUSE if session.get_bind().dialect.name == "sqlite" else 0.0,
        )


def _counted(sessions: sessionmaker[Session], import_id: int, total: int) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(CsvImport)
            .where(CsvImport.id == import_id, CsvImport.status.in_(ACTIVE))
            .values(total_rows=total)
        )


def _checking_progress(sessions: sessionmaker[Session], import_id: int) -> Callable[[int], None]:
    last = [time.monotonic()]

    def checked(rows: int) -> None:
        if time.monotonic() - last[0] < PROGRESS_INTERVAL:
            return
        last[0] = time.monotonic()
        with transaction(sessions) as session:
            session.execute(
                update(CsvImport)
                .where(CsvImport.id == import_id, CsvImport.status == ImportStatus.CHECKING)
                .values(rows_checked=rows)
            )

    return checked


def _write_batch(
    sessions: sessionmaker[Session],
    import_id: int,
    work: _Work,
    start: int,
    rows: csv_import.Checked,
) -> None:
    """One batch and the import's progress, in one transaction."""
    for attempt in range(1, BATCH_TRIES + 1):
        try:
            with transaction(sessions) as session:
                _write(session, import_id, work, start, rows)
            return
        except RegistrationInProgress:
            # Someone registers one of these addresses right now; their request ends soon.
            if attempt == BATCH_TRIES:
                raise
            time.sleep(0.5 * attempt)


def _write(
    session: Session, import_id: int, work: _Work, start: int, rows: csv_import.Checked
) -> None:
    # Claiming the batch first takes the import's row lock (PostgreSQL) or the write lock
    # (SQLite): a second worker on the same import waits here, then finds it claimed.
    claimed = session.execute(
        update(CsvImport)
        .where(
            CsvImport.id == import_id,
            CsvImport.status == ImportStatus.IMPORTING,
            CsvImport.rows_done == start,
        )
        .values(rows_done=start + len(rows))
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise ImportTakenOver(f"rows {start}+ of import {import_id} are not this worker's")
    round = session.get_one(Round, work.round_id)
    if round.purged_at is not None:
        raise Conflict(N_("round '%(round)s' was purged"), round=round.slug)
    result = csv_import.apply_rows(session, round, work.kind, rows, work.actor)
    imported = session.get_one(CsvImport, import_id, populate_existing=True)
    imported.created += result.created
    imported.updated += result.updated
    imported.unchanged += result.unchanged
    if result.skipped:
        imported.skipped = [*imported.skipped, *(dump_error(e) for e in result.skipped)]
    session.flush()


def _end(
    session: Session,
    import_id: int,
    status: ImportStatus,
    *,
    errors: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> bool:
    """The import ends (if it had not) and its upload goes, in the caller's transaction."""
    values: dict[str, Any] = {"status": status, "finished_at": _now()}
    if errors is not None:
        values["errors"] = errors
    if error is not None:
        values["error"] = error[:200]
    ended = session.execute(
        update(CsvImport)
        .where(CsvImport.id == import_id, CsvImport.status.in_(ACTIVE))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(ImportUpload).where(ImportUpload.import_id == import_id))
    return getattr(ended, "rowcount", 0) == 1


def abandon(session: Session, import_id: int, error: str) -> bool:
    """An import whose job failed for good: what was stored stays, the upload goes."""
    return _end(session, import_id, ImportStatus.FAILED, error=error)


def forget_finished(session: Session, now: datetime) -> int:
    """Imports that ended a week ago go, with what their pages quoted from the files."""
    gone = session.execute(
        delete(CsvImport)
        .where(CsvImport.status.not_in(ACTIVE), CsvImport.finished_at <= now - KEEP_FINISHED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(gone, "rowcount", 0) or 0)
