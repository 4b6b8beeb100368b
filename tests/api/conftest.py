"""API fixtures: an app per test on a fresh database, clients with their own cookie jars, and a
recorder that checks, after every test, that no response ever carried a password or a hash."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import KNOWN_PASSWORDS, OTHER_PASSWORD, Person, sign_up_and_log_in
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.api import create_app
from sebrus.config import Settings

FORBIDDEN_KEYS = {"password", "password_hash", "keystore", "token_hash", "csrf_secret"}


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
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.platform.engine.dispose()


@dataclass
class ResponseLog:
    bodies: list[tuple[str, str]] = field(default_factory=list)

    def hook(self, response: httpx.Response) -> None:
        response.read()
        self.bodies.append((f"{response.request.method} {response.request.url.path}", response.text))

    def assert_no_secrets(self) -> None:
        for where, text in self.bodies:
            for secret in KNOWN_PASSWORDS:
                assert secret not in text, f"{where} echoed a password"
            assert "$argon2" not in text, f"{where} leaked a password hash"
            if where.endswith("/openapi.json"):
                continue  # the schema names a `password` field; it documents it, it holds none
            try:
                body = json.loads(text)
            except ValueError:
                continue
            _assert_no_forbidden_keys(body, where)


def _assert_no_forbidden_keys(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            assert key not in FORBIDDEN_KEYS, f"{where} returned a `{key}` field"
            _assert_no_forbidden_keys(inner, where)
    elif isinstance(value, list):
        for inner in value:
            _assert_no_forbidden_keys(inner, where)


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
