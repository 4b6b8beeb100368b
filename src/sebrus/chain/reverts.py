"""Why a contract refused: revert bytes decoded into :class:`ContractReverted`.

Callers branch on the custom error's name (``DuplicateItem``, ``UnknownRelease``), never on web3's
exception classes, so every path that can meet a revert (our transactions, calls, a wallet's
transaction replayed, an offline release check) decodes it here the same way.

Selectors and signatures come from ``eth_utils`` (``abi_to_signature`` and
``function_abi_to_4byte_selector``) rather than being spelled by hand, so struct arguments are
written out exactly as the compiler does. A JSON-RPC node hands the revert bytes over in the
exception's ``data``; the embedded eth-tester chain only prints them into its error text, which
:func:`sebrus.chain.backends.eth_tester_revert_data` reads: it is passed in as a ``reader`` so that this
module knows nothing of any one backend.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_tester.exceptions import TransactionFailed
from eth_utils import (
    collapse_if_tuple,
    function_abi_to_4byte_selector,
    function_signature_to_4byte_selector,
    to_checksum_address,
)
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from sebrus.chain.artifacts import artifact_names, load_artifact
from sebrus.chain.errors import ContractReverted

# What web3 (rpc) or eth-tester (embedded) raise when a call or transaction reverts.
REVERTS = (ContractCustomError, ContractPanicError, ContractLogicError, TransactionFailed)

# Solidity's own reverts: require(..., "message") and assert / arithmetic failures.
ERROR_SELECTOR = function_signature_to_4byte_selector("Error(string)")
PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")

RevertReader = Callable[[Exception], bytes]
"""Finds the revert bytes in a backend's exception when web3 did not attach them (b"" if none)."""


@cache
def custom_errors() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """Every custom error declared by any shipped contract, keyed by its 4-byte selector."""
    errors: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    for name in artifact_names():
        for entry in load_artifact(name).abi:
            if entry.get("type") == "error":
                errors[function_abi_to_4byte_selector(entry)] = (entry["name"], entry["inputs"])  # type: ignore[arg-type]
    return errors


def revert_data(exc: Exception, reader: RevertReader | None = None) -> bytes:
    """The raw revert bytes: from web3's exception ``data``, else from ``reader`` (b"" if neither)."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return reader(exc) if reader is not None else b""


def reverted(exc: Exception, tx_hash: str | None, reader: RevertReader | None = None) -> ContractReverted:
    """``exc`` (one of :data:`REVERTS`) as the contract's error, with its arguments decoded by name."""
    raw = revert_data(exc, reader)
    selector, body = raw[:4], raw[4:]
    if selector == ERROR_SELECTOR:
        (message,) = abi_decode(["string"], body)
        return ContractReverted("Error", {"message": message}, tx_hash)
    if selector == PANIC_SELECTOR:
        (code,) = abi_decode(["uint256"], body)
        return ContractReverted("Panic", {"code": code}, tx_hash)
    known = custom_errors().get(selector)
    if known is None:
        return ContractReverted("Unknown", {"data": "0x" + raw.hex(), "message": str(exc)}, tx_hash)
    name, inputs = known
    values = abi_decode([collapse_if_tuple(i) for i in inputs], body)
    arguments = {
        i["name"]: to_checksum_address(v) if i["type"] == "address" else plain(v)
        for i, v in zip(inputs, values, strict=True)
    }
    return ContractReverted(name, arguments, tx_hash)


def plain(value: Any) -> Any:
    """Decoded ABI values as plain Python: bytes for HexBytes, lists for tuples and arrays."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
