"""Import, plan and draw 1,500 letters from a register extract of 90,000 people.

Makes the synthetic extract (``examples/register_extract.py``, Windows-1252 as many offices
send it), then runs the three steps as ``vekl lottery import``, ``plan`` and ``draw`` do,
each in its own transaction, on a fresh database: a SQLite file in a temporary folder, or a
PostgreSQL database created on the server in ``--database-url`` and dropped afterwards. It
prints the time of each step (checking the file, storing it, planning, drawing) and the
peak memory of the process. Not part of the test suite; the figures go into
benchmarks/README.md.

    .venv/bin/python -m benchmarks.lottery_draw --database sqlite
    .venv/bin/python -m benchmarks.lottery_draw --database postgresql
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from vekl.lottery import extract
from vekl.lottery import service as lottery
from vekl.lottery.schemas import Plan, PlanInput
from vekl.rounds import service as rounds
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-secret-0123456789abcdef"
SEED = "12 19 23 31 40 47 / 7"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "register_extract", ROOT / "examples" / "register_extract.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _database(kind: str, server_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="vekl-lottery-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"vekl_lottery_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Drawn:
    """A round on a fresh database with a drawn wave, and what each step took."""

    url: str
    sessions: sessionmaker[Session]
    slug: str
    planned: Plan
    wave_number: int
    letters: int
    timings: dict[str, float] = field(default_factory=dict)
    cpu_times: dict[str, float] = field(default_factory=dict)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a drawn wave: the database, the extract's size, the letters."""
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "VEKL_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--rows", type=int, default=90_000)
    parser.add_argument("--letters", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=0.05)


@contextmanager
def drawn_wave(args: argparse.Namespace) -> Iterator[Drawn]:
    """Make the synthetic extract, then import, plan and draw as the commands do, each in its
    own transaction, on a fresh database (dropped afterwards); yields the drawn wave."""
    raw: bytes = _generator().extract(args.rows, encoding="cp1252")
    # Places for the wanted letters at the rate: letters = places / rate.
    places = round(args.letters * args.rate)
    print(
        f"{args.rows} people, {len(raw) / 1e6:.1f} MB, {args.database}, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    with _database(args.database, args.database_url) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            spec = rounds.load_round_file(ROOT / "examples" / "konstanz-mai" / "round.toml")
            spec = spec.model_copy(update={"registration_deadline": None})
            rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "bench")
        now = datetime.now(UTC)
        timings: dict[str, float] = {}
        cpu_times: dict[str, float] = {}

        start, cpu = time.perf_counter(), time.process_time()
        extract.check(raw, now.date())
        timings["check the file (alone)"] = time.perf_counter() - start
        cpu_times["check the file (alone)"] = time.process_time() - cpu

        start, cpu = time.perf_counter(), time.process_time()
        with transaction(sessions) as session:
            found = rounds.get_round(session, spec.slug)
            lottery.import_extract(session, found, raw, actor="bench", now=now, extract_days=60)
        timings["import (check and store)"] = time.perf_counter() - start
        cpu_times["import (check and store)"] = time.process_time() - cpu

        start, cpu = time.perf_counter(), time.process_time()
        with transaction(sessions) as session:
            found = rounds.get_round(session, spec.slug)
            planned = lottery.plan(
                session,
                found,
                PlanInput(places=places, default_rate=args.rate),
                secret=SECRET,
                actor="bench",
                now=now,
                exclusion_years=3,
            )
        timings["plan"] = time.perf_counter() - start
        cpu_times["plan"] = time.process_time() - cpu

        start, cpu = time.perf_counter(), time.process_time()
        with transaction(sessions) as session:
            found = rounds.get_round(session, spec.slug)
            wave = lottery.draw(
                session, found, SEED, secret=SECRET, actor="bench", now=now, exclusion_years=3
            )
            number, letters = wave.number, wave.letters
        timings["draw"] = time.perf_counter() - start
        cpu_times["draw"] = time.process_time() - cpu
        try:
            yield Drawn(url, sessions, spec.slug, planned, number, letters, timings, cpu_times)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments(parser)
    args = parser.parse_args()
    with drawn_wave(args) as drawn:
        timings, cpu_times, planned = drawn.timings, drawn.cpu_times, drawn.planned

    steps = ("import (check and store)", "plan", "draw")
    print(f"{len(planned.strata)} strata, {planned.letters} letters planned, {drawn.letters} drawn")
    print(f"  {'step':<28} {'wall':>8} {'CPU (this process)':>20}")
    for name, seconds in timings.items():
        print(f"  {name:<28} {seconds:6.2f} s {cpu_times[name]:18.2f} s")
    print(
        f"  {'import + plan + draw':<28} {sum(timings[s] for s in steps):6.2f} s "
        f"{sum(cpu_times[s] for s in steps):18.2f} s"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
