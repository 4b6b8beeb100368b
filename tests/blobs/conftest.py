"""``store``: every blob-store test that is about the contract runs on the local and the S3 store."""

from __future__ import annotations

from pathlib import Path

import pytest

from sebrus.blobs import BlobStore, LocalBlobStore, S3BlobStore
from tests.support.s3 import S3Server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    server: S3Server = request.getfixturevalue("s3_server")
    return S3BlobStore(server.client(), server.new_bucket(), "blobs")
