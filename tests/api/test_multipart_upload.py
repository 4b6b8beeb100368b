"""``POST /api/dataset/{id}/items`` takes one multipart file part (``-F file=@cat.png``) beside a raw body."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from sebrus.db.models import OutboxEntry
from tests.support.images import png
from tests.support.platform import Auth, Platform, create_dataset, login, running_platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("multipart") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def owner(platform: Platform) -> Auth:
    return login(platform[0], "multipart-owner")


def outbox_rows(platform: Platform, dataset_id: int) -> int:
    with platform[0].app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.dataset_id == dataset_id)
        return int(db.scalar(query) or 0)


def post(platform: Platform, auth: Auth, dataset: dict[str, Any], **kwargs: Any) -> Any:
    return platform[0].post(
        f"/api/dataset/{dataset['id']}/items", params={"label": "cat"}, headers=auth, **kwargs
    )


def test_one_file_part_is_an_upload_and_the_raw_body_finds_the_same_item(
    platform: Platform, owner: Auth
) -> None:
    dataset = create_dataset(platform[0], owner, name="multipart-one")
    image = png(3001)
    sent = post(platform, owner, dataset, files=[("file", ("cat.png", image, "image/png"))])
    assert sent.status_code == 201, sent.text
    sha = hashlib.sha256(image).hexdigest()
    assert sent.json()["item"]["content_hash"] == sha
    blobs = platform[0].app.state.platform.blobs  # type: ignore[attr-defined]
    assert blobs.get(sha) == image  # the image alone, none of the multipart framing
    again = post(platform, owner, dataset, content=image)
    assert again.status_code == 200 and again.json()["item"]["content_hash"] == sha


def test_anything_but_exactly_one_file_part_is_refused_and_nothing_is_stored(
    platform: Platform, owner: Auth
) -> None:
    dataset = create_dataset(platform[0], owner, name="multipart-bad", max_bytes=20_000)
    two = post(
        platform,
        owner,
        dataset,
        files=[("file", ("a.png", png(3002), "image/png")), ("file", ("b.png", png(3003), "image/png"))],
    )
    assert two.status_code == 400 and "at most one file" in two.json()["status"]
    text_part = post(platform, owner, dataset, files=[("note", (None, b"hello"))])
    assert text_part.status_code == 400 and "not a file" in text_part.json()["status"]
    empty = platform[0].post(
        f"/api/dataset/{dataset['id']}/items",
        params={"label": "cat"},
        content=b"--x--\r\n",
        headers={**owner, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert empty.status_code == 400 and "no file part" in empty.json()["status"]
    huge = post(
        platform, owner, dataset, files=[("file", ("big.png", b"\x89PNG" + bytes(30_000), "image/png"))]
    )
    assert huge.status_code == 413 and "20,000 bytes" in huge.json()["status"]
    not_image = post(platform, owner, dataset, files=[("file", ("a.txt", b"plain text", "text/plain"))])
    assert not_image.status_code == 400
    assert outbox_rows(platform, dataset["id"]) == 0
