"""A transport that writes each mail into a folder instead of sending it.

For development, the demo and staging: the mails can be opened in any mail client. A file is
named after the Message-ID, so sending the same message again replaces the file instead of adding
a duplicate, and it appears under its final name only once it is complete (written to a temporary
file, flushed, then renamed), so a reader never sees half a mail.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from notifications.delivery import (
    DeliveryOutcome,
    DeliveryStatus,
    Gate,
    OutgoingMessage,
    UnusableMessage,
    message_id_of,
    prepare,
    withheld,
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")
_MAX_STEM = 180


def eml_filename(message_id: str) -> str:
    """``<abc@example.org>`` becomes ``abc@example.org.eml``.

    Characters that are unsafe in file names are replaced; when that happens, a short hash of
    the original id is appended so that two different ids never share a file.
    """
    stem = message_id.strip().removeprefix("<").removesuffix(">")
    safe = _UNSAFE.sub("_", stem).lstrip(".")
    if safe != stem or len(safe) > _MAX_STEM or not safe:
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
        safe = f"{safe[:_MAX_STEM]}-{digest}"
    return f"{safe}.eml"


class FileSink:
    """Writes each message as ``<message-id>.eml`` (CRLF line ends, as sent) into ``directory``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"FileSink({str(self.directory)!r})"

    def write(self, message: OutgoingMessage) -> Path:
        """Write one message atomically and return its path; raises on unusable messages."""
        envelope, data = prepare(message)
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / eml_filename(envelope.message_id)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def _write_one(self, message: OutgoingMessage) -> DeliveryOutcome:
        message_id = message_id_of(message)
        try:
            path = self.write(message)
        except UnusableMessage as error:
            return DeliveryOutcome(message_id, DeliveryStatus.PERMANENT, str(error))
        except OSError as error:
            # A full disk or a missing permission may be fixed; the message is fine.
            return DeliveryOutcome(message_id, DeliveryStatus.TEMPORARY, str(error))
        return DeliveryOutcome(message_id, DeliveryStatus.DELIVERED, str(path))

    async def send(
        self, messages: Sequence[OutgoingMessage], gate: Gate | None = None
    ) -> list[DeliveryOutcome]:
        """Write ``messages``; same contract as :meth:`SmtpTransport.send`."""
        outcomes = []
        for index, message in enumerate(messages):
            if gate is not None and not await gate.begin(index):
                outcomes.append(withheld(message))
                continue
            outcome = await asyncio.to_thread(self._write_one, message)
            outcomes.append(outcome)
            if gate is not None:
                await gate.done(index, outcome)
        return outcomes

    def send_sync(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryOutcome]:
        """Write ``messages`` without an event loop."""
        return [self._write_one(message) for message in messages]
