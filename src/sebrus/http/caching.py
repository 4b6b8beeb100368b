"""HTTP caching shared by the API and the pages: ETags, ``304 Not Modified`` and immutable blobs.

A blob's key is the sha256 of its bytes, so the bytes behind a key never change: its response can be
cached for a year (``immutable``) with the key as a strong ETag, and a browser that revalidates
anyway gets a 304 without the store being touched. Mutable JSON (an ABI) gets an ETag from the hash
of its body and ``no-cache``: clients keep it but ask each time, and an unchanged ABI costs a 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from sebrus.blobs.base import BlobStore, iter_chunks

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


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


def _close_after(handle: BinaryIO) -> Iterator[bytes]:
    try:
        yield from iter_chunks(handle)
    finally:
        handle.close()


def immutable_blob_response(
    request: Request, blobs: BlobStore, key: str, media_type: str, size: int | None = None
) -> Response:
    """Stream blob ``key``, cacheable for a year; 304 when the client already holds it.

    Raises :class:`~sebrus.blobs.base.BlobNotFound` before any byte is sent, so the caller can
    still answer 404.
    """
    etag = strong_etag(key)
    if matches_if_none_match(request, etag):
        return not_modified(etag, IMMUTABLE)
    handle = blobs.open(key)
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(_close_after(handle), media_type=media_type, headers=headers)


def json_with_etag(request: Request, model: BaseModel) -> Response:
    """``model`` as JSON with an ETag of its exact body; 304 when the client's copy is the same."""
    response = JSONResponse(model.model_dump(mode="json", by_alias=True))
    etag = strong_etag(hashlib.sha256(response.body).hexdigest())
    if matches_if_none_match(request, etag):
        return not_modified(etag, REVALIDATE)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = REVALIDATE
    return response
