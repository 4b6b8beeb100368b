"""Ethereum JSON-RPC values in and out: hex quantities, block tags, call objects, filters; blocks,
transactions, receipts and logs as geth writes them.

eth-tester speaks Python (ints, snake_case keys); wallets and web3 clients speak the JSON-RPC
specification (``0x`` quantities, camelCase keys, ``miner``, ``input``, a receipt's ``logsBloom``).
Every parameter is checked here and a bad one answers -32602 naming the argument, before the chain
is touched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from eth_bloom import BloomFilter
from eth_utils import is_hex_address, to_checksum_address

from sebrus.chain.embedded_store import LogEntry
from sebrus.chain.jsonrpc import INVALID_PARAMS, RpcError

BLOCK_TAGS: Final = frozenset({"latest", "earliest", "pending", "safe", "finalized"})
MAX_UINT256: Final = 2**256 - 1
BLOOM_BYTES: Final = 256

_QUANTITY = re.compile(r"0x(0|[1-9a-fA-F][0-9a-fA-F]*)")
_DATA = re.compile(r"0x([0-9a-fA-F]{2})*")

# Call-object quantities: JSON-RPC name -> eth-tester name.
_CALL_QUANTITIES: Final = {
    "gas": "gas",
    "gasPrice": "gas_price",
    "maxFeePerGas": "max_fee_per_gas",
    "maxPriorityFeePerGas": "max_priority_fee_per_gas",
    "value": "value",
    "nonce": "nonce",
}

# Keys whose JSON-RPC name is not the camelCase of eth-tester's.
_RENAMED: Final = {"coinbase": "miner"}
_TRANSACTION_RENAMED: Final = {**_RENAMED, "data": "input"}
_DROPPED: Final = frozenset({"state_root"})  # a receipt's pre-Byzantium root; post-Byzantium has status


def invalid(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid params: {message}")


# ------------------------------------------------------------------------------------------------ in


def quantity(value: Any, name: str) -> int:
    """A ``0x`` quantity (no leading zeros, at most 256 bits)."""
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise invalid(f"{name} must be a hex quantity such as 0x1a, got {value!r}")
    number = int(value, 16)
    if number > MAX_UINT256:
        raise invalid(f"{name} does not fit in 256 bits")
    return number


def count(value: Any, name: str) -> int:
    """A count given as a hex quantity or a plain JSON integer (geth accepts both for blockCount)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise invalid(f"{name} cannot be negative")
        return value
    return quantity(value, name)


def data(value: Any, name: str) -> str:
    """``0x``-prefixed bytes, an even number of hex digits."""
    if not isinstance(value, str) or not _DATA.fullmatch(value):
        raise invalid(f"{name} must be 0x-prefixed hex bytes")
    return value.lower()


def hash32(value: Any, name: str) -> str:
    digest = data(value, name)
    if len(digest) != 66:
        raise invalid(f"{name} must be 32 bytes")
    return digest


def address(value: Any, name: str) -> str:
    if not isinstance(value, str) or not is_hex_address(value):
        raise invalid(f"{name} must be a 20-byte hex address, got {value!r}")
    return str(to_checksum_address(value))


def block_id(value: Any, name: str = "block") -> int | str:
    """A block tag or number; an EIP-1898 ``{"blockNumber": ...}`` object too. Missing means latest."""
    if value is None:
        return "latest"
    if isinstance(value, dict):
        if set(value) - {"blockNumber", "blockHash", "requireCanonical"}:
            raise invalid(f"{name} object takes blockNumber or blockHash")
        if "blockNumber" in value:
            return block_id(value["blockNumber"], name)
        raise invalid(f"{name} by hash is not served here; give its number")
    if value in BLOCK_TAGS:
        return str(value)
    return quantity(value, name)


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"{name} must be true or false")
    return value


def call_object(value: Any) -> dict[str, Any]:
    """An eth_call / eth_estimateGas transaction in eth-tester's terms; ``from`` is left to the caller."""
    if not isinstance(value, dict):
        raise invalid("the transaction must be an object")
    tx: dict[str, Any] = {}
    if value.get("from") is not None:
        tx["from"] = address(value["from"], "from")
    if value.get("to") is not None:
        tx["to"] = address(value["to"], "to")
    payload = value.get("input", value.get("data"))
    if payload is not None:
        tx["data"] = data(payload, "input")
    for rpc_name, tester_name in _CALL_QUANTITIES.items():
        if value.get(rpc_name) is not None:
            tx[tester_name] = quantity(value[rpc_name], rpc_name)
    if "gas_price" in tx and ("max_fee_per_gas" in tx or "max_priority_fee_per_gas" in tx):
        raise invalid("give either gasPrice or maxFeePerGas/maxPriorityFeePerGas, not both")
    if not {"gas_price", "max_fee_per_gas", "max_priority_fee_per_gas"} & set(tx):
        # No fee offered: like geth, simulate for free, so any sender may read without ether.
        tx.update(max_fee_per_gas=0, max_priority_fee_per_gas=0)
    return tx


