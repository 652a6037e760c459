"""A cap on request bodies, applied before any route parses them.

Starlette spools a multipart part to disk as it arrives and checks a form only once it has it
whole, so a 300 MB "form" would be written out before being refused. This pure ASGI middleware
refuses a declared ``Content-Length`` over the limit with 413 without calling the app, and
counts the bytes of a body without one (chunked): once they pass the limit it answers 413 and
tells the app the client has gone, so the app stops reading.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ORGANISER_BODY_LIMIT = 5 * 1024 * 1024
"""Organisers upload CSV files of registrations and round files."""
PUBLIC_BODY_LIMIT = 64 * 1024
"""Registration forms and JSON requests are a few kilobytes."""

_TOO_LARGE = "Die Anfrage ist zu groß.\nThe request is too large.\n".encode()


EXTRACT_BODY_LIMIT = 32 * 1024 * 1024
"""A register extract of all 90,000 adults of Konstanz is about 8 MB."""


def body_limit(path: str) -> int:
    """The largest body accepted for a request to ``path``."""
    organiser = path == "/organiser" or path.startswith("/organiser/")
    if organiser and path.endswith("/lottery/extract"):
        return EXTRACT_BODY_LIMIT
    return ORGANISER_BODY_LIMIT if organiser else PUBLIC_BODY_LIMIT


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server refuses a malformed length itself
            if too_large:
                await _refuse(send)
                return
        received = 0
        refused = False
        started = False
        answered = False

        async def counted_receive() -> Message:
            nonlocal received, refused, answered
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send)
                        answered = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the 413 has been sent; what the app answers to the disconnect is not
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_TOO_LARGE)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_LARGE})
