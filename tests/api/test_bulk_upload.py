"""Bulk uploads: many images in one multipart request, refused per file, acknowledged in one transaction."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from sebrus.db.models import Item, OutboxEntry
from tests.support.images import png
from tests.support.platform import Auth, Platform, create_dataset, login, running_platform

Files = list[tuple[str, str, bytes]]  # (label, filename, bytes)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("bulk") / "data"
    with running_platform(data_dir, bulk_upload_max_bytes=300_000) as running:
        yield running


@pytest.fixture(scope="module")
def owner(platform: Platform) -> Auth:
    return login(platform[0], "bulk-owner")


def bulk(platform: Platform, auth: Auth, dataset_id: int, files: Files) -> httpx.Response:
    return platform[0].post(
        f"/api/dataset/{dataset_id}/uploads",
        files=[(label, (name, data, "image/png")) for label, name, data in files],
        headers=auth,
    )


def count(platform: Platform, model: Any, dataset_id: int) -> int:
    with platform[0].app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        return int(db.scalar(select(func.count()).select_from(model).where(model.dataset_id == dataset_id)))


def test_each_file_is_judged_alone_and_the_accepted_ones_are_anchored(
    platform: Platform, owner: Auth
) -> None:
    dataset = create_dataset(platform[0], owner, name="bulk-mixed", max_bytes=50_000)
    good = [("cat" if n % 2 else "dog", f"img{n}.png", png(1000 + n)) for n in range(12)]
    files: Files = [
        *good,
        ("cat", "notes.txt", b"not an image at all"),
        ("horse", "horse.png", png(2000)),
        ("cat", "again.png", good[1][2]),  # the same bytes twice in one request, same label
        ("dog", "relabelled.png", good[1][2]),  # and again under another label
        ("cat", "huge.png", b"\x89PNG" + bytes(60_000)),  # past the dataset's 50,000-byte limit
    ]
    answer = bulk(platform, owner, dataset["id"], files)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["queued"] == 12
    refused = {r["name"]: r["reason"] for r in body["refused"]}
    assert set(refused) == {"notes.txt", "horse.png", "relabelled.png", "huge.png"}
    assert "label" in refused["horse.png"].lower() and "50,000" in refused["huge.png"]
    assert {a["name"] for a in body["accepted"] if not a["created"]} == {"again.png"}
    assert count(platform, OutboxEntry, dataset["id"]) == 12

    deadline = time.monotonic() + 60
    while count(platform, Item, dataset["id"]) < 12:
        assert time.monotonic() < deadline, "the bulk upload was never anchored"
        time.sleep(0.2)
    items = platform[0].get(f"/api/dataset/{dataset['id']}/items", params={"limit": 50}).json()["items"]
    by_hash = {item["content_hash"]: item for item in items}
    for label, _, data in good:
        item = by_hash[hashlib.sha256(data).hexdigest()]
        assert item["label"] == label
        # Written by the relayer from the upload's own facts, not by decoding the blob again.
        assert (item["width"], item["height"], item["media_type"], item["size"]) == (
            8,
            8,
            "image/png",
            len(data),
        )

    again = bulk(platform, owner, dataset["id"], good)
    assert again.status_code == 200
    assert again.json()["queued"] == 0
    assert all(not a["created"] for a in again.json()["accepted"])
    assert count(platform, OutboxEntry, dataset["id"]) == 12


def test_a_body_past_the_limit_is_refused_while_streaming_and_stores_nothing(
    platform: Platform, owner: Auth
) -> None:
    dataset = create_dataset(platform[0], owner, name="bulk-too-big")

    def chunked() -> Iterator[bytes]:
        boundary = b"--sebrusboundary"
        for n in range(40):  # ~40 x 10 kB of file parts, streamed without a Content-Length
            yield boundary + b'\r\nContent-Disposition: form-data; name="cat"; filename="f.png"\r\n\r\n'
            yield png(3000 + n) + bytes(10_000) + b"\r\n"
        yield boundary + b"--\r\n"

    answer = platform[0].post(
        f"/api/dataset/{dataset['id']}/uploads",
        content=chunked(),
        headers={**owner, "Content-Type": "multipart/form-data; boundary=sebrusboundary"},
    )
    assert answer.status_code == 413, answer.text
    assert "300,000" in answer.text
    assert count(platform, OutboxEntry, dataset["id"]) == 0


@pytest.mark.parametrize(
    ("headers", "content", "status"),
    [
        ({"Content-Type": "image/png"}, png(1), 400),  # a raw body belongs to the single-upload endpoint
        ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x--\r\n", 400),  # no files
    ],
)
def test_what_is_not_a_multipart_body_of_files_is_a_400(
    platform: Platform, owner: Auth, headers: dict[str, str], content: bytes, status: int
) -> None:
    dataset = create_dataset(platform[0], owner, name=f"bulk-bad-{status}-{len(content)}")
    answer = platform[0].post(
        f"/api/dataset/{dataset['id']}/uploads", content=content, headers={**owner, **headers}
    )
    assert answer.status_code == status, answer.text
    assert count(platform, OutboxEntry, dataset["id"]) == 0


def test_a_form_field_that_is_not_a_file_is_refused(platform: Platform, owner: Auth) -> None:
    dataset = create_dataset(platform[0], owner, name="bulk-field")
    answer = platform[0].post(
        f"/api/dataset/{dataset['id']}/uploads",
        data={"cat": "just text"},
        files=[("cat", ("a.png", png(4000), "image/png"))],
        headers=owner,
    )
    assert answer.status_code == 400
    assert "not a file" in answer.text


def test_bulk_uploads_need_an_account(platform: Platform, owner: Auth) -> None:
    dataset = create_dataset(platform[0], owner, name="bulk-anon")
    answer = bulk(platform, {}, dataset["id"], [("cat", "a.png", png(5000))])
    assert answer.status_code == 401
    assert count(platform, OutboxEntry, dataset["id"]) == 0
