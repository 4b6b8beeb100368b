"""Helpers for scans through the platform's HTTP API (the ``platform`` fixture is in conftest)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sebrus.config import Settings
from sebrus.platform import ChainServices
from tests.scans.poisoned_digits import PoisonedDigits, Upload, b64

Platform = tuple[TestClient, ChainServices]


def settings_for(data_dir: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        password_time_cost=1,
        password_memory_cost_kib=64,
        password_parallelism=1,
        upload_wait_seconds=20,
        upload_rate_per_minute=0,
        **extra,
    )


def login(client: TestClient, username: str) -> dict[str, str]:
    assert (
        client.post("/api/user", json={"username": username, "password": "correct horse"}).status_code == 201
    )
    session = client.post("/api/session", json={"username": username, "password": "correct horse"})
    assert session.status_code == 201, session.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def create_dataset(
    client: TestClient, auth: dict[str, str], data: PoisonedDigits, name: str = "digits"
) -> int:
    body = {
        "datasetName": name,
        "description": "digits",
        "labels": data.labels,
        "seed": [{"label": label, "data": b64(png)} for label, png in data.seed],
    }
    created = client.post("/api/dataset", json=body, headers=auth)
    assert created.status_code == 201, created.text
    return int(created.json()["new_dataset"]["id"])


def upload_all(
    client: TestClient, dataset_id: int, batches: list[tuple[dict[str, str], list[Upload]]]
) -> None:
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
