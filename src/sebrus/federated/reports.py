"""Signed loss reports and the canonical bytes that get hashed.

Canonical bytes of a parameter list (an update or the aggregate): every array cast to float32,
C order, little-endian, concatenated in the model's state_dict order, with no header. Shapes are
not in the bytes; they are fixed by the federation's model, and the server refuses an update whose
shapes differ before hashing it.

A loss report is signed with EIP-191 (``personal_sign``) over this UTF-8 text, one field a line::

    SeBRUS federated loss report
    federation: <id>
    round: <round>
    wallet: <checksummed address>
    noisy_loss: <repr of the float>
    num_examples: <int>
    update_sha256: <hex sha256 of the update's canonical bytes>

The server rebuilds the text from what it expects (its own federation id and round) and what it
received (the update it hashes itself), so a report replayed into another round or federation, or
attached to a different update, fails to verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from sebrus.federated.records import LossReport


def canonical_bytes(arrays: Sequence[np.ndarray]) -> bytes:
    return b"".join(np.ascontiguousarray(a, dtype="<f4").tobytes() for a in arrays)


def params_sha256(arrays: Sequence[np.ndarray]) -> str:
    return hashlib.sha256(canonical_bytes(arrays)).hexdigest()


def report_message(
    federation_id: int,
    round_index: int,
    wallet: str,
    noisy_loss: float,
    num_examples: int,
    update_sha256: str,
) -> str:
    return (
        "SeBRUS federated loss report\n"
        f"federation: {int(federation_id)}\n"
        f"round: {int(round_index)}\n"
        f"wallet: {wallet}\n"
        f"noisy_loss: {float(noisy_loss)!r}\n"
        f"num_examples: {int(num_examples)}\n"
        f"update_sha256: {update_sha256}"
    )


def sign_report(
    account: LocalAccount,
    federation_id: int,
    round_index: int,
    noisy_loss: float,
    num_examples: int,
    update_sha256: str,
) -> LossReport:
    text = report_message(
        federation_id, round_index, account.address, noisy_loss, num_examples, update_sha256
    )
    signed = account.sign_message(encode_defunct(text=text))
    return LossReport(
        account.address,
        float(noisy_loss),
        int(num_examples),
        "0x" + signed.signature.hex().removeprefix("0x"),
    )


def recover_wallet(
    report: LossReport, federation_id: int, round_index: int, update_sha256: str
) -> str | None:
    """The address that signed ``report`` for this round and update, or None if the signature is bad."""
    text = report_message(
        federation_id, round_index, report.wallet, report.noisy_loss, report.num_examples, update_sha256
    )
    try:
        return str(Account.recover_message(encode_defunct(text=text), signature=report.signature))
    except Exception:  # eth_account raises several types for malformed signatures
        return None


def loss_reports_sha256(reports: Sequence[LossReport]) -> str:
    """sha256 of the reports as canonical JSON (sorted keys, no spaces), in the record's order."""
    text = json.dumps([asdict(r) for r in reports], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
