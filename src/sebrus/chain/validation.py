"""Input checks that run before any transaction is built.

A malformed address, a hash of the wrong length or a label outside the dataset's set is refused
here with :class:`InvalidInput`, so a bad request never costs gas or leaves a reverted transaction
on the chain. The checks a dataset's contract would make (its labels, a payload's hash, a batch's
size, a relayed signature's shape and deadline) live here too, beside the primitives they use.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from eth_utils import is_address, is_checksum_address, to_checksum_address

from sebrus.chain.errors import InvalidInput
from sebrus.chain.types import DatasetInfo, SignedSubmission, Submission
from sebrus.primitives import DATASET_MAX_LABEL_BYTES, DATASET_MAX_LABELS


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


def checked_dataset_labels(name: str, labels: Sequence[str]) -> tuple[str, ...]:
    """A new dataset's labels, once its name and labels are known to fit the contract."""
    labels = tuple(labels)
    if not name.strip():
        raise InvalidInput("a dataset needs a name")
    if not labels:
        raise InvalidInput("a dataset needs at least one label")
    if len(set(labels)) != len(labels):
        raise InvalidInput("labels must be distinct")
    for label in labels:
        if not 0 < len(label.encode()) <= DATASET_MAX_LABEL_BYTES:
            raise InvalidInput(f"label {label!r} must be 1 to {DATASET_MAX_LABEL_BYTES} bytes long")
    if len(labels) > DATASET_MAX_LABELS:
        raise InvalidInput(f"a dataset may have at most {DATASET_MAX_LABELS} labels, got {len(labels)}")
    return labels


def checked_submission(info: DatasetInfo, item: Submission, label: int | str) -> Submission:
    index = checked_label(label, info.labels)
    digest = checked_hash(item.content_hash)
    check_payload(info, digest, item.payload)
    return Submission(digest, index, item.payload)


def checked_signed(info: DatasetInfo, signed: SignedSubmission) -> SignedSubmission:
    checked_label(signed.label, info.labels)
    digest = checked_hash(signed.content_hash)
    contributor = checked_address(signed.contributor, "contributor")
    if len(signed.signature) != 65:
        raise InvalidInput(f"a contribution signature is 65 bytes, got {len(signed.signature)}")
    if signed.deadline < int(time.time()):
        raise InvalidInput(f"the contribution signature expired at {signed.deadline}")
    check_payload(info, digest, signed.payload)
    return SignedSubmission(
        digest, signed.label, contributor, signed.deadline, signed.signature, signed.payload
    )


def check_payload(info: DatasetInfo, digest: bytes, payload: bytes) -> None:
    if info.payload_on_chain:
        if not payload:
            raise InvalidInput(f"dataset {info.name!r} stores images on chain: the image bytes are required")
        if hashlib.sha256(payload).digest() != digest:
            raise InvalidInput("the image bytes do not hash to the content hash")
    elif payload:
        raise InvalidInput(f"dataset {info.name!r} does not store images on chain: send only the hash")


def check_batch_size(size: int, maximum: int) -> None:
    if size == 0:
        raise InvalidInput("a batch needs at least one item")
    if size > maximum:
        raise InvalidInput(f"a batch holds at most {maximum} items, got {size}")


def check_no_repeats(hashes: list[bytes]) -> None:
    if len(set(hashes)) != len(hashes):
        raise InvalidInput("the batch holds the same content hash twice")
