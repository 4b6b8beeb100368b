"""open_blob_store: the one way every process turns SEBRUS_BLOB_URL into a store, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sebrus.blobs import BlobStoreUnavailable, LocalBlobStore, S3BlobStore, open_blob_store
from sebrus.cli import app as cli_app
from sebrus.config import Settings
from tests.support.live_server import closed_port_url
from tests.support.s3 import S3Server


def test_unset_means_the_data_directory(tmp_path: Path) -> None:
    store = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "blobs"


def test_a_file_url_is_a_local_directory(tmp_path: Path) -> None:
    store = open_blob_store(Settings(data_dir=tmp_path, blob_url=f"file://{tmp_path}/elsewhere"))
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "elsewhere"


def test_an_s3_url_opens_the_bucket_under_its_prefix(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    settings = Settings(
        data_dir=tmp_path, blob_url=f"s3://{bucket}/sebrus/blobs", s3_endpoint_url=s3_server.endpoint_url
    )
    store = open_blob_store(settings)
    assert isinstance(store, S3BlobStore) and (store.bucket, store.prefix) == (bucket, "sebrus/blobs/")
    key = store.put(b"through the factory").key
    assert open_blob_store(settings).get(key) == b"through the factory"
    assert not (tmp_path / "blobs").exists()


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("ftp://bucket/x", "unknown scheme 'ftp'"),
        ("/var/blobs", "unknown scheme ''"),
        ("s3://", "names no bucket"),
        ("s3:///prefix", "names no bucket"),
        ("file://host/path", "not a local directory"),
    ],
)
def test_bad_urls_are_refused_with_a_sentence(tmp_path: Path, url: str, sentence: str) -> None:
    with pytest.raises(BlobStoreUnavailable, match=sentence):
        open_blob_store(Settings(data_dir=tmp_path, blob_url=url))


def test_a_bucket_the_server_lacks_is_refused_at_start(s3_server: S3Server, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, blob_url="s3://no-such-bucket", s3_endpoint_url=s3_server.endpoint_url
    )
    with pytest.raises(BlobStoreUnavailable, match="bucket 'no-such-bucket' does not exist at http://127"):
        open_blob_store(settings)


def test_an_unreachable_endpoint_is_refused_at_start(s3_server: S3Server, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, blob_url="s3://bucket", s3_endpoint_url=closed_port_url())
    with pytest.raises(BlobStoreUnavailable, match="cannot reach the bucket 'bucket'"):
        open_blob_store(settings)


def test_the_worker_refuses_a_bad_blob_url_before_it_starts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEBRUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEBRUS_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SEBRUS_BLOB_URL", "gs://bucket")
    result = CliRunner().invoke(cli_app, ["worker", "--scans-only", "--burst"])
    said = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code != 0
    assert "cannot open the blob store" in said and "unknown scheme 'gs'" in said
