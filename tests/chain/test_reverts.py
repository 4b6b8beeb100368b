"""Revert decoding: selectors from eth_utils, bytes from web3's exception data or eth-tester's text."""

from __future__ import annotations

from eth_abi import encode as abi_encode
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3.exceptions import ContractCustomError

from sebrus.chain.backends import eth_tester_revert_data
from sebrus.chain.reverts import ERROR_SELECTOR, PANIC_SELECTOR, custom_errors, revert_data, reverted

DATASET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _rpc_error(raw: bytes) -> ContractCustomError:
    """What web3 raises for a node's revert: the bytes in ``data``, as hex."""
    return ContractCustomError("execution reverted", data="0x" + raw.hex())


def test_every_shipped_custom_error_is_known_by_its_keccak_selector() -> None:
    errors = custom_errors()
    assert errors[keccak(text="UnknownRelease(address,uint64)")[:4]][0] == "UnknownRelease"
    assert errors[keccak(text="DuplicateItem(bytes32)")[:4]][0] == "DuplicateItem"
    assert keccak(text="Error(string)")[:4] == ERROR_SELECTOR
    assert keccak(text="Panic(uint256)")[:4] == PANIC_SELECTOR


def test_a_custom_error_is_decoded_by_name_with_checksummed_addresses() -> None:
    raw = keccak(text="UnknownRelease(address,uint64)")[:4]
    raw += abi_encode(["address", "uint64"], [DATASET.lower(), 7])
    refused = reverted(_rpc_error(raw), "0xabc")
    assert refused.error == "UnknownRelease"
    assert refused.arguments == {"dataset": DATASET, "version": 7}
    assert refused.tx_hash == "0xabc"


def test_plain_reverts_and_panics_keep_their_message_and_code() -> None:
    message = reverted(_rpc_error(ERROR_SELECTOR + abi_encode(["string"], ["no"])), None)
    assert (message.error, message.arguments) == ("Error", {"message": "no"})
    panic = reverted(_rpc_error(PANIC_SELECTOR + abi_encode(["uint256"], [0x11])), None)
    assert (panic.error, panic.arguments) == ("Panic", {"code": 0x11})


def test_unknown_selectors_are_reported_with_their_bytes() -> None:
    refused = reverted(_rpc_error(bytes.fromhex("deadbeef")), None)
    assert refused.error == "Unknown"
    assert refused.arguments["data"] == "0xdeadbeef"


def test_eth_tester_text_is_read_only_through_the_embedded_backends_reader() -> None:
    raw = keccak(text="DuplicateItem(bytes32)")[:4] + b"\x01" * 32
    failed = TransactionFailed(f"execution reverted: {raw!r}")
    assert revert_data(failed) == b""  # no reader: nothing in the exception's data
    assert revert_data(failed, eth_tester_revert_data) == raw
    refused = reverted(failed, None, eth_tester_revert_data)
    assert (refused.error, refused.arguments) == ("DuplicateItem", {"contentHash": b"\x01" * 32})


def test_the_tester_reader_never_evaluates_anything_but_a_bytes_literal() -> None:
    assert eth_tester_revert_data(TransactionFailed("execution reverted: Nope")) == b""
    assert eth_tester_revert_data(TransactionFailed("out of gas")) == b""
    assert eth_tester_revert_data(TransactionFailed()) == b""
