"""Upload to anchored and indexed, through the real API, the embedded chain, the relayer and the indexer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sebrus.platform import ChainServices
from tests.support.images import png
from tests.support.platform import Platform, cheap_settings, create_dataset, login, serving


@pytest.fixture
def platform(tmp_path: Path, database_url: str) -> Iterator[Platform]:
    """The whole platform on a fresh embedded chain, over SQLite and over PostgreSQL (``database_url``)."""
    with serving(cheap_settings(tmp_path / "data", database_url=database_url)) as running:
        yield running


def test_an_upload_is_anchored_indexed_and_served(platform: tuple[TestClient, ChainServices]) -> None:
    client, services = platform
    owner = login(client, "owner")
    dataset = create_dataset(client, owner)
    assert str(dataset["address"]).startswith("0x") and dataset["chain_index"] == 0

    contributor = login(client, "alice")
    image = png(1)
    uploaded = client.post(
        f"/api/dataset/{dataset['id']}/items", params={"label": "dog"}, content=image, headers=contributor
    )
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()["item"]
    assert item["content_hash"] == hashlib.sha256(image).hexdigest()
    assert (item["label"], item["status"], item["width"], item["media_type"]) == (
        "dog",
        "pending",
        8,
        "image/png",
    )

    on_chain = services.handle.ledger.get_item(str(dataset["address"]), item["content_hash"])
    assert on_chain is not None and on_chain.contributor == item["contributor"] and on_chain.label == 1

    again = client.post(
        f"/api/dataset/{dataset['id']}/items", params={"label": "dog"}, content=image, headers=contributor
    )
    assert again.status_code == 200 and again.json()["item"]["id"] == item["id"]

    listed = client.get(f"/api/dataset/{dataset['id']}/items", params={"label": "dog"}).json()
    assert [i["content_hash"] for i in listed["items"]] == [item["content_hash"]]
    # The few characters a table shows name the item (the CLI resolves prefixes this way).
    sha = item["content_hash"]
    items_url = f"/api/dataset/{dataset['id']}/items"
    by_prefix = client.get(items_url, params={"sha_prefix": sha[:5].upper()}).json()
    assert [i["content_hash"] for i in by_prefix["items"]] == [sha] and by_prefix["total"] == 1
    elsewhere = ("1" if sha[0] == "0" else "0") + sha[1:5]
    assert client.get(items_url, params={"sha_prefix": elsewhere}).json()["total"] == 0
    wildcard = client.get(items_url, params={"sha_prefix": "%"})  # LIKE's wildcards are not hex digits
    assert wildcard.status_code == 422 and "sha_prefix" in wildcard.text
    fetched = client.get(f"/api/dataset/{dataset['id']}/items/{item['content_hash']}/image")
    assert fetched.status_code == 200 and fetched.content == image


@pytest.mark.parametrize(
    ("body", "params", "status", "message"),
    [
        (b"not an image at all", {"label": "cat"}, 400, "not an image"),
        (png(2), {"label": "horse"}, 400, "not in this dataset's label set"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, {"label": "cat"}, 400, "image"),
        (png(3, (40, 40)), {"label": "cat"}, 400, "dimensions"),
        (b"x" * 5000, {"label": "cat"}, 413, "limit"),
        (png(6) + b"PK\x03\x04" + b"\0" * 26, {"label": "cat"}, 400, "bytes after the end of its PNG"),
        (png(7)[:-4], {"label": "cat"}, 400, "truncated"),
    ],
    ids=["not-an-image", "unknown-label", "truncated-png", "too-wide", "too-large", "png-zip", "cut-in-iend"],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    platform: tuple[TestClient, ChainServices], body: bytes, params: dict[str, str], status: int, message: str
) -> None:
    client, _ = platform
    owner = login(client, "owner")
    dataset = create_dataset(client, owner, max_bytes=4096, max_width=32)
    refused = client.post(f"/api/dataset/{dataset['id']}/items", params=params, content=body, headers=owner)
    assert refused.status_code == status, refused.text
    assert message in refused.json()["status"]
    assert client.get(f"/api/dataset/{dataset['id']}/items").json()["total"] == 0
    blobs = client.app.state.platform.blobs  # type: ignore[attr-defined]
    assert list(blobs.iter_keys()) == []


def test_uploads_need_an_account(platform: tuple[TestClient, ChainServices]) -> None:
    client, _ = platform
    owner = login(client, "owner")
    dataset = create_dataset(client, owner)
    refused = client.post(f"/api/dataset/{dataset['id']}/items", params={"label": "cat"}, content=png(4))
    assert refused.status_code == 401


def test_someone_elses_image_is_a_conflict(platform: tuple[TestClient, ChainServices]) -> None:
    client, _ = platform
    owner = login(client, "owner")
    dataset = create_dataset(client, owner)
    image = png(5)
    first = client.post(
        f"/api/dataset/{dataset['id']}/items", params={"label": "cat"}, content=image, headers=owner
    )
    assert first.status_code == 201
    other = login(client, "mallory")
    copied = client.post(
        f"/api/dataset/{dataset['id']}/items", params={"label": "dog"}, content=image, headers=other
    )
    assert copied.status_code == 409 and "someone else" in copied.json()["status"]


def test_a_burst_of_concurrent_uploads_is_all_anchored_in_batches(
    platform: tuple[TestClient, ChainServices],
) -> None:
    """More uploads in flight than the connection pool holds (5 + 10): each must still be anchored.

    Before the upload handler stopped doing database I/O on the event loop and holding a connection
    while it waited for its block, a burst like this deadlocked the server (pool timeout, then 500).
    """
    client, services = platform
    owner = login(client, "owner")
    dataset = create_dataset(client, owner)
    contributors = [login(client, f"burst{n}") for n in range(4)]
    images = [png(seed) for seed in range(100, 140)]

    def upload(n: int) -> int:
        answered = client.post(
            f"/api/dataset/{dataset['id']}/items",
            params={"label": "cat"},
            content=images[n],
            headers=contributors[n % len(contributors)],
        )
        return answered.status_code

    pool = ThreadPoolExecutor(max_workers=len(images))
    try:
        statuses = list(pool.map(upload, range(len(images)), timeout=120))  # a deadlock fails, not hangs
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert statuses == [201] * len(images)

    listed = client.get(f"/api/dataset/{dataset['id']}/items", params={"limit": 100}).json()
    assert listed["total"] == len(images)
    assert {i["content_hash"] for i in listed["items"]} == {hashlib.sha256(i).hexdigest() for i in images}
    for item in listed["items"]:
        assert services.handle.ledger.get_item(str(dataset["address"]), item["content_hash"]) is not None
    transactions = {i["tx_hash"] for i in listed["items"]}
    assert len(transactions) < len(images), "the relayer should have batched uploads that arrived together"
