"""``POST /rpc`` over HTTP: mounted only on the embedded chain, with its own body, type and rate limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.api import create_app
from sebrus.api.routers.rpc import MAX_BODY_BYTES, RPC_THREADS
from sebrus.chain.embedded_store import EMBEDDED_CHAIN_ID
from sebrus.chain.jsonrpc import INVALID_REQUEST, LIMIT_EXCEEDED, PARSE_ERROR
from sebrus.config import Settings
from sebrus.platform import ChainServices, build_platform
from sebrus.services.rate_window import per_minute
from tests.support.chain import rpc_settings
from tests.support.platform import StartPlatform, cheap_settings

CHAIN_ID = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}


@pytest.fixture(scope="module")
def platform(start_platform: StartPlatform) -> tuple[FastAPI, ChainServices]:
    return start_platform()


@pytest.fixture
def client(platform: tuple[FastAPI, ChainServices]) -> Iterator[TestClient]:
    app, services = platform
    endpoint = services.rpc
    assert endpoint is not None
    try:
        with TestClient(app) as client:
            yield client
    finally:
        services.rpc = endpoint  # a test may swap in a tighter limiter


def test_the_embedded_chain_is_served_at_rpc(client: TestClient) -> None:
    answered = client.post("/rpc", json=CHAIN_ID)
    assert answered.status_code == 200
    assert answered.json() == {"jsonrpc": "2.0", "id": 1, "result": hex(EMBEDDED_CHAIN_ID)}
    batch = client.post("/rpc", json=[CHAIN_ID, {**CHAIN_ID, "id": 2, "method": "eth_blockNumber"}])
    assert [a["id"] for a in batch.json()] == [1, 2]
    # Served on threads of its own, so long reads cannot take the pool every other handler shares.
    assert client.app.state.rpc_threads.total_tokens == RPC_THREADS  # type: ignore[attr-defined]


def test_a_body_that_is_not_json_is_a_parse_error(client: TestClient) -> None:
    answered = client.post("/rpc", content=b"{", headers={"Content-Type": "application/json"})
    assert answered.status_code == 200 and answered.json()["error"]["code"] == PARSE_ERROR


def test_only_a_json_body_is_served(client: TestClient) -> None:
    """A cross-site form can post text/plain without asking; it cannot declare JSON."""
    answered = client.post("/rpc", content=json.dumps(CHAIN_ID), headers={"Content-Type": "text/plain"})
    assert answered.status_code == 415
    assert answered.json()["error"] == {
        "code": INVALID_REQUEST,
        "message": "send the request as Content-Type: application/json",
    }


def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(client: TestClient) -> None:
    padding = "0x" + "00" * MAX_BODY_BYTES
    big = json.dumps({**CHAIN_ID, "params": [padding]}).encode()
    answered = client.post("/rpc", content=big, headers={"Content-Type": "application/json"})
    assert answered.status_code == 413 and answered.json()["error"]["code"] == LIMIT_EXCEEDED

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while the body streams
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = client.post("/rpc", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert f"larger than {MAX_BODY_BYTES} bytes" in streamed.json()["error"]["message"]


def test_each_call_of_a_batch_counts_against_the_clients_rate(
    client: TestClient, platform: tuple[FastAPI, ChainServices]
) -> None:
    _app, services = platform
    assert services.rpc is not None
    services.rpc = replace(services.rpc, limiter=per_minute(3, "JSON-RPC calls"))
    assert client.post("/rpc", json=[CHAIN_ID, CHAIN_ID]).status_code == 200
    refused = client.post("/rpc", json=[CHAIN_ID, CHAIN_ID])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"] == {
        "code": LIMIT_EXCEEDED,
        "message": "Too many JSON-RPC calls: at most 3 a minute per client.",
    }
    assert client.post("/rpc", json=CHAIN_ID).status_code == 200  # the third call still fits


def test_notifications_alone_are_answered_with_no_content(client: TestClient) -> None:
    answered = client.post("/rpc", json={"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []})
    assert answered.status_code == 204 and answered.content == b""


def test_an_app_not_on_the_embedded_chain_has_no_rpc_route(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data"), with_chain=True)
    try:
        assert "/rpc" not in {getattr(route, "path", None) for route in app.routes}
    finally:
        app.state.platform.engine.dispose()


@pytest.mark.rpc
def test_on_an_rpc_node_the_node_is_the_endpoint(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    node = rpc_settings(data_dir).model_dump(include={"chain_url", "keystore_dir", "keystore_password"})
    app, services = build_platform(cheap_settings(data_dir, **node))
    try:
        assert services.rpc is None
        assert "/rpc" not in {getattr(route, "path", None) for route in app.routes}
    finally:
        services.stop()
        app.state.platform.engine.dispose()
