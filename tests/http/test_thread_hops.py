"""The shared dependencies cost no thread of their own: a read pays thread-pool hops only for its
handler and FastAPI's check of its answer.

FastAPI runs every plain ``def`` dependency in the thread pool, a generator dependency twice (enter
and exit), and each hop costs about 0.2 ms of CPU; before the state, session and page dependencies
became ``async``, the health check took five hops and a page of items six.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.api import create_app
from sebrus.config import Settings


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(Settings(data_dir=tmp_path / "data"), with_chain=True)
    yield app
    app.state.platform.engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions sent to the thread pool, in order."""
    sent: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(func, "__qualname__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return sent


def test_a_read_pays_thread_hops_only_for_its_handler_and_its_answer(app: FastAPI, hops: list[str]) -> None:
    client = TestClient(app)
    for url in ("/api/health", "/api/dataset", "/api/dataset/1/items"):
        hops.clear()
        answer = client.get(url)
        assert answer.status_code in (200, 404), (url, answer.text)
        assert len(hops) <= 2, (url, hops)
