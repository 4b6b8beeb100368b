"""Who does what when several SeBRUS processes share one database.

Two primitives cover every collision the platform can have:

- a **lease** names a loop that must have one owner at a time (the relayer, the review finalizer, the
  quarantine sender, the monitor). Whoever holds it runs the loop; the others wait and retry, and take
  it over when the holder dies.
- a **mutex** serialises a short critical section across processes: sending from one signing key (so
  that nonces never collide) and applying chain events to the index (so that two indexers never insert
  the same row).

On PostgreSQL both are advisory locks. A lease is a session-level lock held on a connection of its own
for as long as the process owns the loop: when the process dies, PostgreSQL closes the connection and
the lock goes with it, so failover needs no timeout of our own, only the waiters' retry interval. A
mutex is a transaction-level lock (``pg_advisory_xact_lock``), released at commit whatever happens.

On SQLite there is only one process (the embedded chain and SQLite's file lock allow no other), so
:class:`LocalCoordinator` grants every lease and serialises mutexes within the process.

Keys are namespaced by database and schema, so that two deployments (or two test schemas) sharing
one PostgreSQL server never contend for each other's locks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Iterator
from typing import Protocol

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)


class Lease(Protocol):
    """Ownership of one loop; ``acquire`` is cheap enough to call before every step."""

    name: str

    def acquire(self) -> bool:
        """True while this process owns the loop: takes it when free, and notices when it was lost."""

    def release(self) -> None:
        """Give the loop up (on stop); safe to call when not held."""


class Coordinator(Protocol):
    def lease(self, name: str) -> Lease: ...

    def mutex(self, name: str) -> contextlib.AbstractContextManager[None]: ...

    def close(self) -> None: ...


class _GrantedLease:
    """The only process there is owns every loop."""

    def __init__(self, name: str) -> None:
        self.name = name

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None


class LocalCoordinator:
    """One process: every lease is granted, and mutexes are threading locks."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lease(self, name: str) -> Lease:
        return _GrantedLease(name)

    @contextlib.contextmanager
    def mutex(self, name: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            yield

    def close(self) -> None:
        return None


def lock_key(name: str) -> int:
    """A lock name as PostgreSQL's signed 32-bit advisory key."""
    value = zlib.crc32(name.encode("utf-8"))
    return value - (1 << 32) if value >= (1 << 31) else value


class _AdvisoryLease:
    def __init__(self, engine: Engine, namespace: int, name: str) -> None:
        self.name = name
        self._engine = engine
        self._namespace = namespace
        self._key = lock_key("lease:" + name)  # never the same lock as a mutex of the same name
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    def acquire(self) -> bool:
        with self._guard:
            if self._connection is not None:
                if self._still_held(self._connection):
                    return True
                log.warning("lost the %s lease (its database connection broke)", self.name)
                self._drop()
            connection = self._engine.connect()
            try:
                taken = bool(
                    connection.execute(
                        text("SELECT pg_try_advisory_lock(:namespace, :key)"),
                        {"namespace": self._namespace, "key": self._key},
                    ).scalar()
                )
                connection.commit()
            except Exception:
                connection.invalidate()
                connection.close()
                raise
            if not taken:
                connection.close()
                return False
            self._connection = connection
            log.info("took the %s lease", self.name)
            return True

    def release(self) -> None:
        with self._guard:
            if self._connection is None:
                return
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:namespace, :key)"),
                    {"namespace": self._namespace, "key": self._key},
                )
                self._connection.commit()
            except Exception:  # the connection is gone, and the lock with it
                log.debug("releasing the %s lease on a broken connection", self.name, exc_info=True)
            self._drop()

    def _still_held(self, connection: Connection) -> bool:
        try:
            connection.execute(text("SELECT 1"))
            connection.commit()
            return True
        except Exception:
            return False

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.invalidate()  # never hand a lock-holding connection back to the pool
            connection.close()
        except Exception:
            log.debug("closing the %s lease's connection failed", self.name, exc_info=True)


class PostgresCoordinator:
    """Leases and mutexes as PostgreSQL advisory locks (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        with engine.connect() as connection:
            where = connection.execute(text("SELECT current_database() || '/' || current_schema()")).scalar()
        self.namespace = lock_key(f"sebrus:{where}")
        self._leases: list[_AdvisoryLease] = []

    def lease(self, name: str) -> Lease:
        lease = _AdvisoryLease(self._engine, self.namespace, name)
        self._leases.append(lease)
        return lease

    @contextlib.contextmanager
    def mutex(self, name: str) -> Iterator[None]:
        with self._engine.begin() as connection:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                {"namespace": self.namespace, "key": lock_key("mutex:" + name)},
            )
            yield

    def close(self) -> None:
        for lease in self._leases:
            lease.release()


def coordinator_for(engine: Engine) -> Coordinator:
    """Advisory locks on PostgreSQL; in-process locks on SQLite, where one process is all there is."""
    if engine.dialect.name == "postgresql":
        return PostgresCoordinator(engine)
    return LocalCoordinator()
