"""Work the organiser pages start but do not wait for: solving a run, sending the outbox.

Each job runs in a thread of this process, after the request that started it has committed
(it is handed over as a background task). A matching job can be cancelled through its
``threading.Event``; the solver then stops with the best grouping so far and the run is
marked cancelled. The registry only knows this process's jobs: a run left "running" by a
process that died is recognised on its page (see ``run_review.is_abandoned``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from vekl.mail import dispatch as mail_dispatch
from vekl.runs import service as matching_runs
from vekl.settings import Settings

log = logging.getLogger("vekl.web.jobs")
_CREATING = threading.Lock()


class Jobs:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._lock = threading.Lock()
        self._runs: dict[int, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        self._sending = False

    def start_run(self, run_id: int) -> None:
        stop = threading.Event()
        with self._lock:
            self._runs[run_id] = stop
        self._spawn(f"matching-run-{run_id}", self._solve, run_id, stop)

    def _solve(self, run_id: int, stop: threading.Event) -> None:
        try:
            matching_runs.execute_run(self._sessions, run_id, stop=stop)
        except Exception as exc:
            # The run is marked failed with its error; the log gets no personal data.
            log.warning("matching run %d failed: %s", run_id, type(exc).__name__)
        finally:
            with self._lock:
                self._runs.pop(run_id, None)

    def running(self, run_id: int) -> bool:
        with self._lock:
            return run_id in self._runs

    def cancel(self, run_id: int) -> bool:
        with self._lock:
            stop = self._runs.get(run_id)
        if stop is None:
            return False
        stop.set()
        return True

    def send_mail(self) -> bool:
        """Send what the outbox holds; one sender at a time is enough."""
        with self._lock:
            if self._sending:
                return False
            self._sending = True
        self._spawn("mail-dispatch", self._send)
        return True

    def _send(self) -> None:
        try:
            transport = mail_dispatch.transport_for(self._settings)
            result = mail_dispatch.dispatch_all(self._sessions, transport)
            log.info("mail sent: %d, failed: %d", result.sent, result.failed)
        except Exception as exc:
            log.warning("sending mail failed: %s", type(exc).__name__)
        finally:
            with self._lock:
                self._sending = False

    @property
    def sending(self) -> bool:
        with self._lock:
            return self._sending

    def _spawn(self, name: str, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """For tests and shutdown: until every job of this process has finished."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)


def jobs_of(app_state: object) -> Jobs:
    """The app's registry, made on first use."""
    with _CREATING:
        found = getattr(app_state, "organiser_jobs", None)
        if found is None:
            found = Jobs(app_state.sessions, app_state.settings)  # type: ignore[attr-defined]
            app_state.organiser_jobs = found  # type: ignore[attr-defined]
    return found
