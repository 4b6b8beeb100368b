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
