"""The embedded chain's ``/rpc`` endpoint, driven by independent clients against ``sebrus serve``.

web3.py's HTTPProvider, signing with eth-account, is the wallet: it sends a transaction, reads its
receipt and logs, calls a view, estimates gas and reads the fee history. Then ``sebrus verify
--chain-url http://HOST:PORT/rpc`` checks a published release against the server's chain, and catches
a tampered file; ``sebrus chain status --url`` reads the chain while the server owns it.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractCustomError, TransactionNotFound

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.embedded_store import EMBEDDED_CHAIN_ID
from sebrus.chain.reverts import reverted
from sebrus.sdk import Client
from tests.support.cli import sebrus
from tests.support.images import png
from tests.support.live_server import PASSWORD
from tests.support.server_process import ServerProcess


@dataclass
class Served:
    server: ServerProcess
    rpc_url: str
    w3: Web3
    owner: Client
    dataset_id: int
    dataset_address: str
    deployer: LocalAccount  # the server's own deployer key, read from its data directory


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("rpc-e2e") / "data"
    server = ServerProcess(
        data_dir,
        settings={"REVIEW_NO_VOTE_GRACE_SECONDS": "0", "REVIEW_FINALIZER_SECONDS": "0.2"},
    )
    try:
        server.wait_ready()
        owner = Client(server.url)
        owner.register("rpcowner", PASSWORD)
        owner.login("rpcowner", PASSWORD)
        dataset = owner.create_dataset("pets", "cats and dogs", ["cat", "dog"], review_policy={"x": 0})
        keys = json.loads((data_dir / "chain" / "operators.json").read_text())
        rpc_url = f"{server.url}/rpc"
        w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
        yield Served(
            server, rpc_url, w3, owner, dataset.id, dataset.address, Account.from_key(keys["deployer"])
        )
        owner.close()
    finally:
        server.stop()


def _funded(served: Served, wei: int = 10**18) -> LocalAccount:
    """A fresh wallet, paid by a transfer the test signs with the server's deployer key."""
    account: LocalAccount = Account.create()
    receipt = _send(served, served.deployer, {"to": account.address, "value": wei, "gas": 21_000})
    assert receipt["status"] == 1
    return account


def _send(served: Served, sender: LocalAccount, tx: dict[str, object]) -> dict[str, object]:
    w3 = served.w3
    fee = w3.eth.fee_history(1, "latest")
    tip = w3.eth.max_priority_fee
    signed = sender.sign_transaction(
        {
            **tx,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "chainId": w3.eth.chain_id,
            "maxPriorityFeePerGas": tip,
            "maxFeePerGas": 2 * fee["baseFeePerGas"][-1] + tip,
        }
    )
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return dict(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30))


def test_a_wallet_reads_the_chain_and_sends_a_signed_transaction(served: Served) -> None:
    w3 = served.w3
    assert w3.eth.chain_id == EMBEDDED_CHAIN_ID
    assert w3.net.version == str(EMBEDDED_CHAIN_ID)
    assert w3.eth.accounts == []
    assert w3.eth.block_number >= 1
    assert w3.client_version.startswith("SeBRUS/")

    wallet = _funded(served)
    assert w3.eth.get_balance(wallet.address) == 10**18
    artifact = load_artifact("ReleaseRegistry")
    deploy = {
        "data": w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        .constructor()
        .data_in_transaction
    }
    gas = w3.eth.estimate_gas({"from": wallet.address, **deploy})
    receipt = _send(served, wallet, {**deploy, "gas": gas})
    assert receipt["status"] == 1 and receipt["contractAddress"] is not None
    assert w3.eth.get_code(receipt["contractAddress"]) != b""

    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["hash"] == receipt["blockHash"]
    assert block["transactions"][0]["hash"] == receipt["transactionHash"]
    assert w3.eth.get_block(block["hash"])["number"] == block["number"]
    sent = w3.eth.get_transaction(receipt["transactionHash"])
    assert sent["from"] == wallet.address and sent["to"] is None and sent["gas"] == gas
    assert w3.eth.get_transaction_count(wallet.address) == 1
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt("0x" + "11" * 32)


