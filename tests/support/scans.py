"""Helpers for scans: through the platform's HTTP API (the ``platform`` fixture is in
tests/scans/conftest.py), and straight into the database (``user``, ``add_items``)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.blobs import LocalBlobStore
from sebrus.db.models import Dataset, Item, User
from tests.support.images import to_png
from tests.support.platform import Auth, create_dataset
from tests.support.poisoned_digits import PoisonedDigits, Upload, b64


def seeded_dataset(client: TestClient, auth: Auth, data: PoisonedDigits, name: str = "digits") -> int:
    """A dataset of ``data``'s labels with its vetted images as the seed set; its id."""
    seed = [{"label": label, "data": b64(png)} for label, png in data.seed]
    return int(create_dataset(client, auth, name, description="digits", labels=data.labels, seed=seed)["id"])


def upload_all(client: TestClient, dataset_id: int, batches: list[tuple[Auth, list[Upload]]]) -> None:
    """Upload without waiting (the relayer batches them), then wait until every item is indexed."""
    total = 0
    for auth, uploads in batches:
        for upload in uploads:
            answer = client.post(
                f"/api/dataset/{dataset_id}/items",
                params={"label": upload.label, "wait": "false"},
                content=upload.png,
                headers={**auth, "Content-Type": "image/png"},
            )
            assert answer.status_code in (201, 202), answer.text
            total += 1
    deadline = time.monotonic() + 60
    while client.get(f"/api/dataset/{dataset_id}/items", params={"limit": 1}).json()["total"] < total:
        assert time.monotonic() < deadline, "uploads were not indexed in time"
        time.sleep(0.2)


def wait_for_scan(client: TestClient, scan_id: int, timeout: float = 120) -> dict[str, Any]:
    """Until the scan is finished and every quarantine it asked for has been sent."""
    deadline = time.monotonic() + timeout
    while True:
        scan: dict[str, Any] = client.get(f"/api/scans/{scan_id}").json()["scan"]
        if scan["state"] in ("done", "failed") and scan["quarantine"]["pending"] == 0:
            return scan
        assert time.monotonic() < deadline, f"scan {scan_id} still {scan['state']}: {scan['message']}"
        time.sleep(0.3)


def all_flagged(client: TestClient, scan_id: int) -> list[dict[str, Any]]:
    body = client.get(f"/api/scans/{scan_id}/flagged", params={"limit": 100}).json()
    items: list[dict[str, Any]] = body["items"]
    while len(items) < body["total"]:
        body = client.get(f"/api/scans/{scan_id}/flagged", params={"limit": 100, "offset": len(items)}).json()
        items += body["items"]
    return items


def user(db: Session, name: str) -> User:
    row = User(username=name, username_key=name, password_hash="x")
    db.add(row)
    db.flush()
    return row


def add_items(db: Session, blobs: LocalBlobStore, dataset: Dataset, counts: dict[int, int]) -> list[Item]:
    """``count`` new digit items per label index, straight into the database and the blob store."""
    from sebrus.detect.datasets import load_digits

    images, labels = load_digits()
    made = []  # ``count`` new items per label, skipping digits the dataset already holds
    seen = set(db.scalars(select(Item.content_hash).where(Item.dataset_id == dataset.id)))
    for label, count in counts.items():
        for k in [int(i) for i in (labels == label).nonzero()[0]]:
            if len([m for m in made if m.label_index == label]) == count:
                break
            data = to_png(images[k])
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            blobs.put(data)
            item = Item(
                dataset_id=dataset.id,
                content_hash=digest,
                label=dataset.labels[label],
                label_index=label,
                contributor_address="0x" + f"{label + 1:02x}" * 20,
                size=len(data),
            )
            db.add(item)
            made.append(item)
    db.commit()
    return made
