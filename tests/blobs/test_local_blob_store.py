from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from sebrus.blobs import BlobNotFound, BlobStore, BlobTooLarge, InvalidBlobKey, LocalBlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _all_files(root: Path) -> list[Path]:
    """Every file but the lock each process holds while it has the store open."""
    return [p for p in root.rglob("*") if p.is_file() and p != root / ".lock"]


def test_satisfies_protocol(store):
    assert isinstance(store, BlobStore)


def test_put_returns_sha256_key_and_lays_out_by_prefix(store):
    data = b"hello blobs"
    stored = store.put(data)
    key = hashlib.sha256(data).hexdigest()
    assert stored.key == key and stored.size == len(data) and stored.created
    assert store.path_for(key) == store.root / key[:2] / key[2:4] / key
    assert store.get(key) == data
    assert store.exists(key) and store.size(key) == len(data)


def test_put_is_idempotent(store):
    first = store.put(b"same")
    second = store.put(b"same")
    assert first.key == second.key and not second.created
    assert list(store.iter_keys()) == [first.key]
    assert _all_files(store.temp_dir) == []


def test_put_stream_from_file_and_chunks(store):
    data = os.urandom(200_000)
    from_file = store.put_stream(io.BytesIO(data))
    from_chunks = store.put_stream([data[:5], data[5:100_000], data[100_000:]])
    assert from_file.key == from_chunks.key == hashlib.sha256(data).hexdigest()
    assert store.get(from_file.key) == data


def test_size_limit_aborts_without_leaving_anything(store):
    with pytest.raises(BlobTooLarge, match="10 bytes"):
        store.put_stream([b"123456", b"789012"], max_bytes=10)
    assert _all_files(store.root) == []


def test_exact_limit_is_accepted(store):
    assert store.put_stream([b"1234567890"], max_bytes=10).size == 10


def test_aborted_writer_leaves_nothing(store):
    writer = store.open_writer()
    writer.write(b"partial upload")
    writer.abort()
    writer.abort()
    assert _all_files(store.root) == []


def test_uncommitted_writer_is_invisible_under_its_key(store):
    """Simulates a crash mid-write: the bytes sit only in a temp file, never under the key."""
    data = b"half written"
    writer = store.open_writer()
    writer.write(data)
    assert not store.exists(hashlib.sha256(data).hexdigest())
    assert list(store.iter_keys()) == []
    os.utime(next(iter(store.temp_dir.iterdir())), (0, 0))
    assert store.remove_stale_temp_files(older_than_seconds=60) == 1
    writer.abort()


@pytest.mark.parametrize(
    "key",
    ["../" * 5 + "etc/passwd", "A" * 64, "a" * 63, "a" * 65, "g" * 64, "", "a" * 62 + "/x", None, 42],
)
def test_malformed_keys_are_refused_before_any_path_is_built(store, key):
    for operation in (store.get, store.exists, store.delete, store.size, store.path_for):
        with pytest.raises(InvalidBlobKey):
            operation(key)


def test_missing_blob(store):
    key = "0" * 64
    assert not store.exists(key)
    with pytest.raises(BlobNotFound):
        store.get(key)
    assert store.delete(key) is False


def test_delete_and_iterate(store):
    keys = sorted(store.put(bytes([i])).key for i in range(5))
    assert sorted(store.iter_keys()) == keys
    assert store.delete(keys[0]) is True
    assert sorted(store.iter_keys()) == keys[1:]


def test_opening_the_store_sweeps_temp_files_a_crash_left_and_keeps_fresh_ones(tmp_path):
    """After kill -9 mid-upload the temp file stays; the next process to open the store removes it
    once it is old enough that no live writer can own it."""
    first = LocalBlobStore(tmp_path / "blobs")
    crashed = first.open_writer()
    crashed.write(b"cut off by kill -9")
    live = first.open_writer()
    live.write(b"another process is still writing this")
    old = crashed._temp_path  # the file a killed process leaves on disk
    assert old is not None
    os.utime(old, (0, 0))

    reopened = LocalBlobStore(tmp_path / "blobs")

    assert reopened.swept_on_open == 1
    assert not old.exists()
    assert len(list(reopened.temp_dir.iterdir())) == 1  # the live writer's file is untouched
    assert live.commit().created
    assert LocalBlobStore(tmp_path / "blobs", sweep_older_than=None).swept_on_open == 0


def test_a_process_that_opens_the_store_alone_sweeps_every_temp_file(tmp_path):
    """After a crash and an immediate restart the leftovers are fresh; with nobody else holding the
    store open, none of them can belong to a live writer, so all go."""
    crashed = LocalBlobStore(tmp_path / "blobs")
    writer = crashed.open_writer()
    writer.write(b"left by kill -9 a second ago")
    crashed.close()  # the process died: its lock went with it

    restarted = LocalBlobStore(tmp_path / "blobs")
    assert restarted.swept_on_open == 1
    assert list(restarted.temp_dir.iterdir()) == []
    assert list(restarted.iter_keys()) == []  # the lock file is not a blob
