"""An item's image, uploaded and served back through the whole platform on each blob store.

The S3 run is the end-to-end check of the S3 store: the app is built from ``SEBRUS_BLOB_URL`` and
``SEBRUS_S3_ENDPOINT_URL`` alone (moto's server as the bucket), accepts an upload, keeps the bytes
in the bucket and nowhere on disk, and serves them back streamed with the immutable cache headers.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sebrus.blobs import LocalBlobStore, S3BlobStore
from sebrus.db.models import AuditLogEntry, Item
from tests.support.blobs import everything_stored, tamper
from tests.support.images import png
from tests.support.platform import Platform, cheap_settings, create_dataset, login, serving
from tests.support.s3 import S3Server

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module", params=["local", "s3"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("data")
    overrides: dict[str, str] = {}
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        overrides = {"blob_url": f"s3://{server.new_bucket()}/sebrus", "s3_endpoint_url": server.endpoint_url}
    with serving(cheap_settings(data_dir, **overrides)) as running:
        yield running


def _served_path(client: TestClient, image: bytes) -> str:
    """Uploads ``image`` as a new user into a new dataset; the path its bytes are served at."""
    unique = uuid.uuid4().hex[:12]
    auth = login(client, f"user-{unique}")
    dataset = create_dataset(client, auth, name=f"pets-{unique}")
    sent = client.post(
        f"/api/dataset/{dataset['id']}/items", params={"label": "cat"}, content=image, headers=auth
    )
    assert sent.status_code == 201, sent.text
    return f"/api/dataset/{dataset['id']}/items/{sent.json()['item']['content_hash']}/image"


def test_an_upload_is_stored_and_served_back_immutable(platform: Platform) -> None:
    client, _ = platform
    image = png(11)
    sha = hashlib.sha256(image).hexdigest()
    path = _served_path(client, image)

    blobs = client.app.state.platform.blobs  # type: ignore[attr-defined]
    assert blobs.get(sha) == image
    if isinstance(blobs, S3BlobStore):
        assert blobs.object_key(sha) in everything_stored(blobs)
        settings = client.app.state.platform.settings  # type: ignore[attr-defined]
        assert not settings.blob_dir.exists()  # nothing went to the local disk
    else:
        assert isinstance(blobs, LocalBlobStore) and blobs.path_for(sha).is_file()

    served = client.get(path)
    assert served.status_code == 200 and served.content == image
    # a declared length of 0 would make a real server (h11) abort the response after the headers
    assert served.headers.get("Content-Length") in (None, str(len(image)))
    assert served.headers["Cache-Control"] == IMMUTABLE
    assert served.headers["ETag"] == f'"{sha}"'
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Length"] == str(len(image))
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_client_holding_the_image_gets_304(platform: Platform) -> None:
    client, _ = platform
    image = png(12)
    sha = hashlib.sha256(image).hexdigest()
    path = _served_path(client, image)
    for if_none_match in (f'"{sha}"', f'W/"{sha}"', f'"other", "{sha}"', "*"):
        answer = client.get(path, headers={"If-None-Match": if_none_match})
        assert answer.status_code == 304 and answer.content == b"", if_none_match
        assert answer.headers["ETag"] == f'"{sha}"' and answer.headers["Cache-Control"] == IMMUTABLE


def test_a_stale_etag_gets_the_bytes_and_a_missing_blob_is_404(platform: Platform) -> None:
    client, _ = platform
    image = png(13)
    path = _served_path(client, image)
    assert client.get(path, headers={"If-None-Match": '"' + "0" * 64 + '"'}).content == image
    blobs = client.app.state.platform.blobs  # type: ignore[attr-defined]
    assert blobs.delete(hashlib.sha256(image).hexdigest())
    missing = client.get(path)
    assert missing.status_code == 404 and "missing from the blob store" in missing.json()["status"]


def test_an_item_indexed_before_its_blob_arrived_is_served_whole(platform: Platform) -> None:
    """The indexer records size 0 for an item whose blob it could not read; the bytes still stream."""
    client, _ = platform
    image = png(14)
    path = _served_path(client, image)
    sessions = client.app.state.platform.session_factory  # type: ignore[attr-defined]
    with sessions() as db:
        db.execute(update(Item).where(Item.content_hash == hashlib.sha256(image).hexdigest()).values(size=0))
        db.commit()
    served = client.get(path)
    assert served.status_code == 200 and served.content == image
    # a declared length of 0 would make a real server (h11) abort the response after the headers
    assert served.headers.get("Content-Length") in (None, str(len(image)))


def test_bytes_that_no_longer_match_their_hash_are_refused_logged_and_audited(platform: Platform) -> None:
    client, _ = platform
    image = png(15)
    sha = hashlib.sha256(image).hexdigest()
    path = _served_path(client, image)
    dataset_id = int(path.split("/")[3])
    tamper(client.app.state.platform.blobs, sha, png(16))  # type: ignore[attr-defined]

    refused = client.get(path)
    assert refused.status_code == 500, refused.text
    assert "no longer match its sha256" in refused.json()["status"]
    assert "ETag" not in refused.headers and "immutable" not in refused.headers.get("Cache-Control", "")

    sessions = client.app.state.platform.session_factory  # type: ignore[attr-defined]
    with sessions() as db:
        logged = db.scalars(
            select(AuditLogEntry).where(
                AuditLogEntry.action == "blob.read_mismatch", AuditLogEntry.subject == f"dataset:{dataset_id}"
            )
        ).all()
    assert [e.details for e in logged] == [
        {"content_hash": sha, "found": hashlib.sha256(png(16)).hexdigest()}
    ]

    auth = login(client, f"auditor-{uuid.uuid4().hex[:8]}")
    report = client.get(f"/api/dataset/{dataset_id}/audit", headers=auth).json()
    assert report["counts"]["read_mismatches"] == 1
    assert [(m["content_hash"], m["found"]) for m in report["read_mismatches"]] == [
        (sha, hashlib.sha256(png(16)).hexdigest())
    ]
    assert ("blob_corrupt", sha) in [(f["kind"], f["content_hash"]) for f in report["findings"]]
