from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import cli
from tests.support.live_server import LiveServer


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config folder per test, so saved credentials never touch the real home."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("SEBRUS_TOKEN", raising=False)
    return home


@pytest.fixture
def sebrus(server: LiveServer, config_home: Path, monkeypatch: pytest.MonkeyPatch) -> cli.Invoke:
    """Runs ``sebrus ARGS`` in-process against the live server (``SEBRUS_URL`` points there)."""
    monkeypatch.setenv("SEBRUS_URL", server.url)
    return cli.sebrus
