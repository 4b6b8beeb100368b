"""Wake-ups between processes: LISTEN/NOTIFY at commit, with a bounded poll behind it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sebrus.db import make_engine
from sebrus.jobs.signals import INDEXED, PostgresSignals, Signals, _payloads


@pytest.fixture
def engines(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    first, second = make_engine(postgres_url), make_engine(postgres_url)
    yield first, second
    first.dispose()
    second.dispose()


@pytest.mark.postgres
def test_an_announcement_in_one_process_wakes_a_waiter_in_another(engines: tuple[Engine, Engine]) -> None:
    # Polling is set far beyond the test's patience: only the notification can wake the waiter in time.
    publisher = PostgresSignals(engines[0], poll_seconds=60)
    listener = PostgresSignals(engines[1], poll_seconds=0.2)
    listener.start()
    try:
        time.sleep(0.5)  # the listener's LISTEN is in place
        state = {"done": False}
        woken = threading.Event()

        def wait() -> None:
            listener.poll_seconds = 60  # from here on, only the NOTIFY can wake it
            if listener.wait_until(INDEXED, "7:abc", lambda: state["done"], timeout=10):
                woken.set()

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.3)
        started = time.monotonic()
        with Session(engines[0]) as db:
            state["done"] = True
            publisher.announce(db, INDEXED, ["7:abc"])
            db.commit()
        waiter.join(10)
        assert woken.is_set()
        assert time.monotonic() - started < 5
    finally:
        listener.stop()


@pytest.mark.postgres
def test_a_rolled_back_announcement_is_never_heard(engines: tuple[Engine, Engine]) -> None:
    publisher = PostgresSignals(engines[0])
    listener = PostgresSignals(engines[1], poll_seconds=0.2)
    heard: list[str] = []
    listener.wake = lambda channel, keys: heard.extend(keys)  # type: ignore[method-assign]
    listener.start()
    try:
        time.sleep(0.5)
        with Session(engines[0]) as db:
            publisher.announce(db, INDEXED, ["1:rolled-back"])
            db.rollback()
        with Session(engines[0]) as db:
            publisher.announce(db, INDEXED, ["1:committed"])
            db.commit()
        deadline = time.monotonic() + 5
        while "1:committed" not in heard and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heard == ["1:committed"]
    finally:
        listener.stop()


def test_without_a_notification_the_poll_still_finds_the_change() -> None:
    signals = Signals(poll_seconds=0.05)
    state = {"done": False}
    threading.Timer(0.2, lambda: state.update(done=True)).start()
    started = time.monotonic()
    assert signals.wait_until(INDEXED, "1:x", lambda: state["done"], timeout=5)
    assert time.monotonic() - started < 2


def test_a_wait_ends_at_its_timeout() -> None:
    signals = Signals(poll_seconds=0.05)
    started = time.monotonic()
    assert not signals.wait_until(INDEXED, "1:x", lambda: False, timeout=0.3)
    assert 0.25 < time.monotonic() - started < 2


def test_payloads_stay_under_postgres_limit() -> None:
    keys = [f"{n}:{'a' * 64}" for n in range(1000)]
    payloads = list(_payloads(keys))
    assert len(payloads) > 1
    assert all(len(p) < 8000 for p in payloads)
    import json

    assert [k for p in payloads for k in json.loads(p)] == keys
