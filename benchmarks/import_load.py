"""What others see of the site while an organiser imports a large file, or during a burst.

Starts ``vekl serve`` (with its in-process worker) on a fresh database: a SQLite file in a
temporary folder, or a PostgreSQL database created on the server in ``--database-url`` and
dropped afterwards. Not part of the test suite; the figures go into benchmarks/README.md.

``import`` mode logs in as an organiser and uploads a file of ``--rows`` registrations
through the import page. While the import runs, one client asks again and again, one request
at a time, for the list of rounds (``GET /api/v1/rounds``) and registers a new person
(``POST /api/v1/rounds/{slug}/registrations``), and times each answer. It prints the
latencies before the upload (idle) and during the import (p50, p95, max, by phase), how long
the import took, and checks that every row and every registration was stored.
``--inline`` raises ``VEKL_IMPORT_INLINE_ROWS`` above the file's size, so the file is
imported within the upload request as before imports became jobs.

``burst`` mode sends ``--parallel`` registrations of one new address at once (each from an
address of its own, as many people behind a proxy would; ``--distinct``: of as many
addresses), ``--bursts`` times, and meanwhile times ``GET /api/v1/rounds`` one request after
another. A request not answered within ``--timeout`` counts with status 0.

    .venv/bin/python -m benchmarks.import_load import --database postgresql --rows 70000
    .venv/bin/python -m benchmarks.import_load import --database sqlite --rows 10000
    .venv/bin/python -m benchmarks.import_load burst --database sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.body_limit import ORGANISER_BODY_LIMIT
from vekl.access import organisers
from vekl.rounds import service as rounds
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import CsvImport, ImportStatus, Participant

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "konstanz-mai"
SLUG = "konstanz-mai"
SECRET = "import-load-benchmark-secret-0123456789"
EMAIL = "team@konstanz.example"
PASSWORD = "lange-genug-und-geheim"
HEADER = "role;first_name;last_name;email;languages;series;consent;district\n"
# Requests of the measuring client are this far apart, so that it samples rather than floods.
GAP = 0.05


def people(count: int) -> bytes:
    rows = (
        f"citizen;Vorname{i};Nachname{i};p{i}@example.org;de|en;mon|wed;ja;\n" for i in range(count)
    )
    return (HEADER + "".join(rows)).encode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _database(kind: str, server_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="vekl-import-load-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"vekl_import_load_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _prepare(url: str) -> sessionmaker[Session]:
    migrate.upgrade(url)
    sessions = make_sessionmaker(make_engine(url))
    with transaction(sessions) as session:
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        spec = spec.model_copy(update={"registration_deadline": None})
        rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "bench")
        organisers.create_user(session, EMAIL, PASSWORD, actor="bench")
    return sessions


@contextmanager
def _server(url: str, extra_env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VEKL_DATABASE_URL": url,
        "VEKL_ENVIRONMENT": "production",
        "VEKL_SECRET_KEY": SECRET,
        "VEKL_BASE_URL": base_url,
        "VEKL_MAIL_DIR": str(log.parent / "import_load_mail"),
        **extra_env,
    }
    vekl = Path(sys.executable).parent / "vekl"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(vekl), "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base_url + "/api/v1/rounds", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("vekl serve did not start; see " + str(log))
                time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _body(email: str) -> dict[str, object]:
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


def _forwarded(number: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"10.{number // 62500 % 250}.{number // 250 % 250}.{number % 250}"}


@dataclass
class Sample:
    what: str
    phase: str  # when the request was sent
    started: float  # time.perf_counter()
    seconds: float
    status: int

    def overlaps(self, start: float, end: float) -> bool:
        return self.started < end and self.started + self.seconds > start


@dataclass
class Prober:
    """One client asking one thing after another; each answer is timed and tagged."""

    base_url: str
    phase: str = "idle"
    samples: list[Sample] = field(default_factory=list)
    registrations: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    kinds: tuple[str, ...] = ("rounds", "registration")

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=120) as http:
            while not self.stop.is_set():
                for what in self.kinds:
                    phase = self.phase
                    started = time.perf_counter()
                    try:
                        if what == "rounds":
                            status = http.get("/api/v1/rounds").status_code
                        else:
                            number = self.registrations
                            self.registrations += 1
                            status = http.post(
                                f"/api/v1/rounds/{SLUG}/registrations",
                                json=_body(f"visitor{number}@example.org"),
                                headers=_forwarded(number),
                            ).status_code
                    except httpx.HTTPError:
                        status = 0  # no answer within the client's timeout
                    took = time.perf_counter() - started
                    self.samples.append(Sample(what, phase, started, took, status))
                    time.sleep(GAP)


def _summary(samples: list[Sample]) -> dict[str, Any]:
    seconds = sorted(s.seconds for s in samples)
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "p50_ms": round(statistics.median(seconds) * 1000, 1),
        "p95_ms": round(seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))] * 1000, 1),
        "max_ms": round(seconds[-1] * 1000, 1),
        "statuses": dict(Counter(s.status for s in samples)),
    }


def _login(http: httpx.Client) -> str:
    form = http.get("/organiser/login").text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token, "no login form"
    login = http.post(
        "/organiser/login",
        data={"email": EMAIL, "password": PASSWORD, "form_token": token.group(1)},
    )
    assert login.status_code == 303, login.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/organiser/").text)
    assert csrf, "no CSRF token"
    return csrf.group(1)


def _state(sessions: sessionmaker[Session], import_id: int) -> CsvImport:
    with transaction(sessions) as session:
        found = session.get_one(CsvImport, import_id)
        session.expunge(found)
        return found


def run_import(args: argparse.Namespace, url: str, out: Path) -> dict[str, Any]:
    sessions = _prepare(url)
    raw = people(args.rows)
    if len(raw) + 1000 > ORGANISER_BODY_LIMIT:
        raise SystemExit(f"{len(raw)} bytes is over the organiser body limit")
    extra = {"VEKL_IMPORT_INLINE_ROWS": str(args.rows + 10)} if args.inline else {}
    with _server(url, extra, out / "import_load_server.log") as base_url:
        prober = Prober(base_url)
        thread = threading.Thread(target=prober.run, daemon=True)
        thread.start()
        time.sleep(args.idle)
        with httpx.Client(base_url=base_url, follow_redirects=False, timeout=3600) as organiser:
            csrf = _login(organiser)
            prober.phase = "upload"
            started = time.perf_counter()
            response = organiser.post(
                f"/organiser/rounds/{SLUG}/import/registrations",
                data={"csrf_token": csrf},
                files={"file": ("people.csv", raw, "text/csv")},
            )
            answered = time.perf_counter() - started
        phases: dict[str, float] = {}
        if response.status_code == 303:
            found = re.search(r"/imports/(\d+)", response.headers["location"])
            assert found, response.headers["location"]
            import_id = int(found.group(1))
            last = "upload"
            while True:
                state = _state(sessions, import_id)
                phase = state.status.value
                if phase != last:
                    phases[phase] = round(time.perf_counter() - started, 2)
                    last = phase
                prober.phase = phase
                if state.status not in (
                    ImportStatus.QUEUED,
                    ImportStatus.CHECKING,
                    ImportStatus.IMPORTING,
                ):
                    break
                time.sleep(0.2)
            outcome = {"status": state.status.value, "created": state.created}
        else:
            outcome = {"status": f"answered {response.status_code} within the request"}
        took = time.perf_counter() - started
        prober.phase = "after"
        time.sleep(args.idle)
        prober.stop.set()
        thread.join(timeout=120)
    with transaction(sessions) as session:
        stored = session.scalar(select(func.count()).select_from(Participant)) or 0
    by_phase: dict[str, dict[str, Any]] = {}
    for phase in dict.fromkeys(s.phase for s in prober.samples):
        for what in prober.kinds:
            chosen = [s for s in prober.samples if s.phase == phase and s.what == what]
            by_phase[f"{phase} {what}"] = _summary(chosen)
    # Every request that was under way at some moment between upload and end.
    during = [s for s in prober.samples if s.overlaps(started, started + took)]
    idle = [s for s in prober.samples if s.started + s.seconds < started]
    return {
        "mode": "import",
        "rows": args.rows,
        "bytes": len(raw),
        "inline": args.inline,
        "upload_answered_s": round(answered, 2),
        "import_s": round(took, 2),
        "phases_s": phases,
        "outcome": outcome,
        "stored": stored,
        "expected": args.rows + prober.registrations,
        "idle rounds": _summary([s for s in idle if s.what == "rounds"]),
        "idle registration": _summary([s for s in idle if s.what == "registration"]),
        "during rounds": _summary([s for s in during if s.what == "rounds"]),
        "during registration": _summary([s for s in during if s.what == "registration"]),
        "by_phase_sent": by_phase,
    }


def run_burst(args: argparse.Namespace, url: str, out: Path) -> dict[str, Any]:
    _prepare(url)
    with _server(url, {}, out / "import_load_server.log") as base_url:
        prober = Prober(base_url, kinds=("rounds",))
        thread = threading.Thread(target=prober.run, daemon=True)
        thread.start()
        time.sleep(args.idle)
        statuses: Counter[int] = Counter()
        posts: list[float] = []
        lock = threading.Lock()
        windows: list[tuple[float, float]] = []
        for burst in range(args.bursts):
            prober.phase = "burst"
            opened = time.perf_counter()
            email = f"same.person{burst}@example.org"
            barrier = threading.Barrier(args.parallel)

            def register(
                number: int,
                email: str = email,
                barrier: threading.Barrier = barrier,
                burst: int = burst,
            ) -> None:
                with httpx.Client(base_url=base_url, timeout=args.timeout) as http:
                    barrier.wait()
                    started = time.perf_counter()
                    address = f"person{burst}-{number}@example.org" if args.distinct else email
                    try:
                        status = http.post(
                            f"/api/v1/rounds/{SLUG}/registrations",
                            json=_body(address),
                            headers=_forwarded(10_000 * (burst + 1) + number),
                        ).status_code
                    except httpx.HTTPError:
                        status = 0  # no answer within the client's timeout
                    with lock:
                        posts.append(time.perf_counter() - started)
                        statuses[status] += 1

            senders = [threading.Thread(target=register, args=(n,)) for n in range(args.parallel)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
            windows.append((opened, time.perf_counter()))
            prober.phase = "between"
            time.sleep(args.idle)
        prober.stop.set()
        thread.join(timeout=120)
    seconds = sorted(posts)
    return {
        "mode": "burst",
        "distinct": args.distinct,
        "parallel": args.parallel,
        "bursts": args.bursts,
        "registration statuses": dict(statuses),
        "registration p50_ms": round(statistics.median(seconds) * 1000, 1),
        "registration max_ms": round(seconds[-1] * 1000, 1),
        "burst_s": [round(end - start, 2) for start, end in windows],
        "idle rounds": _summary(
            [s for s in prober.samples if s.started + s.seconds < windows[0][0]]
        ),
        "during rounds": _summary(
            [s for s in prober.samples if any(s.overlaps(*window) for window in windows)]
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.import_load")
    parser.add_argument("mode", choices=["import", "burst"])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "VEKL_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server; a database of its own is created on it and dropped after",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the imported file")
    parser.add_argument("--inline", action="store_true", help="import within the request")
    parser.add_argument("--parallel", type=int, default=50, help="registrations per burst")
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument(
        "--distinct", action="store_true", help="a burst of different addresses, not one"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="client timeout (s)")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds measured idle")
    args = parser.parse_args()
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with _database(args.database, args.database_url) as url:
        result = run_import(args, url, out) if args.mode == "import" else run_burst(args, url, out)
    result = {
        "database": args.database,
        **result,
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}",
    }
    print(json.dumps(result, indent=2))
    (out / f"import_load_{args.mode}_{args.database}.json").write_text(json.dumps(result, indent=2))
    if args.mode == "import" and result["stored"] != result["expected"]:
        print("FAILED: not every row and registration was stored", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
