"""Form bodies over their allowance, chunked ones included: refused beside the field, nothing kept.

The forms that carry files are allowed hundreds of MB, so these tests shrink the allowance table
(``http/body_allowances.py``) to 64 KB and send 256 KB without ``Content-Length``: before the body
cap, the routes checked only the declared length and spooled a chunked body whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sebrus.db.models import Dataset, DatasetSeed, Item
from sebrus.http import body_allowances
from sebrus.http.body_allowances import BodyAllowance
from tests.support.web import browser, create_dataset, csrf_from, field_block, register

SMALL = 64 * 1024
TOO_MUCH = b"\x89PNG" + b"\0" * (256 * 1024)


@pytest.fixture
def small_allowances(monkeypatch: pytest.MonkeyPatch) -> None:
    shrunk = tuple(BodyAllowance(a.method, a.path, SMALL, a.why) for a in body_allowances.BODY_ALLOWANCES)
    monkeypatch.setattr(body_allowances, "BODY_ALLOWANCES", shrunk)


def _post_chunked(
    client: TestClient, url: str, fields: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]]
) -> httpx.Response:
    """The form as a browser encodes it, sent in 16 KB chunks with no Content-Length."""
    encoded = httpx.Request("POST", "http://form/", data=fields, files=files)
    body = encoded.read()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    headers = {"content-type": encoded.headers["content-type"], "accept": "text/html"}
    return client.post(url, content=chunks(), headers=headers)


def _count(app: FastAPI, model: type[Dataset] | type[Item] | type[DatasetSeed]) -> int:
    with app.state.platform.session_factory() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.usefixtures("small_allowances")
def test_contribute_refuses_a_chunked_body_beside_the_files(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    dataset_id = create_dataset(client, "chunked contributions")
    items = _count(app, Item)
    page = client.get(f"/contribute?dataset={dataset_id}")
    refused = _post_chunked(
        client,
        "/contribute",
        {"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "cat"},
        [("files", ("big.png", TOO_MUCH, "image/png"))],
    )
    assert refused.status_code == 413
    assert "Send at most 256 MB in one go" in field_block(refused.text, "files")
    assert _count(app, Item) == items


@pytest.mark.usefixtures("small_allowances")
def test_the_create_form_refuses_chunked_seed_images_and_creates_nothing(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    datasets = _count(app, Dataset)
    page = client.get("/datasets/new")
    fields = {"csrf_token": csrf_from(page.text), "name": "too big", "labels": "cat", "seed_label_0": "cat"}
    refused = _post_chunked(
        client, "/datasets/new", fields, [("seed_files_0", ("a.png", TOO_MUCH, "image/png"))]
    )
    assert refused.status_code == 413
    assert "of seed images at once" in refused.text
    assert _count(app, Dataset) == datasets


@pytest.mark.usefixtures("small_allowances")
def test_the_seed_form_refuses_a_chunked_body(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "chunked seeds")
    seeds = _count(app, DatasetSeed)
    page = owner.get(f"/datasets/{dataset_id}")
    refused = _post_chunked(
        owner,
        f"/datasets/{dataset_id}/seed",
        {"csrf_token": csrf_from(page.text), "seed_label_0": "cat"},
        [("seed_files_0", ("a.png", TOO_MUCH, "image/png"))],
    )
    assert refused.status_code == 413
    assert 'id="seed-error"' in refused.text and "of seed images at once" in refused.text
    assert _count(app, DatasetSeed) == seeds


def test_any_other_form_gets_a_page_naming_the_limit(app: FastAPI) -> None:
    """Login has the 1 MB default; a browser gets the site's problem page, not JSON."""
    client = browser(app)
    page = client.get("/login")
    refused = _post_chunked(
        client, "/login", {"csrf_token": csrf_from(page.text), "username": "x" * (2 * 1024 * 1024)}, []
    )
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "Too large to accept" in refused.text and "POST /login accepts at most 1 MB" in refused.text
