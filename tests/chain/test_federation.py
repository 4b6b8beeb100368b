"""The FederationLog through the ledger: deployed with the platform, rounds anchored and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_utils import keccak

from sebrus.chain.backends import open_chain
from sebrus.chain.deployments import deployment_path
from sebrus.chain.errors import ContractReverted, InvalidInput
from sebrus.chain.federation import GAS_ROUND_BASE, GAS_ROUND_PER_EXCLUDED, MAX_EXCLUDED, FederationLedger
from sebrus.config import Settings
from tests.support.chain import ChainKit

CONFIG = keccak(text="federation config")
ROOT = keccak(text="participants")
AGGREGATE = keccak(text="aggregate")
LOSSES = keccak(text="losses")
MODEL = keccak(text="model")


def test_the_platform_deploys_the_log(chain: ChainKit) -> None:
    address = chain.ledger.deployment.federation_log
    assert address is not None
    assert chain.ledger.w3.eth.get_code(address)  # type: ignore[arg-type]


def test_a_federation_is_opened_recorded_and_read_back(chain: ChainKit) -> None:
    owner, operator, stranger = chain.funded_account(), chain.funded_account(), chain.funded_account()
    dataset = chain.dataset(owner)
    log = FederationLedger(chain.ledger)
    with pytest.raises(ContractReverted) as refused:
        log.open(stranger, dataset.address, operator=operator.address, config_hash=CONFIG, max_rounds=3)
    assert refused.value.error == "NotDatasetAdmin"

    start = chain.ledger.block_number()
    fid, _ = log.open(owner, dataset.address, operator=operator.address, config_hash=CONFIG, max_rounds=3)
    excluded = [stranger.address]
    result = log.record_round(
        operator,
        fid,
        round_index=1,
        participants_root=ROOT,
        participant_count=3,
        excluded=excluded,
        aggregate_sha256=AGGREGATE,
        loss_reports_sha256=LOSSES,
    )
    anchored = log.round_in(result)
    assert anchored is not None and anchored.excluded == (stranger.address,)
    with pytest.raises(ContractReverted) as old:
        log.record_round(
            operator,
            fid,
            round_index=1,
            participants_root=ROOT,
            participant_count=3,
            excluded=[],
            aggregate_sha256=AGGREGATE,
            loss_reports_sha256=LOSSES,
        )
    assert old.value.error == "RoundNotIncreasing"
    log.record_final_model(operator, fid, MODEL)

    (round_,) = log.rounds(fid, start)
    assert round_ == anchored
    assert (round_.round_index, round_.participant_count, round_.aggregate_sha256) == (1, 3, AGGREGATE)
    summary = log.federation(fid)
    assert summary is not None
    assert (summary.dataset, summary.operator, summary.model_sha256) == (
        dataset.address,
        operator.address,
        MODEL,
    )
    assert [sha for sha, _ in log.final_model_events(fid, start)] == [MODEL]
    assert log.federation(fid + 1000) is None


def test_bad_rounds_are_refused_before_sending(chain: ChainKit) -> None:
    log = FederationLedger(chain.ledger)
    operator = chain.handle.operators.relayer
    wallets = [chain.handle.operators.detector.address] * (MAX_EXCLUDED + 1)
    with pytest.raises(InvalidInput, match="at most 256"):
        log.record_round(
            operator,
            1,
            round_index=1,
            participants_root=ROOT,
            participant_count=1000,
            excluded=wallets,
            aggregate_sha256=AGGREGATE,
            loss_reports_sha256=LOSSES,
        )
    with pytest.raises(InvalidInput, match="more wallets than took part"):
        log.record_round(
            operator,
            1,
            round_index=1,
            participants_root=ROOT,
            participant_count=0,
            excluded=wallets[:1],
            aggregate_sha256=AGGREGATE,
            loss_reports_sha256=LOSSES,
        )


def test_the_gas_limit_covers_the_most_exclusions(chain: ChainKit) -> None:
    owner, operator = chain.funded_account(), chain.funded_account()
    dataset = chain.dataset(owner)
    log = FederationLedger(chain.ledger)
    fid, _ = log.open(owner, dataset.address, operator=operator.address, config_hash=CONFIG, max_rounds=2)
    excluded = [chain.funded_account().address for _ in range(3)] * (MAX_EXCLUDED // 3)
    result = log.record_round(
        operator,
        fid,
        round_index=1,
        participants_root=ROOT,
        participant_count=len(excluded),
        excluded=excluded,
        aggregate_sha256=AGGREGATE,
        loss_reports_sha256=LOSSES,
    )
    assert result.gas_used < GAS_ROUND_BASE + GAS_ROUND_PER_EXCLUDED * len(excluded)


def test_a_deployment_recorded_before_federations_gets_its_log(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with open_chain(settings) as handle:
        first = handle.init()
    assert first.federation_log is not None
    path = deployment_path(tmp_path, first.chain_id)
    recorded = json.loads(path.read_text())
    del recorded["federation_log"]
    path.write_text(json.dumps(recorded))

    with open_chain(settings) as handle:
        assert handle.ledger.deployment.federation_log is None  # the old file still loads
        upgraded = handle.init()
    assert (upgraded.manager, upgraded.release_registry) == (first.manager, first.release_registry)
    assert upgraded.federation_log not in (None, first.federation_log)
    assert json.loads(path.read_text())["federation_log"] == upgraded.federation_log
