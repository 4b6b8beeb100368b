"""``open_blob_store(settings)``: the one place that turns ``SEBRUS_BLOB_URL`` into a blob store.

The server, the scan jobs and the RQ workers all call it, so they cannot disagree about where blobs
live. A URL it cannot use fails here, at start, with a sentence naming the problem, rather than at
the first upload: an unknown scheme, an ``s3://`` URL without a bucket, a bucket the endpoint does
not have or cannot be reached, or an ``s3://`` URL without the ``s3`` extra installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sebrus.blobs.base import BlobError, BlobStore
from sebrus.blobs.local import LocalBlobStore
from sebrus.blobs.s3 import S3BlobStore
from sebrus.config import Settings
from sebrus.primitives import private_dir

SCHEMES = ("s3", "file")


class BlobStoreUnavailable(BlobError, ValueError):
    """The configured blob store cannot be used; the message says why and what to set."""


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store ``settings`` name: ``SEBRUS_BLOB_URL``, or ``<data_dir>/blobs`` when unset."""
    url = settings.blob_url
    if not url:
        return LocalBlobStore(private_dir(settings.blob_dir))  # blobs are contributors' data: 0700
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise BlobStoreUnavailable(
                f"SEBRUS_BLOB_URL={url!r} is not a local directory: write file:///absolute/path"
            )
        return LocalBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise BlobStoreUnavailable(
                f"SEBRUS_BLOB_URL={url!r} names no bucket: write s3://bucket or s3://bucket/prefix"
            )
        return _open_s3(parts.netloc, unquote(parts.path), settings.s3_endpoint_url)
    raise BlobStoreUnavailable(
        f"SEBRUS_BLOB_URL={url!r} has an unknown scheme {parts.scheme!r}: use one of "
        + ", ".join(f"{scheme}://" for scheme in SCHEMES)
    )


def s3_client(endpoint_url: str | None) -> Any:
    """A boto3 S3 client; credentials and region come from the standard AWS variables and files."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise BlobStoreUnavailable(
            "SEBRUS_BLOB_URL is an s3:// URL but boto3 is not installed: pip install 'sebrus[s3]'"
        ) from None
    # Path-style addressing works on every S3-compatible server (MinIO, Ceph, moto) and on AWS.
    config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard"})
    try:
        return boto3.client("s3", endpoint_url=endpoint_url, config=config)
    except ValueError as exc:  # botocore's answer to a malformed endpoint URL
        raise BlobStoreUnavailable(f"SEBRUS_S3_ENDPOINT_URL={endpoint_url!r} is not usable: {exc}") from exc


def _open_s3(bucket: str, prefix: str, endpoint_url: str | None) -> S3BlobStore:
    client = s3_client(endpoint_url)
    where = endpoint_url or "AWS S3"
    try:
        client.head_bucket(Bucket=bucket)
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise BlobStoreUnavailable(f"the bucket {bucket!r} does not exist at {where}") from exc
        if code in ("403", "AccessDenied", "Forbidden"):
            raise BlobStoreUnavailable(
                f"access to the bucket {bucket!r} at {where} was refused: check AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY"
            ) from exc
        raise BlobStoreUnavailable(f"cannot reach the bucket {bucket!r} at {where}: {exc}") from exc
    return S3BlobStore(client, bucket, prefix)
