"""``sebrus serve --forwarded-allow-ips``: behind a proxy the throttles must see the real client address,
and only the named proxy may say what it is."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import uvicorn

import sebrus.platform
from tests.support import cli


class _Services:
    """What ``serve`` reads from the platform it starts, without a chain."""

    deployment = SimpleNamespace(chain_id=1, manager="0x0")
    handle = SimpleNamespace(backend="embedded", ledger=SimpleNamespace(deployment=deployment))

    def start(self) -> None:  # the app's lifespan starts the loops; uvicorn is stubbed here
        pass

    def stop(self) -> None:
        pass


@pytest.mark.parametrize(
    ("args", "trusted"), [([], None), (["--forwarded-allow-ips", "10.0.0.2"], "10.0.0.2")]
)
def test_serve_passes_the_trusted_proxy_to_uvicorn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, args: list[str], trusted: str | None
) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setenv("SEBRUS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sebrus.platform, "build_platform", lambda settings, **_: (object(), _Services()))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options))
    result = cli.sebrus("serve", *args)
    assert result.exit_code == 0, result.output
    assert ran["proxy_headers"] is True and ran["forwarded_allow_ips"] == trusted
