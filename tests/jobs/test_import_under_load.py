"""A large CSV import through a real ``vekl serve``: the rest of the site is answered meanwhile.

The server runs its worker in-process, as a small installation does, on a SQLite file and on
a fresh PostgreSQL database. While the worker imports a file of several thousand rows, the
test keeps asking for unrelated things (a style sheet, the list of rounds, a registration)
and reads the import's state after each answer. Every kind of request must have been
answered at least once while the job was still running, with part of the file stored and
part to come: an import that held one write transaction (SQLite: the write lock) for the
whole file would let no registration in and show no partial progress until it ended. No
durations are compared; the loop is bounded only against a hang.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.conftest import running_server
from tests.databases import fresh_database
from tests.dates import open_for_a_month
from vekl.access import organisers
from vekl.rounds import service as rounds
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import CsvImport, ImportStatus, Job, JobStatus, Participant

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
ROUND = "/organiser/rounds/konstanz-mai"
EMAIL = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"
# Well over the rows imported within a request, and a dozen batches.
ROWS = 6000
HANG = 600.0


@dataclass(frozen=True)
class State:
    status: ImportStatus
    job: JobStatus
    rows_done: int
    total: int | None
    created: int

    @property
    def in_the_middle(self) -> bool:
        """The job runs, some rows are stored and some are still to come."""
        return (
            self.job is JobStatus.RUNNING
            and self.status is ImportStatus.IMPORTING
            and self.total is not None
            and 0 < self.rows_done < self.total
        )


@dataclass
class Served:
    base_url: str
    sessions: sessionmaker[Session]

    def state(self, import_id: int) -> State:
        with transaction(self.sessions) as session:
            imported = session.get_one(CsvImport, import_id)
            job = session.scalars(select(Job).where(Job.import_id == import_id)).one()
            return State(
                imported.status,
                job.status,
                imported.rows_done,
                imported.total_rows,
                imported.created,
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    with fresh_database(request.param, tmp_path, "vekl_import_load") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            spec = rounds.load_round_file(EXAMPLE / "round.toml")
            spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
            rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
            organisers.create_user(session, EMAIL, PASSWORD, actor="test")
        with running_server(url, tmp_path, ready_path="/api/v1/rounds") as base_url:
            yield Served(base_url, sessions)
        engine.dispose()


def people(count: int) -> bytes:
    header = "role;first_name;last_name;email;languages;series;consent;district\n"
    rows = (
        f"citizen;Vorname{i};Nachname{i};person{i}@example.org;de|en;mon|wed;ja;Egg\n"
        for i in range(count)
    )
    return (header + "".join(rows)).encode()


def _upload(base_url: str, raw: bytes) -> int:
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=60) as organiser:
        form = organiser.get("/organiser/login").text
        token = re.search(r'name="form_token" value="([^"]+)"', form)
        assert token, form
        login = organiser.post(
            "/organiser/login",
            data={"email": EMAIL, "password": PASSWORD, "form_token": token.group(1)},
        )
        assert login.status_code == 303, login.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', organiser.get("/organiser/").text)
        assert csrf
        queued = organiser.post(
            f"{ROUND}/import/registrations",
            data={"csrf_token": csrf.group(1)},
            files={"file": ("people.csv", raw, "text/csv")},
        )
        assert queued.status_code == 303, queued.text
        found = re.search(r"/imports/(\d+)\?done=queued$", queued.headers["location"])
        assert found, queued.headers["location"]
        return int(found.group(1))


def _unrelated(http: httpx.Client, number: int) -> dict[str, Callable[[], httpx.Response]]:
    body = {
        "role": "newcomer",
        "first_name": "Olena",
        "last_name": "Melnyk",
        "email": f"visitor{number}@example.org",
        "preferred_language": "uk",
        "languages": ["uk", "de"],
        "series": ["mon"],
        "origin": "UA",
        "consent": True,
    }
    # Each registration comes from an address of its own, as from many people.
    forwarded = {"X-Forwarded-For": f"10.{number // 250 % 250}.{number % 250}.1"}
    return {
        "style sheet": lambda: http.get("/static/organiser.css"),
        "rounds": lambda: http.get("/api/v1/rounds"),
        "registration": lambda: http.post(
            "/api/v1/rounds/konstanz-mai/registrations", json=body, headers=forwarded
        ),
    }


def test_the_site_answers_while_a_large_import_runs(served: Served) -> None:
    import_id = _upload(served.base_url, people(ROWS))
    answered_in_the_middle: Counter[str] = Counter()
    registered = 0
    deadline = time.monotonic() + HANG
    with httpx.Client(base_url=served.base_url, timeout=60) as http:
        while served.state(import_id).status in (
            ImportStatus.QUEUED,
            ImportStatus.CHECKING,
            ImportStatus.IMPORTING,
        ):
            assert time.monotonic() < deadline, "the import did not end"
            for name, ask in _unrelated(http, registered).items():
                response = ask()
                assert response.status_code in (200, 202), (name, response.text)
                if served.state(import_id).in_the_middle:
                    answered_in_the_middle[name] += 1
            registered += 1
    final = served.state(import_id)
    assert (final.status, final.created, final.rows_done) == (ImportStatus.DONE, ROWS, ROWS)
    with transaction(served.sessions) as session:
        stored = session.scalar(select(func.count()).select_from(Participant))
    assert stored == ROWS + registered
    assert set(answered_in_the_middle) == {"style sheet", "rounds", "registration"}, (
        answered_in_the_middle
    )
