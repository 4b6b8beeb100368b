"""A running platform on a fresh embedded chain, and the few requests every review test makes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from sebrus.config import Settings
from sebrus.platform import ChainServices, build_platform

Auth = dict[str, str]


@contextmanager
def running_platform(
    data_dir: Path, database_url: str | None = None, **overrides: Any
) -> Iterator[tuple[TestClient, ChainServices]]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        password_time_cost=1,
        password_memory_cost_kib=64,
        password_parallelism=1,
        upload_wait_seconds=20,
        upload_rate_per_minute=10_000,
        **overrides,
    )
    app, services = build_platform(settings)
    services.start()
    try:
        with TestClient(app) as client:
            yield client, services
    finally:
        services.stop()
        app.state.platform.engine.dispose()


def png(seed: int) -> bytes:
    image = Image.new("RGB", (8, 8), color=(seed % 256, (seed // 256) % 256, 7))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def login(client: TestClient, username: str) -> Auth:
    created = client.post("/api/user", json={"username": username, "password": "correct horse"})
    assert created.status_code == 201, created.text
    session = client.post("/api/session", json={"username": username, "password": "correct horse"})
    assert session.status_code == 201, session.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def create_dataset(client: TestClient, auth: Auth, name: str, policy: dict[str, Any]) -> dict[str, Any]:
    body = {
        "datasetName": name,
        "description": "review test",
        "labels": ["cat", "dog"],
        "review_policy": policy,
    }
    created = client.post("/api/dataset", json=body, headers=auth)
    assert created.status_code == 201, created.text
    dataset: dict[str, Any] = created.json()["new_dataset"]
    return dataset


def upload(client: TestClient, auth: Auth, dataset_id: int, seed: int, label: str = "cat") -> str:
    sent = client.post(
        f"/api/dataset/{dataset_id}/items", params={"label": label}, content=png(seed), headers=auth
    )
    assert sent.status_code == 201, sent.text
    return str(sent.json()["item"]["content_hash"])


def review_path(dataset_id: int, *parts: str) -> str:
    return "/".join([f"/api/dataset/{dataset_id}/review", *parts])
