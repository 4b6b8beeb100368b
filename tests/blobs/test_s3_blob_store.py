"""What only the S3 store has: its object layout, the server-checked sha256, paging and a shared bucket."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest

from sebrus.blobs import BlobCorrupted, BlobNotFound, S3BlobStore
from tests.support.blobs import everything_stored
from tests.support.s3 import S3Server


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def s3(s3_server: S3Server, bucket: str) -> S3BlobStore:
    return S3BlobStore(s3_server.client(), bucket, "sebrus/blobs/")


class FlipsAByteWhenRead(io.BytesIO):
    """A spool whose bytes change after they were hashed, as a failing disk would change them."""

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        return bytes([chunk[0] ^ 1]) + chunk[1:] if chunk else chunk


def test_objects_sit_under_the_prefix_by_hash_with_their_sha256_checksum(s3):
    data = b"an image"
    key = s3.put(data).key
    name = f"sebrus/blobs/{key[:2]}/{key[2:4]}/{key}"
    assert everything_stored(s3) == [name]
    head = s3.client.head_object(Bucket=s3.bucket, Key=name, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert s3.client.get_object(Bucket=s3.bucket, Key=name)["Body"].read() == data


def test_bytes_that_change_after_hashing_are_refused_and_nothing_stays(s3_server, bucket):
    store = S3BlobStore(s3_server.client(), bucket, "blobs", spool=FlipsAByteWhenRead)
    with pytest.raises(BlobCorrupted, match="changed after they were hashed"):
        store.put(b"the bytes the writer hashed")
    assert everything_stored(store) == []
    assert not store.exists(hashlib.sha256(b"the bytes the writer hashed").hexdigest())


def test_a_writer_sends_nothing_before_commit(s3):
    writer = s3.open_writer()
    writer.write(b"x" * 100_000)
    assert everything_stored(s3) == []
    stored = writer.commit()
    assert everything_stored(s3) == [s3.object_key(stored.key)]


def test_an_object_already_there_is_not_written_again(s3):
    """A concurrent writer that PUTs after another finished gets ``created`` False (If-None-Match)."""
    data = b"same bytes"
    digest = hashlib.sha256(data).digest()
    assert s3.put_verified(digest.hex(), digest, io.BytesIO(data), len(data)) is True
    assert s3.put_verified(digest.hex(), digest, io.BytesIO(data), len(data)) is False
    assert s3.get(digest.hex()) == data


def test_iter_keys_pages_through_the_listing_and_ignores_what_is_not_a_blob(s3_server, bucket):
    """Two keys a page here; S3 itself answers at most 1,000, and the paginator follows the same token."""
    store = S3BlobStore(s3_server.client(), bucket, "blobs", list_page_size=2)
    keys = sorted(store.put(bytes([i])).key for i in range(5))
    client = store.client
    client.put_object(Bucket=bucket, Key="blobs/readme.txt", Body=b"not a blob")
    client.put_object(Bucket=bucket, Key=f"blobs/{keys[0]}", Body=b"a hash outside the layout")
    client.put_object(Bucket=bucket, Key=f"elsewhere/{keys[1][:2]}/{keys[1][2:4]}/{keys[1]}", Body=b"x")
    assert list(store.iter_keys()) == keys


def test_two_prefixes_in_one_bucket_are_two_stores(s3_server, bucket):
    first = S3BlobStore(s3_server.client(), bucket, "one")
    second = S3BlobStore(s3_server.client(), bucket, "two")
    key = first.put(b"only in one").key
    assert list(first.iter_keys()) == [key] and list(second.iter_keys()) == []
    with pytest.raises(BlobNotFound):
        second.get(key)
    assert second.delete(key) is False and first.exists(key)
