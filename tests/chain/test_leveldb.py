"""LevelDB and WriteBuffer keep py-evm's all-or-nothing batches all-or-nothing on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import plyvel
import pytest
from eth.db.atomic import AtomicDB

from sebrus.chain.leveldb import LevelDB, LevelDBLocked, WriteBuffer


class Boom(Exception):
    pass


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LevelDB]:
    database = LevelDB(tmp_path / "db")
    yield database
    database.close()


def test_values_persist_across_close_and_reopen(tmp_path: Path) -> None:
    first = LevelDB(tmp_path / "db")
    assert first.is_empty()
    first[b"a"] = b"1"
    with first.atomic_batch() as batch:
        batch[b"b"] = b"2"
    first.close()

    second = LevelDB(tmp_path / "db")
    try:
        assert (second[b"a"], second[b"b"]) == (b"1", b"2")
        assert not second.is_empty()
    finally:
        second.close()


def test_missing_and_deleted_keys_raise_key_error(store: LevelDB) -> None:
    with pytest.raises(KeyError):
        store[b"absent"]
    with pytest.raises(KeyError):
        del store[b"absent"]
    store[b"k"] = b"v"
    del store[b"k"]
    assert not store.exists(b"k")
    store.delete(b"k")  # deleting twice through the tolerant API is fine


def test_a_batch_reads_its_own_writes_and_lands_whole(store: LevelDB) -> None:
    store[b"old"] = b"x"
    with store.atomic_batch() as batch:
        batch[b"new"] = b"y"
        del batch[b"old"]
        assert batch[b"new"] == b"y"
        assert not batch.exists(b"old")
        assert store.exists(b"old") and not store.exists(b"new")  # nothing on disk yet
    assert store[b"new"] == b"y"
    assert not store.exists(b"old")


def test_a_batch_that_raises_writes_nothing(store: LevelDB) -> None:
    store[b"keep"] = b"1"
    with pytest.raises(Boom), store.atomic_batch() as batch:
        batch[b"half"] = b"written"
        del batch[b"keep"]
        raise Boom
    assert not store.exists(b"half")
    assert store[b"keep"] == b"1"


def test_a_batch_used_after_its_block_refuses(store: LevelDB) -> None:
    with store.atomic_batch() as batch:
        pass
    with pytest.raises(RuntimeError, match="after its atomic_batch"):
        batch[b"late"] = b"write"


def test_a_second_handle_on_the_same_directory_is_refused(store: LevelDB) -> None:
    with pytest.raises(LevelDBLocked, match=str(store.path)):
        LevelDB(store.path)


def test_write_buffer_keeps_writes_in_memory_until_flush(
    store: LevelDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    store[b"gone"] = b"soon"
    buffer = WriteBuffer(store)
    buffer[b"a"] = b"1"
    with buffer.atomic_batch() as batch:
        batch[b"b"] = b"2"
    del buffer[b"gone"]

    assert (buffer[b"a"], buffer[b"b"]) == (b"1", b"2")
    assert not buffer.exists(b"gone")
    assert not store.exists(b"a") and store.exists(b"gone")
    assert buffer.pending_count == 3

    writes: list[dict[bytes, bytes | None]] = []
    real_write_changes = LevelDB.write_changes
    monkeypatch.setattr(
        LevelDB,
        "write_changes",
        lambda self, changes: (writes.append(dict(changes)), real_write_changes(self, changes)),
    )
    buffer.flush()
    buffer.flush()  # nothing left: no empty write

    assert writes == [{b"a": b"1", b"b": b"2", b"gone": None}]
    assert (store[b"a"], store[b"b"]) == (b"1", b"2")
    assert not store.exists(b"gone")
    assert buffer.pending_count == 0


def test_write_buffer_drops_only_the_inner_batch_that_raised(store: LevelDB) -> None:
    buffer = WriteBuffer(store)
    buffer[b"outer"] = b"kept"
    with pytest.raises(Boom), buffer.atomic_batch() as batch:
        batch[b"inner"] = b"dropped"
        raise Boom
    buffer.flush()
    assert store[b"outer"] == b"kept"
    assert not store.exists(b"inner")


def test_write_buffer_keeps_its_writes_when_the_flush_fails(
    store: LevelDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = WriteBuffer(store)
    buffer[b"a"] = b"1"

    def failing_write(self: LevelDB, changes: dict[bytes, bytes | None]) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LevelDB, "write_changes", failing_write)
    with pytest.raises(OSError, match="disk full"):
        buffer.flush()
    assert buffer[b"a"] == b"1"
    assert buffer.pending_count == 1

    monkeypatch.undo()
    buffer.flush()
    assert store[b"a"] == b"1"


def test_write_buffer_works_over_any_atomic_database() -> None:
    target = AtomicDB()
    target[b"gone"] = b"x"
    buffer = WriteBuffer(target)
    buffer[b"a"] = b"1"
    del buffer[b"gone"]
    assert not target.exists(b"a")
    buffer.flush()
    assert target[b"a"] == b"1"
    assert not target.exists(b"gone")


def test_other_io_errors_are_not_reported_as_a_lock(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_bytes(b"")
    with pytest.raises(plyvel.IOError, match="Not a directory"):  # not turned into LevelDBLocked
        LevelDB(not_a_directory / "db")
