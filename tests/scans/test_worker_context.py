"""A worker opens its blob store through the same factory as the server: an S3 URL means the bucket."""

from __future__ import annotations

from pathlib import Path

from sebrus.blobs import S3BlobStore
from sebrus.config import Settings
from sebrus.services.scans.jobs import worker_context
from tests.support.s3 import S3Server


def test_a_worker_uses_the_configured_bucket_once_per_configuration(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    settings = Settings(
        data_dir=tmp_path, blob_url=f"s3://{bucket}/workers", s3_endpoint_url=s3_server.endpoint_url
    )
    context = worker_context(settings)
    assert isinstance(context.blobs, S3BlobStore) and context.blobs.bucket == bucket
    assert worker_context(settings) is context
    key = context.blobs.put(b"a scan report").key
    assert S3BlobStore(s3_server.client(), bucket, "workers").get(key) == b"a scan report"
    local = worker_context(Settings(data_dir=tmp_path))
    assert local is not context and not isinstance(local.blobs, S3BlobStore)
