"""HTTP caching shared by the API and the pages: ETags, ``304 Not Modified`` and immutable blobs.

A blob's key is the sha256 of its bytes, so the bytes behind a key never change: its response can be
cached for a year (``immutable``) with the key as a strong ETag, and a browser that revalidates
anyway gets a 304 without the store being touched. Mutable JSON (an ABI) gets an ETag from the hash
of its body and ``no-cache``: clients keep it but ask each time, and an unchanged ABI costs a 304.

Because a blob is cached for a year under its hash, serving bytes that no longer match that hash
would poison every cache on the way. Every blob is therefore re-hashed as it is served:

- a blob of known size up to ``VERIFY_IN_MEMORY_BYTES`` (every upload a dataset accepts by default)
  is read and checked before the answer starts, so a mismatch is refused cleanly with
  :class:`CorruptBlob` (the API answers 500 and nothing is cached);
- a larger blob, or one of unknown size, streams with its headers already sent, so the last chunk is
  held back until the whole blob has hashed: on a mismatch the stream is aborted instead, and the
  client sees a response shorter than its ``Content-Length`` (or a chunked body without its end),
  which every HTTP client treats as an error and no cache stores.

Either way ``on_corrupt`` is told, once, before the refusal, so the mismatch can be logged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from sebrus.blobs.base import BlobStore, iter_chunks

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Checked whole before answering up to this size: the default dataset limit (10 MiB) with room to spare.
VERIFY_IN_MEMORY_BYTES = 32 * 1024 * 1024

OnCorrupt = Callable[[str | None], None]
"""Told the sha256 the bytes actually have (None when the stream was cut before the end was read)."""


class CorruptBlob(Exception):
    """The stored bytes do not hash to their key; raised before any byte of the answer is sent."""

    def __init__(self, key: str, found: str) -> None:
        super().__init__(f"blob {key} hashes to {found}")
        self.key = key
        self.found = found


def strong_etag(opaque: str) -> str:
    return f'"{opaque}"'


def matches_if_none_match(request: Request, etag: str) -> bool:
    """RFC 9110 section 13.1.2: ``*`` or any listed tag equal to ``etag`` under weak comparison."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(etag: str, cache_control: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})


class _StreamAborted(Exception):
    """Raised inside a streaming body to cut it short: the server drops the connection."""


def verified_chunks(
    handle: BinaryIO, key: str, size: int | None, on_corrupt: OnCorrupt | None
) -> Iterator[bytes]:
    """``handle``'s bytes, closing it after; the last chunk is sent only once the whole blob hashed to
    ``key`` (and, when ``size`` is declared, no more bytes came than were declared)."""
    digest = hashlib.sha256()
    sent = 0
    held: bytes | None = None
    try:
        for chunk in iter_chunks(handle):
            digest.update(chunk)
            sent += len(chunk)
            if size is not None and sent > size:
                _report(on_corrupt, None)
                raise _StreamAborted(f"blob {key} is longer than its declared {size} bytes")
            if held is not None:
                yield held
            held = chunk
        found = digest.hexdigest()
        if found != key:
            _report(on_corrupt, found)
            raise _StreamAborted(f"blob {key} hashes to {found}; the stream was cut short")
        if held is not None:
            yield held
    finally:
        handle.close()


def _report(on_corrupt: OnCorrupt | None, found: str | None) -> None:
    if on_corrupt is not None:
        on_corrupt(found)


def _read_verified(handle: BinaryIO, key: str, size: int, on_corrupt: OnCorrupt | None) -> bytes:
    with handle:
        data = handle.read(size + 1)  # one byte past the declared size is enough to know it is wrong
    found = hashlib.sha256(data).hexdigest()
    if found != key:
        _report(on_corrupt, found)
        raise CorruptBlob(key, found)
    return data


def immutable_blob_response(
    request: Request,
    blobs: BlobStore,
    key: str,
    media_type: str,
    size: int | None = None,
    on_corrupt: OnCorrupt | None = None,
) -> Response:
    """Blob ``key``, re-hashed as it is served and cacheable for a year; 304 when the client holds it.

    Raises :class:`~sebrus.blobs.base.BlobNotFound` before any byte is sent, so the caller can
    still answer 404, and :class:`CorruptBlob` for a mismatch found before answering (see the module).
    """
    etag = strong_etag(key)
    if matches_if_none_match(request, etag):
        return not_modified(etag, IMMUTABLE)
    handle = blobs.open(key)
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if size is not None and size <= VERIFY_IN_MEMORY_BYTES:
        data = _read_verified(handle, key, size, on_corrupt)
        return Response(data, media_type=media_type, headers=headers)
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(
        verified_chunks(handle, key, size, on_corrupt), media_type=media_type, headers=headers
    )


def json_with_etag(request: Request, model: BaseModel) -> Response:
    """``model`` as JSON with an ETag of its exact body; 304 when the client's copy is the same."""
    response = JSONResponse(model.model_dump(mode="json", by_alias=True))
    etag = strong_etag(hashlib.sha256(response.body).hexdigest())
    if matches_if_none_match(request, etag):
        return not_modified(etag, REVALIDATE)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = REVALIDATE
    return response
