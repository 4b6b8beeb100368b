"""Blobs as files under ``<root>/ab/cd/<sha256>``, written so that a crash never leaves a partial blob."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from sebrus.blobs.base import (
    BlobNotFound,
    BlobTooLarge,
    StoredBlob,
    check_key,
    put_stream_via_writer,
)

log = logging.getLogger(__name__)

_TMP = "tmp"
_LOCK = ".lock"
#: Temp files older than this when a store is opened are a crash's leftovers: a live upload writes its
#: temp file for seconds, and another process (a scan worker, a second server) sharing the store may
#: be writing one now, so younger files are left alone.
STALE_TEMP_SECONDS = 300.0


class LocalBlobWriter:
    """Streams into a temp file beside the store, then fsyncs and renames it into place."""

    def __init__(self, store: LocalBlobStore, max_bytes: int | None) -> None:
        self._store = store
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._size = 0
        fd, name = tempfile.mkstemp(dir=store.temp_dir, prefix="part-")
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._temp_path: Path | None = Path(name)

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise RuntimeError("writer already finished")
        self._size += len(chunk)
        if self._max_bytes is not None and self._size > self._max_bytes:
            self.abort()
            raise BlobTooLarge(self._max_bytes)
        self._hash.update(chunk)
        self._file.write(chunk)

    def commit(self) -> StoredBlob:
        if self._file is None or self._temp_path is None:
            raise RuntimeError("writer already finished")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        key = self._hash.hexdigest()
        final = self._store.path_for(key)
        if final.exists():
            self._temp_path.unlink()
            self._temp_path = None
            return StoredBlob(key=key, size=self._size, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._temp_path, final)
        self._temp_path = None
        _fsync_dir(final.parent)
        return StoredBlob(key=key, size=self._size, created=True)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._temp_path is not None:
            self._temp_path.unlink(missing_ok=True)
            self._temp_path = None


class LocalBlobStore:
    """Opening the store sweeps the temp files a killed process left; they never held a visible blob,
    so removing them loses nothing.

    Every process that opens the store holds a shared lock on ``<root>/.lock`` while it has it open.
    The first to open it alone (an exclusive lock succeeds) knows no writer can be live and sweeps
    every temp file; otherwise only those older than ``sweep_older_than`` seconds go (None: none).
    """

    def __init__(self, root: Path, *, sweep_older_than: float | None = STALE_TEMP_SECONDS) -> None:
        self.root = Path(root)
        self.temp_dir = self.root / _TMP
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file: BinaryIO | None = (self.root / _LOCK).open("ab")
        alone = _try_lock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if sweep_older_than is None:
            self.swept_on_open = 0
        else:
            self.swept_on_open = self.remove_stale_temp_files(0 if alone else sweep_older_than)
        fcntl.flock(self._lock_file, fcntl.LOCK_SH)  # from exclusive, or waiting out a sweeping opener

    def close(self) -> None:
        """Let go of the store's lock (closing the process does too): a later opener may be alone."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def path_for(self, key: str) -> Path:
        key = check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def open_writer(self, max_bytes: int | None = None) -> LocalBlobWriter:
        return LocalBlobWriter(self, max_bytes)

    def put(self, data: bytes) -> StoredBlob:
        return self.put_stream([data])

    def put_stream(self, chunks: Iterable[bytes] | BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        return put_stream_via_writer(self, chunks, max_bytes)

    def get(self, key: str) -> bytes:
        with self.open(key) as handle:
            return handle.read()

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path_for(key).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path_for(key).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def delete(self, key: str) -> bool:
        path = self.path_for(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_keys(self) -> Iterator[str]:
        for first in sorted(self.root.iterdir()):
            if first.name == _TMP or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                for blob in sorted(second.iterdir()):
                    with contextlib.suppress(ValueError):
                        yield check_key(blob.name)

    def remove_stale_temp_files(self, older_than_seconds: float = 3600) -> int:
        """Clear temp files a crash left behind; they were never visible under a key."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.temp_dir.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another process swept it first
                continue
        if removed:
            log.info("removed %d temp files left in %s by an earlier crash", removed, self.temp_dir)
        return removed


def _try_lock(handle: BinaryIO, operation: int) -> bool:
    try:
        fcntl.flock(handle, operation)
    except BlockingIOError:
        return False
    return True


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself, not just the file contents."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
