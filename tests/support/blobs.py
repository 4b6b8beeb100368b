"""What a blob store holds, counted the way each backend stores it, so tests can prove nothing was left.

For the local store that is every file under its root (temp files included); for the S3 store every
object in its bucket and every multipart upload still open there (invisible, but it costs storage).
"""

from __future__ import annotations

from sebrus.blobs import BlobStore, LocalBlobStore, S3BlobStore


def everything_stored(store: BlobStore) -> list[str]:
    if isinstance(store, LocalBlobStore):
        # Every file but the lock a process holds while it has the store open.
        lock = store.root / ".lock"
        return sorted(
            str(path.relative_to(store.root))
            for path in store.root.rglob("*")
            if path.is_file() and path != lock
        )
    if isinstance(store, S3BlobStore):
        objects = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
        return sorted([o["Key"] for o in objects] + [f"multipart:{u['Key']}" for u in uploads])
    raise TypeError(f"no way to list what {type(store).__name__} holds")


def tamper(store: BlobStore, key: str, data: bytes) -> None:
    """Replace the bytes stored under ``key`` behind the store's back (decay, or someone with disk access)."""
    if isinstance(store, LocalBlobStore):
        store.path_for(key).write_bytes(data)
    elif isinstance(store, S3BlobStore):
        store.client.put_object(Bucket=store.bucket, Key=store.object_key(key), Body=data)
    else:
        raise TypeError(f"no way to tamper with {type(store).__name__}")
