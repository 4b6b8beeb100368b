"""Leases and mutexes between processes: PostgreSQL advisory locks, namespaced per schema."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from sebrus.db import make_engine
from sebrus.jobs.coordination import LocalCoordinator, PostgresCoordinator, coordinator_for, lock_key
from sebrus.jobs.loop import BackgroundLoop

pytestmark = pytest.mark.postgres


@pytest.fixture
def engines(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one schema: two processes' view of the same database."""
    first, second = make_engine(postgres_url), make_engine(postgres_url)
    yield first, second
    first.dispose()
    second.dispose()


def test_a_lease_has_one_holder_and_passes_on_when_released(engines: tuple[Engine, Engine]) -> None:
    one, two = PostgresCoordinator(engines[0]), PostgresCoordinator(engines[1])
    mine, theirs = one.lease("relayer"), two.lease("relayer")
    assert mine.acquire()
    assert mine.acquire()  # holding it is idempotent
    assert not theirs.acquire()
    assert two.lease("indexer").acquire()  # another name is another lock
    mine.release()
    assert theirs.acquire()
    assert not mine.acquire()
    one.close()
    two.close()


def test_a_dead_holders_lease_is_taken_over(engines: tuple[Engine, Engine], postgres_url: str) -> None:
    """Killing the holder's connection (what a kill -9 does) frees the lease for the standby."""
    holder, standby = PostgresCoordinator(engines[0]), PostgresCoordinator(engines[1])
    held, waiting = holder.lease("finalizer"), standby.lease("finalizer")
    assert held.acquire()
    assert not waiting.acquire()
    admin = make_engine(postgres_url)
    try:
        with admin.begin() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted "
                    "AND classid = CAST(:ns AS oid) AND objid = CAST(:key AS oid)"
                ),
                {"ns": holder.namespace & 0xFFFFFFFF, "key": lock_key("lease:finalizer") & 0xFFFFFFFF},
            ).scalar()
        assert killed == 1
    finally:
        admin.dispose()
    deadline = time.monotonic() + 5
    while not waiting.acquire():
        assert time.monotonic() < deadline, "the standby never took the dead holder's lease"
        time.sleep(0.05)
    assert not held.acquire()  # the old holder notices it lost the lease
    standby.close()
    holder.close()


def test_two_schemas_never_share_a_lock(postgres_url: str, engines: tuple[Engine, Engine]) -> None:
    from sebrus.testing.databases import postgres_schema, postgres_server_url

    with postgres_schema(postgres_server_url()) as other_url:
        other = make_engine(other_url)
        try:
            here, there = PostgresCoordinator(engines[0]), PostgresCoordinator(other)
            assert here.namespace != there.namespace
            assert here.lease("relayer").acquire()
            assert there.lease("relayer").acquire()
            here.close()
            there.close()
        finally:
            other.dispose()


def test_a_mutex_serialises_critical_sections_across_engines(engines: tuple[Engine, Engine]) -> None:
    coordinators = [PostgresCoordinator(engine) for engine in engines]
    inside = 0
    most = 0
    guard = threading.Lock()

    def work(coordinator: PostgresCoordinator) -> None:
        nonlocal inside, most
        for _ in range(5):
            with coordinator.mutex("nonce:0xabc"):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.01)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=work, args=(c,)) for c in coordinators for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1


def test_a_loop_steps_only_while_it_holds_its_lease(engines: tuple[Engine, Engine]) -> None:
    one, two = PostgresCoordinator(engines[0]), PostgresCoordinator(engines[1])
    steps = {"one": 0, "two": 0}
    taken_over: list[str] = []

    def stepper(name: str) -> BackgroundLoop:
        def step() -> int:
            steps[name] += 1
            return 0

        coordinator = one if name == "one" else two
        return BackgroundLoop(
            name,
            step,
            idle_seconds=0.02,
            lease=coordinator.lease("monitor"),
            lease_retry_seconds=0.05,
            on_ownership=lambda: taken_over.append(name),
        )

    first, second = stepper("one"), stepper("two")
    first.start()
    time.sleep(0.3)
    second.start()
    time.sleep(0.3)
    assert steps["one"] > 0 and steps["two"] == 0
    first.stop()  # releases the lease: the standby takes over
    deadline = time.monotonic() + 5
    while steps["two"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second.stop()
    assert taken_over == ["one", "two"]


def test_a_lease_and_a_mutex_of_one_name_are_different_locks(engines: tuple[Engine, Engine]) -> None:
    """The indexer loop's lease must not block the indexer's own mutex (another connection)."""
    coordinator = PostgresCoordinator(engines[0])
    assert coordinator.lease("indexer").acquire()
    done = threading.Event()

    def enter() -> None:
        with coordinator.mutex("indexer"):
            done.set()

    thread = threading.Thread(target=enter, daemon=True)
    thread.start()
    assert done.wait(5)
    coordinator.close()


def test_sqlite_needs_no_coordination(tmp_path: object) -> None:
    engine = make_engine("sqlite://")
    coordinator = coordinator_for(engine)
    assert isinstance(coordinator, LocalCoordinator)
    assert coordinator.lease("relayer").acquire() and coordinator.lease("relayer").acquire()
    engine.dispose()
