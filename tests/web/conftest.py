"""Web UI fixtures: the whole platform (embedded chain, relayer, indexer) on a temporary data dir, and
for the browser tests Debian's Chromium and a live server on each chain backend (the plain live
server, ``server``, is in tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from sebrus.platform import ChainServices
from tests.support.browser import CHROMIUM, FLAGS, missing_browser_reason
from tests.support.chain import rpc_settings
from tests.support.live_server import LiveServer, live_server
from tests.support.platform import cheap_settings, started


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, ChainServices]]:
    with started(cheap_settings(tmp_path_factory.mktemp("web"))) as running:
        yield running


@pytest.fixture
def app(platform: tuple[FastAPI, ChainServices]) -> FastAPI:
    return platform[0]


@pytest.fixture
def services(platform: tuple[FastAPI, ChainServices]) -> ChainServices:
    return platform[1]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    reason = missing_browser_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module", params=["embedded", pytest.param("rpc", marks=pytest.mark.rpc)])
def wallet_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server on each chain backend for the browser-wallet journeys: the embedded chain, and a
    real JSON-RPC node (the test anvil), the deployment where a user's own EIP-1193 wallet belongs."""
    data_dir = tmp_path_factory.mktemp(f"wallet-{request.param}")
    chain: dict[str, object] = {}
    if request.param == "rpc":
        chain = rpc_settings(data_dir).model_dump(include={"chain_url", "keystore_dir", "keystore_password"})
    with live_server(cheap_settings(data_dir, **chain)) as running:
        yield running
