"""The federation as a user runs it: the platform serving, ``sebrus federate start`` and two
``sebrus federate join`` clients as separate processes over Flower's gRPC, then every place the
rounds should show up (the FederationLog's events, the database, the API, the dataset page) and the
final model checked with ``sebrus federate verify`` (and refused when tampered with).

One client trains on shuffled labels. With two clients the gap test does not run (it needs three),
so the rule excludes nobody and the test says so rather than forcing an exclusion.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from eth_account import Account
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sebrus.db.models import FederationRound
from sebrus.runtime import ChainServices
from sebrus.testing.cluster import free_port
from tests.support.cli import sebrus
from tests.support.live_server import serving
from tests.support.platform import cheap_settings, create_dataset, login, started

pytest.importorskip("flwr", reason="the `federated` extra (Flower) is not installed")

from sebrus.federated.records import LossReport
from sebrus.federated.reports import loss_reports_sha256

CLI = [sys.executable, "-c", "from sebrus.cli import app; app()"]
TIMEOUT = 120


def _image_folder(root: Path, seed: int, *, shuffled: bool) -> Path:
    """20 8x8 greyscale PNGs: cats dark, dogs bright (labels permuted for the shuffled client)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    labels = np.array(["cat", "dog"] * 10)
    folders = rng.permutation(labels) if shuffled else labels
    for i, (label, folder) in enumerate(zip(labels, folders, strict=True)):
        base = 40 if label == "cat" else 210
        pixels = np.clip(base + rng.normal(0, 20, (8, 8)), 0, 255).astype(np.uint8)
        (root / folder).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, mode="L").save(root / folder / f"{i}.png")
    return root


def _spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def _wait_for_federation(http: httpx.Client, dataset_id: int, start: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = http.get(f"/api/dataset/{dataset_id}/federations").json()["federations"]
        if found:
            return int(found[0]["id"])
        if start.poll() is not None:
            pytest.fail(f"`federate start` exited early:\n{start.communicate()[0]}")
        time.sleep(0.3)
    pytest.fail("`federate start` opened no federation within 60 s")


def test_owner_and_two_clients_run_a_federation_the_platform_anchors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with started(cheap_settings(tmp_path / "platform")) as (app, services), serving(app) as url:
        _run_and_check(app.state.platform.session_factory, services, url, tmp_path, monkeypatch)


def _run_and_check(
    sessions: sessionmaker[Session],
    services: ChainServices,
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http = httpx.Client(base_url=url, timeout=30)
    owner = login(http, "fed-e2e-owner")
    dataset_id = int(create_dataset(http, owner, "fed e2e pets")["id"])  # type: ignore[arg-type]  # httpx, not TestClient
    token = owner["Authorization"].removeprefix("Bearer ")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "SEBRUS_TOKEN": ""}
    flower = f"127.0.0.1:{free_port()}"
    owner_args = ["--dataset", str(dataset_id), "--rounds", "2", "--epsilon", "inf", "--image-size", "8"]
    owner_args += ["--address", flower, "--url", url, "--token", token]
    start = _spawn([*CLI, "federate", "start", *owner_args], env)
    clients: list[subprocess.Popen[str]] = []
    try:
        fid = _wait_for_federation(http, dataset_id, start)
        accounts = [Account.from_key(hashlib.sha256(f"fed-e2e-{i}".encode()).digest()) for i in range(2)]
        for i, account in enumerate(accounts):
            key = tmp_path / f"client{i}.key"
            key.write_text("0x" + bytes(account.key).hex())
            data = _image_folder(tmp_path / f"client{i}", seed=i, shuffled=i == 1)
            client_args = ["--federation", str(fid), "--data", str(data), "--server", flower]
            client_args += ["--key-file", str(key), "--wait", "60"]
            clients.append(_spawn([*CLI, "federate", "join", *client_args], env))
        out, _ = start.communicate(timeout=TIMEOUT)
        assert start.returncode == 0, out
        for client in clients:
            client_out, _ = client.communicate(timeout=30)
            assert client.returncode == 0, client_out
            assert "finished after 2 rounds" in client_out
    finally:
        for proc in (start, *clients):
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    wallets = sorted(a.address for a in accounts)
    federation = http.get(f"/api/federations/{fid}").json()["federation"]
    assert federation["status"] != "running" and federation["model_sha256"]
    assert federation["config"]["image_size"] == 8 and federation["config"]["in_channels"] == 1
    rounds = federation["rounds"]
    assert [r["round_index"] for r in rounds] == [1, 2]
    for row in rounds:
        assert sorted(row["participants"]) == wallets and row["refused"] == []
        assert row["excluded"] == [] and row["separated"] is False  # two clients: no gap test
        reports = [LossReport(**r) for r in row["loss_reports"]]
        assert loss_reports_sha256(reports) == row["loss_reports_sha256"]  # the engine's canonical hash

    ledger = services.federations
    assert ledger is not None
    chain_rounds = ledger.rounds(federation["chain_federation_id"])
    assert [(r.round_index, r.tx_hash) for r in chain_rounds] == [
        (r["round_index"], r["tx_hash"]) for r in rounds
    ]
    assert [r.loss_reports_sha256.hex() for r in chain_rounds] == [r["loss_reports_sha256"] for r in rounds]
    assert [r.aggregate_sha256.hex() for r in chain_rounds] == [r["aggregate_sha256"] for r in rounds]
    summary = ledger.federation(federation["chain_federation_id"])
    assert summary is not None and summary.model_sha256 is not None
    assert summary.model_sha256.hex() == federation["model_sha256"]

    with sessions() as db:
        stored = db.scalars(select(FederationRound).where(FederationRound.federation_id == fid)).all()
        assert sorted(r.tx_hash for r in stored) == sorted(r["tx_hash"] for r in rounds)

    page = http.get(f"/datasets/{dataset_id}")
    assert page.status_code == 200
    assert "Federated training" in page.text and all(r["tx_hash"] in page.text for r in rounds)

    model = http.get(f"/api/federations/{fid}/model")
    assert (
        model.status_code == 200 and hashlib.sha256(model.content).hexdigest() == federation["model_sha256"]
    )
    good, bad = tmp_path / "model.safetensors", tmp_path / "tampered.safetensors"
    good.write_bytes(model.content)
    bad.write_bytes(model.content[:-1] + bytes([model.content[-1] ^ 1]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    verified = sebrus("federate", "verify", str(good), "--federation", str(fid), "--url", url, "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["verified"] is True
    tampered = sebrus("federate", "verify", str(bad), "--federation", str(fid), "--url", url)
    assert tampered.exit_code == 1, tampered.output
