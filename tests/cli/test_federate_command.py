"""``sebrus federate``: start runs the engine with a sink that reaches the API, status shows the rounds,
verify checks a file against the chain. The engine is a fake here (``sebrus.federated.server`` belongs
to the engine's branch): it feeds a scripted record stream to the sink it is given."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from sebrus.chain.errors import LedgerError
from sebrus.chain.federation import read_federation_at
from sebrus.federated.records import LossReport, RoundRecord, RoundSink
from sebrus.federated.reports import loss_reports_sha256
from tests.support.cli import Invoke
from tests.support.live_server import LiveServer

WALLETS = [Account.create().address for _ in range(3)]
MODEL = b"weights of the federated model"
SIGNATURE = "0x" + "cd" * 65  # the platform checks its form; the engine checks what it signs
PASSWORD = "a federated passphrase"
_names = itertools.count()


def _fake_engine(seen: dict[str, Any]) -> types.ModuleType:
    def run_federation_server(config: dict[str, Any], sink: RoundSink) -> None:
        seen["config"] = config
        fid = int(config["federation_id"])
        for index in range(1, int(config["rounds"]) + 1):
            excluded = (WALLETS[2],) if index == 2 else ()
            reports = tuple(LossReport(w, 0.5 * index + i, 16, SIGNATURE) for i, w in enumerate(WALLETS))
            sink.record_round(
                RoundRecord(
                    federation_id=fid,
                    round_index=index,
                    participants=tuple(WALLETS),
                    excluded=excluded,
                    refused=(),
                    separated=bool(excluded),
                    aggregate_sha256=hashlib.sha256(f"aggregate {index}".encode()).hexdigest(),
                    loss_reports_sha256=loss_reports_sha256(reports),
                    loss_reports=reports,
                )
            )
        sink.record_final_model(fid, hashlib.sha256(MODEL).hexdigest(), MODEL)

    module = types.ModuleType("sebrus.federated.server")
    module.run_federation_server = run_federation_server  # type: ignore[attr-defined]
    return module


def _owner_with_dataset(sebrus: Invoke) -> tuple[str, int]:
    """A fresh account (its token not saved) and a cats-and-dogs dataset it owns."""
    user = f"fed-cli-{next(_names)}"
    assert sebrus("user", "register", user, "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    logged_in = sebrus("user", "login", user, "--password-stdin", input=PASSWORD + "\n")
    assert logged_in.exit_code == 0, logged_in.output
    token = logged_in.stdout.strip()
    name = f"fed cli {next(_names)}"
    created = sebrus("dataset", "create", name, "-l", "cat", "-l", "dog", "--token", token, "--json")
    assert created.exit_code == 0, created.output
    return token, int(json.loads(created.stdout)["id"])


def test_start_without_the_engine_says_which_extra_is_missing(
    sebrus: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, dataset = _owner_with_dataset(sebrus)
    monkeypatch.setitem(sys.modules, "sebrus.federated.server", None)  # importing it raises ImportError
    result = sebrus(
        "federate", "start", "--dataset", str(dataset), "--rounds", "2", "--epsilon", "1", "--token", token
    )
    assert result.exit_code == 2
    assert "`federated` extra" in result.output
    status = sebrus("federate", "status", "--dataset", str(dataset), "--json")
    assert json.loads(status.stdout) == []  # nothing was opened


def test_start_anchors_each_round_and_verify_checks_the_model(
    sebrus: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token, dataset = _owner_with_dataset(sebrus)
    seen: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "sebrus.federated.server", _fake_engine(seen))
    started = sebrus(
        "federate", "start", "--dataset", str(dataset), "--rounds", "2", "--epsilon", "inf", "--token", token
    )
    assert started.exit_code == 0, started.output
    assert seen["config"]["epsilon"] == "inf" and seen["config"]["labels"] == ["cat", "dog"]
    assert "finished" in started.output

    status = sebrus("federate", "status", "--dataset", str(dataset), "--json")
    (federation,) = json.loads(status.stdout)
    assert [r["round_index"] for r in federation["rounds"]] == [1, 2]
    assert federation["rounds"][1]["excluded"] == [WALLETS[2]]
    assert federation["model_sha256"] == hashlib.sha256(MODEL).hexdigest()
    assert WALLETS[2] in sebrus("federate", "status", "--dataset", str(dataset)).output

    good, bad = tmp_path / "model.bin", tmp_path / "tampered.bin"
    good.write_bytes(MODEL)
    bad.write_bytes(MODEL + b"!")
    fid = str(federation["id"])
    verified = sebrus("federate", "verify", str(good), "--federation", fid)
    assert verified.exit_code == 0, verified.output
    assert "verified" in verified.output
    refused = sebrus("federate", "verify", str(bad), "--federation", fid, "--json")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["verified"] is False


def test_a_bad_epsilon_is_a_usage_error(sebrus: Invoke) -> None:
    result = sebrus("federate", "start", "--dataset", "1", "--rounds", "2", "--epsilon", "lots")
    assert result.exit_code == 2 and "--epsilon" in result.output


def test_verify_refuses_a_contract_that_is_not_the_federation_log(server: LiveServer) -> None:
    manager = server.services.handle.ledger.deployment.manager
    with pytest.raises(LedgerError, match="not SeBRUS's FederationLog"):
        read_federation_at(f"{server.url}/rpc", manager, 1)


def test_run_serves_a_federation_opened_on_the_page_once(
    sebrus: Invoke, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A federation opened from the dataset page (here: the API) gets its Flower server from ``run``;
    a second ``run`` would restart from round 1 with other weights, so it is refused."""
    import httpx

    token, dataset = _owner_with_dataset(sebrus)
    opened = httpx.post(
        f"{server.url}/api/dataset/{dataset}/federations",
        json={"rounds": 2, "epsilon": 1.0},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert opened.status_code == 201, opened.text
    fid = str(opened.json()["federation"]["id"])
    seen: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "sebrus.federated.server", _fake_engine(seen))
    ran = sebrus("federate", "run", "--federation", fid, "--token", token)
    assert ran.exit_code == 0, ran.output
    assert seen["config"]["federation_id"] == int(fid) and seen["config"]["dataset_id"] == dataset
    again = sebrus("federate", "run", "--federation", fid, "--token", token)
    assert again.exit_code == 2 and "has finished" in again.output
