"""Federated training's provenance: start (owner only, checked config), rounds anchored once, the model.

A fake record stream stands in for the Flower engine: ``RoundRecord`` objects fed to
``PlatformRoundSink`` against the embedded chain, then the chain's events and the rows compared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Federation, FederationRound, User
from sebrus.federated.records import LossReport, RoundRecord
from sebrus.federated.reports import loss_reports_sha256
from sebrus.platform import ChainServices
from sebrus.services.audit.orphans import orphan_blobs
from sebrus.services.errors import Conflict, InvalidInput, PermissionDenied
from sebrus.services.federation.anchoring import participants_root
from sebrus.services.federation.config import checked_config
from sebrus.services.federation.sink import PlatformRoundSink
from sebrus.services.federation.start import start_federation
from sebrus.services.federation.verify import check_model_bytes, verified_model
from tests.support.platform import create_dataset, login, running_platform

WALLETS = [Account.create().address for _ in range(5)]


@dataclass
class Env:
    client: TestClient
    services: ChainServices
    dataset_id: int

    def session(self) -> Session:
        return self.client.app.state.platform.session_factory()  # type: ignore[attr-defined, no-any-return]

    def sink(self) -> PlatformRoundSink:
        assert self.services.federations is not None
        platform = self.client.app.state.platform  # type: ignore[attr-defined]
        return PlatformRoundSink(
            platform.session_factory,
            self.services.federations,
            self.services.handle.operators.relayer,
            platform.blobs,
        )

    def start(self, username: str = "fedowner", **request: object) -> int:
        assert self.services.federations is not None
        with self.session() as db:
            dataset = db.get(Dataset, self.dataset_id)
            user = db.scalar(select(User).where(User.username == username))
            assert dataset is not None and user is not None
            body = {"rounds": 3, "epsilon": 1.0, **request}
            federation = start_federation(
                db,
                link=self.services.link,
                federations=self.services.federations,
                dataset=dataset,
                user=user,
                request=body,
            )
            return federation.id


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with running_platform(tmp_path_factory.mktemp("federation")) as (client, services):
        auth = login(client, "fedowner")
        login(client, "fedstranger")
        dataset = create_dataset(client, auth, "fed pets", labels=["cat", "dog", "bird"])
        yield Env(client, services, int(dataset["id"]))


def _record(fid: int, index: int, *, excluded: tuple[str, ...] = (), tag: str = "") -> RoundRecord:
    reports = tuple(LossReport(w, 0.5 + i + index, 10, "0x" + "ab" * 65) for i, w in enumerate(WALLETS[:4]))
    return RoundRecord(
        federation_id=fid,
        round_index=index,
        participants=tuple(WALLETS[:4]),
        excluded=excluded,
        refused=(WALLETS[4],),
        separated=bool(excluded),
        aggregate_sha256=hashlib.sha256(f"aggregate {index}{tag}".encode()).hexdigest(),
        loss_reports_sha256=loss_reports_sha256(reports),
        loss_reports=reports,
    )


def test_rounds_are_anchored_once_and_match_the_rows(env: Env) -> None:
    fid = env.start()
    sink = env.sink()
    first, second = _record(fid, 1), _record(fid, 2, excluded=(WALLETS[2],))
    sink.record_round(first)
    sink.record_round(second)
    sink.record_round(second)  # a restarted engine replays: nothing is anchored again

    assert env.services.federations is not None
    with env.session() as db:
        federation = db.get(Federation, fid)
        assert federation is not None
        rows = list(db.scalars(select(FederationRound).where(FederationRound.federation_id == fid)))
        chain_rounds = env.services.federations.rounds(federation.chain_federation_id, federation.open_block)
    assert [r.round_index for r in chain_rounds] == [1, 2]  # one transaction per round, none repeated
    assert len({r.tx_hash for r in chain_rounds}) == 2
    for row, anchored in zip(sorted(rows, key=lambda r: r.round_index), chain_rounds, strict=True):
        assert row.tx_hash == anchored.tx_hash
        assert row.participants_root == anchored.participants_root.hex() == participants_root(WALLETS[:4])
        assert anchored.participant_count == 4
        assert list(anchored.excluded) == row.excluded
        assert row.aggregate_sha256 == anchored.aggregate_sha256.hex()
        assert row.loss_reports_sha256 == anchored.loss_reports_sha256.hex()
        assert row.refused == [WALLETS[4]]
    assert list(chain_rounds[1].excluded) == [WALLETS[2]]
    assert rows[0].loss_reports[0]["wallet"] == WALLETS[0]

    with pytest.raises(Conflict, match="other facts"):  # the same round with other hashes
        sink.record_round(_record(fid, 2, tag="changed"))


def test_a_round_anchored_before_a_crash_is_adopted_not_resent(env: Env) -> None:
    fid = env.start()
    record = _record(fid, 1)
    assert env.services.federations is not None
    with env.session() as db:
        federation = db.get(Federation, fid)
        assert federation is not None
        cfid, open_block = federation.chain_federation_id, federation.open_block
    # The process anchored the round and died before its commit: the chain has it, the database not.
    env.services.federations.record_round(
        env.services.handle.operators.relayer,
        cfid,
        round_index=1,
        participants_root=participants_root(record.participants),
        participant_count=4,
        excluded=[],
        aggregate_sha256=record.aggregate_sha256,
        loss_reports_sha256=record.loss_reports_sha256,
    )
    env.sink().record_round(record)
    assert len(env.services.federations.rounds(cfid, open_block)) == 1
    with env.session() as db:
        (row,) = db.scalars(select(FederationRound).where(FederationRound.federation_id == fid))
        assert row.round_index == 1
    with pytest.raises(Conflict, match="different round"):  # the chain's round 1 is not this one
        replacement = _record(fid, 2)
        env.services.federations.record_round(
            env.services.handle.operators.relayer,
            cfid,
            round_index=2,
            participants_root=participants_root(record.participants),
            participant_count=4,
            excluded=[],
            aggregate_sha256=hashlib.sha256(b"other").hexdigest(),
            loss_reports_sha256=record.loss_reports_sha256,
        )
        env.sink().record_round(replacement)


def test_bad_records_are_refused_before_anything_is_sent(env: Env) -> None:
    fid = env.start()
    sink = env.sink()
    bad = [
        (replace(_record(fid, 1), round_index=4), "outside"),
        (replace(_record(fid, 1), excluded=(WALLETS[4],), separated=True), "distinct participants"),
        (replace(_record(fid, 1), excluded=(WALLETS[0],), separated=False), "did not separate"),
        (replace(_record(fid, 1), aggregate_sha256="nothex"), "sha256"),
        (replace(_record(fid, 1), participants=("0xnot an address",)), "Ethereum address"),
        (
            replace(
                _record(fid, 1), loss_reports=(LossReport(WALLETS[0], float("nan"), 3, "0x" + "ab" * 65),)
            ),
            "finite",
        ),
        (replace(_record(fid, 1), loss_reports=(LossReport(WALLETS[0], 0.1, 3, "0xabc"),)), "signature"),
    ]
    for record, message in bad:
        with pytest.raises(InvalidInput, match=message):
            sink.record_round(record)
    assert env.services.federations is not None
    with env.session() as db:
        federation = db.get(Federation, fid)
        assert federation is not None
        assert db.scalar(select(FederationRound.id).where(FederationRound.federation_id == fid)) is None
        assert env.services.federations.rounds(federation.chain_federation_id, federation.open_block) == []


def test_the_final_model_is_kept_anchored_and_verified(env: Env) -> None:
    fid = env.start()
    sink = env.sink()
    model = b"final model weights \x00\x01"
    sha = hashlib.sha256(model).hexdigest()
    with pytest.raises(Conflict, match="at least one anchored round"):
        sink.record_final_model(fid, sha, model)
    sink.record_round(_record(fid, 1))
    with pytest.raises(InvalidInput, match="hash to"):
        sink.record_final_model(fid, sha, model + b"tampered")
    sink.record_final_model(fid, sha, model)
    sink.record_final_model(fid, sha, model)  # a retry changes nothing
    with pytest.raises(Conflict, match="already has a final model"):
        other = b"another model"
        sink.record_final_model(fid, hashlib.sha256(other).hexdigest(), other)
    with pytest.raises(Conflict, match="has finished"):
        sink.record_round(_record(fid, 2))

    assert env.services.federations is not None
    platform = env.client.app.state.platform  # type: ignore[attr-defined]
    with env.session() as db:
        federation = db.get(Federation, fid)
        assert federation is not None
        assert (federation.model_sha256, federation.status, federation.model_size) == (
            sha,
            "finished",
            len(model),
        )
        assert federation.model_tx_hash
        assert verified_model(env.services.federations, platform.blobs, federation) == model
        assert sha not in orphan_blobs(db, platform.blobs)  # the audit knows the row that names it
        assert check_model_bytes(env.services.federations, federation, model).matches
        assert not check_model_bytes(env.services.federations, federation, model + b"x").matches
        summary = env.services.federations.federation(federation.chain_federation_id)
        assert summary is not None and summary.model_sha256 == bytes.fromhex(sha)


def test_only_the_owner_starts_and_bad_configs_name_the_problem(env: Env) -> None:
    with pytest.raises(PermissionDenied, match="owner"):
        env.start("fedstranger")
    refused = [
        ({"rounds": 0}, "rounds"),
        ({"rounds": 501}, "rounds"),
        ({"epsilon": 0}, "epsilon"),
        ({"epsilon": -1.5}, "epsilon"),
        ({"epsilon": "lots"}, "epsilon"),
        ({"mechanism": "exponential"}, "mechanism"),
        ({"labels": ["cat", "horse"]}, "'horse' is not among"),
        ({"labels": ["cat"]}, "at least two"),
        ({"model": "mine.pkl"}, "model"),
        ({"model": "uploaded"}, "no uploaded model"),
        ({"elimination": "vote"}, "elimination"),
    ]
    for request, message in refused:
        with pytest.raises(InvalidInput, match=message):
            env.start(**request)


def test_the_config_is_canonical_and_hashes_stably(env: Env) -> None:
    with env.session() as db:
        dataset = db.get(Dataset, env.dataset_id)
        assert dataset is not None
        a = checked_config(dataset, {"rounds": 5, "epsilon": "inf", "labels": ["dog", "cat"]})
        b = checked_config(dataset, {"labels": ["cat", "dog"], "epsilon": "inf", "rounds": 5})
    assert a == b and a.sha256 == b.sha256
    assert a.labels == ("cat", "dog")  # the dataset's order
    assert a.to_json()["epsilon"] == "inf"
    fid = env.start(epsilon="inf", labels=["cat", "dog"])
    with env.session() as db:
        federation = db.get(Federation, fid)
        assert federation is not None
        assert env.services.federations is not None
        summary = env.services.federations.federation(federation.chain_federation_id)
        assert summary is not None and summary.config_hash.hex() == federation.config_hash
        assert summary.operator == env.services.handle.operators.relayer.address
        assert summary.max_rounds == 3


def test_the_participants_root_ignores_order_and_is_zero_for_nobody() -> None:
    assert participants_root([]) == "00" * 32
    assert participants_root(WALLETS[:2]) == participants_root(list(reversed(WALLETS[:2])))


def test_what_the_engine_would_refuse_is_refused_before_the_chain(env: Env) -> None:
    """The dataset has a scan model, so the platform accepts ``uploaded``; the engine trains the
    reference CNN only, and its check runs before the transaction: no federation is opened."""
    assert env.services.federations is not None
    with env.session() as db:
        dataset = db.get(Dataset, env.dataset_id)
        assert dataset is not None
        dataset.scan_model_sha256 = "ab" * 32
        db.commit()
        before = db.scalar(select(func.count()).select_from(Federation))
    opened = _chain_federation_count(env)
    try:
        with pytest.raises(InvalidInput, match=r"engine cannot run this configuration: .*reference CNN only"):
            env.start(model="uploaded")
    finally:
        with env.session() as db:
            dataset = db.get(Dataset, env.dataset_id)
            assert dataset is not None
            dataset.scan_model_sha256 = None
            db.commit()
    with env.session() as db:
        assert db.scalar(select(func.count()).select_from(Federation)) == before
    assert _chain_federation_count(env) == opened


def _chain_federation_count(env: Env) -> int:
    assert env.services.federations is not None
    count = 0
    while env.services.federations.federation(count + 1) is not None:
        count += 1
    return count


def test_image_size_comes_from_the_dataset_and_is_checked() -> None:
    square = Dataset(labels=["cat", "dog"], min_width=32, max_width=32, min_height=32, max_height=32)
    free = Dataset(labels=["cat", "dog"])
    assert checked_config(square, {"rounds": 1, "epsilon": 1.0}).image_size == 32
    assert checked_config(free, {"rounds": 1, "epsilon": 1.0}).image_size == 28
    assert (
        checked_config(free, {"rounds": 1, "epsilon": 1.0, "image_size": 8, "in_channels": 3}).in_channels
        == 3
    )
    with pytest.raises(InvalidInput, match="image_size"):
        checked_config(free, {"rounds": 1, "epsilon": 1.0, "image_size": 4})
    with pytest.raises(InvalidInput, match="in_channels"):
        checked_config(free, {"rounds": 1, "epsilon": 1.0, "in_channels": 2})
