"""Fixtures for the notification tests: an independent calendar parser and real SMTP servers.

The SMTP servers are aiosmtpd instances on 127.0.0.1 in this process, with a certificate from a
throwaway CA (trustme) that only the test clients trust, so STARTTLS, implicit TLS and
certificate checks run for real without any network access.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from tests.notifications.smtp_server import RecordingHandler, authenticator

REPO_ROOT = Path(__file__).resolve().parents[2]
ICALJS_SCRIPT = Path(__file__).with_name("icaljs_dump.mjs")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _icaljs_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (REPO_ROOT / "node_modules" / "ical.js" / "package.json").is_file():
        return "node_modules/ical.js is missing; run `npm ci` at the repository root"
    return None


@pytest.fixture(scope="session")
def ical_js() -> Callable[[bytes], dict[str, Any]]:
    """Parse a calendar with ical.js under node; skipped without node, except under CI."""
    missing = _icaljs_missing()
    if missing is not None:
        if IN_CI:
            pytest.fail(f"ical.js check is required under CI: {missing}", pytrace=False)
        pytest.skip(f"ical.js check skipped: {missing}")
    node = shutil.which("node")
    assert node is not None

    def parse(ics: bytes) -> dict[str, Any]:
        # A zone far from Berlin, so a time read as floating local time cannot pass by luck.
        environment = {**os.environ, "TZ": "America/New_York"}
        done = subprocess.run(
            [node, str(ICALJS_SCRIPT)],
            input=ics,
            capture_output=True,
            cwd=REPO_ROOT,
            env=environment,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        parsed: dict[str, Any] = json.loads(done.stdout)
        return parsed

    return parse


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def client_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    """What a client trusts: only the test CA, with hostname checks on."""
    context = ssl.create_default_context()
    certificate_authority.configure_trust(context)
    return context


@pytest.fixture(scope="session")
def ca_file(certificate_authority: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def start_server() -> Iterator[Callable[..., tuple[RecordingHandler, int]]]:
    """Start an SMTP server: ``start_server(starttls=True, implicit_tls=False, auth=False)``."""
    controllers: list[Controller] = []

    def start(
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        auth: bool = False,
        handler: RecordingHandler | None = None,
    ) -> tuple[RecordingHandler, int]:
        handler = handler or RecordingHandler()
        port = free_port()
        options: dict[str, Any] = {}
        if tls is not None and implicit_tls:
            options["ssl_context"] = tls
        elif tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if auth:
            # With implicit TLS the whole session is encrypted, but aiosmtpd only counts
            # STARTTLS as TLS for this rule.
            options.update(authenticator=authenticator, auth_require_tls=not implicit_tls)
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return handler, port

    yield start
    for controller in controllers:
        controller.stop()
