"""What a transport reports back for each message, and the checks every transport applies.

Transports only classify; when and how often to try again is the outbox's decision.
:func:`retry_delay` is offered as a sensible default for that decision.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from enum import StrEnum
from typing import Protocol

from notifications.headers import UnsafeHeaderError, check_message_headers


class DeliveryStatus(StrEnum):
    """How one delivery attempt ended."""

    DELIVERED = "delivered"
    """The server (or the folder) took responsibility for the message."""
    TEMPORARY = "temporary"
    """Worth another attempt later: 4xx answer, timeout, dropped or refused connection."""
    PERMANENT = "permanent"
    """Trying again will not help: 5xx answer, or the message itself is unusable."""
    WITHHELD = "withheld"
    """Not transmitted, because the caller's :class:`Gate` said no just before."""


@dataclass(frozen=True)
class DeliveryOutcome:
    """The result for one message, in the order the messages were given.

    ``detail`` is the server's answer or a description of the local problem; it never contains
    credentials. ``smtp_code`` is set whenever the server answered with a code.
    """

    message_id: str
    status: DeliveryStatus
    detail: str = ""
    smtp_code: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status is DeliveryStatus.DELIVERED

    @property
    def retryable(self) -> bool:
        return self.status is DeliveryStatus.TEMPORARY


OutgoingMessage = EmailMessage | bytes
"""A message as rendered, or as the exact bytes stored in the outbox (sent unchanged)."""


_BARE_LINE_BREAK = re.compile(rb"\r(?!\n)|(?<!\r)\n")


class Gate(Protocol):
    """Hears about each message just before and just after its transmission.

    A sender that records each outcome as it happens (rather than after the whole batch)
    loses at most the one message in flight when it crashes. ``begin`` may refuse a
    message, which is then reported as :attr:`DeliveryStatus.WITHHELD` and not sent.
    Messages that fail the local checks, or that no connection could be opened for, may
    never be begun; their outcomes are then only in the returned list.
    """

    async def begin(self, index: int) -> bool: ...

    async def done(self, index: int, outcome: DeliveryOutcome) -> None: ...


class Transport(Protocol):
    """Anything that can take a batch of messages: :class:`SmtpTransport`, :class:`FileSink`."""

    async def send(
        self, messages: Sequence[OutgoingMessage], gate: Gate | None = None
    ) -> list[DeliveryOutcome]:
        """Deliver ``messages``; one outcome per message, same order. Never raises for a
        single message's failure."""
        ...


def withheld(message: OutgoingMessage) -> DeliveryOutcome:
    return DeliveryOutcome(
        message_id_of(message), DeliveryStatus.WITHHELD, "withheld by the sender"
    )


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope of a checked message: exactly one recipient, taken from ``To``."""

    message_id: str
    sender: str
    recipient: str


class UnusableMessage(ValueError):
    """The message cannot be sent as it is; retrying would not change that."""


def envelope_for(message: Message | EmailMessage, *, sender: str | None = None) -> Envelope:
    """Check a message before it leaves and work out its envelope.

    Refuses header values with line breaks, messages without a Message-ID, and anything but
    exactly one ``To`` address with no ``Cc``/``Bcc``. The envelope recipient is that one
    address, never a list gathered from the headers, so an injected ``Bcc`` could not add a
    recipient even if it got this far.
    """
    try:
        check_message_headers(message)
    except UnsafeHeaderError as error:
        raise UnusableMessage(str(error)) from error
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        raise UnusableMessage("the message has no Message-ID")
    for field in ("Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"):
        if message.get(field) is not None:
            raise UnusableMessage(f"{field} is not allowed; every mail goes to one person")
    to_headers = message.get_all("To") or []
    recipients = [address for _, address in getaddresses([str(value) for value in to_headers])]
    if len(to_headers) != 1 or len(recipients) != 1 or "@" not in recipients[0]:
        raise UnusableMessage("a message needs exactly one To address")
    if sender is None:
        senders = [address for _, address in getaddresses([str(message.get("From", ""))])]
        if len(senders) != 1 or "@" not in senders[0]:
            raise UnusableMessage("a message needs exactly one From address")
        sender = senders[0]
    return Envelope(message_id=message_id, sender=sender, recipient=recipients[0])


def _headers(message: OutgoingMessage) -> Message:
    if isinstance(message, bytes):
        return BytesHeaderParser(policy=policy.SMTP).parsebytes(message)
    return message


def prepare(message: OutgoingMessage, *, sender: str | None = None) -> tuple[Envelope, bytes]:
    """The checked envelope and the bytes to transmit (CRLF line ends).

    Stored bytes are passed on as they are, so a retry sends exactly what was queued. Their
    header block must use CRLF line ends throughout: a lone CR or LF is read differently by
    different mail software, which is what header smuggling exploits.
    """
    if isinstance(message, bytes):
        header_block = message.split(b"\r\n\r\n", 1)[0]
        if _BARE_LINE_BREAK.search(header_block) or b"\0" in message:
            raise UnusableMessage("the header block contains a bare CR or LF, or a NUL")
    envelope = envelope_for(_headers(message), sender=sender)
    if isinstance(message, bytes):
        return envelope, message
    try:
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    except (ValueError, LookupError) as error:
        raise UnusableMessage(f"the message cannot be serialised: {error}") from error
    return envelope, data


def message_id_of(message: OutgoingMessage) -> str:
    """The Message-ID for reporting, even for a message that failed its checks."""
    try:
        return str(_headers(message).get("Message-ID", "")).strip()
    except (ValueError, LookupError):
        return ""


def retry_delay(
    attempt: int,
    *,
    base: float = 60.0,
    cap: float = 6 * 3600.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt number ``attempt + 1`` after ``attempt`` failures.

    Doubles from ``base`` up to ``cap``, then picks a random point in the upper half of that
    window, so a batch that failed together does not retry in lockstep: the result lies in
    ``[d / 2, d]`` with ``d = min(cap, base * 2 ** (attempt - 1))``.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    window = min(cap, base * 2.0 ** min(attempt - 1, 64))
    return window / 2 + (rng or random.SystemRandom()).uniform(0, window / 2)