@dataclass(frozen=True)
class LogQuery:
    """An eth_getLogs filter: the block range (ids, resolved later), addresses and topics as bytes.

    No addresses means any; each topic position is None (any) or the values it may take.
    """

    from_block: int | str
    to_block: int | str
    addresses: tuple[bytes, ...]
    topics: tuple[tuple[bytes, ...] | None, ...]


def log_filter(value: Any) -> LogQuery:
    if not isinstance(value, dict):
        raise invalid("the filter must be an object")
    unknown = set(value) - {"fromBlock", "toBlock", "address", "topics", "blockHash"}
    if unknown:
        raise invalid(f"unknown filter fields {sorted(unknown)}")
    if value.get("blockHash") is not None:
        raise invalid("filtering by blockHash is not served here; give fromBlock and toBlock")
    wanted = value.get("address")
    listed = wanted if isinstance(wanted, list) else [] if wanted is None else [wanted]
    topics = value.get("topics")
    if topics is not None and (not isinstance(topics, list) or len(topics) > 4):
        raise invalid("topics must be an array of at most 4 positions")
    return LogQuery(
        from_block=block_id(value.get("fromBlock"), "fromBlock"),
        to_block=block_id(value.get("toBlock"), "toBlock"),
        addresses=tuple(bytes.fromhex(address(a, "address")[2:]) for a in listed),
        topics=tuple(_topic(t) for t in topics or ()),
    )


def _topic(position: Any) -> tuple[bytes, ...] | None:
    if position is None:
        return None
    values = position if isinstance(position, list) else [position]
    return tuple(bytes.fromhex(hash32(t, "topic")[2:]) for t in values)


# ------------------------------------------------------------------------------------------------ out


def hex_quantity(number: int) -> str:
    return hex(number)


def encode_block(block: Mapping[str, Any]) -> dict[str, Any]:
    encoded = _encode(block, _RENAMED)
    encoded["logsBloom"] = _bloom_hex(int(block.get("logs_bloom", 0) or 0))
    transactions = block.get("transactions", ())
    encoded["transactions"] = [t if isinstance(t, str) else encode_transaction(t) for t in transactions]
    return encoded


def encode_transaction(tx: Mapping[str, Any]) -> dict[str, Any]:
    encoded = _encode(tx, _TRANSACTION_RENAMED)
    if encoded.get("to") == "":
        encoded["to"] = None  # contract creation
    return encoded


def encode_receipt(receipt: Mapping[str, Any]) -> dict[str, Any]:
    encoded = _encode({k: v for k, v in receipt.items() if k != "logs"}, _RENAMED)
    logs = receipt.get("logs", ())
    encoded["logs"] = [encode_log(entry) for entry in logs]
    encoded["logsBloom"] = _bloom_hex(int(_bloom_of(logs)))
    if encoded.get("to") == "":
        encoded["to"] = None
    return encoded


def encode_log(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A receipt's log as eth-tester serialises it."""
    encoded = _encode({k: v for k, v in entry.items() if k != "type"}, _RENAMED)
    encoded["removed"] = False  # the embedded chain never reorganises
    return encoded


def encode_log_entry(entry: LogEntry) -> dict[str, Any]:
    """A log found by eth_getLogs (read from py-evm directly)."""
    return {
        "address": to_checksum_address(entry.address),
        "topics": ["0x" + t.hex() for t in entry.topics],
        "data": "0x" + entry.data.hex(),
        "blockNumber": hex(entry.block_number),
        "blockHash": "0x" + entry.block_hash.hex(),
        "transactionHash": "0x" + entry.transaction_hash.hex(),
        "transactionIndex": hex(entry.transaction_index),
        "logIndex": hex(entry.log_index),
        "removed": False,
    }


def _encode(record: Mapping[str, Any], renamed: Mapping[str, str]) -> dict[str, Any]:
    return {
        renamed.get(key, _camel(key)): _value(value) for key, value in record.items() if key not in _DROPPED
    }


def _value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {_camel(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__} as JSON-RPC")


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _bloom_hex(bloom: int) -> str:
    return "0x" + bloom.to_bytes(BLOOM_BYTES, "big").hex()


def _bloom_of(logs: Any) -> BloomFilter:
    bloom = BloomFilter()
    for entry in logs:
        bloom.add(bytes.fromhex(str(entry["address"])[2:]))
        for topic in entry.get("topics", ()):
            bloom.add(bytes.fromhex(str(topic)[2:]))
    return bloom
