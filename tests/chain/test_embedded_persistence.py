"""The embedded chain keeps what it acknowledged: across a clean restart, a ``kill -9``, and a rival opener.

A tiny hand-assembled contract stands in for the SeBRUS contracts so these tests do not move when
those change: called with a non-zero word it stores the word in slot 0 and logs it (topic = word,
data = caller); called with zero it reverts with the four bytes ``deadbeef``.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import plyvel
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from eth_utils import ValidationError
from web3 import Web3
from web3.exceptions import TransactionNotFound

import sebrus.chain.embedded_store as embedded_store
from sebrus.chain.embedded_store import (
    BLOCK_GAS_LIMIT,
    EMBEDDED_CHAIN_ID,
    ChainLocked,
    EmbeddedChain,
    NotAnEmbeddedChain,
    open_embedded_tester,
)
from sebrus.chain.leveldb import LevelDB
from tests.support import embedded_chain_worker
from tests.support.embedded_chain_worker import MAX_FEE_PER_GAS, PRIORITY_FEE_PER_GAS, transfer_value

# Run with ``python -P WORKER``: -P keeps the worker's folder (tests/support, whose platform.py would
# shadow the standard library's) off sys.path; the worker needs only sebrus.
WORKER = Path(embedded_chain_worker.__file__)

SENDER: LocalAccount = Account.from_key("0x" + "5e" * 32)
RECIPIENT = Web3.to_checksum_address("0x" + "ab" * 20)
INITIAL_BALANCE = 10**24

# Runtime: x = calldata[0:32]; if x == 0: revert(0xdeadbeef); sstore(0, x); mstore(0, caller); log1(0, 32, x)
LOGGER_RUNTIME = bytes.fromhex("6000358060145763deadbeef6000526004601cfd5b806000553360005260206000a100")
# Constructor: codecopy(0, 11, len(runtime)); return(0, len(runtime))
LOGGER_INIT = bytes.fromhex("602380600b6000396000f3") + LOGGER_RUNTIME


class Sender:
    """Signs locally and sends raw transactions with explicit gas, as the ledger does."""

    def __init__(self, w3: Web3, account: LocalAccount = SENDER) -> None:
        self.w3 = w3
        self.account = account
        self.nonce = w3.eth.get_transaction_count(account.address)

    def send(self, **fields: Any) -> Any:
        transaction: dict[str, Any] = {
            "gas": 200_000,
            "maxFeePerGas": MAX_FEE_PER_GAS,
            "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS,
            "nonce": self.nonce,
            "chainId": EMBEDDED_CHAIN_ID,
            "value": 0,
            **fields,
        }
        signed = self.account.sign_transaction(transaction)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        self.nonce += 1
        return self.w3.eth.get_transaction_receipt(tx_hash)

    def call_logger(self, contract: str, word: int) -> Any:
        return self.send(to=contract, data=word.to_bytes(32, "big"))


def run_worker(*args: str, timeout: float = 60) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-P", str(WORKER), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


@pytest.fixture
def chain_dir(tmp_path: Path) -> Path:
    return tmp_path / "chain"


@pytest.fixture
def chain(chain_dir: Path) -> Iterator[EmbeddedChain]:
    with open_embedded_tester(
        chain_dir, funded_accounts=[SENDER.address], initial_balance_wei=INITIAL_BALANCE
    ) as c:
        yield c


def test_genesis_funds_accounts_under_our_chain_id(chain: EmbeddedChain) -> None:
    w3 = Web3(chain.web3_provider())
    assert w3.eth.chain_id == EMBEDDED_CHAIN_ID
    assert w3.eth.block_number == 0
    assert w3.eth.get_balance(SENDER.address) == INITIAL_BALANCE
    assert w3.eth.get_balance(RECIPIENT) == 0
    assert w3.eth.get_block(0)["gasLimit"] == BLOCK_GAS_LIMIT


def test_state_and_logs_survive_a_restart_into_a_new_process(chain_dir: Path) -> None:
    with open_embedded_tester(chain_dir, funded_accounts=[SENDER.address]) as chain:
        w3 = Web3(chain.web3_provider())
        sender = Sender(w3)
        deployed = sender.send(data=LOGGER_INIT, gas=300_000)
        contract = deployed["contractAddress"]
        assert deployed["status"] == 1
        assert sender.call_logger(contract, 7)["status"] == 1
        assert sender.send(to=RECIPIENT, value=12_345, gas=21_000)["status"] == 1
        assert sender.call_logger(contract, 9)["status"] == 1
        expected_balances = {a: w3.eth.get_balance(a) for a in (SENDER.address, RECIPIENT, contract)}
        head = w3.eth.get_block("latest")

    dumped = run_worker("dump", str(chain_dir), SENDER.address, RECIPIENT, contract)

    assert dumped["chain_id"] == EMBEDDED_CHAIN_ID
    assert dumped["head"] == {"number": 4, "hash": head["hash"].hex(), "timestamp": head["timestamp"]}
    accounts = dumped["accounts"]
    assert {address: accounts[address]["balance"] for address in accounts} == expected_balances
    assert accounts[RECIPIENT]["balance"] == 12_345
    assert accounts[contract]["code"] == LOGGER_RUNTIME.hex()
    assert int(accounts[contract]["slot0"], 16) == 9
    sender_word = "0" * 24 + SENDER.address[2:].lower()
    assert dumped["logs"] == [
        {"address": contract, "block": 2, "topics": [f"{7:064x}"], "data": sender_word},
        {"address": contract, "block": 4, "topics": [f"{9:064x}"], "data": sender_word},
    ]


def test_a_reverting_transaction_is_mined_with_status_zero(chain: EmbeddedChain) -> None:
    w3 = Web3(chain.web3_provider())
    sender = Sender(w3)
    contract = sender.send(data=LOGGER_INIT, gas=300_000)["contractAddress"]
    sender.call_logger(contract, 5)

    reverted = sender.call_logger(contract, 0)

    assert reverted["status"] == 0
    assert reverted["logs"] == []
    assert reverted["blockNumber"] == w3.eth.block_number == 3
    assert w3.eth.get_transaction_count(SENDER.address) == 3
    assert int.from_bytes(w3.eth.get_storage_at(contract, 0), "big") == 5
    # The revert data is not in the receipt; replaying the call on the parent block yields it, as
    # eth-tester words it: "execution reverted: " and the repr of the bytes.
    with pytest.raises(TransactionFailed) as replay:
        w3.eth.call(
            {"from": SENDER.address, "to": contract, "data": bytes(32)},
            block_identifier=reverted["blockNumber"] - 1,
        )
    prefix = "execution reverted: "
    message = str(replay.value.args[0])
    assert message.startswith(prefix)
    assert ast.literal_eval(message.removeprefix(prefix)) == bytes.fromhex("deadbeef")


def test_every_mined_block_reaches_disk_in_exactly_one_leveldb_write(
    chain: EmbeddedChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    w3 = Web3(chain.web3_provider())
    sender = Sender(w3)
    batches: list[int] = []
    direct_writes: list[bytes] = []
    real_write_changes = LevelDB.write_changes

    def counting_write_changes(self: LevelDB, changes: dict[bytes, bytes | None]) -> None:
        batches.append(len(changes))
        real_write_changes(self, changes)

    monkeypatch.setattr(LevelDB, "write_changes", counting_write_changes)
    monkeypatch.setattr(LevelDB, "__setitem__", lambda self, key, value: direct_writes.append(key))

    contract = sender.send(data=LOGGER_INIT, gas=300_000)["contractAddress"]
    sender.call_logger(contract, 3)
    sender.send(to=RECIPIENT, value=1, gas=21_000)

    assert len(batches) == 3
    assert all(size > 5 for size in batches)  # header, body, receipts, state and indexes together
    assert direct_writes == []


def test_kill_9_mid_stream_leaves_a_consistent_prefix(chain_dir: Path) -> None:
    open_embedded_tester(
        chain_dir, funded_accounts=[SENDER.address], initial_balance_wei=INITIAL_BALANCE
    ).close()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-P",
            str(WORKER),
            "transfers",
            str(chain_dir),
            "0x" + bytes(SENDER.key).hex(),
            RECIPIENT,
            "100000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    try:
        assert writer.stdout is not None
        while len(acknowledged) < 12:
            line = writer.stdout.readline()
            if not line:
                pytest.fail(
                    f"writer stopped early: {writer.wait()} {writer.stderr.read() if writer.stderr else ''}"
                )
            acknowledged.append(int(line))
        os.kill(writer.pid, signal.SIGKILL)
        remaining, _ = writer.communicate(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL
    acknowledged += [int(line) for line in remaining.split()]
    assert acknowledged == list(range(1, len(acknowledged) + 1))

    with open_embedded_tester(chain_dir) as chain:
        w3 = Web3(chain.web3_provider())
        head = w3.eth.block_number
        assert head >= acknowledged[-1]

        spent = 0
        received = 0
        parent = w3.eth.get_block(0)
        for number in range(1, head + 1):
            block = w3.eth.get_block(number, full_transactions=True)
            assert block["parentHash"] == parent["hash"]
            assert block["timestamp"] > parent["timestamp"]
            (transaction,) = block["transactions"]
            assert (transaction["from"], transaction["to"], transaction["nonce"]) == (
                SENDER.address,
                RECIPIENT,
                number - 1,
            )
            assert transaction["value"] == transfer_value(number)
            received += transfer_value(number)
            gas_price = min(MAX_FEE_PER_GAS, block["baseFeePerGas"] + PRIORITY_FEE_PER_GAS)
            spent += transfer_value(number) + 21_000 * gas_price
            # Every block's state root must still resolve, not just the head's.
            assert w3.eth.get_balance(RECIPIENT, block_identifier=number) == received
            parent = block

        assert w3.eth.get_balance(RECIPIENT) == received
        assert w3.eth.get_balance(SENDER.address) == INITIAL_BALANCE - spent
        assert w3.eth.get_transaction_count(SENDER.address) == head
        # The chain goes on from the recovered head.
        assert Sender(w3).send(to=RECIPIENT, value=1, gas=21_000)["blockNumber"] == head + 1


def test_a_second_opener_is_refused_and_told_which_directory(chain: EmbeddedChain, chain_dir: Path) -> None:
    other_process = run_worker("try-open", str(chain_dir))
    assert other_process["opened"] is False
    assert other_process["error"] == "ChainLocked"
    assert str(chain_dir) in other_process["message"]

    with pytest.raises(ChainLocked, match=str(chain_dir)):
        open_embedded_tester(chain_dir)

    chain.close()
    with open_embedded_tester(chain_dir) as reopened:
        assert reopened.tester.get_block_by_number("latest")["number"] == 0


def test_timestamps_follow_the_wall_clock_and_increase_across_reopen(
    chain_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": 2_000_000_000}
    monkeypatch.setattr(embedded_store, "_wall_clock", lambda: clock["now"])

    with open_embedded_tester(chain_dir, funded_accounts=[SENDER.address]) as chain:
        w3 = Web3(chain.web3_provider())
        assert w3.eth.get_block(0)["timestamp"] == 2_000_000_000
        clock["now"] += 500  # the pending block was stamped when block 0 was made; it must not keep that
        first = Sender(w3).send(to=RECIPIENT, value=1, gas=21_000)
        assert w3.eth.get_block(first["blockNumber"])["timestamp"] == 2_000_000_500

    clock["now"] += 3_600
    with open_embedded_tester(chain_dir) as chain:
        w3 = Web3(chain.web3_provider())
        sender = Sender(w3)
        after_restart = sender.send(to=RECIPIENT, value=1, gas=21_000)
        assert w3.eth.get_block(after_restart["blockNumber"])["timestamp"] == 2_000_004_100

        # Several blocks in the same second, then a clock that steps back: still strictly increasing.
        same_second = [sender.send(to=RECIPIENT, value=1, gas=21_000)["blockNumber"] for _ in range(2)]
        clock["now"] -= 10_000
        stepped_back = sender.send(to=RECIPIENT, value=1, gas=21_000)["blockNumber"]
        stamps = [
            w3.eth.get_block(n)["timestamp"]
            for n in (after_restart["blockNumber"], *same_second, stepped_back)
        ]
        assert stamps == [2_000_004_100, 2_000_004_101, 2_000_004_102, 2_000_004_103]


def test_a_directory_holding_another_database_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    database = plyvel.DB(str(foreign), create_if_missing=True)
    database.put(b"someone-else", b"data")
    database.close()

    with pytest.raises(NotAnEmbeddedChain, match="not a SeBRUS chain"):
        open_embedded_tester(foreign)
    # The refusal released the lock.
    plyvel.DB(str(foreign)).close()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"funded_accounts": ["0x" + "ab" * 20]}, ValueError, "not a checksum address"),
        ({"funded_accounts": SENDER.address}, TypeError, "not a single string"),
        ({"initial_balance_wei": -1}, ValueError, "between 0 and 2\\*\\*256 - 1"),
        ({"initial_balance_wei": 1.5}, TypeError, "must be an int"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(
    chain_dir: Path, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        open_embedded_tester(chain_dir, **kwargs)
    assert not chain_dir.exists()


def test_close_is_idempotent_and_flags_the_chain_closed(chain: EmbeddedChain) -> None:
    chain.close()
    chain.close()
    assert chain.closed
    assert "closed" in repr(chain)


def test_old_transactions_are_found_through_the_index_not_by_walking_blocks(
    chain: EmbeddedChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    w3 = Web3(chain.web3_provider())
    sender = Sender(w3)
    first = sender.send(to=RECIPIENT, value=1, gas=21_000)
    for _ in range(20):
        sender.send(to=RECIPIENT, value=1, gas=21_000)

    evm_chain = chain.tester.backend.chain
    loaded: list[int] = []
    real_lookup = evm_chain.get_canonical_block_by_number

    def counting_lookup(number: int) -> Any:
        loaded.append(number)
        return real_lookup(number)

    monkeypatch.setattr(evm_chain, "get_canonical_block_by_number", counting_lookup)
    receipt = w3.eth.get_transaction_receipt(first["transactionHash"])
    transaction = w3.eth.get_transaction(first["transactionHash"])

    assert receipt["blockNumber"] == transaction["blockNumber"] == 1
    assert loaded == [1, 1]
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(bytes(32))


def test_requests_from_many_threads_are_served_one_at_a_time(chain_dir: Path) -> None:
    senders = [Account.from_key("0x" + f"{n:02x}" * 32) for n in range(1, 5)]
    per_thread = 15
    with open_embedded_tester(chain_dir, funded_accounts=[s.address for s in senders]) as chain:
        w3 = Web3(chain.web3_provider())

        def send_all(account: LocalAccount) -> list[int]:
            sender = Sender(w3, account)
            return [sender.send(to=RECIPIENT, value=1, gas=21_000)["status"] for _ in range(per_thread)]

        with ThreadPoolExecutor(max_workers=len(senders)) as pool:
            statuses = [status for result in pool.map(send_all, senders) for status in result]

        assert statuses == [1] * (per_thread * len(senders))
        assert w3.eth.block_number == per_thread * len(senders)
        assert w3.eth.get_balance(RECIPIENT) == per_thread * len(senders)
        assert [w3.eth.get_transaction_count(s.address) for s in senders] == [per_thread] * len(senders)

    chain.close()
    with pytest.raises(RuntimeError, match="is closed"):
        w3.eth.block_number  # noqa: B018


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"chainId": 131277322940537}, "signed for chain id 131277322940537"),
        ({"chainId": 1}, "signed for chain id 1;"),
        (
            {"chainId": None, "gasPrice": 10**9, "maxFeePerGas": None, "maxPriorityFeePerGas": None},
            "no chain id",
        ),
    ],
)
def test_transactions_signed_for_another_chain_are_refused(
    chain: EmbeddedChain, fields: dict[str, Any], message: str
) -> None:
    w3 = Web3(chain.web3_provider())
    transaction: dict[str, Any] = {
        "to": RECIPIENT,
        "value": 1,
        "gas": 21_000,
        "maxFeePerGas": MAX_FEE_PER_GAS,
        "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS,
        "nonce": 0,
        "chainId": EMBEDDED_CHAIN_ID,
    }
    transaction.update(fields)
    transaction = {key: value for key, value in transaction.items() if value is not None}
    with pytest.raises(ValidationError, match=message):
        w3.eth.send_raw_transaction(SENDER.sign_transaction(transaction).raw_transaction)
    assert w3.eth.block_number == 0

    # A legacy transaction protected by EIP-155 for this chain goes through.
    legacy = {"to": RECIPIENT, "value": 1, "gas": 21_000, "gasPrice": 10**9, "nonce": 0}
    legacy["chainId"] = EMBEDDED_CHAIN_ID
    tx_hash = w3.eth.send_raw_transaction(SENDER.sign_transaction(legacy).raw_transaction)
    assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
