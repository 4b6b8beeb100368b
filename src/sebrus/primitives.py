"""Small values every layer shares: content hashes, ETH amounts, atomic JSON files.

One definition each, because the copies drifted: sha256 checks that disagreed on upper case, and ETH
formatting that rounded in one place and not in another. This module imports nothing from sebrus, so
any layer (detect included) may use it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Annotated, Any, TypeGuard

from pydantic import StringConstraints

# ---------------------------------------------------------------------------------------------- hashes

#: 64 hex digits, either case: for OpenAPI path and query parameters, which take a pattern.
SHA256_HEX_PATTERN = r"^[0-9a-fA-F]{64}$"
_SHA256_HEX = re.compile(SHA256_HEX_PATTERN)

#: A sha256 as 64 hex digits, either case on the way in, lower case once validated (pydantic).
Sha256Hex = Annotated[
    str, StringConstraints(min_length=64, max_length=64, pattern=SHA256_HEX_PATTERN, to_lower=True)
]


def is_sha256_hex(value: object) -> TypeGuard[str]:
    """64 hex digits, either case (content hashes are stored and compared in lower case)."""
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def is_canonical_sha256(value: object) -> bool:
    """64 lower-case hex digits: the one spelling stored, used as a blob key and signed over."""
    return is_sha256_hex(value) and value == value.lower()


def normalize_sha256(value: str) -> str:
    """The lower-case form of a sha256 typed or sent in either case; ValueError names what is wrong."""
    text = value.strip()
    if text.startswith(("0x", "0X")):
        text = text[2:]
    if not is_sha256_hex(text):
        raise ValueError(f"{value[:80]!r} is not a sha256 (64 hexadecimal digits)")
    return text.lower()


# ---------------------------------------------------------------------------------------------- datasets

#: The Dataset contract's own limits (``Dataset.MAX_LABELS``, ``MAX_LABEL_BYTES``, ``MAX_BATCH``); a test
#: reads them from the compiled contract, so the platform refuses what the chain would, before sending.
DATASET_MAX_LABELS = 1024
DATASET_MAX_LABEL_BYTES = 64  # UTF-8 bytes of one label name
DATASET_MAX_BATCH = 256  # items anchored by one submitBatch


# ---------------------------------------------------------------------------------------------- ETH

WEI_PER_ETH = 10**18
#: The contracts keep amounts in uint96: every amount must stay below this.
MAX_WEI = 2**96
_MAX_TYPED = 80  # characters of an amount worth parsing; anything longer is refused unread


def eth_to_wei(
    text: str, *, allow_zero: bool = False, max_wei: int = MAX_WEI, what: str | None = None
) -> int:
    """An amount typed in ETH ("0.01", "1e-3") as exact wei; ValueError says what is wrong with it.

    Exact: the arithmetic runs with as many digits as were typed, and the size is checked before
    multiplying, so "1e999999999" is refused instead of overflowing. More than 18 decimals is refused,
    never rounded: a stake must be what the user typed. ``what`` names the amount in the messages
    ("The stake"); without it they say "The amount". ``max_wei`` is exclusive.
    """
    typed = text.strip()
    subject = what or "The amount"
    try:
        amount = Decimal(typed) if 0 < len(typed) <= _MAX_TYPED else None
    except InvalidOperation:
        amount = None
    if amount is None:
        raise ValueError(
            f"{what} must be an amount of ETH, like 0.01." if what else "Enter an amount of ETH, like 0.01."
        )
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise ValueError(f"{subject} must be {'zero or more' if allow_zero else 'more than 0'} ETH.")
    limit = format_eth(max_wei, unit=False)
    if amount.adjusted() > len(str(max_wei)) - 18 + 1:
        raise ValueError(f"{subject} is too large: it must be below {limit} ETH.")
    with localcontext() as exact:
        exact.prec = len(amount.as_tuple().digits) + 40
        wei = amount * WEI_PER_ETH
        if wei != wei.to_integral_value() or (amount > 0 and wei < 1):  # < 1: underflowed to 0
            raise ValueError(
                f"{subject} has more than 18 decimal places (1 wei is 0.000000000000000001 ETH)."
            )
    if int(wei) >= max_wei:
        raise ValueError(f"{subject} is too large: it must be below {limit} ETH.")
    return int(wei)


def format_eth(wei: int, *, unit: bool = True, places: int | None = None) -> str:
    """Wei as ETH without trailing zeros: exact by default (0.000000000000000001 ETH, 1.5 ETH, 0 ETH).

    ``places`` rounds for display (half to even) and groups thousands (1,234.5 ETH): a wallet's
    balance on a page; amounts a user typed or will pay are shown exactly.
    """
    if places is not None:
        amount = (Decimal(int(wei)) / WEI_PER_ETH).quantize(Decimal(1).scaleb(-places))
        text = f"{amount:,f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        text = "0" if text in ("-0", "") else text
    else:
        sign = "-" if wei < 0 else ""
        whole, fraction = divmod(abs(int(wei)), WEI_PER_ETH)
        text = f"{sign}{whole}" + (f".{fraction:018d}".rstrip("0") if fraction else "")
    return f"{text} ETH" if unit else text


# ---------------------------------------------------------------------------------------------- files


def atomic_write_text(path: Path, text: str, *, private: bool = False) -> Path:
    """Replace ``path`` so that readers see the old file or the new one, never half of either.

    The temporary file sits beside the target (same file system, so the rename is atomic), has a name
    of its own (two writers never share one), and is fsynced before the rename. ``private`` files
    (keys, tokens) are 0600 before any byte is in them; others get the usual 0644.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600 if private else 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: Path, data: Any, *, indent: int | None = 2, private: bool = False) -> Path:
    """``data`` as JSON through :func:`atomic_write_text`; nothing is written if it does not serialise."""
    return atomic_write_text(path, json.dumps(data, indent=indent), private=private)


def iso_utc(timestamp: int) -> str:
    """Seconds since the epoch as ISO 8601 UTC (``2026-12-06T08:10:00Z``): how answers name chain times."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
