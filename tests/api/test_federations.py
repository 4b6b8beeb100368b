"""Federated training over HTTP: the owner starts (with CSRF on cookies), the engine's rounds and model
go through the API and are anchored once, everyone reads them, the model download is hash-checked."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from sebrus.federated.records import LossReport
from sebrus.federated.reports import loss_reports_sha256
from sebrus.platform import ChainServices
from tests.support.platform import Auth, create_dataset, login, running_platform

WALLETS = [Account.create().address for _ in range(4)]
SIGNATURE = "0x" + "cd" * 65


@dataclass
class Env:
    client: TestClient
    services: ChainServices
    owner: Auth
    stranger: Auth
    dataset_id: int


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with running_platform(tmp_path_factory.mktemp("federation-api")) as (client, services):
        owner, stranger = login(client, "apifedowner"), login(client, "apifedstranger")
        dataset = create_dataset(client, owner, "fed api", labels=["cat", "dog", "bird"])
        yield Env(client, services, owner, stranger, int(dataset["id"]))


def _start(env: Env, **body: Any) -> Any:
    return env.client.post(
        f"/api/dataset/{env.dataset_id}/federations",
        json={"rounds": 2, "epsilon": 2.0, **body},
        headers=env.owner,
    )


def _round(index: int, excluded: list[str] | None = None) -> dict[str, Any]:
    reports = [LossReport(w, 0.25 * i + index, 32, SIGNATURE) for i, w in enumerate(WALLETS)]
    return {
        "round_index": index,
        "participants": WALLETS,
        "excluded": excluded or [],
        "refused": [],
        "separated": bool(excluded),
        "aggregate_sha256": hashlib.sha256(f"agg {index}".encode()).hexdigest(),
        "loss_reports_sha256": loss_reports_sha256(reports),  # the engine's canonical hash
        "loss_reports": [asdict(r) for r in reports],
    }


def test_the_owner_runs_a_federation_and_everyone_reads_it(env: Env) -> None:
    started = _start(env, labels=["cat", "dog"], mechanism="gaussian")
    assert started.status_code == 201, started.text
    federation = started.json()["federation"]
    fid = federation["id"]
    assert federation["config"]["labels"] == ["cat", "dog"] and federation["status"] == "running"
    assert federation["open_tx_hash"].startswith("0x")

    sent = env.client.post(f"/api/federations/{fid}/rounds", json=_round(1), headers=env.owner)
    assert sent.status_code == 201, sent.text
    again = env.client.post(f"/api/federations/{fid}/rounds", json=_round(1), headers=env.owner)
    assert again.status_code == 200 and again.json()["round"]["tx_hash"] == sent.json()["round"]["tx_hash"]
    second = env.client.post(
        f"/api/federations/{fid}/rounds", json=_round(2, [WALLETS[3]]), headers=env.owner
    )
    assert second.status_code == 201, second.text

    model = b"federated model bytes"
    sha = hashlib.sha256(model).hexdigest()
    wrong = env.client.put(
        f"/api/federations/{fid}/model", params={"sha256": "00" * 32}, content=model, headers=env.owner
    )
    assert wrong.status_code == 400 and "hash to" in wrong.json()["status"]
    put = env.client.put(
        f"/api/federations/{fid}/model", params={"sha256": sha}, content=model, headers=env.owner
    )
    assert put.status_code == 200, put.text
    assert put.json()["federation"]["model_sha256"] == sha

    listed = env.client.get(f"/api/dataset/{env.dataset_id}/federations").json()["federations"]
    (found,) = [f for f in listed if f["id"] == fid]
    assert [r["round_index"] for r in found["rounds"]] == [1, 2]
    assert found["rounds"][1]["excluded"] == [WALLETS[3]] and found["status"] == "finished"
    one = env.client.get(f"/api/federations/{fid}").json()["federation"]
    assert one == found

    download = env.client.get(f"/api/federations/{fid}/model")
    assert download.status_code == 200 and download.content == model
    assert download.headers["x-model-sha256"] == sha
    assert env.services.federations is not None
    summary = env.services.federations.federation(one["chain_federation_id"])
    assert summary is not None and summary.model_sha256 is not None and summary.model_sha256.hex() == sha


def test_only_the_owner_writes(env: Env) -> None:
    refused = env.client.post(
        f"/api/dataset/{env.dataset_id}/federations", json={"rounds": 2, "epsilon": 1}, headers=env.stranger
    )
    assert refused.status_code == 403 and "owner" in refused.json()["status"]
    fid = _start(env).json()["federation"]["id"]
    assert (
        env.client.post(f"/api/federations/{fid}/rounds", json=_round(1), headers=env.stranger).status_code
        == 403
    )
    put = env.client.put(
        f"/api/federations/{fid}/model", params={"sha256": "ab" * 32}, content=b"x", headers=env.stranger
    )
    assert put.status_code == 403
    anonymous = env.client.post(f"/api/federations/{fid}/rounds", json=_round(1))
    assert anonymous.status_code == 401


def test_a_cookie_session_needs_its_csrf_token(env: Env) -> None:
    session = env.client.post("/api/session", json={"username": "apifedowner", "password": "correct horse"})
    assert session.status_code == 201
    try:
        bare = env.client.post(f"/api/dataset/{env.dataset_id}/federations", json={"rounds": 2, "epsilon": 1})
        assert bare.status_code == 403 and "X-CSRF-Token" in bare.json()["status"]
        csrf = {"X-CSRF-Token": session.json()["session"]["csrf_token"]}
        with_token = env.client.post(
            f"/api/dataset/{env.dataset_id}/federations", json={"rounds": 2, "epsilon": 1}, headers=csrf
        )
        assert with_token.status_code == 201, with_token.text
    finally:
        env.client.cookies.clear()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"labels": ["cat", "zebra"]}, 400, "'zebra' is not among"),
        ({"labels": ["cat"]}, 400, "at least two labels"),
        ({"model": "uploaded"}, 400, "no uploaded model"),
        ({"rounds": 0}, 422, "rounds"),
        ({"rounds": 501}, 422, "rounds"),
        ({"epsilon": 0}, 422, "epsilon"),
        ({"epsilon": "lots"}, 422, "epsilon"),
        ({"mechanism": "exponential"}, 422, "mechanism"),
        ({"image_size": 4}, 422, "image_size"),
        ({"in_channels": 2}, 422, "in_channels"),
    ],
)
def test_bad_configs_are_refused_with_a_sentence(
    env: Env, body: dict[str, Any], status: int, words: str
) -> None:
    before = env.client.get(f"/api/dataset/{env.dataset_id}/federations").json()["federations"]
    answer = _start(env, **body)
    assert answer.status_code == status, answer.text
    assert words in str(answer.json()["status"]) + str(answer.json()["detail"])
    after = env.client.get(f"/api/dataset/{env.dataset_id}/federations").json()["federations"]
    assert len(after) == len(before)  # nothing half-made is stored


def test_bad_rounds_and_unknown_federations(env: Env) -> None:
    fid = _start(env).json()["federation"]["id"]
    outside = env.client.post(f"/api/federations/{fid}/rounds", json=_round(3), headers=env.owner)
    assert outside.status_code == 400 and "outside" in outside.json()["status"]
    stray = _round(1)
    stray["excluded"], stray["separated"] = [Account.create().address], True
    answer = env.client.post(f"/api/federations/{fid}/rounds", json=stray, headers=env.owner)
    assert answer.status_code == 400 and "participants" in answer.json()["status"]
    claimed = _round(1)
    claimed["loss_reports"][0]["noisy_loss"] += 1.0  # the reports no longer hash to the claim
    wrong = env.client.post(f"/api/federations/{fid}/rounds", json=claimed, headers=env.owner)
    assert wrong.status_code == 400, wrong.text
    assert "not the claimed loss_reports_sha256" in wrong.json()["status"]
    missing = _round(1)
    missing["loss_reports"] = missing["loss_reports"][1:]
    missing["loss_reports_sha256"] = loss_reports_sha256([LossReport(**r) for r in missing["loss_reports"]])
    short = env.client.post(f"/api/federations/{fid}/rounds", json=missing, headers=env.owner)
    assert short.status_code == 400 and "one loss report from each participant" in short.json()["status"]
    no_round = env.client.put(
        f"/api/federations/{fid}/model",
        params={"sha256": hashlib.sha256(b"m").hexdigest()},
        content=b"m",
        headers=env.owner,
    )
    assert no_round.status_code == 409
    assert env.client.get(f"/api/federations/{fid}/model").status_code == 404
    assert env.client.get("/api/federations/999999").status_code == 404
    assert env.client.get("/api/dataset/999999/federations").status_code == 404
    node = _round(1)
    node["refused"] = ["node:4711"]  # a refused client that named no wallet is kept by its node id
    assert env.client.post(f"/api/federations/{fid}/rounds", json=node, headers=env.owner).status_code == 201
    assert env.client.get(f"/api/federations/{fid}").json()["federation"]["rounds"][0]["refused"] == [
        "node:4711"
    ]


def test_a_dataset_with_a_federation_is_not_deleted(env: Env) -> None:
    created = create_dataset(env.client, env.owner, "fed deletable", labels=["cat", "dog"])
    started = env.client.post(
        f"/api/dataset/{created['id']}/federations", json={"rounds": 1, "epsilon": 1}, headers=env.owner
    )
    assert started.status_code == 201, started.text
    refused = env.client.delete(f"/api/dataset/{created['id']}", headers=env.owner)
    assert refused.status_code == 409 and "federated training" in refused.json()["status"]
