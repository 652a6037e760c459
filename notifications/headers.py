"""Guards against header injection.

A display name or subject that carries a line break could smuggle extra headers (a ``Bcc:``) or
end the header block early. Such values are refused with :class:`UnsafeHeaderError` at the
earliest point: when the typed models are built, again when a message is assembled, and once more
by the transports before anything reaches a server, so a message parsed back from storage is
covered too.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message

# Python's str.splitlines() and some mail software also break lines at these, so they are just as
# dangerous in a header as CR and LF.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
# Folding whitespace in a header that was parsed back from bytes is legitimate.
_FOLDING = re.compile(r"\r?\n[ \t]")


class UnsafeHeaderError(ValueError):
    """A header value contains CR, LF, NUL or another control character."""


def check_header_value(field: str, value: str) -> str:
    """Return ``value`` unchanged, or raise if it could break out of its header line."""
    match = _FORBIDDEN.search(value)
    if match is not None:
        raise UnsafeHeaderError(
            f"{field} must be a single line without control characters; "
            f"found {match.group()!r} at position {match.start()}"
        )
    return value


def check_message_headers(message: Message | EmailMessage) -> None:
    """Refuse a message in which any header value contains a line break that is not folding."""
    for name, value in message.raw_items():
        check_header_value(name, _FOLDING.sub(" ", str(value)))
