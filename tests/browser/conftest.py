"""A real ``vekl serve`` on a free local port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.dates import open_for_a_month
from vekl.registration import letter_codes
from vekl.rounds import service as rounds
from vekl.store import migrate
from vekl.store.db import make_engine, make_sessionmaker, transaction

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "konstanz-mai"
SECRET = "browser-test-secret-key-0123456789"
IN_CI = os.environ.get("CI", "").lower() == "true"
CONTACT = {
    "VEKL_CONTROLLER_NAME": "Stadt Konstanz, Amt für Migration und Integration",
    "VEKL_CONTROLLER_ADDRESS": "Kanzleistraße 15, 78462 Konstanz",
    "VEKL_CONTACT_EMAIL": "dialog@konstanz.example",
    "VEKL_CONTACT_PHONE": "+49 7531 000-0000",
    "VEKL_IMPRINT_URL": "https://www.konstanz.example/impressum",
}


@contextmanager
def running_server(
    database_url: str, folder: Path, *, ready_path: str, secret: str = SECRET
) -> Iterator[str]:
    """``vekl serve`` as a real process on a free loopback port, until the block ends.

    Its output goes to ``folder/serve.log``; mails to ``folder/mail``.
    """
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VEKL_DATABASE_URL": database_url,
        "VEKL_ENVIRONMENT": "test",
        "VEKL_SECRET_KEY": secret,
        "VEKL_BASE_URL": base_url,
        "VEKL_MAIL_DIR": str(folder / "mail"),
        **CONTACT,
    }
    vekl = Path(sys.executable).parent / "vekl"
    with (folder / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [str(vekl), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base_url + ready_path, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "vekl serve did not start: " + (folder / "serve.log").read_text()
                    )
                time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    base_url: str
    sessions: sessionmaker[Session]
    codes: list[str]
    log: Path
    mail_dir: Path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'browser.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        spec = rounds.load_round_file(EXAMPLE / "round.toml")
        spec = spec.model_copy(update={"registration_deadline": open_for_a_month()})
        round = rounds.create_round(session, spec, ZoneInfo("Europe/Berlin"), "test")
        codes = letter_codes.generate(session, round, 4, secret=SECRET, actor="test")
    with running_server(url, folder, ready_path="/") as base_url:
        yield Server(base_url, sessions, codes, folder / "serve.log", folder / "mail")
    engine.dispose()


# Module scope: Playwright's sync API keeps an event loop running in the main thread
# while it is open, which would break every later test that calls asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"browser tests are required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
