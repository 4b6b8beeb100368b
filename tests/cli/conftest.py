from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sebrus.cli import app
from tests.sdk.live_server import LiveServer, cheap_settings, live_server

Invoke = Callable[..., Result]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(cheap_settings(tmp_path_factory.mktemp("cli-server"))) as running:
        yield running


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config folder per test, so saved credentials never touch the real home."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("SEBRUS_TOKEN", raising=False)
    return home


@pytest.fixture
def sebrus(server: LiveServer, config_home: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Runs ``sebrus ARGS`` in-process against the live server (``SEBRUS_URL`` points there)."""
    monkeypatch.setenv("SEBRUS_URL", server.url)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke
