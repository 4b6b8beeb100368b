"""The whole platform (embedded chain, relayer, indexer) for tests, and the few API requests most of
them make: an account with a bearer token, a dataset, an upload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.config import Settings
from sebrus.platform import ChainServices, build_platform
from tests.support.images import png

Auth = dict[str, str]
Platform = tuple[TestClient, ChainServices]
StartPlatform = Callable[..., tuple[FastAPI, ChainServices]]

#: The password ``login`` registers every account with.
LOGIN_PASSWORD = "correct horse"


def cheap_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test platform: password hashing at its minimum, a 20 s upload wait, and neither a
    sign-up limit (every test account comes from the one test client address) nor a limit on new
    datasets per hour (suites create many from one account)."""
    values: dict[str, Any] = {
        "password_time_cost": 1,
        "password_memory_cost_kib": 8,
        "password_parallelism": 1,
        "upload_wait_seconds": 20,
        "signup_per_hour": 0,
        "dataset_creations_per_hour": 0,  # suites create many datasets from one account
        **overrides,
    }
    return Settings(data_dir=data_dir, **values)


@contextmanager
def started(settings: Settings) -> Iterator[tuple[FastAPI, ChainServices]]:
    """The platform built on ``settings`` with its loops running; stopped and its engine closed after."""
    app, services = build_platform(settings)
    services.start()
    try:
        yield app, services
    finally:
        services.stop()
        app.state.platform.engine.dispose()


@contextmanager
def serving(settings: Settings) -> Iterator[Platform]:
    """``started``, with a TestClient that has run the app's lifespan."""
    with started(settings) as (app, services), TestClient(app) as client:
        yield client, services


@contextmanager
def running_platform(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Iterator[Platform]:
    """``serving`` cheap settings with uploads not rate-limited in practice (10,000 a minute)."""
    settings = cheap_settings(
        data_dir, database_url=database_url, **{"upload_rate_per_minute": 10_000, **overrides}
    )
    with serving(settings) as running:
        yield running


def login(client: httpx.Client, username: str, password: str = LOGIN_PASSWORD) -> Auth:
    """Registers ``username`` and opens a session; the bearer header (the client keeps no cookie)."""
    created = client.post("/api/user", json={"username": username, "password": password})
    assert created.status_code == 201, created.text
    session = client.post("/api/session", json={"username": username, "password": password})
    assert session.status_code == 201, session.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def create_dataset(
    client: TestClient, auth: Auth, name: str = "pets", policy: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """A cats-and-dogs dataset (``extra`` adds or overrides fields of the request); the new dataset."""
    body: dict[str, Any] = {"datasetName": name, "description": "cats and dogs", "labels": ["cat", "dog"]}
    if policy is not None:
        body["review_policy"] = policy
    created = client.post("/api/dataset", json={**body, **extra}, headers=auth)
    assert created.status_code == 201, created.text
    dataset: dict[str, Any] = created.json()["new_dataset"]
    return dataset


def upload(client: TestClient, auth: Auth, dataset_id: int, seed: int, label: str = "cat") -> str:
    """Uploads ``png(seed)`` and waits for it; its content hash."""
    sent = client.post(
        f"/api/dataset/{dataset_id}/items", params={"label": label}, content=png(seed), headers=auth
    )
    assert sent.status_code == 201, sent.text
    return str(sent.json()["item"]["content_hash"])


def review_path(dataset_id: int, *parts: str) -> str:
    return "/".join([f"/api/dataset/{dataset_id}/review", *parts])


def advance_chain(services: ChainServices, seconds: int) -> None:
    """Move the embedded chain's clock on by ``seconds`` and mine a block at the new time."""
    ledger = services.handle.ledger
    with ledger.transactor.exclusive():
        tester = ledger.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        tester.time_travel(int(ledger.w3.eth.get_block("latest")["timestamp"]) + seconds)
        tester.mine_blocks(1)
