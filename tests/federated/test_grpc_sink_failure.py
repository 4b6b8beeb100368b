"""A round the sink refuses (the platform answered 4xx, the chain was down) ends the federation
cleanly: the Flower server lets its clients go and raises, and ``sebrus federate join`` exits 1 with a
sentence instead of waiting on its stream for ever (Flower's ``start_server`` alone would hang both)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flwr", reason="the `federated` extra (Flower) is not installed")

from sebrus.federated.config import FederationConfig, initial_ndarrays
from sebrus.federated.experiment import write_image_folder
from sebrus.federated.records import RoundRecord
from sebrus.federated.strategy import EliminatingFedAvg
from sebrus.federated.transport import serve
from sebrus.testing.cluster import free_port


class RefusingSink:
    def record_round(self, record: RoundRecord) -> None:
        raise RuntimeError(f"the platform refused round {record.round_index}")

    def record_final_model(self, federation_id: int, model_sha256: str, model_bytes: bytes) -> None:
        raise AssertionError("no final model after a refused round")


def test_a_refused_round_stops_the_server_and_its_clients(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    write_image_folder(tmp_path / "data", rng.random((10, 8, 8)).astype(np.float32), np.arange(10) % 2)
    key = tmp_path / "key"
    key.write_text("0x" + hashlib.sha256(b"sink failure").hexdigest())
    config = FederationConfig(
        federation_id=5, labels=("0", "1"), rounds=3, epsilon=None, image_size=8, min_clients=1
    )
    address = f"127.0.0.1:{free_port()}"
    join = [
        sys.executable,
        "-c",
        "from sebrus.cli import app; app()",
        "federate",
        "join",
        "--federation",
        "5",
    ]
    join += ["--data", str(tmp_path / "data"), "--server", address, "--key-file", str(key), "--wait", "30"]
    client = subprocess.Popen(join, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with pytest.raises(RuntimeError, match="refused round 1"):
            serve(EliminatingFedAvg(config, initial_ndarrays(config), RefusingSink()), address)
        out, _ = client.communicate(timeout=60)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    assert client.returncode == 1, out
    assert "ended federation 5 after round 1 of 3" in out
