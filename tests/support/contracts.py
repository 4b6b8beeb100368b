"""Helpers for the contract behaviour tests: deploy on an in-memory chain, sign, and read reverts.

The tests speak to the compiled artifacts directly, not through ``sebrus.chain``, so that a bug in the
Python ledger cannot hide a bug in the contracts (or the other way round).
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

import sebrus

ARTIFACTS_DIR = Path(sebrus.__file__).parent / "chain" / "artifacts"

# Explicit gas: estimation would raise on a revert before the transaction is mined, and the
# whole-batch-reverts tests need the failed transaction to be mined to prove nothing was stored.
DEFAULT_GAS = 29_000_000

DOMAIN_NAME = "SeBRUS Dataset"
DOMAIN_VERSION = "1"
CONTRIBUTION_TYPES = {
    "Contribution": [
        {"name": "contentHash", "type": "bytes32"},
        {"name": "label", "type": "uint16"},
        {"name": "contributor", "type": "address"},
        {"name": "deadline", "type": "uint256"},
    ]
}

# Item.status as the contract numbers it.
NONE, PENDING, QUARANTINED, APPROVED, REJECTED = range(5)


def load_artifact(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())


def content_hash(seed: int | str | bytes) -> bytes:
    """A distinct, non-zero 32-byte content hash per seed (sha256 is what the platform uses)."""
    raw = seed if isinstance(seed, bytes) else str(seed).encode()
    return hashlib.sha256(raw).digest()


def minimal_proxy_creation_code(implementation: str) -> bytes:
    """EIP-1167 creation code, so a test can make a clone that the manager has not initialised."""
    return (
        bytes.fromhex("3d602d80600a3d3981f3363d3d373d3d3d363d73")
        + bytes.fromhex(implementation[2:])
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )


def minimal_proxy_runtime_code(implementation: str) -> bytes:
    return (
        bytes.fromhex("363d3d373d3d3d363d73")
        + bytes.fromhex(implementation[2:])
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )


def erc1271_wallet_creation_code(magic: bytes) -> bytes:
    """Hand-assembled contract whose every call returns ``magic`` as a bytes4.

    With magic = 0x1626ba7e it is an ERC-1271 wallet that accepts any signature; with anything else it
    rejects every signature. Hand-assembled because there is no solc at test time.
    """
    assert len(magic) == 4
    # PUSH4 magic, PUSH1 224, SHL, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN
    runtime = b"\x63" + magic + bytes.fromhex("60e01b60005260206000f3")
    # PUSH1 len, DUP1, PUSH1 11, PUSH1 0, CODECOPY, PUSH1 0, RETURN   (11 bytes of init code)
    init = bytes([0x60, len(runtime), 0x80, 0x60, 0x0B, 0x60, 0x00, 0x39, 0x60, 0x00, 0xF3])
    return init + runtime


# ------------------------------------------------------------------------------------------ reverts


@dataclass(frozen=True)
class DecodedError:
    name: str
    args: tuple[Any, ...]


class ErrorDecoder:
    """Maps revert data back to a custom error by its 4-byte selector, using the contracts' ABIs."""

    def __init__(self, abis: Sequence[list[dict[str, Any]]]) -> None:
        self._by_selector: dict[bytes, tuple[str, list[str]]] = {}
        for abi in abis:
            for entry in abi:
                if entry["type"] != "error":
                    continue
                types = [_abi_type(i) for i in entry["inputs"]]
                signature = f"{entry['name']}({','.join(types)})"
                self._by_selector[function_signature_to_4byte_selector(signature)] = (entry["name"], types)

    def decode(self, data: bytes) -> DecodedError:
        selector = data[:4]
        if selector not in self._by_selector:
            raise AssertionError(f"revert data {data.hex()} matches no custom error in the ABIs")
        name, types = self._by_selector[selector]
        return DecodedError(name, tuple(decode(types, data[4:])))


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


def revert_data(exc: BaseException) -> bytes:
    """The raw revert data behind an exception raised by web3 over eth-tester.

    web3 8 raises ContractCustomError only when a node returns the data field. Through eth-tester a
    custom error arrives as eth_tester's TransactionFailed whose message is the Python repr of the revert
    bytes ("execution reverted: b'...'"), so that repr is parsed back (literal_eval, never eval).
    """
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    seen: BaseException | None = exc
    while seen is not None:
        for arg in seen.args:
            if isinstance(arg, bytes):
                return arg
            if isinstance(arg, str):
                text = arg.removeprefix("execution reverted: ")
                if text.startswith(("b'", 'b"')):
                    parsed = ast.literal_eval(text)
                    if isinstance(parsed, bytes):
                        return parsed
        seen = seen.__context__
    raise AssertionError(f"no revert data found in {exc!r}")


# ------------------------------------------------------------------------------------------ chain


