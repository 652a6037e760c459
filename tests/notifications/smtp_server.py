"""An aiosmtpd handler that records what arrives and misbehaves on request.

The recipient address picks the behaviour, so one batch can mix good and bad cases:
``busy@`` is answered 451 the first time and accepted after, ``reject@`` gets 550 at RCPT,
``drop@`` has its connection cut after the message data was sent, ``slow@`` gets no answer
until the client has given up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME = "vekl-mailer"
PASSWORD = "p@ss:w/rd%20ünï"  # characters that need percent-encoding in a URL


@dataclass(frozen=True)
class Received:
    peer: tuple[str, int]
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool
    authenticated_as: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    busy_answers: int = 1
    peers_seen: list[tuple[str, int]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self._seen(session)
        if address.startswith("reject@"):
            return "550 5.1.1 <reject@example.org>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._seen(session)
        recipient = envelope.rcpt_tos[0]
        if recipient.startswith("busy@") and self.busy_answers > 0:
            self.busy_answers -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        if recipient.startswith("drop@"):
            server.transport.abort()
            return "250 OK"
        if recipient.startswith("slow@"):
            await asyncio.sleep(30)
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(
                peer=session.peer,
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                content=envelope.content,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                authenticated_as=login,
            )
        )
        return "250 2.0.0 Ok: queued"

    def _seen(self, session: Any) -> None:
        if session.peer not in self.peers_seen:
            self.peers_seen.append(session.peer)

    @property
    def connections(self) -> int:
        return len(self.peers_seen)


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    # handled=False lets aiosmtpd send the 235 or 535 answer itself.
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    accepted = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=accepted, handled=False, auth_data=auth_data if accepted else None)
