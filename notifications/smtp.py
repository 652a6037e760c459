"""Sending over SMTP, many messages per connection.

Opening a connection costs a TCP handshake, a TLS handshake and a login; a batch of invitations
pays that once. When the connection breaks mid-batch, the affected message is reported as a
temporary failure and the rest of the batch goes over a fresh connection. Certificates are always
verified: a municipal mail relay has a proper certificate, and tests pass their own CA.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import ip_address
from typing import Final
from urllib.parse import unquote, urlsplit

import aiosmtplib

from notifications.delivery import (
    DeliveryOutcome,
    DeliveryStatus,
    Envelope,
    Gate,
    OutgoingMessage,
    UnusableMessage,
    message_id_of,
    prepare,
    withheld,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 30.0


class SmtpSecurity(StrEnum):
    """How the connection is protected."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


_SCHEMES: Final = {
    "smtp": (SmtpSecurity.NONE, 25),
    "smtp+starttls": (SmtpSecurity.STARTTLS, 587),
    "smtps": (SmtpSecurity.TLS, 465),
}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect; usually made by :meth:`from_url` from the settings.

    The password is excluded from ``repr`` and from :meth:`redacted_url`, the only forms in which
    settings are logged.
    """

    host: str
    port: int
    security: SmtpSecurity
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP username and password go together")
        plain = self.security is SmtpSecurity.NONE
        if self.username is not None and plain and not _is_loopback(self.host):
            raise ValueError(
                "refusing to send SMTP credentials unencrypted to "
                f"{self.host}; use smtp+starttls:// or smtps://"
            )
        if self.timeout <= 0:
            raise ValueError("the SMTP timeout must be positive")

    @classmethod
    def from_url(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> SmtpSettings:
        """Parse ``smtp://host:25``, ``smtp+starttls://user:pass@host:587`` or
        ``smtps://user:pass@host:465``.

        User and password are percent-decoded, so a password may contain ``@`` or ``:`` as
        ``%40`` and ``%3A``. Error messages never repeat the URL, which may hold the password.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            raise ValueError(
                f"unsupported SMTP URL scheme {scheme!r}; use one of {', '.join(_SCHEMES)}"
            )
        security, default_port = _SCHEMES[scheme]
        if not parts.hostname:
            raise ValueError("the SMTP URL has no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("the SMTP URL must not have a path, query or fragment")
        try:
            port = parts.port or default_port
        except ValueError:
            raise ValueError("the SMTP URL has an invalid port") from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if username is not None and password is None:
            raise ValueError("the SMTP URL has a user but no password")
        return cls(
            host=parts.hostname,
            port=port,
            security=security,
            username=username,
            password=password,
            timeout=timeout,
        )

    def redacted_url(self) -> str:
        """The settings as a URL without the password, for logs and error messages."""
        scheme = {v[0]: k for k, v in _SCHEMES.items()}[self.security]
        user = f"{self.username}:***@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"


def _classify(code: int, reply: str, message_id: str) -> DeliveryOutcome:
    if 200 <= code < 300:
        status = DeliveryStatus.DELIVERED
    elif 500 <= code < 600:
        status = DeliveryStatus.PERMANENT
    else:
        status = DeliveryStatus.TEMPORARY
    return DeliveryOutcome(message_id, status, f"{code} {reply}".strip(), code)


class SmtpTransport:
    """Delivers batches of messages over one reused SMTP connection.

    ``tls_context`` (or ``ca_file``) replaces the system's trusted certificates, e.g. with a
    test CA; hostname and certificate checks stay on either way. ``envelope_sender`` sets the
    bounce address (``MAIL FROM``); by default it is the message's From address.
    """

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        tls_context: ssl.SSLContext | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        envelope_sender: str | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if tls_context is not None and ca_file is not None:
            raise ValueError("pass either tls_context or ca_file, not both")
        self.settings = settings
        self._tls_context = tls_context or ssl.create_default_context(
            cafile=os.fspath(ca_file) if ca_file is not None else None
        )
        self._envelope_sender = envelope_sender
        self._local_hostname = local_hostname

    def __repr__(self) -> str:
        return f"SmtpTransport({self.settings.redacted_url()})"

    def _client(self) -> aiosmtplib.SMTP:
        settings = self.settings
        return aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            use_tls=settings.security is SmtpSecurity.TLS,
            start_tls=settings.security is SmtpSecurity.STARTTLS,
            tls_context=self._tls_context,
            validate_certs=True,
            timeout=settings.timeout,
            local_hostname=self._local_hostname,
        )

    async def _connect(self) -> aiosmtplib.SMTP:
        client = self._client()
        await client.connect()
        logger.debug("connected to %s", self.settings.redacted_url())
        return client

    async def _deliver(
        self, client: aiosmtplib.SMTP, envelope: Envelope, data: bytes
    ) -> DeliveryOutcome:
        try:
            _, reply = await client.sendmail(envelope.sender, [envelope.recipient], data)
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0]
            return _classify(refused.code, refused.message, envelope.message_id)
        except aiosmtplib.SMTPResponseException as error:
            if error.code == 421:
                client.close()  # "service closing": the server is about to hang up anyway
            return _classify(error.code, error.message, envelope.message_id)
        except (aiosmtplib.SMTPException, OSError) as error:
            # Timeouts and dropped connections leave the session in an unknown state: drop it
            # so the next message starts on a fresh one.
            client.close()
            reason = f"{type(error).__name__}: {error}".strip()
            return DeliveryOutcome(envelope.message_id, DeliveryStatus.TEMPORARY, reason)
        return DeliveryOutcome(envelope.message_id, DeliveryStatus.DELIVERED, f"250 {reply}", 250)

    async def send(
        self, messages: Sequence[OutgoingMessage], gate: Gate | None = None
    ) -> list[DeliveryOutcome]:
        """Deliver ``messages`` in order over one connection, reconnecting after a break.

        Returns one outcome per message. Messages that fail the local checks are reported as
        permanent failures without being sent. If no connection can be made, the remaining
        messages are reported as temporary failures rather than raising. ``gate`` is asked
        right before each SMTP transaction and told its outcome right after it.
        """
        outcomes: list[DeliveryOutcome | None] = [None] * len(messages)
        prepared: list[tuple[int, Envelope, bytes]] = []
        for index, message in enumerate(messages):
            try:
                envelope, data = prepare(message, sender=self._envelope_sender)
            except UnusableMessage as error:
                outcomes[index] = DeliveryOutcome(
                    message_id_of(message), DeliveryStatus.PERMANENT, str(error)
                )
                logger.warning("not sending %s: %s", message_id_of(message), error)
                continue
            prepared.append((index, envelope, data))

        client: aiosmtplib.SMTP | None = None
        try:
            for position, (index, envelope, data) in enumerate(prepared):
                if client is None or not client.is_connected:
                    try:
                        client = await self._connect()
                    except (aiosmtplib.SMTPException, OSError) as error:
                        reason = f"cannot connect to {self.settings.redacted_url()}: {error}"
                        logger.warning("%s", reason)
                        for rest_index, rest, _ in prepared[position:]:
                            outcomes[rest_index] = DeliveryOutcome(
                                rest.message_id, DeliveryStatus.TEMPORARY, reason
                            )
                        break
                if gate is not None and not await gate.begin(index):
                    outcomes[index] = withheld(messages[index])
                    continue
                outcome = await self._deliver(client, envelope, data)
                outcomes[index] = outcome
                if gate is not None:
                    await gate.done(index, outcome)
                if not outcome.delivered:
                    logger.warning(
                        "delivery of %s: %s (%s)",
                        outcome.message_id,
                        outcome.status,
                        outcome.detail,
                    )
        finally:
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        return [
            outcome
            if outcome is not None
            else DeliveryOutcome(message_id_of(message), DeliveryStatus.TEMPORARY, "not attempted")
            for outcome, message in zip(outcomes, messages, strict=True)
        ]

    def send_sync(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryOutcome]:
        """:meth:`send` for callers without an event loop (CLI, worker threads)."""
        return asyncio.run(self.send(messages))
