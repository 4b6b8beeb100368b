"""Blobs are re-hashed as they are served: what a client receives was proven against its key first.

A blob small enough to check whole is refused before the answer starts; a larger one (or one of
unknown size) has its headers sent already, so its last chunk is held back and the stream is cut
short on a mismatch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import anyio
import pytest
from starlette.requests import Request
from starlette.responses import StreamingResponse

from sebrus.blobs import LocalBlobStore
from sebrus.http import caching
from sebrus.http.caching import CorruptBlob, immutable_blob_response

CHUNK = 1 << 16


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": []})


def _stored(tmp_path: Path, data: bytes) -> tuple[LocalBlobStore, str]:
    store = LocalBlobStore(tmp_path / "blobs")
    return store, store.put(data).key


def _drain(response: StreamingResponse) -> tuple[bytes, Exception | None]:
    """What the body iterator yields before it ends or fails, as the server would send it."""
    received = bytearray()

    async def read() -> Exception | None:
        try:
            async for chunk in response.body_iterator:
                received.extend(chunk.encode() if isinstance(chunk, str) else chunk)
        except Exception as exc:  # the server would drop the connection here
            return exc
        return None

    error = anyio.run(read)
    return bytes(received), error


def test_a_small_corrupt_blob_is_refused_before_answering(tmp_path: Path) -> None:
    store, key = _stored(tmp_path, b"original bytes")
    store.path_for(key).write_bytes(b"tampered bytes")
    told: list[str | None] = []
    with pytest.raises(CorruptBlob):
        immutable_blob_response(_request(), store, key, "image/png", size=14, on_corrupt=told.append)
    assert told == [hashlib.sha256(b"tampered bytes").hexdigest()]


def test_a_small_blob_grown_past_its_size_is_refused(tmp_path: Path) -> None:
    store, key = _stored(tmp_path, b"original")
    store.path_for(key).write_bytes(b"original plus a tail")
    with pytest.raises(CorruptBlob):
        immutable_blob_response(_request(), store, key, "image/png", size=8)


def test_a_sound_small_blob_is_served_whole(tmp_path: Path) -> None:
    store, key = _stored(tmp_path, b"x" * 1000)
    answer = immutable_blob_response(_request(), store, key, "image/png", size=1000)
    assert answer.body == b"x" * 1000 and answer.headers["ETag"] == f'"{key}"'
    assert answer.headers["Content-Length"] == "1000"


@pytest.mark.parametrize("declared", [None, 3 * CHUNK])
def test_a_large_corrupt_blob_is_cut_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, declared: int | None
) -> None:
    monkeypatch.setattr(caching, "VERIFY_IN_MEMORY_BYTES", CHUNK)  # 3 chunks count as large
    data = bytes(range(256)) * (3 * CHUNK // 256)
    store, key = _stored(tmp_path, data)
    store.path_for(key).write_bytes(data[:-1] + b"\x00")
    told: list[str | None] = []
    answer = immutable_blob_response(
        _request(), store, key, "image/png", size=declared, on_corrupt=told.append
    )
    assert isinstance(answer, StreamingResponse)
    received, error = _drain(answer)
    assert error is not None and "cut short" in str(error)
    assert len(received) < len(data)  # the last chunk never left
    assert told == [hashlib.sha256(data[:-1] + b"\x00").hexdigest()]


def test_a_large_sound_blob_streams_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "VERIFY_IN_MEMORY_BYTES", CHUNK)
    data = bytes(range(256)) * (3 * CHUNK // 256)
    store, key = _stored(tmp_path, data)
    answer = immutable_blob_response(_request(), store, key, "image/png", size=len(data))
    assert isinstance(answer, StreamingResponse)
    assert _drain(answer) == (data, None)
    assert answer.headers["Content-Length"] == str(len(data))


def test_a_large_blob_longer_than_declared_is_cut_before_the_extra_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching, "VERIFY_IN_MEMORY_BYTES", CHUNK)
    data = b"a" * (3 * CHUNK)
    store, key = _stored(tmp_path, data)
    store.path_for(key).write_bytes(data + b"b" * CHUNK)
    told: list[str | None] = []
    answer = immutable_blob_response(
        _request(), store, key, "image/png", size=len(data), on_corrupt=told.append
    )
    assert isinstance(answer, StreamingResponse)
    received, error = _drain(answer)
    assert error is not None and len(received) < len(data) and told == [None]
