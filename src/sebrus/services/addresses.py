"""Ethereum address checks shared by wallets and datasets."""

from __future__ import annotations

import re

from eth_utils import to_checksum_address

from sebrus.services.errors import InvalidInput

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def is_hex_address(value: object) -> bool:
    """0x and 40 hex digits, any case: the shape of an address, before any checksum is looked at."""
    return isinstance(value, str) and _HEX_ADDRESS.fullmatch(value) is not None


def normalize_address(value: object, field: str = "address") -> str:
    """Return the EIP-55 checksummed form.

    All-lowercase or all-uppercase input is accepted as unchecksummed; mixed
    case must carry a valid checksum, because a wrong one usually means a typo.
    """
    if not isinstance(value, str) or not is_hex_address(value):
        raise InvalidInput(
            f"`{field}` must be an Ethereum address: 0x followed by 40 hex digits.", field=field
        )
    checksummed = to_checksum_address(value)
    body = value[2:]
    if body != body.lower() and body != body.upper() and value != checksummed:
        raise InvalidInput(f"`{field}` has an invalid EIP-55 checksum (check it for typos).", field=field)
    return checksummed
