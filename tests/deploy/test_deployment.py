"""A deployment as the production guide in README.md describes it, done as an operator would.

Builds the wheel from a copy of the source, installs it into a fresh virtualenv, upgrades a
fresh PostgreSQL database with the installed ``vekl``, starts ``vekl serve --no-worker`` and
``vekl worker`` with VEKL_ENVIRONMENT=production and a mail server on loopback (aiosmtpd),
then registers through the JSON API and waits for the confirmation mail to arrive.

The fresh virtualenv gets its dependencies from this one's site-packages (a ``.pth`` line)
rather than from the network, which keeps the test offline-friendly and within a minute;
the application itself, with its templates, catalogs, migrations and static files, comes
only from the wheel, and the test checks that it does.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.api.bodies import newcomer
from tests.databases import fresh_postgres
from tests.dates import open_for_a_month
from tests.notifications.smtp_server import RecordingHandler

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "build",
    "dist",
    "demo",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    "*.sqlite3",
)
# What the installed application reads from its own package at run time.
PACKAGE_DATA = (
    "api/templates/register.html",
    "api/templates/organiser/run.html",
    "api/static/vekl.css",
    "notifications/locale/de/LC_MESSAGES/messages.po",
    "notifications/locale/uk/LC_MESSAGES/messages.po",
    "vekl/migrations/env.py",
    "vekl/migrations/script.py.mako",
    "vekl/migrations/versions/0006_jobs.py",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(condition: Callable[[], bool], what: str, logs: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            found = {p.name: p.read_text()[-3000:] for p in logs.glob("*.log")}
            raise AssertionError(f"timed out waiting for {what}; logs: {found}")
        time.sleep(0.1)


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_postgres("vekl_deploy") as url:
        yield url


@pytest.fixture
def mail_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _build_wheel(folder: Path) -> Path:
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = folder.glob("vekl-*.whl")
    return wheel


def _install(wheel: Path, folder: Path) -> Path:
    """A fresh virtualenv with the wheel in it; returns its ``bin`` folder."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run(
        [*pip, "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    # The dependencies (not the application) from this environment, after the install so
    # that pip does not mistake this environment's editable copy for the wheel.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "vekl_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv / "bin"


@contextmanager
def _started(
    command: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def test_wheel_installs_and_serves_with_a_separate_worker(
    tmp_path: Path, database: str, mail_server: tuple[RecordingHandler, int]
) -> None:
    started = time.monotonic()
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in PACKAGE_DATA if name not in names] == []
    bin_dir = _install(wheel, tmp_path)
    located = subprocess.run(
        [str(bin_dir / "python"), "-c", "import api, vekl; print(vekl.__file__, api.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert all(path.startswith(str(tmp_path / "venv")) for path in located.split()), located

    handler, smtp_port = mail_server
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("VEKL_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(
        PATH=f"{bin_dir}:{env.get('PATH', '')}",
        VEKL_ENVIRONMENT="production",
        VEKL_DATABASE_URL=database,
        VEKL_SECRET_KEY=secrets.token_urlsafe(32),
        VEKL_BASE_URL=base_url,
        VEKL_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        VEKL_MAIL_FROM="VEKL Konstanz <vekl@konstanz.example>",
        VEKL_CONTROLLER_NAME="Stadt Konstanz",
        VEKL_CONTROLLER_ADDRESS="Kanzleistraße 15, 78462 Konstanz",
        VEKL_CONTACT_EMAIL="dialog@konstanz.example",
    )
    work = tmp_path / "srv"
    work.mkdir()
    round_file = work / "round.toml"
    # Open for a month from today, whatever day the test runs on.
    deadline = open_for_a_month().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    round_file.write_text(
        re.sub(
            r"(?m)^registration_deadline.*$",
            f"registration_deadline = {deadline}",
            (ROOT / "examples" / "konstanz-mai" / "round.toml").read_text(),
        )
    )
    vekl = str(bin_dir / "vekl")
    for step in (["db", "upgrade"], ["round", "create", str(round_file)]):
        subprocess.run([vekl, *step], env=env, cwd=work, check=True, capture_output=True)

    serve = [vekl, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    with (
        _started(serve, env, work, work / "serve.log") as web,
        _started([vekl, "worker"], env, work, work / "worker.log") as worker,
    ):

        def healthy() -> bool:
            try:
                return httpx.get(f"{base_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(healthy, "GET /health to answer 200", work, 60)
        registered = httpx.post(
            f"{base_url}/api/v1/rounds/konstanz-mai/registrations?lang=en",
            json=newcomer(),
            timeout=10,
        )
        assert registered.status_code == 202, registered.text
        _wait_for(lambda: bool(handler.received), "the confirmation mail", work, 30)
        [mail] = handler.received
        assert mail.rcpt_tos == ("olena.melnyk@example.org",)
        body = mail.message.get_body(preferencelist=("plain",))
        assert body is not None
        assert re.search(re.escape(base_url) + r"/me/[A-Za-z0-9_-]{43}/confirm", body.get_content())
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        assert web.wait(20) == 0 and worker.wait(20) == 0
    assert "mail: 1 sent" in (work / "worker.log").read_text()
    assert time.monotonic() - started < 90
