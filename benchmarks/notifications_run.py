"""How fast invitations are rendered and delivered, with and without connection reuse.

Renders N invitations (four evenings each, with calendar files, recipients spread over the four
languages) and delivers them to an aiosmtpd server on loopback, once over a single reused
connection and once with a new connection per mail, both over plain SMTP and over STARTTLS with
login. The server runs in its own process so that it does not compete with the client for the
interpreter lock.

    .venv/bin/python -m benchmarks.notifications_run [--count 1000] [--repeat 3]

Each mode runs ``--repeat`` times and the median counts: on a shared machine single runs are
noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import socket
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import trustme

from notifications import (
    Evening,
    GroupInfo,
    GroupInvitation,
    Programme,
    Recipient,
    SmtpSettings,
    SmtpTransport,
    event_uid,
    make_message_id,
    render_mail,
)

BERLIN = ZoneInfo("Europe/Berlin")
PROGRAMME = Programme(email="vekl@konstanz.example", website_url="https://vekl.konstanz.example/")
NAMES = {
    "de": ("Anna Müller", "Anna"),
    "en": ("John O'Brien", "John"),
    "ar": ("ليلى حسن", "ليلى"),
    "uk": ("Олена Шевченко", "Олена"),
}
USERNAME, PASSWORD = "bench", "bench-password"


def invitations(count: int) -> list[GroupInvitation]:
    mails = []
    for number in range(count):
        lang = list(NAMES)[number % len(NAMES)]
        name, first_name = NAMES[lang]
        evenings = tuple(
            Evening(
                uid=event_uid(number, "series-1", slot, domain=PROGRAMME.domain),
                start=datetime(2026, 5, day, 18, 0, tzinfo=BERLIN),
                end=datetime(2026, 5, day, 21, 15, tzinfo=BERLIN),
                venue_name="Treffpunkt Petershausen",
                venue_address="Georg-Elser-Platz 1, 78467 Konstanz",
                step_free=True,
            )
            for slot, day in enumerate((9, 16, 23, 30), start=1)
        )
        group = GroupInfo(
            label=f"Seerhein {number // 8 + 1}",
            series_label="Frühjahr 2026",
            moderator_first_name="Miriam",
            evenings=evenings,
        )
        recipient = Recipient(
            name=name, first_name=first_name, email=f"person{number}@example.org", language=lang
        )
        mails.append(
            GroupInvitation(
                recipient=recipient,
                group=group,
                sequence=0,
                self_service_url=f"https://vekl.konstanz.example/me/token-{number}",
            )
        )
    return mails


# -- the server, in a process of its own ------------------------------------------------------


class _CountingHandler:
    def __init__(self, received: Synchronized[int]) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.received.get_lock():
            self.received.value += 1
        return "250 2.0.0 Ok: queued"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=data.login == USERNAME.encode(), handled=False)


def _serve(
    port: int,
    cert_dir: str | None,
    received: Synchronized[int],
    ready: Any,
    stop: Any,
) -> None:
    import logging

    from aiosmtpd.controller import Controller

    # aiosmtpd logs every connection (and a deprecation notice per login) at INFO/WARNING.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    options: dict[str, Any] = {}
    if cert_dir is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(Path(cert_dir) / "server.pem")
        options = {
            "tls_context": context,
            "require_starttls": True,
            "authenticator": _authenticator,
            "auth_require_tls": True,
        }
    controller = Controller(_CountingHandler(received), hostname="127.0.0.1", port=port, **options)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@dataclass
class Server:
    port: int
    received: Synchronized[int]
    process: multiprocessing.process.BaseProcess
    stop: Any


def start_server(cert_dir: str | None) -> Server:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    received = context.Value("i", 0)
    ready, stop = context.Event(), context.Event()
    process = context.Process(
        target=_serve, args=(port, cert_dir, received, ready, stop), daemon=True
    )
    process.start()
    if not ready.wait(30):
        raise RuntimeError("the SMTP server did not start")
    return Server(port, received, process, stop)


# -- the measurements -------------------------------------------------------------------------


async def one_connection(transport: SmtpTransport, messages: Sequence[EmailMessage]) -> int:
    outcomes = await transport.send(messages)
    return sum(outcome.delivered for outcome in outcomes)


async def connection_per_mail(transport: SmtpTransport, messages: Sequence[EmailMessage]) -> int:
    delivered = 0
    for message in messages:
        (outcome,) = await transport.send([message])
        delivered += outcome.delivered
    return delivered


def timed(function: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, {sys.platform}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notifications_run")
    parser.add_argument("--count", type=int, default=1000, help="mails per run (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the median counts")
    args = parser.parse_args(argv)
    count: int = args.count
    repeat: int = args.repeat

    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    mails = invitations(count)
    now = datetime.now(UTC)
    render_seconds, messages = timed(
        lambda: [
            render_mail(mail, PROGRAMME, message_id=make_message_id(PROGRAMME.domain), now=now)
            for mail in mails
        ]
    )
    size = sum(len(message.as_bytes()) for message in messages) / len(messages)
    print(f"rendered {count} invitations in {render_seconds:.2f} s, {size / 1024:.1f} KiB each")

    ca = trustme.CA()
    rows = []
    with tempfile.TemporaryDirectory() as cert_dir:
        ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
            str(Path(cert_dir) / "server.pem")
        )
        client_tls = ssl.create_default_context()
        ca.configure_trust(client_tls)
        for security, server_certs in (("plain SMTP", None), ("STARTTLS + AUTH", cert_dir)):
            server = start_server(server_certs)
            try:
                if server_certs is None:
                    url = f"smtp://127.0.0.1:{server.port}"
                else:
                    url = f"smtp+starttls://{USERNAME}:{quote(PASSWORD)}@127.0.0.1:{server.port}"
                transport = SmtpTransport(SmtpSettings.from_url(url), tls_context=client_tls)
                # Warm up the server process (imports, first TLS handshake) before measuring.
                asyncio.run(one_connection(transport, messages[:20]))
                for mode, send in (
                    ("one connection", one_connection),
                    ("connection per mail", connection_per_mail),
                ):
                    runs = []
                    for _ in range(repeat):
                        before = server.received.value
                        seconds, delivered = timed(
                            lambda s=send, t=transport: asyncio.run(s(t, messages))
                        )
                        arrived = server.received.value - before
                        if delivered != count or arrived != count:
                            raise RuntimeError(f"{mode}: {delivered} delivered, {arrived} arrived")
                        runs.append(seconds)
                    seconds = statistics.median(runs)
                    rows.append((security, mode, seconds))
                    spread = ", ".join(f"{count / run:.0f}" for run in runs)
                    print(f"{security:16} {mode:20} {count / seconds:6.0f} mails/s ({spread})")
            finally:
                server.stop.set()
                server.process.join(10)

    print()
    print("| transport | connections | send only (mails/s) | render + send (mails/s) |")
    print("|---|---|---:|---:|")
    for security, mode, seconds in rows:
        print(
            f"| {security} | {mode} | {count / seconds:.0f} | "
            f"{count / (seconds + render_seconds):.0f} |"
        )
    print(f"\nrendering alone: {count / render_seconds:.0f} mails/s ({count} invitations)")
    print(f"load average after: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
