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
from sebrus.blobs.local import LocalBlobStore

__all__ = [
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "BlobWriter",
    "InvalidBlobKey",
    "LocalBlobStore",
    "StoredBlob",
    "check_key",
]
