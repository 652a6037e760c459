"""The worker: runs the jobs queued in the database and sends due mail, until told to stop.

Jobs are matching runs, CSV imports (``vekl.registration.import_jobs``), a wave's letters
(``vekl.lottery.letter_jobs``) and "send now".

The loop (``Worker.run``) claims the oldest queued job and runs it; when there is none, it
queues due reminders and sends due mail every ``mail_interval`` seconds, and otherwise waits
``worker_poll_interval`` seconds. A pacemaker thread renews the heartbeat of the job in hand
at the same interval and learns from that statement whether a cancel was requested (from
any web process); it also renews the worker's own heartbeat for the health check. A few
times per ``worker_stale_after`` the loop reaps jobs whose worker died: they are marked
failed, and so are their runs.

``stop`` (on SIGTERM or SIGINT) ends the loop: a search in progress is stopped and its job
handed back to the queue, so that the next worker solves the run again in full; an import
is handed back after the batch in hand, and the next worker goes on from there; letters
are handed back after the chunk in hand and rendered again from the start. An import
that meets an error is queued again as well, until it has had ``jobs.MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from notifications.delivery import Transport
from vekl.feedback import service as feedback
from vekl.jobs import service as jobs
from vekl.lottery import letter_jobs
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import planner as notify
from vekl.registration import import_jobs
from vekl.registration import online as online_registration
from vekl.runs import service as matching_runs
from vekl.settings import Settings
from vekl.store.db import transaction
from vekl.store.models import Job, JobKind, JobStatus

log = logging.getLogger("vekl.worker")
SYSTEM = "system"
# The worker's own heartbeat (for the health check) is renewed at most this often.
MAX_BEAT_INTERVAL = 10.0
# Unconfirmed registrations are looked for this often (they go after seven days).
HOUSEKEEPING_INTERVAL = 3600.0


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def traceback_text(exc: BaseException) -> str:
    """Where ``exc`` and its causes were raised, with their types but not their messages.

    Messages may quote the data that was being worked on (a validation error repeats its
    input); the frames and the types say where to look without any of it.
    """
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 10:
        frames = "".join(traceback.format_tb(seen.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{type(seen).__qualname__}")
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return "\n\nwhich was raised while handling:\n\n".join(parts)


@dataclass
class _InHand:
    """The job the loop is running, as the pacemaker thread sees it."""

    job_id: int
    cancel: threading.Event = field(default_factory=threading.Event)
    lost: threading.Event = field(default_factory=threading.Event)
    interrupted: bool = False


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        name: str | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.name = name or default_name()
        self.transport = transport or mail_dispatch.transport_for(settings)
        self.poll = settings.worker_poll_interval
        self.stale_after = timedelta(seconds=settings.worker_stale_after)
        self.beat_interval = min(settings.worker_stale_after / 4, MAX_BEAT_INTERVAL)
        self._stopping = threading.Event()
        self._in_hand: _InHand | None = None
        self._next_reap = 0.0
        self._next_mail = 0.0
        self._next_housekeeping = 0.0

    # -- control ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Finish the current step and leave the loop (safe from a signal handler)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self) -> None:
        """Work until ``stop`` is called."""
        try:
            self._beat()
        except Exception as exc:  # the pacemaker tries again
            log.warning("heartbeat failed (%s); trying again", type(exc).__name__)
        pacemaker = threading.Thread(target=self._pacemaker, name="worker-heartbeat", daemon=True)
        pacemaker.start()
        log.info("worker %s started", self.name)
        try:
            while not self._stopping.is_set():
                try:
                    busy = self.run_once()
                except Exception as exc:  # the loop must outlive a database restart
                    log.error("worker step failed; trying again\n%s", traceback_text(exc))
                    busy = False
                if not busy:
                    self._stopping.wait(self.poll)
        finally:
            self._stopping.set()
            pacemaker.join(timeout=self.poll + 5)
            try:
                with transaction(self.sessions) as session:
                    jobs.forget(session, self.name)
            except Exception as exc:
                log.warning("could not remove the worker's heartbeat (%s)", type(exc).__name__)
            log.info("worker %s stopped", self.name)

    def run_once(self) -> bool:
        """One step: reap if due, then run one queued job, or else send due mail.

        Returns whether a job was run (the loop then looks for the next one at once).
        """
        if time.monotonic() >= self._next_reap:
            self.reap()
            self._next_reap = time.monotonic() + self.beat_interval
        job = self._claim()
        if job is not None:
            self._execute(job)
            return True
        if time.monotonic() >= self._next_mail:
            self.send_mail()
            self._next_mail = time.monotonic() + self.settings.mail_interval
        if time.monotonic() >= self._next_housekeeping:
            self.housekeeping()
            self._next_housekeeping = time.monotonic() + HOUSEKEEPING_INTERVAL
        return False

    # -- steps -----------------------------------------------------------------------------

    def reap(self) -> list[jobs.Reaped]:
        """Jobs whose worker stopped renewing their heartbeat fail, and so do their runs."""
        with transaction(self.sessions) as session:
            reaped = jobs.reap(session, _now(), self.stale_after)
            for job in reaped:
                if job.requeued:
                    continue
                if job.run_id is not None:
                    matching_runs.abandon(session, job.run_id, SYSTEM)
                if job.import_id is not None:
                    import_jobs.abandon(session, job.import_id, import_jobs.WORKER_LOST)
                if job.letter_print_id is not None:
                    letter_jobs.abandon(session, job.letter_print_id, letter_jobs.WORKER_LOST)
            jobs.tidy(session, _now())
            # Rendered letters hold names and addresses: they go as soon as they expire.
            letter_jobs.forget_expired(session, _now())
        for job in reaped:
            if job.requeued:
                log.warning(
                    "job %d queued again: its worker stopped renewing the heartbeat", job.job_id
                )
            else:
                log.warning("job %d failed: its worker stopped renewing the heartbeat", job.job_id)
        return reaped

    def housekeeping(self) -> int:
        """Remove registrations whose email was not confirmed within a week, and imports
        that ended a week ago."""
        with transaction(self.sessions) as session:
            removed = online_registration.purge_pending(session, _now())
            import_jobs.forget_finished(session, _now())
        if removed:
            log.info("removed %d unconfirmed registrations", removed)
        return removed

    def send_mail(self) -> mail_dispatch.DispatchResult:
        """Queue due reminders (and, with ``VEKL_SURVEY_AUTOSEND``, the survey invitations
        of groups whose last evening is over) and send every mail that is due."""
        with transaction(self.sessions) as session:
            notify.queue_reminders(session, settings=self.settings)
            if self.settings.survey_autosend:
                feedback.send_due_invitations(session, self.settings, _now())
        result = mail_dispatch.dispatch_all(
            self.sessions, self.transport, secret_key=self.settings.secret_key
        )
        if result.claimed:
            # Counts only: the errors name addresses.
            log.info(
                "mail: %d sent, %d to retry, %d failed",
                result.sent,
                result.retrying,
                result.failed,
            )
        return result

    def _claim(self) -> Job | None:
        # A read first, so that an idle worker does not take the write lock every poll.
        with transaction(self.sessions) as session:
            waiting = session.scalar(select(exists().where(Job.status == JobStatus.QUEUED)))
        if not waiting:
            return None
        with transaction(self.sessions) as session:
            return jobs.claim(session, self.name, _now())

    def _execute(self, job: Job) -> None:
        started = time.monotonic()
        of = f", run {job.run_id}" if job.run_id is not None else ""
        of += f", import {job.import_id}" if job.import_id is not None else ""
        of += f", letters {job.letter_print_id}" if job.letter_print_id is not None else ""
        what = f"job {job.id} ({job.kind.value}{of})"
        try:
            if job.kind is JobKind.MATCHING and job.run_id is not None:
                handed_back = self._solve(job.id, job.run_id)
                if handed_back:
                    log.info("%s handed back to the queue: the worker is stopping", what)
                    return
            elif job.kind is JobKind.IMPORT and job.import_id is not None:
                if not self._import(job.id, job.import_id):
                    log.info("%s stopped before it ended: the worker is stopping, or lost it", what)
                    return
            elif job.kind is JobKind.LETTERS and job.letter_print_id is not None:
                if not self._letters(job.id, job.letter_print_id):
                    log.info("%s handed back to the queue: the worker is stopping", what)
                    return
            else:
                self.send_mail()
        except Exception as exc:
            # The job gets the error's type only; the log gets where it happened, not what
            # it said (messages can quote the problem's contents).
            with transaction(self.sessions) as session:
                if jobs.may_retry(job):
                    jobs.requeue(session, job.id, self.name, failed=True)
                else:
                    ours = jobs.fail(session, job.id, type(exc).__name__, _now(), worker=self.name)
                    if ours and job.import_id is not None:
                        import_jobs.abandon(session, job.import_id, type(exc).__name__)
                    if ours and job.letter_print_id is not None:
                        letter_jobs.abandon(session, job.letter_print_id, type(exc).__name__)
            log.error("%s failed\n%s", what, traceback_text(exc))
            return
        with transaction(self.sessions) as session:
            ours = jobs.finish(session, job.id, self.name, _now())
        if ours:
            log.info("%s done in %.1f s", what, time.monotonic() - started)
        else:
            log.warning("%s ended after it had been taken from this worker", what)

    def _solve(self, job_id: int, run_id: int) -> bool:
        """Solve the run; True if it was handed back to the queue because we are stopping."""
        in_hand = _InHand(job_id)

        def should_stop() -> bool:
            if in_hand.cancel.is_set() or in_hand.lost.is_set():
                return True
            if self._stopping.is_set():
                in_hand.interrupted = True
                return True
            return False

        def interrupted() -> bool:
            return in_hand.interrupted and not (in_hand.cancel.is_set() or in_hand.lost.is_set())

        self._in_hand = in_hand
        try:
            matching_runs.execute_run(
                self.sessions, run_id, stop=should_stop, interrupted=interrupted
            )
        except matching_runs.RunInterrupted:
            with transaction(self.sessions) as session:
                jobs.requeue(session, job_id, self.name)
            return True
        finally:
            self._in_hand = None
        return False

    def _import(self, job_id: int, import_id: int) -> bool:
        """Check and write an import; False if it stopped before it ended (and was handed
        back, or had been taken from this worker)."""
        in_hand = _InHand(job_id)

        def should_stop() -> bool:
            return self._stopping.is_set() or in_hand.lost.is_set()

        self._in_hand = in_hand
        try:
            import_jobs.execute(self.sessions, import_id, stop=should_stop)
        except import_jobs.ImportInterrupted:
            if not in_hand.lost.is_set():
                with transaction(self.sessions) as session:
                    jobs.requeue(session, job_id, self.name)
            return False
        except import_jobs.ImportTakenOver:
            return False
        finally:
            self._in_hand = None
        return True

    def _letters(self, job_id: int, print_id: int) -> bool:
        """Render a wave's letters; False if they were handed back because we are stopping
        (or the job had been taken from this worker)."""
        in_hand = _InHand(job_id)

        def should_stop() -> bool:
            return self._stopping.is_set() or in_hand.lost.is_set()

        self._in_hand = in_hand
        try:
            letter_jobs.execute(self.sessions, print_id, self.settings, stop=should_stop)
        except letter_jobs.LettersInterrupted:
            if not in_hand.lost.is_set():
                with transaction(self.sessions) as session:
                    if jobs.requeue(session, job_id, self.name):
                        letter_jobs.requeue(session, print_id)
            return False
        finally:
            self._in_hand = None
        return True

    # -- heartbeats ------------------------------------------------------------------------

    def _pacemaker(self) -> None:
        last_beat = time.monotonic()
        while not self._stopping.wait(self.poll):
            in_hand = self._in_hand
            try:
                if in_hand is not None:
                    with transaction(self.sessions) as session:
                        beat = jobs.heartbeat(session, in_hand.job_id, self.name, _now())
                    if beat is jobs.Beat.CANCEL:
                        in_hand.cancel.set()
                    elif beat is jobs.Beat.LOST:
                        in_hand.lost.set()
                if time.monotonic() - last_beat >= self.beat_interval:
                    self._beat()
                    last_beat = time.monotonic()
            except Exception as exc:  # a database hiccup must not end the heartbeat
                log.warning("heartbeat failed (%s); trying again", type(exc).__name__)

    def _beat(self) -> None:
        with transaction(self.sessions) as session:
            jobs.beat(session, self.name, _now())


def _now() -> datetime:
    return datetime.now(UTC)
