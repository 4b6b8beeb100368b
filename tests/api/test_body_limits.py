"""The body cap on the API: 413 in the API's error shape, before authentication, chunked bodies included."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.api import assert_error
from tests.support.live_server import serving

MIB = 1024 * 1024


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


def test_an_oversized_json_body_is_refused_before_authentication(client: TestClient) -> None:
    declared = client.post(
        "/api/session", content=b" " * (MIB + 1), headers={"content-type": "application/json"}
    )
    assert_error(declared, 413, "POST /api/session accepts at most 1 MB")
    assert declared.headers["x-content-type-options"] == "nosniff"  # the security headers still apply
    chunked = client.post(
        "/api/session", content=_chunks(2 * MIB), headers={"content-type": "application/json"}
    )
    assert_error(chunked, 413, "at most 1 MB")


def test_routes_that_carry_images_allow_more(client: TestClient) -> None:
    """Dataset creation carries base64 seed images: 2 MB gets as far as authentication (401), not 413."""
    body = b'{"datasetName": "big", "labels": ["cat"], "description": "' + b"a" * (2 * MIB) + b'"}'
    answered = client.post("/api/dataset", content=iter([body]), headers={"content-type": "application/json"})
    assert answered.status_code == 401, answered.text


def test_a_chunked_body_is_answered_413_before_it_is_all_sent(app: FastAPI) -> None:
    """Over a real socket: the server answers once the allowance is passed, and stops reading.

    The client sends a 64 MB chunked body in 64 KB chunks with a small send buffer, watching for the
    answer between chunks. The 413 must come back long before the body is sent; nothing waits for it.
    """
    total = 64 * MIB
    chunk = b" " * (64 * 1024)
    with serving(app) as url:
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
            sock.sendall(
                b"POST /api/session HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            sent = 0
            while sent < total:
                if select.select([sock], [], [], 0)[0]:
                    break  # the answer has arrived
                try:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except (BrokenPipeError, ConnectionResetError):
                    break  # the server closed the connection after answering
                sent += len(chunk)
            answer = b""
            while b"accepts at most" not in answer and (part := sock.recv(65536)):
                answer += part  # headers and body may come in separate packets
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"accepts at most 1 MB" in answer
    assert sent < 16 * MIB, f"{sent} bytes went out before the answer"
