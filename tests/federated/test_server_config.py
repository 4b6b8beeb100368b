"""The platform's stored federation config maps onto the engine's, and what it cannot run is refused."""

from __future__ import annotations

from typing import Any

import pytest

from sebrus.federated import server
from sebrus.federated.records import RoundRecord


class NullSink:
    def record_round(self, record: RoundRecord) -> None: ...

    def record_final_model(self, federation_id: int, model_sha256: str, model_bytes: bytes) -> None: ...


PLATFORM = {
    "federation_id": 4,
    "labels": ["cat", "dog"],
    "rounds": 3,
    "epsilon": "inf",
    "mechanism": "gaussian",
    "model": "reference",
    "elimination": "high-loss-cluster",
    "min_clients": 3,
    "server_address": "127.0.0.1:8099",
}


def test_platform_config_runs_the_engine_with_the_same_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(server, "serve", lambda strategy, address: seen.update(s=strategy, a=address))
    server.run_federation_server(PLATFORM, NullSink())
    config = seen["s"].config
    assert seen["a"] == "127.0.0.1:8099"
    assert (config.federation_id, config.labels, config.rounds, config.epsilon) == (
        4,
        ("cat", "dog"),
        3,
        None,
    )
    assert (config.mechanism, config.elimination, config.min_clients) == ("gaussian", "kmeans_gap", 3)
    assert server.federation_config({**PLATFORM, "epsilon": 0.5, "elimination": "none"}).epsilon == 0.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "uploaded"}, "reference CNN only"),
        ({"elimination": "median"}, "elimination"),
        ({"labels": []}, "labels"),
    ],
)
def test_what_the_engine_cannot_run_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        server.federation_config({**PLATFORM, **change})


def test_the_platform_checks_configs_without_flower_or_torch() -> None:
    """``sebrus serve`` calls the check before opening a federation; it may lack the extras."""
    import subprocess
    import sys

    code = (
        "import sys; from sebrus.federated.platform_config import check_platform_config as c; "
        "c({'labels': ['a', 'b'], 'rounds': 2, 'epsilon': 1.0, 'elimination': 'none'}); "
        "print(sorted(m for m in ('torch', 'flwr', 'sklearn', 'scipy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
