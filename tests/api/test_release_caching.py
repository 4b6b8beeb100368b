"""Release reads are cacheable: item pages and the release's own answer are revalidated by an ETag of
their content (a page's `suspicion` follows the newest scan, and the release names the editable
dataset), and a matching ETag answers 304."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.config import Settings
from tests.support.api import Person, sign_up_and_log_in
from tests.support.reads import add_datasets, add_items, add_release, build_reads_app

REVALIDATE = "public, no-cache"


@pytest.fixture
def reads_app(settings: Settings) -> Iterator[FastAPI]:
    app = build_reads_app(settings)
    yield app
    app.state.platform.engine.dispose()


@pytest.fixture
def owner(reads_app: FastAPI) -> Person:
    return sign_up_and_log_in(TestClient(reads_app), "owner")


@pytest.fixture
def released(reads_app: FastAPI, owner: Person) -> int:
    """A dataset with 12 items and two releases of them; its id."""
    [dataset_id] = add_datasets(reads_app, owner.user_id, 1)
    add_items(reads_app, dataset_id, 12)
    add_release(reads_app, dataset_id, 1)
    add_release(reads_app, dataset_id, 2)
    return dataset_id


def test_an_item_page_is_revalidated_and_a_matching_etag_answers_304(
    reads_app: FastAPI, released: int
) -> None:
    client = TestClient(reads_app)
    url = f"/api/dataset/{released}/releases/1/items"
    first = client.get(url, params={"limit": 5})
    assert first.status_code == 200
    assert first.headers["cache-control"] == REVALIDATE
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert len(first.json()["items"]) == 5
    # The same page again: the same ETag. Another page: another one.
    assert client.get(url, params={"limit": 5}).headers["etag"] == etag
    assert client.get(url, params={"limit": 5, "offset": 5}).headers["etag"] != etag
    for sent in (etag, f"W/{etag}", f'"something-else", {etag}', "*"):
        cached = client.get(url, params={"limit": 5}, headers={"If-None-Match": sent})
        assert cached.status_code == 304, sent
        assert cached.content == b""
        assert cached.headers["etag"] == etag
    stale = client.get(url, params={"limit": 5}, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json() == first.json()


def test_a_release_is_revalidated_by_the_etag_of_its_content(
    reads_app: FastAPI, owner: Person, released: int
) -> None:
    client = TestClient(reads_app)
    url = f"/api/dataset/{released}/releases/1"
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, no-cache"
    assert first.json()["release"]["version"] == 1 and len(first.json()["release"]["removed"]) == 2
    etag = first.headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    # The owner renames the dataset: the release's answer names it, so the old ETag no longer matches.
    renamed = owner.put(f"/api/dataset/{released}", json={"datasetName": "renamed"})
    assert renamed.status_code == 200, renamed.text
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json()["release"]["dataset_name"] == "renamed"
    assert fresh.headers["etag"] != etag


def test_unknown_releases_are_still_404(reads_app: FastAPI, released: int) -> None:
    client = TestClient(reads_app)
    for url in (f"/api/dataset/{released}/releases/9", f"/api/dataset/{released}/releases/9/items"):
        missing = client.get(url, headers={"If-None-Match": "*"})
        assert missing.status_code == 404, url
        assert "no release 9" in missing.json()["detail"]
