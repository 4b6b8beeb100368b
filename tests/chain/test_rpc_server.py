"""The Ethereum methods over the embedded chain, called in-process: refusals, parameters, reverts.

The same objects the platform uses (its ChainHandle's embedded chain and transactor); the HTTP face
and independent clients are tested in tests/platform/test_rpc_endpoint_e2e.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector

from sebrus.chain import rpc_encoding
from sebrus.chain.artifacts import load_artifact
from sebrus.chain.backends import ChainHandle, open_chain
from sebrus.chain.embedded_store import EMBEDDED_CHAIN_ID
from sebrus.chain.jsonrpc import (
    EXECUTION_REVERTED,
    INVALID_PARAMS,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    SERVER_ERROR,
    Envelope,
    parse,
)
from sebrus.chain.rpc_server import EmbeddedRpc
from sebrus.chain.transactor import calldata
from sebrus.config import Settings

LOG_BLOCKS = 3


@pytest.fixture(scope="module")
def handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainHandle]:
    opened = open_chain(Settings(data_dir=tmp_path_factory.mktemp("rpc-server")))
    opened.init()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def rpc(handle: ChainHandle) -> EmbeddedRpc:
    assert handle.embedded is not None
    return EmbeddedRpc(handle.embedded, handle.ledger.transactor, max_log_blocks=LOG_BLOCKS)


def _ask(rpc: EmbeddedRpc, method: str, *params: Any) -> dict[str, Any]:
    envelope = parse(
        json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)}).encode(),
        max_batch=10,
    )
    assert isinstance(envelope, Envelope)
    answered = rpc.serve(envelope)
    assert isinstance(answered, dict)
    return answered


def _error(rpc: EmbeddedRpc, method: str, *params: Any) -> dict[str, Any]:
    answered = _ask(rpc, method, *params)
    assert "error" in answered, answered
    error: dict[str, Any] = answered["error"]
    return error


def _signed(sender: LocalAccount, nonce: int, chain_id: int = EMBEDDED_CHAIN_ID, **tx: Any) -> str:
    signed = sender.sign_transaction(
        {
            "to": sender.address,
            "value": 1,
            "gas": 21_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
            "nonce": nonce,
            "chainId": chain_id,
            **tx,
        }
    )
    return "0x" + signed.raw_transaction.hex()


@pytest.mark.parametrize(
    "method",
    ["personal_unlockAccount", "personal_sign", "eth_sendTransaction", "eth_sign", "eth_signTypedData_v4"],
)
def test_methods_that_need_a_key_here_are_refused_by_name(rpc: EmbeddedRpc, method: str) -> None:
    error = _error(rpc, method, "0x" + "11" * 20, "secret")
    assert error["code"] == METHOD_NOT_FOUND
    assert error["message"].startswith(f"{method} is not available: this endpoint holds and unlocks no keys")
    assert _ask(rpc, "eth_accounts")["result"] == []


def test_the_chain_answers_with_its_own_id(rpc: EmbeddedRpc) -> None:
    assert _ask(rpc, "eth_chainId")["result"] == hex(EMBEDDED_CHAIN_ID)
    assert _ask(rpc, "net_version")["result"] == str(EMBEDDED_CHAIN_ID)


@pytest.mark.parametrize(
    ("method", "params", "says"),
    [
        ("eth_getBalance", ["0x1234", "latest"], "address must be a 20-byte hex address"),
        ("eth_getBalance", ["0x" + "11" * 20, "0x01"], "block must be a hex quantity"),
        ("eth_getBalance", ["0x" + "11" * 20, 5], "block must be a hex quantity"),
        ("eth_getBlockByNumber", ["latest"], "missing value for required argument 1"),
        ("eth_getBlockByNumber", ["latest", "yes"], "full must be true or false"),
        ("eth_getTransactionByHash", ["0x1234"], "hash must be 32 bytes"),
        ("eth_call", [{"to": "0x" + "11" * 20, "data": "0xabc"}], "input must be 0x-prefixed hex bytes"),
        ("eth_call", [{"to": "0x" + "11" * 20}, "latest", {"0x" + "11" * 20: {}}], "state overrides"),
        ("eth_call", [{"to": "0x" + "11" * 20, "gasPrice": "0x1", "maxFeePerGas": "0x1"}], "not both"),
        ("eth_sendRawTransaction", ["0x1234"], "not a signed transaction"),
        ("eth_feeHistory", ["0x2", "latest", [50, 10]], "must not decrease"),
        ("eth_getLogs", [{"fromBlock": "0x0", "blockHash": "0x" + "11" * 32}], "blockHash"),
    ],
)
def test_bad_params_are_32602_naming_what_is_wrong(
    rpc: EmbeddedRpc, method: str, params: list[Any], says: str
) -> None:
    error = _error(rpc, method, *params)
    assert error["code"] == INVALID_PARAMS and says in error["message"], error


def test_a_transaction_for_another_chain_or_nonce_is_refused_and_nothing_is_mined(
    rpc: EmbeddedRpc, handle: ChainHandle
) -> None:
    wallet: LocalAccount = Account.create()
    handle.ledger.transfer(handle.operators.deployer, wallet.address, 10**18)
    head = _ask(rpc, "eth_blockNumber")["result"]
    error = _error(rpc, "eth_sendRawTransaction", _signed(wallet, 0, chain_id=1))
    assert (
        error["code"] == SERVER_ERROR
        and f"the embedded chain's id is {EMBEDDED_CHAIN_ID}" in error["message"]
    )
    error = _error(rpc, "eth_sendRawTransaction", _signed(wallet, 5))
    assert error["code"] == SERVER_ERROR and "nonce" in error["message"]
    assert _ask(rpc, "eth_blockNumber")["result"] == head
    sent = _ask(rpc, "eth_sendRawTransaction", _signed(wallet, 0))["result"]
    receipt = _ask(rpc, "eth_getTransactionReceipt", sent)["result"]
    assert receipt["status"] == "0x1" and receipt["from"] == wallet.address


def _reverting_init_code(revert_data: bytes) -> str:
    """Creation code that reverts with ``revert_data``: CODECOPY it to memory 0, then REVERT."""
    size = len(revert_data)
    assert size < 256
    prefix = bytes([0x60, size, 0x60, 12, 0x60, 0x00, 0x39, 0x60, size, 0x60, 0x00, 0xFD])
    return "0x" + (prefix + revert_data).hex()


def test_an_error_string_revert_is_code_3_with_its_reason_and_bytes(rpc: EmbeddedRpc) -> None:
    reason = function_signature_to_4byte_selector("Error(string)") + abi_encode(["string"], ["nope"])
    for method in ("eth_call", "eth_estimateGas"):
        error = _error(rpc, method, {"data": _reverting_init_code(reason)})
        assert error == {
            "code": EXECUTION_REVERTED,
            "message": "execution reverted: nope",
            "data": "0x" + reason.hex(),
        }


def test_a_custom_error_revert_is_code_3_with_the_exact_bytes(rpc: EmbeddedRpc, handle: ChainHandle) -> None:
    manager = handle.ledger.transactor.contract(
        handle.ledger.deployment.manager, load_artifact("DatasetManager").abi
    )
    call = {"to": manager.address, "data": calldata(manager, "getDataset", (999,))}
    count = handle.ledger.dataset_count()
    expected = function_signature_to_4byte_selector("UnknownDataset(uint256,uint256)") + abi_encode(
        ["uint256", "uint256"], [999, count]
    )
    for method in ("eth_call", "eth_estimateGas"):
        error = _error(rpc, method, call)
        assert error == {
            "code": EXECUTION_REVERTED,
            "message": "execution reverted",
            "data": "0x" + expected.hex(),
        }


def test_an_unfunded_sender_reads_for_free_as_on_a_node(rpc: EmbeddedRpc, handle: ChainHandle) -> None:
    manager = handle.ledger.transactor.contract(
        handle.ledger.deployment.manager, load_artifact("DatasetManager").abi
    )
    stranger = Account.create().address
    call = {"from": stranger, "to": manager.address, "data": calldata(manager, "getDatasetCount")}
    assert int(_ask(rpc, "eth_call", call)["result"], 16) == handle.ledger.dataset_count()
    assert int(_ask(rpc, "eth_estimateGas", call)["result"], 16) > 21_000


def test_a_log_query_over_too_many_blocks_is_refused(rpc: EmbeddedRpc) -> None:
    error = _error(rpc, "eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(LOG_BLOCKS)})
    assert error["code"] == LIMIT_EXCEEDED and f"at most {LOG_BLOCKS}" in error["message"]
    assert _ask(rpc, "eth_getLogs", {"fromBlock": "0x1", "toBlock": hex(LOG_BLOCKS)})["result"]


def test_unknown_hashes_and_blocks_answer_null(rpc: EmbeddedRpc) -> None:
    assert _ask(rpc, "eth_getTransactionByHash", "0x" + "22" * 32)["result"] is None
    assert _ask(rpc, "eth_getTransactionReceipt", "0x" + "22" * 32)["result"] is None
    assert _ask(rpc, "eth_getBlockByHash", "0x" + "22" * 32, False)["result"] is None
    assert _ask(rpc, "eth_getBlockByNumber", "0xffffff", False)["result"] is None


def test_wallet_sends_and_the_platforms_own_take_turns(rpc: EmbeddedRpc, handle: ChainHandle) -> None:
    """Raw transactions through the endpoint while the platform sends from its own accounts: all mined."""
    wallet: LocalAccount = Account.create()
    ledger = handle.ledger
    ledger.transfer(handle.operators.deployer, wallet.address, 10**18)
    failures: list[str] = []

    def platform() -> None:
        for _ in range(10):
            try:
                ledger.transfer(handle.operators.deployer, wallet.address, 1)
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(repr(exc))

    def outside() -> None:
        for nonce in range(10):
            answered = _ask(rpc, "eth_sendRawTransaction", _signed(wallet, nonce))
            if "error" in answered:  # pragma: no cover - reported below
                failures.append(str(answered["error"]))

    threads = [threading.Thread(target=platform), threading.Thread(target=outside)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert int(_ask(rpc, "eth_getTransactionCount", wallet.address, "pending")["result"], 16) == 10


def test_log_queries_find_what_eth_testers_own_scan_finds(handle: ChainHandle) -> None:
    """Logs are read from py-evm directly (blocks skipped by their bloom); eth-tester's scan is the oracle."""
    owner: LocalAccount = Account.create()
    handle.ledger.transfer(handle.operators.deployer, owner.address, 10**18)
    created = handle.ledger.create_dataset(owner, name="logs", description="", labels=("a", "b"))
    assert handle.embedded is not None
    rpc = EmbeddedRpc(handle.embedded, handle.ledger.transactor)  # the default range covers the chain
    with handle.embedded.serving() as tester:
        head = int(tester.get_block_by_number("latest")["number"])
        every = tester.get_logs(from_block=0, to_block=head)
    topic = every[-1]["topics"][0]
    filters: list[dict[str, Any]] = [
        {},
        {"address": created.address},
        {"address": [created.address, handle.ledger.deployment.manager]},
        {"topics": [topic]},
        {"topics": [[topic, "0x" + "00" * 32]]},
        {"topics": [None, "0x" + "00" * 32]},
        {"address": "0x" + "ee" * 20},
    ]
    for extra in filters:
        query = {"fromBlock": "0x0", "toBlock": "latest", **extra}
        wanted = {k: extra[k] for k in ("address", "topics") if k in extra}
        with handle.embedded.serving() as tester:
            found = tester.get_logs(from_block=0, to_block=head, **wanted)
        expected = [rpc_encoding.encode_log(e) for e in found]
        assert _ask(rpc, "eth_getLogs", query)["result"] == expected, extra
    assert any(e["address"] == created.address for e in every)
