"""A wave's letters as a job: queued from the organiser's page, rendered by the worker.

Rendering 1,500 letters takes a minute or two of CPU, longer than a reverse proxy waits
for a request. :func:`request_letters` runs in the organiser's request: it queues a print
and its job (or finds the one of the wave that is still under way) and returns at once. A
worker then runs :func:`execute`:

1. One short transaction reads the wave's addresses and codes and the letter's wording,
   and marks the print as rendering.
2. The letters are laid out with no transaction open; after each chunk a short
   transaction moves ``letters_done`` on, so the page can say how far it got.
3. The last transaction stores the PDF in ``letter_print_files`` with the time it
   expires (``VEKL_LOTTERY_LETTERS_KEEP_MINUTES``), unless the extract was deleted in the
   meantime, and deletes the wave's earlier PDFs.

The PDF holds names, addresses and codes: it is never logged, every download is in the
audit log (as before), and it is deleted when it expires (by the worker and by ``vekl
purge``), when the register extract is deleted (:func:`forget_lottery`) and with the
round. Why a stored file, and why for a short time: ``docs/adr/0025-letters-as-a-job.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from vekl.audit import records as audit
from vekl.errors import Conflict
from vekl.jobs import service as jobs
from vekl.lottery import documents
from vekl.lottery import letters as printing
from vekl.lottery.documents import LetterFrame, LetterPage
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.db import transaction
from vekl.store.models import (
    Job,
    JobKind,
    LetterPrint,
    LetterPrintFile,
    LetterPrintStatus,
    Lottery,
    LotteryWave,
    Round,
)

ACTIVE = (LetterPrintStatus.QUEUED, LetterPrintStatus.RENDERING)
# Prints that ended (they name no person; their PDFs are gone by then) are forgotten after
# a week, like imports.
KEEP_FINISHED = timedelta(days=7)
# Why a print failed, for its page; no personal data.
EXTRACT_DELETED = "extract deleted"
TOO_LONG = "letter too long"
WORKER_LOST = "worker lost"

StopSignal = Callable[[], bool]


class LettersInterrupted(Exception):
    """The worker is stopping; the next one renders the letters again from the start."""


@dataclass(frozen=True)
class LettersView:
    """A wave's letters as the organiser's page shows them: the latest print, if any."""

    round: Round
    wave: LotteryWave
    extract_deleted: bool
    latest: LetterPrint | None
    job: Job | None
    now: datetime

    @property
    def active(self) -> bool:
        return self.latest is not None and self.latest.status in ACTIVE

    @property
    def ready(self) -> bool:
        """A PDF can be downloaded."""
        return not self.extract_deleted and _downloadable(self.latest, self.now)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _downloadable(found: LetterPrint | None, now: datetime) -> bool:
    return (
        found is not None
        and found.status is LetterPrintStatus.DONE
        and found.expires_at is not None
        and _aware(found.expires_at) > now
    )


def _latest(session: Session, wave: LotteryWave) -> LetterPrint | None:
    return session.scalar(
        select(LetterPrint)
        .where(LetterPrint.wave_id == wave.id)
        .order_by(LetterPrint.id.desc())
        .limit(1)
    )


def _found(session: Session, slug: str, number: int) -> tuple[Round, Lottery, LotteryWave]:
    round = rounds.get_round(session, slug)
    lottery, wave = printing.find_wave(session, round, number)
    return round, lottery, wave


# -- in the request -------------------------------------------------------------------------


def letters_view(session: Session, slug: str, number: int, *, now: datetime) -> LettersView:
    round, lottery, wave = _found(session, slug, number)
    latest = _latest(session, wave)
    job = (
        session.scalar(select(Job).where(Job.letter_print_id == latest.id))
        if latest is not None
        else None
    )
    return LettersView(round, wave, lottery.extract_deleted_at is not None, latest, job, now)


def request_letters(session: Session, slug: str, number: int, *, actor: str) -> LetterPrint:
    """Queue the rendering of a wave's letters; a print of the wave still under way is
    returned instead of a second one. Refused once the register extract is deleted."""
    round, lottery, wave = _found(session, slug, number)
    if session.get_bind().dialect.name == "postgresql":
        # Two clicks at once: the second waits here for the first one's print.
        session.execute(select(LotteryWave.id).where(LotteryWave.id == wave.id).with_for_update())
    if lottery.extract_deleted_at is not None:
        raise Conflict(printing.LETTERS_GONE, round=round.slug, wave=number)
    under_way = session.scalar(
        select(LetterPrint)
        .where(LetterPrint.wave_id == wave.id, LetterPrint.status.in_(ACTIVE))
        .order_by(LetterPrint.id)
        .limit(1)
    )
    if under_way is not None:
        return under_way
    queued = LetterPrint(wave_id=wave.id, letters=wave.letters, created_by=actor)
    session.add(queued)
    session.flush()
    jobs.enqueue(session, JobKind.LETTERS, letter_print_id=queued.id)
    return queued


def download_letters(
    session: Session, slug: str, number: int, *, actor: str, now: datetime
) -> bytes | None:
    """The wave's rendered letters, with an audit entry; None when none are ready (the
    organiser is sent to the page that renders them). Refused once the extract is deleted."""
    round, lottery, wave = _found(session, slug, number)
    if lottery.extract_deleted_at is not None:
        raise Conflict(printing.LETTERS_GONE, round=round.slug, wave=number)
    latest = session.scalar(
        select(LetterPrint)
        .where(LetterPrint.wave_id == wave.id, LetterPrint.status == LetterPrintStatus.DONE)
        .order_by(LetterPrint.id.desc())
        .limit(1)
    )
    if latest is None or not _downloadable(latest, now):
        return None
    stored = session.get(LetterPrintFile, latest.id)
    if stored is None:
        return None
    audit.record(
        session,
        actor,
        "lottery.letters",
        round=round,
        subject=round.slug,
        wave=number,
        letters=latest.letters,
        format="pdf",
    )
    return stored.content


# -- in the worker --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Work:
    frame: LetterFrame
    pages: list[LetterPage]
    wave_id: int
    lottery_id: int


def execute(
    sessions: sessionmaker[Session],
    print_id: int,
    settings: Settings,
    *,
    stop: StopSignal | None = None,
) -> LetterPrintStatus:
    """Render a print's letters and store the PDF; returns how the print ended.

    Raises :class:`LettersInterrupted` when ``stop`` says so between two chunks.
    """
    work = _start(sessions, print_id, settings)
    if work is None:
        return _status(sessions, print_id)

    def chunk_done(done: int) -> None:
        with transaction(sessions) as session:
            session.execute(
                update(LetterPrint)
                .where(LetterPrint.id == print_id, LetterPrint.status.in_(ACTIVE))
                .values(letters_done=done)
            )
        if stop is not None and stop():
            raise LettersInterrupted(f"letters of print {print_id} stopped after {done}")

    try:
        content = documents.letters_pdf(work.frame, work.pages, settings.zone, on_chunk=chunk_done)
    except documents.LetterTooLong:
        with transaction(sessions) as session:
            _end(session, print_id, LetterPrintStatus.FAILED, error=TOO_LONG)
        return LetterPrintStatus.FAILED
    with transaction(sessions) as session:
        lottery = session.get(Lottery, work.lottery_id, populate_existing=True)
        if lottery is None or lottery.extract_deleted_at is not None:
            _end(session, print_id, LetterPrintStatus.FAILED, error=EXTRACT_DELETED)
            return LetterPrintStatus.FAILED
        now = _now()
        if not _end(
            session,
            print_id,
            LetterPrintStatus.DONE,
            expires_at=now + timedelta(minutes=settings.lottery_letters_keep_minutes),
        ):
            return _status_in(session, print_id)
        # One PDF of a wave at a time: the earlier ones go.
        earlier = select(LetterPrint.id).where(
            LetterPrint.wave_id == work.wave_id, LetterPrint.id != print_id
        )
        session.execute(
            delete(LetterPrintFile).where(LetterPrintFile.print_id.in_(earlier)),
            execution_options={"synchronize_session": False},
        )
        session.add(LetterPrintFile(print_id=print_id, content=content, created_at=now))
        session.flush()
    return LetterPrintStatus.DONE


def _status_in(session: Session, print_id: int) -> LetterPrintStatus:
    found = session.get(LetterPrint, print_id, populate_existing=True)
    return found.status if found is not None else LetterPrintStatus.FAILED


def _status(sessions: sessionmaker[Session], print_id: int) -> LetterPrintStatus:
    with transaction(sessions) as session:
        return _status_in(session, print_id)


def _start(sessions: sessionmaker[Session], print_id: int, settings: Settings) -> _Work | None:
    """What the rendering needs, read in one short transaction; None if there is nothing
    to do (the print ended, or the extract is gone: then it fails)."""
    with transaction(sessions) as session:
        found = session.get(LetterPrint, print_id)
        if found is None or found.status not in ACTIVE:
            return None
        wave = session.get_one(LotteryWave, found.wave_id)
        lottery = wave.lottery
        round = session.get_one(Round, lottery.round_id)
        try:
            frame, pages = printing.prepare_letters(
                session, round, wave.number, settings, now=_now()
            )
        except Conflict:
            _end(session, print_id, LetterPrintStatus.FAILED, error=EXTRACT_DELETED)
            return None
        found.status = LetterPrintStatus.RENDERING
        found.started_at = _now()
        found.letters = len(pages)
        found.letters_done = 0
        session.flush()
        return _Work(frame, pages, wave.id, lottery.id)


def _end(
    session: Session,
    print_id: int,
    status: LetterPrintStatus,
    *,
    error: str | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """The print ends, if it had not; in the caller's transaction."""
    ended = session.execute(
        update(LetterPrint)
        .where(LetterPrint.id == print_id, LetterPrint.status.in_(ACTIVE))
        .values(status=status, finished_at=_now(), error=error, expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    return getattr(ended, "rowcount", 0) == 1


def abandon(session: Session, print_id: int, error: str) -> bool:
    """A print whose job failed for good."""
    return _end(session, print_id, LetterPrintStatus.FAILED, error=error[:200])


def requeue(session: Session, print_id: int) -> None:
    """A print handed back with its job starts again from the first letter."""
    session.execute(
        update(LetterPrint)
        .where(LetterPrint.id == print_id, LetterPrint.status.in_(ACTIVE))
        .values(status=LetterPrintStatus.QUEUED, letters_done=0, started_at=None)
        .execution_options(synchronize_session=False)
    )


# -- deletion -------------------------------------------------------------------------------


def forget_lottery(session: Session, lottery: Lottery) -> int:
    """The extract is deleted: so are the rendered letters of its waves, and a rendering
    under way ends as failed (it stores nothing). Returns how many PDFs were deleted."""
    waves = select(LotteryWave.id).where(LotteryWave.lottery_id == lottery.id)
    prints = select(LetterPrint.id).where(LetterPrint.wave_id.in_(waves))
    session.execute(
        update(LetterPrint)
        .where(LetterPrint.wave_id.in_(waves), LetterPrint.status.in_(ACTIVE))
        .values(status=LetterPrintStatus.FAILED, error=EXTRACT_DELETED, finished_at=_now())
        .execution_options(synchronize_session=False)
    )
    gone = session.execute(
        delete(LetterPrintFile).where(LetterPrintFile.print_id.in_(prints)),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(gone, "rowcount", 0) or 0)


def forget_expired(session: Session, now: datetime) -> int:
    """PDFs past their time go; prints that ended a week ago go too. Returns how many PDFs
    were deleted."""
    expired = select(LetterPrint.id).where(LetterPrint.expires_at <= now)
    gone = session.execute(
        delete(LetterPrintFile).where(LetterPrintFile.print_id.in_(expired)),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        delete(LetterPrint).where(
            LetterPrint.status.not_in(ACTIVE), LetterPrint.finished_at <= now - KEEP_FINISHED
        ),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(gone, "rowcount", 0) or 0)
