"""Input checks that run before any transaction is built.

A malformed address, a hash of the wrong length or a label outside the dataset's set is refused
here with :class:`InvalidInput`, so a bad request never costs gas or leaves a reverted transaction
on the chain.
"""

from __future__ import annotations

from eth_utils import is_address, is_checksum_address, to_checksum_address

from sebrus.chain.errors import InvalidInput


def checked_address(value: object, what: str = "address") -> str:
    if isinstance(value, bytes) and len(value) == 20:
        return to_checksum_address(value)
    if not isinstance(value, str) or not is_address(value):
        raise InvalidInput(f"{what} is not an Ethereum address: {value!r}")
    has_upper = any(c.isupper() for c in value[2:])
    has_lower = any(c.islower() for c in value[2:])
    if has_upper and has_lower and not is_checksum_address(value):
        raise InvalidInput(f"{what} has a bad EIP-55 checksum: {value!r}")
    return to_checksum_address(value)


def checked_hash(value: object, what: str = "content hash") -> bytes:
    """A 32-byte hash from bytes or a 64-digit hex string (with or without 0x)."""
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
    elif isinstance(value, str):
        text = value.removeprefix("0x")
        if len(text) != 64:
            raise InvalidInput(f"{what} must be 32 bytes (64 hex digits), got {len(text)} digits")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise InvalidInput(f"{what} is not hexadecimal: {value!r}") from None
    else:
        raise InvalidInput(f"{what} must be bytes or hex, got {type(value).__name__}")
    if len(raw) != 32:
        raise InvalidInput(f"{what} must be 32 bytes, got {len(raw)}")
    if raw == bytes(32):
        raise InvalidInput(f"{what} must not be zero")
    return raw


def checked_label(label: int | str, labels: tuple[str, ...]) -> int:
    """The label's index in the dataset's set, given an index or a label name."""
    if isinstance(label, bool):
        raise InvalidInput(f"label must be an index or a name, got {label!r}")
    if isinstance(label, int):
        if not 0 <= label < len(labels):
            raise InvalidInput(f"label index {label} is outside the dataset's {len(labels)} labels")
        return label
    if isinstance(label, str):
        try:
            return labels.index(label)
        except ValueError:
            shown = ", ".join(labels[:10]) + (", ..." if len(labels) > 10 else "")
            raise InvalidInput(f"label {label!r} is not in the dataset's label set ({shown})") from None
    raise InvalidInput(f"label must be an index or a name, got {type(label).__name__}")
