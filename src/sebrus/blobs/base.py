"""The content-addressed blob store contract: a blob's key is the sha256 of its bytes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from sebrus.primitives import is_canonical_sha256


class BlobError(Exception):
    """Base for blob store failures."""


class InvalidBlobKey(BlobError, ValueError):
    def __init__(self, key: object) -> None:
        super().__init__(f"blob key must be 64 lowercase hex characters (a sha256), got {key!r:.80}")


class BlobNotFound(BlobError, KeyError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no blob with key {key}")
        self.key = key


class BlobTooLarge(BlobError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"blob exceeds the limit of {limit} bytes")
        self.limit = limit


def check_key(key: object) -> str:
    """Refuse anything but a sha256 hex digest, before the key goes anywhere near a path or URL."""
    if not isinstance(key, str) or not is_canonical_sha256(key):
        raise InvalidBlobKey(key)
    return key


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int
    created: bool  # False when identical bytes were already stored


class BlobWriter(Protocol):
    """Incremental writer, so callers can feed chunks as they arrive (also from async code)."""

    def write(self, chunk: bytes) -> None:
        """Append a chunk; raises BlobTooLarge (and discards everything) past the limit."""

    def commit(self) -> StoredBlob:
        """Make the blob visible under its key, atomically."""

    def abort(self) -> None:
        """Discard what was written; safe to call more than once, and after commit."""


@runtime_checkable
class BlobStore(Protocol):
    def put(self, data: bytes) -> StoredBlob: ...

    def open_writer(self, max_bytes: int | None = None) -> BlobWriter: ...

    def put_stream(self, chunks: Iterable[bytes] | BinaryIO, max_bytes: int | None = None) -> StoredBlob: ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> bool: ...

    def iter_keys(self) -> Iterator[str]: ...


def iter_chunks(source: Iterable[bytes] | BinaryIO, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    read = getattr(source, "read", None)
    if read is not None:  # a file: read fixed chunks rather than lines
        while chunk := read(chunk_size):
            yield chunk
    else:
        yield from source


def put_stream_via_writer(
    store: BlobStore, chunks: Iterable[bytes] | BinaryIO, max_bytes: int | None
) -> StoredBlob:
    writer = store.open_writer(max_bytes)
    try:
        for chunk in iter_chunks(chunks):
            writer.write(chunk)
        return writer.commit()
    finally:
        writer.abort()
