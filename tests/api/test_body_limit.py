"""Request bodies are capped before anything parses them or writes them to disk."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from api.body_limit import (
    EXTRACT_BODY_LIMIT,
    ORGANISER_BODY_LIMIT,
    PUBLIC_BODY_LIMIT,
    BodyLimit,
    body_limit,
)
from vekl.store.models import Participant, Round

MB = 1024 * 1024


class Inner:
    """An app that reads the whole body, then answers 200 with how much it got."""

    def __init__(self) -> None:
        self.called = False
        self.read = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            self.read += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(self.read).encode()})


def _call(
    path: str, headers: list[tuple[bytes, bytes]], chunks: Iterator[bytes]
) -> tuple[Inner, list[Message], int]:
    inner = Inner()
    sent: list[Message] = []
    pulled = 0

    async def receive() -> Message:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(BodyLimit(inner)(scope, receive, send))
    return inner, sent, pulled


def _megabytes(n: int) -> Iterator[bytes]:
    return (b"x" * MB for _ in range(n))


def test_a_declared_length_over_the_limit_is_refused_without_calling_the_app() -> None:
    headers = [(b"content-length", str(300 * MB).encode())]
    inner, sent, pulled = _call("/rounds/r/register", headers, _megabytes(300))
    assert not inner.called and pulled == 0
    assert sent[0]["status"] == 413


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit() -> None:
    inner, sent, pulled = _call("/rounds/r/register", [], _megabytes(300))
    assert pulled == 1  # one megabyte is already over the public limit; 299 never read
    assert inner.read <= PUBLIC_BODY_LIMIT
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]
    _, sent, pulled = _call("/organiser/rounds/r/import/x", [], _megabytes(300))
    assert pulled == 6 and sent[0]["status"] == 413


def test_bodies_within_the_limit_pass_whole() -> None:
    inner, sent, _ = _call("/organiser/rounds/r/import/x", [], _megabytes(4))
    assert inner.read == 4 * MB and sent[0]["status"] == 200
    small = iter([b"a=1&b=2"])
    inner, sent, _ = _call("/rounds/r/register", [(b"content-length", b"7")], small)
    assert inner.read == 7 and sent[0]["status"] == 200
    assert body_limit("/organiser") == ORGANISER_BODY_LIMIT
    assert body_limit("/organiserx") == PUBLIC_BODY_LIMIT


def test_a_register_extract_of_the_whole_city_fits_and_no_more() -> None:
    """90,000 rows are about 8 MB: more than other organiser uploads, but still capped."""
    path = "/organiser/rounds/r/lottery/extract"
    assert body_limit(path) == EXTRACT_BODY_LIMIT > ORGANISER_BODY_LIMIT
    inner, sent, _ = _call(path, [], _megabytes(9))
    assert inner.read == 9 * MB and sent[0]["status"] == 200
    _, sent, pulled = _call(path, [], _megabytes(300))
    assert pulled == 33 and sent[0]["status"] == 413
    assert body_limit("/organiser/rounds/r/lottery/plan") == ORGANISER_BODY_LIMIT
    assert body_limit("/rounds/r/lottery/extract") == PUBLIC_BODY_LIMIT


def _people(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Participant)) or 0


def test_the_registration_form_refuses_a_huge_part(
    client: TestClient, db: Session, open_round: Round
) -> None:
    huge = b"x" * (PUBLIC_BODY_LIMIT + 1)
    declared = client.post(
        "/rounds/konstanz-mai/register", files={"first_name": ("a.txt", huge, "text/plain")}
    )
    assert declared.status_code == 413
    assert "zu groß" in declared.text

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"first_name=" + b"x" * PUBLIC_BODY_LIMIT

    streamed = client.post(
        "/rounds/konstanz-mai/register",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    assert _people(db) == 0
