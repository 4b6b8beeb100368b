"""Web UI fixtures: the whole platform (embedded chain, relayer, indexer) on a temporary data dir."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from sebrus.platform import ChainServices, build_platform
from tests.sdk.live_server import cheap_settings


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, ChainServices]]:
    app, services = build_platform(cheap_settings(tmp_path_factory.mktemp("web")))
    services.start()
    try:
        yield app, services
    finally:
        services.stop()
        app.state.platform.engine.dispose()


@pytest.fixture
def app(platform: tuple[FastAPI, ChainServices]) -> FastAPI:
    return platform[0]


@pytest.fixture
def services(platform: tuple[FastAPI, ChainServices]) -> ChainServices:
    return platform[1]
