"""API fixtures: an app per test on a fresh database, clients with their own cookie jars, and a
recorder that checks, after every test, that no response ever carried a password or a hash."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.api import create_app
from sebrus.config import Settings
from tests.support.api import OTHER_PASSWORD, Person, ResponseLog, sign_up_and_log_in


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_time_cost=1,
        password_memory_cost_kib=8,
        password_parallelism=1,
        login_max_failures=3,
        login_backoff_seconds=30,
        signup_per_hour=0,  # every TestClient is the same address; test_users.py tests the limit
        dataset_creations_per_hour=0,  # tests/api/test_datasets.py sets the limit where it tests it
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.platform.engine.dispose()


@pytest.fixture
def response_log() -> Iterator[ResponseLog]:
    log = ResponseLog()
    yield log
    log.assert_no_secrets()


@pytest.fixture
def make_client(app: FastAPI, response_log: ResponseLog) -> Callable[[], TestClient]:
    """Each call is a separate browser: its own cookie jar, same app."""

    def make() -> TestClient:
        client = TestClient(app)
        client.event_hooks["response"].append(response_log.hook)
        return client

    return make


@pytest.fixture
def client(make_client: Callable[[], TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def alice(make_client: Callable[[], TestClient]) -> Person:
    return sign_up_and_log_in(make_client(), "alice")


@pytest.fixture
def bob(make_client: Callable[[], TestClient]) -> Person:
    return sign_up_and_log_in(make_client(), "bob", OTHER_PASSWORD)
