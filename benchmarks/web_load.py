"""Load test of the registration form: 2,000 registrations, 100 in flight at a time.

Runs ``vekl serve`` on a fresh PostgreSQL database (created here and dropped afterwards),
submits 1,000 citizen registrations with letter codes and 1,000 newcomer registrations
through the HTML form with httpx, then checks in the database that every person was stored
exactly once, every code used once and every confirmation mail queued once. Prints the
throughput and latency percentiles; not part of the test suite.

    .venv/bin/python -m benchmarks.web_load [--database-url URL] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from vekl.registration import letter_codes
from vekl.rounds import service as rounds
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction
from vekl.store.models import InvitationCode, OutboxMail, Participant

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "konstanz-mai"
SECRET = "web-load-benchmark-secret-0123456789"
TOTAL = 2000
IN_FLIGHT = 100
LANGUAGES = ["de", "en", "ar", "uk", "tr", "fa", "ru"]
SERIES = [["mon"], ["wed"], ["sat"], ["mon", "sat"], ["wed", "sat"]]
DISTRICTS = ["Altstadt", "Paradies", "Petershausen-Ost", "Wollmatingen", "Egg"]


@dataclass
class Outcome:
    seconds: float
    status: int
    retries: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _form(i: int, code: str | None) -> dict[str, Any]:
    form: dict[str, Any] = {
        "role": "citizen" if code else "newcomer",
        "code": code or "",
        "first_name": f"Person{i}",
        "last_name": "Loadtest",
        "email": f"person{i}@load.example.org",
        "preferred_language": LANGUAGES[i % 4],
        "languages": [LANGUAGES[i % len(LANGUAGES)], "de"],
        "series": SERIES[i % len(SERIES)],
        "district": DISTRICTS[i % len(DISTRICTS)],
        "age_band": ["18-29", "30-44", "45-64", "65+"][i % 4],
        "consent": "yes",
    }
    if code is None:
        form["origin"] = ["SY", "UA", "AF", "TR", "IR"][i % 5]
    return form


async def _submit(
    client: httpx.AsyncClient, gate: asyncio.Semaphore, form: dict[str, Any]
) -> Outcome:
    async with gate:
        started = time.perf_counter()
        for retries in range(3):
            try:
                response = await client.post("/rounds/konstanz-mai/register", data=form)
            except httpx.TransportError:
                # A dropped connection says nothing about whether the registration was
                # stored; sending it again is safe, because a known email adds no second row.
                continue
            return Outcome(time.perf_counter() - started, response.status_code, retries)
        return Outcome(time.perf_counter() - started, 0, 3)


async def _load(base_url: str, forms: list[dict[str, Any]]) -> tuple[float, list[Outcome]]:
    gate = asyncio.Semaphore(IN_FLIGHT)
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(_submit(client, gate, form) for form in forms))
        return time.perf_counter() - started, list(outcomes)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web_load")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "VEKL_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server; a database of its own is created on it and dropped after",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()

    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    name = f"vekl_web_load_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    process = None
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            spec = rounds.load_round_file(EXAMPLE / "round.toml")
            spec = spec.model_copy(update={"registration_deadline": None})
            created = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "bench")
            codes = letter_codes.generate(
                session, created, TOTAL // 2, secret=SECRET, actor="bench"
            )

        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "VEKL_DATABASE_URL": url,
            "VEKL_ENVIRONMENT": "production",
            "VEKL_SECRET_KEY": SECRET,
            "VEKL_BASE_URL": base_url,
            "VEKL_CONTROLLER_NAME": "Stadt Konstanz",
            "VEKL_CONTROLLER_ADDRESS": "Kanzleistraße 15, 78462 Konstanz",
            "VEKL_CONTACT_EMAIL": "dialog@konstanz.example",
        }
        vekl = Path(sys.executable).parent / "vekl"
        out = ROOT / "benchmarks" / "out"
        out.mkdir(exist_ok=True)
        server_log = (out / "web_load_server.log").open("w")
        process = subprocess.Popen(
            # Mails are only queued here, as in the request; sending is measured elsewhere.
            [
                str(vekl),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--no-worker",
            ],
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base_url + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("vekl serve did not start")
            time.sleep(0.2)

        forms = [_form(i, codes[i // 2] if i % 2 == 0 else None) for i in range(TOTAL)]
        elapsed, outcomes = asyncio.run(_load(base_url, forms))
        # The same 100 people submit again, all at once: nothing new may be stored.
        _, repeats = asyncio.run(_load(base_url, forms[:IN_FLIGHT]))

        latencies = [o.seconds for o in outcomes]
        statuses = sorted({o.status for o in outcomes + repeats})
        with sessions() as session:
            people = session.scalar(select(func.count()).select_from(Participant))
            emails = session.scalar(select(func.count(func.distinct(Participant.email))))
            used = session.scalar(
                select(func.count()).where(InvitationCode.participant_id.is_not(None))
            )
            mails = session.scalar(
                select(func.count()).where(OutboxMail.kind == "registration_confirmation")
            )
        engine.dispose()
        result = {
            "registrations": TOTAL,
            "in_flight": IN_FLIGHT,
            "workers": args.workers,
            "seconds": round(elapsed, 2),
            "requests_per_second": round(TOTAL / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1),
            "statuses": statuses,
            "transport_retries": sum(o.retries for o in outcomes + repeats),
            "stored": people,
            "distinct_emails": emails,
            "codes_used": used,
            "confirmation_mails": mails,
            "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python "
            f"{platform.python_version()}",
        }
        print(json.dumps(result, indent=2))
        (out / "web_load.json").write_text(json.dumps(result, indent=2))
        ok = (
            statuses == [303]
            and people == emails == TOTAL
            and used == TOTAL // 2
            and mails == TOTAL
        )
        if not ok:
            print("FAILED: not every registration was stored exactly once", file=sys.stderr)
        return 0 if ok else 1
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
