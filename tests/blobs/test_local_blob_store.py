"""What only the local store has: its directory layout and the sweep of temp files a crash left."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from sebrus.blobs import InvalidBlobKey, LocalBlobStore


@pytest.fixture
def local(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_lays_out_by_prefix(local):
    key = local.put(b"hello blobs").key
    assert key == hashlib.sha256(b"hello blobs").hexdigest()
    assert local.path_for(key) == local.root / key[:2] / key[2:4] / key
    assert local.path_for(key).read_bytes() == b"hello blobs"
    assert list(local.temp_dir.iterdir()) == []


def test_a_crashed_writers_temp_file_is_swept(local):
    writer = local.open_writer()
    writer.write(b"half written")
    os.utime(next(iter(local.temp_dir.iterdir())), (0, 0))
    assert local.remove_stale_temp_files(older_than_seconds=60) == 1
    writer.abort()


@pytest.mark.parametrize("key", ["../" * 5 + "etc/passwd", "A" * 64, "a" * 62 + "/x", None])
def test_path_for_refuses_malformed_keys(local, key):
    with pytest.raises(InvalidBlobKey):
        local.path_for(key)


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
