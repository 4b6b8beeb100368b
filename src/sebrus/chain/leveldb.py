"""A LevelDB key-value store that py-evm can keep its chain in, and a buffer that commits a block at once.

py-evm 0.12 dropped its own LevelDB backend, so the embedded chain would otherwise live in memory and
vanish on restart. :class:`LevelDB` gives py-evm the small ``AtomicDatabaseAPI`` it needs over
`plyvel`. Everything written inside one ``atomic_batch()`` goes to disk as a single LevelDB write
batch: LevelDB applies a batch completely or not at all, even across ``kill -9`` or power loss, so a
batch can never be seen half-written. Batches are written with ``sync=True`` by default, so once
``atomic_batch()`` returns, the data is on disk and an acknowledged block is never lost.

py-evm, though, opens several atomic batches while it builds one block (state, receipts, header,
canonical head), and a crash between two of them would leave a block whose header is on disk without
the rest. :class:`WriteBuffer` sits between py-evm and :class:`LevelDB`: it takes all those writes in
memory, serves reads from them, and :meth:`WriteBuffer.flush` hands them to LevelDB as one batch.
The embedded chain flushes once per mined block, which both closes the crash window and costs one
``fsync`` per block instead of one per py-evm write.

LevelDB lets only one process hold a database (it keeps a ``LOCK`` file); a second opener gets
:class:`LevelDBLocked` instead of a low-level I/O error, so the caller can say which directory is busy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import plyvel
from eth.abc import AtomicDatabaseAPI, AtomicWriteBatchAPI, DatabaseAPI
from eth.db.backends.base import BaseAtomicDB, BaseDB

__all__ = ["LevelDB", "LevelDBLocked", "WriteBuffer"]

_LOCK_FAILURE = "IO error: lock "


class LevelDBLocked(RuntimeError):
    """Another process (or another handle in this one) already has the database open."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the LevelDB database in {path} is already open in another process or handle; "
            "only one may use it at a time"
        )
        self.path = path


class _PendingChanges(BaseDB, AtomicWriteBatchAPI):
    """Writes not yet applied to ``base``, readable as if they were.

    ``None`` marks a deletion, so a key removed here reads as missing even when ``base`` still has it.
    Once closed, any use raises, because a batch used after its ``with`` block would silently write
    nowhere.
    """

    def __init__(self, base: DatabaseAPI) -> None:
        self._base = base
        self._changes: dict[bytes, bytes | None] = {}
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this write batch was used after its atomic_batch() block ended")

    def __getitem__(self, key: bytes) -> bytes:
        self._check_open()
        if key in self._changes:
            value = self._changes[key]
            if value is None:
                raise KeyError(key)
            return value
        return self._base[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._check_open()
        self._changes[key] = value

    def __delitem__(self, key: bytes) -> None:
        self._check_open()
        if not self._exists(key):
            raise KeyError(key)
        self._changes[key] = None

    def _exists(self, key: bytes) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def take_changes(self) -> dict[bytes, bytes | None]:
        """Hand over the collected writes and close, so nothing more can be added to them."""
        self._check_open()
        self._closed = True
        changes, self._changes = self._changes, {}
        return changes

    def absorb(self, changes: dict[bytes, bytes | None]) -> None:
        """Take over a finished inner batch's writes, newest value winning."""
        self._check_open()
        self._changes.update(changes)

    def peek_changes(self) -> dict[bytes, bytes | None]:
        return self._changes

    def close(self) -> None:
        self._closed = True
        self._changes = {}

    def __len__(self) -> int:
        return len(self._changes)


class LevelDB(BaseAtomicDB):
    """py-evm's atomic database over a LevelDB directory; each atomic batch is one LevelDB write batch.

    ``sync=True`` (the default) makes every write wait for ``fsync``: the embedded chain only reports a
    transaction as mined after its block is durable. Pass ``sync=False`` only for throwaway data, where
    a power cut may lose the last writes (a process crash still cannot, LevelDB's log is in the OS cache).
    """

    def __init__(self, path: Path, *, sync: bool = True) -> None:
        self.path = Path(path)
        self._sync = sync
        try:
            self._db = plyvel.DB(str(self.path), create_if_missing=True)
        except plyvel.IOError as error:
            # LevelDB words a failed lock as "lock <dir>/LOCK: <reason>" (held by this process, or
            # EAGAIN from another one); failing to create the LOCK file reads "<dir>/LOCK: ...".
            if _LOCK_FAILURE in str(error):
                raise LevelDBLocked(self.path) from error
            raise

    def __getitem__(self, key: bytes) -> bytes:
        value: bytes | None = self._db.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._db.put(key, value, sync=self._sync)

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._db.delete(key, sync=self._sync)

    def _exists(self, key: bytes) -> bool:
        return self._db.get(key) is not None

    def is_empty(self) -> bool:
        """Whether the directory holds no keys at all (a fresh database)."""
        with self._db.iterator(include_value=False) as keys:
            return next(keys, None) is None

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        batch = _PendingChanges(self)
        try:
            yield batch
            changes = batch.take_changes()
        finally:
            batch.close()
        self.write_changes(changes)

    def write_changes(self, changes: dict[bytes, bytes | None]) -> None:
        """Apply puts (and ``None`` deletions) as one LevelDB write batch: all land, or none do."""
        if not changes:
            return
        with self._db.write_batch(transaction=True, sync=self._sync) as batch:
            for key, value in changes.items():
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)

    @property
    def closed(self) -> bool:
        return bool(self._db.closed)

    def close(self) -> None:
        """Release the LevelDB lock so another process may open the directory."""
        if not self._db.closed:
            self._db.close()

    def __repr__(self) -> str:
        return f"LevelDB({str(self.path)!r})"


class WriteBuffer(BaseAtomicDB):
    """Holds every write in memory until :meth:`flush` commits them to ``target`` as one atomic batch.

    Reads see the buffered writes, so py-evm behaves exactly as if they had been written; nested
    ``atomic_batch()`` blocks keep their all-or-nothing meaning inside the buffer. Nothing reaches
    ``target`` before :meth:`flush`, so a crash loses only unflushed work and never splits it.
    """

    def __init__(self, target: AtomicDatabaseAPI) -> None:
        self._target = target
        self._pending = _PendingChanges(target)

    def __getitem__(self, key: bytes) -> bytes:
        return self._pending[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._pending[key] = value

    def __delitem__(self, key: bytes) -> None:
        del self._pending[key]

    def _exists(self, key: bytes) -> bool:
        return self._pending._exists(key)

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        batch = _PendingChanges(self)
        try:
            yield batch
            changes = batch.take_changes()
        finally:
            batch.close()
        self._pending.absorb(changes)

    @property
    def pending_count(self) -> int:
        """How many keys are written (or deleted) in memory and not yet flushed."""
        return len(self._pending)

    def flush(self) -> None:
        """Commit everything buffered so far in one atomic batch of the target database."""
        changes = self._pending.peek_changes()
        if not changes:
            return
        if isinstance(self._target, LevelDB):
            self._target.write_changes(changes)
        else:
            with self._target.atomic_batch() as batch:
                for key, value in changes.items():
                    if value is None:
                        batch.delete(key)
                    else:
                        batch[key] = value
        # Only now, once the target holds them: if the write failed, the writes stay buffered and
        # readable, so the in-memory chain never runs ahead of what it can still see.
        self._pending = _PendingChanges(self._target)