def test_logs_views_and_reverts_read_as_from_a_node(served: Served) -> None:
    """The DatasetManager's DatasetCreated log, a view call, and a custom error with its bytes (code 3)."""
    w3 = served.w3
    dataset = w3.eth.contract(abi=load_artifact("Dataset").abi, address=served.dataset_address)
    assert dataset.functions.labelCount().call() == 2
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": served.dataset_address})
    assert logs and all(entry["address"] == served.dataset_address for entry in logs)
    receipt = w3.eth.get_transaction_receipt(logs[0]["transactionHash"])
    assert any(entry["logIndex"] == logs[0]["logIndex"] for entry in receipt["logs"])
    assert int.from_bytes(receipt["logsBloom"], "big") != 0

    with pytest.raises(ContractCustomError) as refused:
        dataset.functions.getItem(b"\x01" * 32).call()
    assert reverted(refused.value, None).error == "UnknownItem"


def test_fee_history_and_prices_follow_the_chain(served: Served) -> None:
    w3 = served.w3
    head = w3.eth.block_number
    history = w3.eth.fee_history(3, "latest", [10, 90])
    assert history["oldestBlock"] == head - 2
    assert len(history["baseFeePerGas"]) == 4 and len(history["gasUsedRatio"]) == 3
    assert len(history["reward"]) == 3 and all(len(r) == 2 for r in history["reward"])
    assert w3.eth.gas_price == history["baseFeePerGas"][-1] + w3.eth.max_priority_fee


def test_a_raw_transaction_from_the_servers_own_key_leaves_its_nonces_right(served: Served) -> None:
    """A wallet holding the deployer key spends a nonce; the server's next send from it still succeeds."""
    _funded(served)  # signed here with the deployer key, sent through /rpc
    # The platform funds a new user's custodial wallet from the deployer: it must not reuse that nonce.
    newcomer = Client(served.server.url)
    newcomer.register("rpcnewcomer", PASSWORD)
    newcomer.close()
    _funded(served)


def _published_export(served: Served, tmp_path: Path) -> Path:
    owner = served.owner
    for seed, label in ((1, "cat"), (2, "dog")):
        assert owner.upload(served.dataset_id, png(seed), label).outcome == "anchored"
    deadline = time.monotonic() + 60
    while len(list(owner.items(served.dataset_id, status="approved"))) < 2:
        assert time.monotonic() < deadline, "the finalizer did not approve the x = 0 uploads"
        time.sleep(0.2)
    release = owner.publish_release(served.dataset_id, notes="for rpc verify")
    return owner.export_release(served.dataset_id, release.version, tmp_path / "export", "jsonl")


def test_sebrus_verify_checks_a_release_against_the_servers_rpc_and_catches_tampering(
    served: Served, tmp_path: Path
) -> None:
    export = _published_export(served, tmp_path)
    clean = sebrus("verify", str(export), "--chain-url", served.rpc_url)
    assert clean.exit_code == 0, clean.output
    assert "Chain root 0x" in clean.output and "NOT consulted" not in clean.output
    said = " ".join(clean.output.split())  # rich wraps long lines
    assert "against the server's own claims, not against an independent node" in said

    tampered = Path(shutil.copytree(export, tmp_path / "tampered"))
    image = next(p for p in (tampered / "images").rglob("*") if p.is_file())
    image.write_bytes(image.read_bytes() + b"\x00")
    caught = sebrus("verify", str(tampered), "--chain-url", served.rpc_url)
    assert caught.exit_code == 1, caught.output
    assert image.name in caught.output


def test_chain_status_reads_the_servers_chain_through_its_url(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside a running server (same data directory), which owns the embedded chain's files."""
    monkeypatch.setenv("SEBRUS_DATA_DIR", str(served.server.data_dir))
    locked = sebrus("chain", "status")
    assert locked.exit_code != 0 and "--url" in locked.output
    result = sebrus("chain", "status", "--url", served.rpc_url, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["chain_id"] == EMBEDDED_CHAIN_ID and report["backend"] == "rpc"
    assert report["location"] == served.rpc_url and report["block"] >= 1
    assert report["deployed"] is True and report["datasets"] >= 1
