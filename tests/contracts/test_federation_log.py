"""FederationLog: the dataset's admin opens, only the operator records, rounds increase, the model once."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.contract import Contract

from tests.support.contracts import Chain, ErrorDecoder, events, load_artifact

DEFAULT_ADMIN_ROLE = b"\x00" * 32
CONFIG = keccak(text="config")
ROOT = keccak(text="participants")
AGGREGATE = keccak(text="aggregate")
LOSSES = keccak(text="loss reports")
MODEL = keccak(text="model")
ZERO = b"\x00" * 32


@pytest.fixture(scope="module")
def log(chain: Chain) -> Contract:
    artifact = load_artifact("FederationLog")
    chain.errors = ErrorDecoder(
        [chain.dataset_artifact["abi"], chain.manager_artifact["abi"], artifact["abi"]]
    )
    return chain.deploy(artifact)


@pytest.fixture
def operator(chain: Chain) -> str:
    return chain.accounts[5]


def _open(chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str, rounds: int = 10) -> int:
    receipt = chain.send(log.functions.open(dataset.address, operator, CONFIG, rounds), owner)
    (event,) = events(log, "FederationOpened", receipt)
    return int(event["args"]["federationId"])


def test_the_owner_opens_and_the_operator_records_rounds_and_the_model(
    chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str, contributor: str, stranger: str
) -> None:
    before = log.functions.federationCount().call()
    fid = _open(chain, log, dataset, owner, operator)
    assert fid == before + 1
    receipt = chain.send(
        log.functions.recordRound(fid, 1, ROOT, 3, [contributor, stranger], AGGREGATE, LOSSES), operator
    )
    (event,) = events(log, "RoundRecorded", receipt)
    assert event["args"]["federationId"] == fid
    assert event["args"]["roundIndex"] == 1
    assert event["args"]["participantsRoot"] == ROOT
    assert event["args"]["participantCount"] == 3
    assert list(event["args"]["excluded"]) == [contributor, stranger]
    assert event["args"]["aggregateSha256"] == AGGREGATE
    assert event["args"]["lossReportsSha256"] == LOSSES

    receipt = chain.send(log.functions.recordFinalModel(fid, MODEL), operator)
    (final,) = events(log, "FinalModelRecorded", receipt)
    assert final["args"]["modelSha256"] == MODEL
    dataset_address, last, count, recorded_by, max_rounds, opened_at, config, model = (
        log.functions.federation(fid).call()
    )
    assert (dataset_address, last, count, recorded_by, max_rounds) == (dataset.address, 1, 1, operator, 10)
    assert (config, model) == (CONFIG, MODEL)
    assert opened_at > 0


def test_only_the_datasets_admin_opens(
    chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str, detector: str, stranger: str
) -> None:
    for account in (stranger, detector):
        chain.expect_revert(
            log.functions.open(dataset.address, operator, CONFIG, 5),
            account,
            "NotDatasetAdmin",
            dataset.address,
            account,
        )
    chain.expect_revert(log.functions.open(stranger, operator, CONFIG, 5), owner, "NotAContract", stranger)
    chain.expect_revert(log.functions.open(dataset.address, operator, CONFIG, 0), owner, "BadMaxRounds", 0)
    chain.expect_revert(log.functions.open(dataset.address, operator, ZERO, 5), owner, "ZeroHash")
    zero_address = "0x" + "00" * 20
    chain.expect_revert(log.functions.open(dataset.address, zero_address, CONFIG, 5), owner, "ZeroAddress")


def test_only_the_operator_records(
    chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str, stranger: str
) -> None:
    fid = _open(chain, log, dataset, owner, operator)
    for account in (owner, stranger):  # the owner named an operator; even they do not record rounds
        chain.expect_revert(
            log.functions.recordRound(fid, 1, ROOT, 1, [], AGGREGATE, LOSSES),
            account,
            "NotOperator",
            fid,
            account,
        )
        chain.expect_revert(log.functions.recordFinalModel(fid, MODEL), account, "NotOperator", fid, account)
    chain.expect_revert(
        log.functions.recordRound(fid + 1000, 1, ROOT, 1, [], AGGREGATE, LOSSES),
        operator,
        "UnknownFederation",
        fid + 1000,
    )
    chain.expect_view_revert(log.functions.federation(fid + 1000), "UnknownFederation", fid + 1000)


def test_rounds_strictly_increase_within_the_bound(
    chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str
) -> None:
    fid = _open(chain, log, dataset, owner, operator, rounds=4)
    chain.send(log.functions.recordRound(fid, 2, ROOT, 1, [], AGGREGATE, LOSSES), operator)
    for index in (2, 1):
        chain.expect_revert(
            log.functions.recordRound(fid, index, ROOT, 1, [], AGGREGATE, LOSSES),
            operator,
            "RoundNotIncreasing",
            fid,
            index,
            2,
        )
    chain.expect_revert(
        log.functions.recordRound(fid, 5, ROOT, 1, [], AGGREGATE, LOSSES),
        operator,
        "RoundOutOfRange",
        fid,
        5,
        4,
    )
    chain.send(
        log.functions.recordRound(fid, 4, ROOT, 1, [], AGGREGATE, LOSSES), operator
    )  # gaps are allowed
    assert tuple(log.functions.federation(fid).call()[1:3]) == (4, 2)


def test_bad_rounds_are_refused(
    chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str, stranger: str
) -> None:
    fid = _open(chain, log, dataset, owner, operator)
    chain.expect_revert(
        log.functions.recordRound(fid, 1, ROOT, 0, [stranger], AGGREGATE, LOSSES),
        operator,
        "ExcludedNotParticipants",
        1,
        0,
    )
    too_many = [stranger] * 257
    chain.expect_revert(
        log.functions.recordRound(fid, 1, ROOT, 300, too_many, AGGREGATE, LOSSES),
        operator,
        "TooManyExcluded",
        257,
        256,
    )
    chain.expect_revert(log.functions.recordRound(fid, 1, ROOT, 1, [], ZERO, LOSSES), operator, "ZeroHash")
    chain.expect_revert(log.functions.recordRound(fid, 1, ROOT, 1, [], AGGREGATE, ZERO), operator, "ZeroHash")


def test_the_final_model_is_recorded_once_after_a_round_and_closes_the_log(
    chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str
) -> None:
    fid = _open(chain, log, dataset, owner, operator)
    chain.expect_revert(log.functions.recordFinalModel(fid, MODEL), operator, "NoRounds", fid)
    chain.send(log.functions.recordRound(fid, 1, ROOT, 2, [], AGGREGATE, LOSSES), operator)
    chain.expect_revert(log.functions.recordFinalModel(fid, ZERO), operator, "ZeroHash")
    chain.send(log.functions.recordFinalModel(fid, MODEL), operator)
    chain.expect_revert(log.functions.recordFinalModel(fid, AGGREGATE), operator, "ModelAlreadyRecorded", fid)
    chain.expect_revert(
        log.functions.recordRound(fid, 2, ROOT, 2, [], AGGREGATE, LOSSES),
        operator,
        "ModelAlreadyRecorded",
        fid,
    )


def test_a_round_with_the_most_exclusions_costs_bounded_gas(
    chain: Chain, log: Contract, dataset: Contract, owner: str, operator: str, stranger: str
) -> None:
    fid = _open(chain, log, dataset, owner, operator)
    receipt = chain.send(
        log.functions.recordRound(fid, 1, ROOT, 256, [stranger] * 256, AGGREGATE, LOSSES),
        operator,
        gas=2_000_000,
    )
    assert receipt["gasUsed"] < 400_000  # calldata and one event; the adapter's gas formula must cover this
