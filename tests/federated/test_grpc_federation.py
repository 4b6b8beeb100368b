"""A real federation: one server and four client processes over Flower's gRPC transport on 127.0.0.1.

One client trains on shuffled labels (a poisoner whose labels carry no signal, so its training loss
stays near ln 10 while the honest clients' falls); by round two it stands apart on loss and is left
out of the aggregate, while the three honest clients stay in every round.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from eth_account import Account

from sebrus.detect.datasets import load_digits
from sebrus.federated.config import FederationConfig
from sebrus.federated.experiment import run_grpc, write_image_folder
from sebrus.federated.reports import params_sha256


def test_four_client_grpc_federation_excludes_the_high_loss_poisoner(tmp_path: Path) -> None:
    x, y = load_digits()
    accounts = [Account.from_key(hashlib.sha256(f"grpc-test-{i}".encode()).digest()) for i in range(4)]
    dirs = []
    for i in range(4):
        images, labels = x[i * 150 : (i + 1) * 150], y[i * 150 : (i + 1) * 150]
        if i == 0:
            labels = np.random.default_rng(0).permutation(labels)
        write_image_folder(tmp_path / f"client{i}", images, labels)
        dirs.append(tmp_path / f"client{i}")
    config = FederationConfig(
        federation_id=3,
        labels=tuple(str(d) for d in range(10)),
        rounds=2,
        epsilon=None,
        loss_clip=float(np.log(10)),
        alpha=0.05,  # four clients: the null quantile at alpha=0.001 needs far more rounds of evidence
        image_size=8,
        width=8,
        local_epochs=3,
        min_clients=4,
    )
    records, final = run_grpc(config, dirs, accounts, tmp_path, timeout=120)
    assert [r["round_index"] for r in records] == [1, 2]
    assert all(sorted(r["participants"]) == sorted(a.address for a in accounts) for r in records)
    assert all(r["refused"] == [] for r in records)
    assert records[1]["separated"] and records[1]["excluded"] == [accounts[0].address]
    honest = {a.address for a in accounts[1:]}
    assert not any(honest & set(r["excluded"]) for r in records)
    assert records[-1]["aggregate_sha256"] == params_sha256(final)
