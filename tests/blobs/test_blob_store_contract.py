"""The BlobStore contract, run on every backend (``store`` is parametrised in conftest.py)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from sebrus.blobs import BlobNotFound, BlobStore, BlobTooLarge, InvalidBlobKey
from tests.support.blobs import everything_stored


def test_satisfies_protocol(store):
    assert isinstance(store, BlobStore)


def test_put_returns_the_sha256_key(store):
    data = b"hello blobs"
    stored = store.put(data)
    key = hashlib.sha256(data).hexdigest()
    assert stored.key == key and stored.size == len(data) and stored.created
    assert store.get(key) == data
    with store.open(key) as handle:
        assert handle.read() == data
    assert store.exists(key) and store.size(key) == len(data)


def test_put_is_idempotent(store):
    first = store.put(b"same")
    second = store.put(b"same")
    assert first.key == second.key and not second.created
    assert list(store.iter_keys()) == [first.key]
    assert len(everything_stored(store)) == 1


def test_put_stream_from_file_and_chunks(store):
    data = os.urandom(200_000)
    from_file = store.put_stream(io.BytesIO(data))
    from_chunks = store.put_stream([data[:5], data[5:100_000], data[100_000:]])
    assert from_file.key == from_chunks.key == hashlib.sha256(data).hexdigest()
    assert from_file.created and not from_chunks.created
    assert store.get(from_file.key) == data


def test_a_blob_larger_than_the_in_memory_spool_round_trips(store):
    data = os.urandom(3 * (1 << 20) + 7)
    stored = store.put_stream(io.BytesIO(data))
    assert stored.key == hashlib.sha256(data).hexdigest() and store.size(stored.key) == len(data)
    assert store.get(stored.key) == data


def test_size_limit_aborts_without_leaving_anything(store):
    with pytest.raises(BlobTooLarge, match="10 bytes"):
        store.put_stream([b"123456", b"789012"], max_bytes=10)
    assert everything_stored(store) == []


def test_the_limit_is_checked_while_streaming(store):
    """The chunk that passes the limit stops the read: the rest of the stream is never consumed."""
    consumed: list[int] = []

    def chunks():
        for i in range(100):
            consumed.append(i)
            yield b"x" * 1000

    with pytest.raises(BlobTooLarge):
        store.put_stream(chunks(), max_bytes=2500)
    assert consumed == [0, 1, 2]
    assert everything_stored(store) == []


def test_exact_limit_is_accepted(store):
    assert store.put_stream([b"1234567890"], max_bytes=10).size == 10


def test_aborted_writer_leaves_nothing(store):
    writer = store.open_writer()
    writer.write(b"partial upload")
    writer.abort()
    writer.abort()
    assert everything_stored(store) == []


def test_a_finished_writer_refuses_more(store):
    writer = store.open_writer()
    writer.write(b"done")
    writer.commit()
    with pytest.raises(RuntimeError, match="already finished"):
        writer.write(b"more")
    writer.abort()  # safe after commit


def test_uncommitted_writer_is_invisible_under_its_key(store):
    """A crash mid-write: the bytes were never put under their key."""
    data = b"half written"
    writer = store.open_writer()
    writer.write(data)
    assert not store.exists(hashlib.sha256(data).hexdigest())
    assert list(store.iter_keys()) == []
    writer.abort()


@pytest.mark.parametrize(
    "key",
    ["../" * 5 + "etc/passwd", "A" * 64, "a" * 63, "a" * 65, "g" * 64, "", "a" * 62 + "/x", None, 42],
)
def test_malformed_keys_are_refused_before_any_path_is_built(store, key):
    for operation in (store.get, store.open, store.exists, store.delete, store.size):
        with pytest.raises(InvalidBlobKey):
            operation(key)


def test_missing_blob(store):
    key = "0" * 64
    assert not store.exists(key)
    for operation in (store.get, store.open, store.size):
        with pytest.raises(BlobNotFound):
            operation(key)
    assert store.delete(key) is False


def test_delete_and_iterate(store):
    keys = sorted(store.put(bytes([i])).key for i in range(5))
    assert sorted(store.iter_keys()) == keys
    assert store.delete(keys[0]) is True
    assert sorted(store.iter_keys()) == keys[1:]
    assert not store.exists(keys[0])
