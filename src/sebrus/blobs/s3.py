"""Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2), under ``<prefix>ab/cd/<sha256>``.

The key of a blob is the sha256 of its bytes, and that hash is known only once the last chunk has
arrived. So a writer spools the chunks to a bounded temporary file (in memory up to 1 MiB, on disk
past that) while hashing them and counting them against the limit, and sends nothing until
``commit``. Then one ``PutObject`` puts the bytes under their content key: a single PUT is atomic in
S3, so an aborted or crashed writer never leaves a partial object under a content key (nor an
orphaned multipart upload). The PUT carries the sha256 as ``ChecksumSHA256``, so S3 and MinIO refuse
bytes that changed between hashing and arriving; the bytes are hashed once more as they are read
for sending, which catches the same fault on servers that ignore the checksum (the object is then
removed again and the write fails). ``If-None-Match: *`` makes a concurrent writer of the same
bytes a no-op (``created`` False).

boto3 is imported by :func:`sebrus.blobs.factory.open_blob_store` only when an ``s3://`` URL is
configured (the ``s3`` extra); this module takes a ready client so tests and callers choose it.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, BinaryIO, cast

from sebrus.blobs.base import (
    BlobError,
    BlobNotFound,
    BlobTooLarge,
    StoredBlob,
    check_key,
    put_stream_via_writer,
)
from sebrus.primitives import is_canonical_sha256

SPOOL_IN_MEMORY_BYTES = 1 << 20
# One PutObject takes at most 5 GiB; blobs are images, reports and models, all far smaller.
MAX_OBJECT_BYTES = 5 * (1 << 30)
LIST_PAGE_SIZE = 1000  # S3's own maximum per ListObjectsV2 page
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_ALREADY_THERE = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})

SpoolFactory = Callable[[], IO[bytes]]


class BlobCorrupted(BlobError):
    """The bytes sent to the store were not the bytes hashed: nothing is kept under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the bytes sent for blob {key} changed after they were hashed; nothing was stored")
        self.key = key


def _spooled_temp_file() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES, prefix="sebrus-blob-")


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def _is_client_error(exc: Exception) -> bool:
    """botocore's ClientError, recognised without importing botocore here (it is an optional extra)."""
    return isinstance(getattr(exc, "response", None), dict)


class _HashingReader:
    """The body of the PUT: reads the spool and hashes what is actually sent."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self.hash.update(chunk)
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        # botocore rewinds the body before a retry; the hash then starts again with it.
        position = self._source.seek(offset, whence)
        if position == 0:
            self.hash = hashlib.sha256()
        return position

    def tell(self) -> int:
        return self._source.tell()


class S3BlobWriter:
    """Hashes, counts and spools chunks; ``commit`` sends them in one atomic PUT under their hash."""

    def __init__(self, store: S3BlobStore, max_bytes: int | None, spool: IO[bytes]) -> None:
        self._store = store
        self._limit = MAX_OBJECT_BYTES if max_bytes is None else min(max_bytes, MAX_OBJECT_BYTES)
        self._hash = hashlib.sha256()
        self._size = 0
        self._spool: IO[bytes] | None = spool

    def write(self, chunk: bytes) -> None:
        if self._spool is None:
            raise RuntimeError("writer already finished")
        self._size += len(chunk)
        if self._size > self._limit:
            self.abort()
            raise BlobTooLarge(self._limit)
        self._hash.update(chunk)
        self._spool.write(chunk)

    def commit(self) -> StoredBlob:
        if self._spool is None:
            raise RuntimeError("writer already finished")
        spool, self._spool = self._spool, None
        try:
            key = self._hash.hexdigest()
            if self._store.exists(key):
                return StoredBlob(key=key, size=self._size, created=False)
            spool.seek(0)
            created = self._store.put_verified(key, self._hash.digest(), spool, self._size)
            return StoredBlob(key=key, size=self._size, created=created)
        finally:
            spool.close()

    def abort(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


class S3BlobStore:
    """The :class:`~sebrus.blobs.base.BlobStore` contract over one bucket and key prefix."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        spool: SpoolFactory = _spooled_temp_file,
        list_page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._spool = spool
        self._list_page_size = list_page_size

    def object_key(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}{key[:2]}/{key[2:4]}/{key}"

    def open_writer(self, max_bytes: int | None = None) -> S3BlobWriter:
        return S3BlobWriter(self, max_bytes, self._spool())

    def put(self, data: bytes) -> StoredBlob:
        return self.put_stream([data])

    def put_stream(self, chunks: Iterable[bytes] | BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        return put_stream_via_writer(self, chunks, max_bytes)

    def put_verified(self, key: str, digest: bytes, body: IO[bytes], size: int) -> bool:
        """PUT ``body`` under ``key`` unless an object is there already; False when it was.

        The caller hashed the bytes to get ``key``; the server checks them against ``ChecksumSHA256``
        and this method hashes them again as they are sent.
        """
        reader = _HashingReader(body)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.object_key(key),
                Body=reader,
                ContentLength=size,
                ChecksumAlgorithm="SHA256",  # kept with the object: HEAD with ChecksumMode shows it
                ChecksumSHA256=base64.b64encode(digest).decode("ascii"),
                IfNoneMatch="*",
            )
        except Exception as exc:
            if _error_code(exc) in _ALREADY_THERE:
                return False
            if _error_code(exc) in {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"}:
                raise BlobCorrupted(key) from exc
            raise
        if reader.hash.digest() != digest:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
            raise BlobCorrupted(key)
        return True

    def get(self, key: str) -> bytes:
        with self.open(key) as handle:
            return handle.read()

    def open(self, key: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            if _is_client_error(exc) and _error_code(exc) in _NOT_FOUND:
                raise BlobNotFound(key) from None
            raise
        return cast(BinaryIO, answer["Body"])  # botocore's StreamingBody: read(), close(), a context manager

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            if _is_client_error(exc) and _error_code(exc) in _NOT_FOUND:
                return None
            raise
        return answer

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise BlobNotFound(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> bool:
        # DeleteObject answers the same whether or not the object was there; HEAD tells.
        if not self.exists(key):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        return True

    def iter_keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=self.prefix,
            PaginationConfig={"PageSize": self._list_page_size},
        )
        for page in pages:
            for entry in page.get("Contents", []):
                name: str = entry["Key"]
                key = name.rsplit("/", 1)[-1]
                # Only objects in this store's own layout are blobs; anything else in the bucket is not ours.
                if is_canonical_sha256(key) and name == self.object_key(key):
                    yield key
