"""BodySizeLimit on its own: it counts what the app pulls through ``receive`` and stops at the allowance."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message, Scope

from sebrus.http.body_allowances import MIB
from sebrus.http.body_limit import BodySizeLimit

CHUNK = 64 * 1024


async def _echo_length(request: Request) -> JSONResponse:
    return JSONResponse({"received": len(await request.body())})


def _client() -> TestClient:
    routes = [Route(path, _echo_length, methods=["POST"]) for path in ("/api/session", "/api/dataset")]
    return TestClient(Starlette(routes=routes, middleware=[Middleware(BodySizeLimit)]))


def _chunks(total: int) -> Iterator[bytes]:
    """A generator body: httpx sends it chunked, without Content-Length."""
    for start in range(0, total, CHUNK):
        yield b"x" * min(CHUNK, total - start)


def test_a_body_within_the_allowance_reaches_the_app() -> None:
    answered = _client().post("/api/session", content=b"x" * MIB)
    assert answered.status_code == 200 and answered.json() == {"received": MIB}


def test_a_declared_length_over_the_allowance_is_refused_before_reading() -> None:
    answered = _client().post("/api/session", content=b"x" * (MIB + 1))
    assert answered.status_code == 413
    assert "POST /api/session accepts at most 1 MB" in answered.text


def test_a_chunked_body_over_the_allowance_is_refused() -> None:
    client = _client()
    refused = client.post("/api/session", content=_chunks(MIB + 1))
    assert refused.status_code == 413
    # The same chunked size is fine where the table allows more.
    accepted = client.post("/api/dataset", content=_chunks(MIB + 1))
    assert accepted.status_code == 200 and accepted.json() == {"received": MIB + 1}


def _pull_body(scope: Scope, total: int) -> tuple[int, list[Message]]:
    """Run the middleware around an app that reads the whole body; count the chunks taken from the client."""
    pulled = 0
    sent: list[Message] = []

    async def client_receive() -> Message:
        nonlocal pulled
        pulled += 1
        more = pulled * CHUNK < total
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": more}

    async def client_send(message: Message) -> None:
        sent.append(message)

    app = Starlette(routes=[Route("/api/session", _echo_length, methods=["POST"])])
    asyncio.run(BodySizeLimit(app)(scope, client_receive, client_send))
    return pulled, sent


def _scope(headers: list[tuple[bytes, bytes]]) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/session",
        "raw_path": b"/api/session",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
    }


def test_reading_stops_at_the_first_chunk_past_the_allowance() -> None:
    total = 300 * MIB
    pulled, sent = _pull_body(_scope([(b"transfer-encoding", b"chunked")]), total)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert pulled == MIB // CHUNK + 1  # the 300 MB that follow are never taken off the connection


def test_a_declared_length_over_the_allowance_reads_nothing() -> None:
    pulled, sent = _pull_body(_scope([(b"content-length", str(300 * MIB).encode())]), 300 * MIB)
    assert sent[0]["status"] == 413 and pulled == 0
