"""Content-addressed blob storage: the key of a blob is the sha256 of its bytes."""

from sebrus.blobs.base import (
    BlobError,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    BlobWriter,
    InvalidBlobKey,
    StoredBlob,
    check_key,
)
from sebrus.blobs.factory import BlobStoreUnavailable, open_blob_store
from sebrus.blobs.local import LocalBlobStore
from sebrus.blobs.s3 import BlobCorrupted, S3BlobStore

__all__ = [
    "BlobCorrupted",
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreUnavailable",
    "BlobTooLarge",
    "BlobWriter",
    "InvalidBlobKey",
    "LocalBlobStore",
    "S3BlobStore",
    "StoredBlob",
    "check_key",
    "open_blob_store",
]
