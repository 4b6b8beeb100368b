"""Wake-ups that cross processes: "this item was indexed", "this scan finished".

A request waiting for its upload to be anchored may run in a different web process from the indexer
that records it. The waiter registers here; whoever changes the state announces it with
:meth:`Signals.announce`, inside the same database transaction when it can, and the announcement
reaches the waiter's process through PostgreSQL ``LISTEN/NOTIFY`` (delivered at commit, never for a
rolled-back change).

A signal is only ever a hint to look again. Waiters re-read the database on every wake-up and on a
bounded poll as well (:meth:`Signals.wait_until`), so a lost notification (a dropped listener
connection, SQLite, a restart) costs latency, never correctness.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from sebrus.jobs.coordination import lock_key

log = logging.getLogger(__name__)

INDEXED = "indexed"
SCAN_FINISHED = "scan_finished"
CHANNELS = (INDEXED, SCAN_FINISHED)
DEFAULT_POLL_SECONDS = 1.0
NOTIFY_PAYLOAD_LIMIT = 7000  # PostgreSQL refuses payloads of 8000 bytes and more


class Signals:
    """In-process waiters, woken locally and, on PostgreSQL, by other processes' announcements."""

    def __init__(self, *, poll_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self._waiters: dict[tuple[str, str], list[threading.Event]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ waiting

    def wait_until(self, channel: str, key: str, done: Callable[[], bool], timeout: float) -> bool:
        """Block until ``done()`` is true (True) or ``timeout`` seconds pass (False).

        ``done`` is checked at once, after every wake-up for ``key`` and every ``poll_seconds``.
        """
        event = threading.Event()
        slot = (channel, key)
        with self._lock:  # register before looking, so no wake-up is missed
            self._waiters.setdefault(slot, []).append(event)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if done():
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                event.wait(min(remaining, self.poll_seconds))
                event.clear()
        finally:
            with self._lock:
                waiting = self._waiters.get(slot, [])
                if event in waiting:
                    waiting.remove(event)
                if not waiting:
                    self._waiters.pop(slot, None)

    def wake(self, channel: str, keys: Iterable[str]) -> None:
        """Wake this process's waiters for ``keys``."""
        with self._lock:
            for key in keys:
                for waiter in self._waiters.get((channel, key), []):
                    waiter.set()

    # ------------------------------------------------------------------ announcing

    def announce(self, db: Session | None, channel: str, keys: list[str]) -> None:
        """Say that ``keys`` changed; call before ``db`` commits so other processes hear it at commit.

        Here it only wakes this process; :class:`PostgresSignals` tells the others too.
        """
        self.wake(channel, keys)

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class PostgresSignals(Signals):
    """:class:`Signals` whose announcements also travel by ``NOTIFY`` to every listening process."""

    def __init__(self, engine: Engine, *, poll_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._engine = engine
        with engine.connect() as connection:
            where = str(connection.execute(text("SELECT current_schema()")).scalar())
        # Channels are per database; the schema keeps two deployments (or test schemas) apart.
        self._prefix = f"sebrus_{abs(lock_key(where))}_"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def channel_name(self, channel: str) -> str:
        return self._prefix + channel

    def announce(self, db: Session | None, channel: str, keys: list[str]) -> None:
        super().announce(db, channel, keys)
        for payload in _payloads(keys):
            statement = text("SELECT pg_notify(:channel, :payload)")
            params = {"channel": self.channel_name(channel), "payload": payload}
            if db is not None:
                db.execute(statement, params)
            else:
                with self._engine.begin() as connection:
                    connection.execute(statement, params)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen_forever, name="signals", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def _listen_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:
                log.warning("signal listener disconnected; waiters fall back to polling", exc_info=True)
                self._stop.wait(self.poll_seconds)

    def _listen(self) -> None:
        import psycopg

        url = self._engine.url
        # psycopg's own connection: LISTEN needs autocommit and a blocking notifies() loop. The URL's
        # query (sslmode, options=-csearch_path=...) passes through as connection parameters.
        params: dict[str, Any] = {
            name: value if isinstance(value, str) else value[-1] for name, value in url.query.items()
        }
        dsn = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True, **params) as connection:
            for channel in CHANNELS:
                connection.execute(f'LISTEN "{self.channel_name(channel)}"')
            names = {self.channel_name(channel): channel for channel in CHANNELS}
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=self.poll_seconds, stop_after=64):
                    heard = names.get(notice.channel)
                    if heard is not None:
                        self.wake(heard, _keys(notice.payload))


def _payloads(keys: list[str]) -> Iterable[str]:
    """``keys`` as JSON arrays, each under PostgreSQL's payload limit."""
    batch: list[str] = []
    size = 2
    for key in keys:
        if batch and size + len(key) + 3 > NOTIFY_PAYLOAD_LIMIT:
            yield json.dumps(batch)
            batch, size = [], 2
        batch.append(key)
        size += len(key) + 3
    if batch:
        yield json.dumps(batch)


def _keys(payload: str) -> list[str]:
    try:
        keys = json.loads(payload)
    except ValueError:
        return []
    return [key for key in keys if isinstance(key, str)] if isinstance(keys, list) else []


def signals_for(engine: Engine, *, poll_seconds: float = DEFAULT_POLL_SECONDS) -> Signals:
    if engine.dialect.name == "postgresql":
        return PostgresSignals(engine, poll_seconds=poll_seconds)
    return Signals(poll_seconds=poll_seconds)
