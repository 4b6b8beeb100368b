"""Small values every layer shares: content hashes, ETH amounts, atomic JSON files, private files.

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
#: The start of a sha256, as people copy it from a table: 1 to 64 hex digits, either case.
SHA256_PREFIX_PATTERN = r"^[0-9a-fA-F]{1,64}$"

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


#: An amount as people type it: a number, then optionally its unit. Without a unit it is ETH, so that
#: "1000" never means 1000 wei by accident; wei needs the word ("1000 wei").
_AMOUNT = re.compile(r"^\s*(?P<number>.*?)\s*(?P<unit>eth|ether|wei)?\s*$", re.IGNORECASE)


def eth_to_wei(
    text: str, *, allow_zero: bool = False, max_wei: int = MAX_WEI, what: str | None = None
) -> int:
    """An amount typed by a person ("0.01", "1e-3", "0.5 ETH", "1000 wei") as exact wei.

    The one converter every face uses (web forms, the CLI), so an amount means the same everywhere.
    A bare number is ETH; wei is accepted only with its unit, and must then be whole. Exact: the
    arithmetic runs with as many digits as were typed, and the size is checked before multiplying, so
    "1e999999999" is refused instead of overflowing. More than 18 decimals of ETH is refused, never
    rounded: a stake must be what the user typed. ValueError says what is wrong, in ETH. ``what``
    names the amount in the messages ("The stake"); without it they say "The amount". ``max_wei`` is
    exclusive.
    """
    subject = what or "The amount"
    parts = _AMOUNT.fullmatch(text) if len(text) <= _MAX_TYPED + 8 else None
    typed = parts.group("number") if parts else ""
    try:
        amount = Decimal(typed) if 0 < len(typed) <= _MAX_TYPED else None
    except InvalidOperation:
        amount = None
    if amount is None:
        raise ValueError(
            f"{what} must be an amount of ETH, like 0.01 (or wei with its unit: 1000 wei)."
            if what
            else "Enter an amount of ETH, like 0.01 (or wei with its unit: 1000 wei)."
        )
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise ValueError(f"{subject} must be {'zero or more' if allow_zero else 'more than 0'} ETH.")
    in_wei = parts is not None and (parts.group("unit") or "").lower() == "wei"
    scale = 1 if in_wei else WEI_PER_ETH
    limit = format_eth(max_wei, unit=False)
    if amount.adjusted() > len(str(max_wei)) - len(str(scale)) + 2:
        raise ValueError(f"{subject} is too large: it must be below {limit} ETH.")
    with localcontext() as exact:
        exact.prec = len(amount.as_tuple().digits) + 40
        wei = amount * scale
        if wei != wei.to_integral_value() or (amount > 0 and wei < 1):  # < 1: underflowed to 0
            raise ValueError(
                f"{subject} is not a whole number of wei (1 wei is 0.000000000000000001 ETH)."
                if in_wei
                else f"{subject} has more than 18 decimal places (1 wei is 0.000000000000000001 ETH)."
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


#: Modes for what only the server's own user may read: the data directory and the secrets in it
#: (password hashes and keystores in the database, the server secret, operator keys, blobs).
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) a directory only its owner can enter, tightening an existing one.

    Why tighten rather than only create 0700: data directories made by older versions are 0755, and
    everything under a 0700 directory is out of other users' reach whatever the files' own modes
    (LevelDB and blob files are created with the umask's 0644).
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it is missing (no moment at 0644), else chmod it to 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        os.chmod(path, PRIVATE_FILE_MODE)
    return path


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