class Chain:
    """One in-memory py-evm chain with the implementation and the manager deployed."""

    def __init__(self) -> None:
        self.w3 = Web3(Web3.EthereumTesterProvider())
        self.accounts: list[str] = list(self.w3.eth.accounts)
        self.deployer = self.accounts[0]
        self.dataset_artifact = load_artifact("Dataset")
        self.manager_artifact = load_artifact("DatasetManager")
        self.errors = ErrorDecoder([self.dataset_artifact["abi"], self.manager_artifact["abi"]])
        self.implementation = self.deploy(self.dataset_artifact)
        self.manager = self.deploy(self.manager_artifact, self.implementation.address)

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def deploy(self, artifact: dict[str, Any], *args: Any) -> Contract:
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx = factory.constructor(*args).transact({"from": self.deployer, "gas": DEFAULT_GAS})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1, f"deploying {artifact['contractName']} failed"
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=artifact["abi"])

    def deploy_raw(self, creation_code: bytes) -> str:
        tx = self.w3.eth.send_transaction({"from": self.deployer, "data": creation_code, "gas": 1_000_000})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return str(receipt["contractAddress"])

    def dataset_at(self, address: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=self.dataset_artifact["abi"])

    def send(self, fn: Any, sender: str, gas: int = DEFAULT_GAS) -> Any:
        """Mine ``fn`` from ``sender`` and return the receipt; a revert fails with the decoded error."""
        receipt = self.send_raw(fn, sender, gas)
        if receipt["status"] != 1:
            try:
                fn.call({"from": sender, "gas": gas})
            except Exception as exc:  # the replay tells us why it reverted
                raise AssertionError(f"transaction reverted: {self.errors.decode(revert_data(exc))}") from exc
            raise AssertionError("transaction reverted (and the replay did not)")
        return receipt

    def send_raw(self, fn: Any, sender: str, gas: int = DEFAULT_GAS) -> Any:
        """Mine ``fn`` whatever happens; the receipt's status says whether it reverted."""
        tx = fn.transact({"from": sender, "gas": gas})
        return self.w3.eth.wait_for_transaction_receipt(tx)

    def expect_revert(self, fn: Any, sender: str, error: str, *args: Any, mine: bool = True) -> None:
        """Assert ``fn`` reverts with custom error ``error(*args)``.

        The error is read from an eth_call (eth-tester only reports revert data there); with ``mine``
        the transaction is also mined, so a test sees that a reverted transaction leaves no trace.
        """
        try:
            result = self._call(fn, sender)
        except Exception as exc:
            decoded = self.errors.decode(revert_data(exc))
        else:
            raise AssertionError(f"expected revert {error}{args}, call returned {result!r}")
        assert decoded.name == error, f"expected {error}{args}, got {decoded.name}{decoded.args}"
        if args:
            assert decoded.args == tuple(_normalise(a) for a in args), (
                f"{error}: expected args {args}, got {decoded.args}"
            )
        if mine:
            receipt = self.send_raw(fn, sender)
            assert receipt["status"] == 0, "the call reverted but the mined transaction succeeded"

    def _call(self, fn: Any, sender: str) -> Any:
        if hasattr(fn, "data_in_transaction"):  # a constructor: eth_call its creation code
            return self.w3.eth.call({"from": sender, "data": fn.data_in_transaction, "gas": DEFAULT_GAS})
        return fn.call({"from": sender, "gas": DEFAULT_GAS})

    def expect_view_revert(self, fn: Any, error: str, *args: Any) -> None:
        self.expect_revert(fn, self.deployer, error, *args, mine=False)

    def create_dataset(
        self,
        owner: str | None = None,
        *,
        name: str = "digits",
        description: str = "handwritten digits",
        labels: Sequence[str] = ("zero", "one", "two"),
        payload_on_chain: bool = False,
        detector: str | None = None,
    ) -> Contract:
        owner = owner or self.accounts[1]
        detector = detector if detector is not None else self.accounts[2]
        fn = self.manager.functions.createDataset(name, description, list(labels), payload_on_chain, detector)
        receipt = self.send(fn, owner)
        (event,) = events(self.manager, "DatasetCreated", receipt)
        return self.dataset_at(event["args"]["dataset"])

    def latest_timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance_time_to(self, timestamp: int) -> None:
        """Mine a block at ``timestamp``, so that calls and later transactions see that time or later."""
        tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        tester.time_travel(timestamp)
        tester.mine_blocks(1)

    def block_timestamp(self, receipt: Any) -> int:
        return int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def events(contract: Contract, name: str, receipt: Any) -> list[Any]:
    """The ``name`` events that ``contract`` itself emitted in ``receipt``, in log order."""
    own = {**receipt, "logs": [log for log in receipt["logs"] if log["address"] == contract.address]}
    return list(contract.events[name]().process_receipt(own, errors=DISCARD))


def _normalise(value: Any) -> Any:
    """Let tests write addresses as checksummed strings; the decoder yields lower-case ones."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


# ------------------------------------------------------------------------------------------ signing


def signer(seed: int) -> LocalAccount:
    """A deterministic contributor key; it needs no funds, because a relayer pays."""
    return Account.from_key(keccak(text=f"sebrus contract test signer {seed}"))


def contribution_message(
    dataset_address: str, chain_id: int, item_hash: bytes, label: int, contributor: str, deadline: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    domain = {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": dataset_address,
    }
    message = {"contentHash": item_hash, "label": label, "contributor": contributor, "deadline": deadline}
    return domain, message


def contribution_digest(
    dataset_address: str, chain_id: int, item_hash: bytes, label: int, contributor: str, deadline: int
) -> bytes:
    """The EIP-712 digest as eth-account computes it: keccak(0x1901 || domainSeparator || structHash)."""
    domain, message = contribution_message(dataset_address, chain_id, item_hash, label, contributor, deadline)
    signable = encode_typed_data(domain_data=domain, message_types=CONTRIBUTION_TYPES, message_data=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def signed_submission(
    account: LocalAccount,
    dataset_address: str,
    chain_id: int,
    item_hash: bytes,
    label: int,
    deadline: int,
    *,
    contributor: str | None = None,
) -> tuple[bytes, int, str, int, bytes]:
    """A SignedSubmission tuple for submitFor: ``account`` signs on behalf of ``contributor``."""
    contributor = contributor or account.address
    domain, message = contribution_message(dataset_address, chain_id, item_hash, label, contributor, deadline)
    signed = Account.sign_typed_data(
        account.key, domain_data=domain, message_types=CONTRIBUTION_TYPES, message_data=message
    )
    return (item_hash, label, contributor, deadline, bytes(signed.signature))
