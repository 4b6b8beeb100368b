"""A client that hangs up half-way through an upload is not a server error, and leaves nothing behind.

The upload is driven at the ASGI level, as uvicorn drives it: the first half of the body arrives, then
``http.disconnect``. An exception that escapes the app is what uvicorn logs as a 500 with a traceback,
so the app must return normally, having stored no blob and no outbox row, and log one info line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sebrus.db.models import OutboxEntry
from tests.support.images import png
from tests.support.platform import cheap_settings, create_dataset, login, started


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with started(cheap_settings(tmp_path_factory.mktemp("disconnect"))) as (app, _services):
        yield app


async def upload_then_hang_up(
    app: FastAPI, dataset_id: int, token: str, body: bytes
) -> tuple[list[dict[str, Any]], Exception | None]:
    """Send half of ``body`` (announcing all of it), then disconnect; what the app sent and raised."""
    half = body[: len(body) // 2]
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": half, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/api/dataset/{dataset_id}/items",
        "raw_path": f"/api/dataset/{dataset_id}/items".encode(),
        "query_string": b"label=cat",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"image/png"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    try:
        await app(scope, receive, send)
    except Exception as exc:  # whatever escapes is what uvicorn would log as a 500
        return sent, exc
    return sent, None


def test_a_client_hanging_up_mid_upload_stores_nothing_and_is_no_server_error(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(app)
    dataset = create_dataset(client, login(client, "owner"))
    token = login(client, "alice")["Authorization"].removeprefix("Bearer ")
    image = png(42, size=(64, 64))
    blob_dir = Path(app.state.platform.settings.blob_dir)
    blobs_before = sorted(p for p in blob_dir.rglob("*") if p.is_file()) if blob_dir.exists() else []

    with caplog.at_level(logging.INFO):
        sent, escaped = anyio.run(upload_then_hang_up, app, int(str(dataset["id"])), token, image)

    assert escaped is None, f"{type(escaped).__name__} escaped the app: uvicorn logs that as a 500"
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert statuses and all(s < 500 for s in statuses), statuses
    with app.state.platform.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    blobs_after = sorted(p for p in blob_dir.rglob("*") if p.is_file()) if blob_dir.exists() else []
    assert blobs_after == blobs_before
    said = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.INFO], [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # The same client can still upload those bytes in full afterwards.
    uploaded = client.post(
        f"/api/dataset/{dataset['id']}/items",
        params={"label": "cat"},
        content=image,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert uploaded.status_code == 201, uploaded.text
