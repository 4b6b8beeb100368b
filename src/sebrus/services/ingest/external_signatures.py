"""Contributions signed by the contributor's own wallet (a browser wallet, a hardware key), relayed by us.

The server hands out the EIP-712 ``Contribution`` to sign (``typed_data_for``); the wallet signs it
with ``eth_signTypedData_v4``; the upload carries the signature, and the relayer sends it as it is:
the server never holds that key, so it cannot sign again. That is why a signature is checked here
before anything is stored, and why its deadline must leave the relayer time to send it (the relayer
fails entries whose signature is about to expire and that it cannot re-sign).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.ledger import SIGNATURE_TTL_SECONDS
from sebrus.chain.signing import contribution_typed_data, recover_contributor
from sebrus.db.models import Dataset, User, Wallet, WalletKind
from sebrus.primitives import is_canonical_sha256
from sebrus.services.addresses import normalize_address
from sebrus.services.errors import InvalidInput

MIN_REMAINING_SECONDS = 10 * 60  # well above the relayer's re-sign margin (two minutes)
MAX_AHEAD_SECONDS = 7 * 86400
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")


@dataclass(frozen=True)
class Presigned:
    """What an upload signed by the contributor's own wallet carries besides the bytes."""

    contributor: str
    deadline: int
    signature: str  # 0x-prefixed, 65 bytes


def linked_wallet(db: Session, user: User, address: str) -> Wallet:
    """The external wallet ``address`` if ``user`` linked it; refuses anyone else's address."""
    try:
        wanted = normalize_address(address)
    except InvalidInput:
        raise InvalidInput(f"{address!r:.50} is not a wallet address.", field="contributor") from None
    wallet = db.scalar(
        select(Wallet).where(
            Wallet.user_id == user.id, Wallet.address == wanted, Wallet.kind == WalletKind.EXTERNAL
        )
    )
    if wallet is None:
        raise InvalidInput(
            f"Wallet {wanted} is not linked to your account; link it first (POST /api/wallets/challenge).",
            field="contributor",
        )
    return wallet


def _label_index(dataset: Dataset, label: str) -> int:
    if label not in dataset.labels:
        shown = ", ".join(dataset.labels[:20])
        raise InvalidInput(f"Label {label!r} is not in this dataset's label set ({shown}).", field="label")
    return list(dataset.labels).index(label)


def _chain_id(dataset: Dataset) -> int:
    if dataset.chain_id is None:
        raise InvalidInput("This dataset is not anchored on a chain, so nothing can be signed for it.")
    return dataset.chain_id


def typed_data_for(
    db: Session,
    dataset: Dataset,
    user: User,
    *,
    content_hash: str,
    label: str,
    contributor: str,
    now: float | None = None,
) -> dict[str, Any]:
    """The ``eth_signTypedData_v4`` payload for one image, with a deadline the relayer can meet."""
    if not is_canonical_sha256(content_hash):
        raise InvalidInput("`sha256` must be the image's sha256: 64 lowercase hex digits.", field="sha256")
    wallet = linked_wallet(db, user, contributor)
    typed = contribution_typed_data(
        chain_id=_chain_id(dataset),
        dataset=dataset.address,
        content_hash=bytes.fromhex(content_hash),
        label=_label_index(dataset, label),
        contributor=wallet.address,
        deadline=int(now if now is not None else time.time()) + SIGNATURE_TTL_SECONDS,
    )
    typed["message"]["contentHash"] = "0x" + content_hash  # JSON has no bytes; wallets take 0x-hex
    return typed


def verify(
    dataset: Dataset, *, content_hash: str, label: str, presigned: Presigned, now: float | None = None
) -> int:
    """Refuse a signature the chain would refuse or the relayer could not send in time; returns the
    label's index. The signer must be ``presigned.contributor`` itself."""
    moment = now if now is not None else time.time()
    index = _label_index(dataset, label)
    if not moment + MIN_REMAINING_SECONDS <= presigned.deadline <= moment + MAX_AHEAD_SECONDS:
        raise InvalidInput(
            "`deadline` must lie between 10 minutes and 7 days from now; ask for fresh typed data to sign.",
            field="deadline",
        )
    if not _SIGNATURE.fullmatch(presigned.signature):
        raise InvalidInput("`signature` must be 65 bytes as 0x-prefixed hex.", field="signature")
    contributor = normalize_address(presigned.contributor)
    try:
        signer = recover_contributor(
            bytes.fromhex(presigned.signature[2:]),
            chain_id=_chain_id(dataset),
            dataset=dataset.address,
            content_hash=bytes.fromhex(content_hash),
            label=index,
            contributor=contributor,
            deadline=presigned.deadline,
        )
    except Exception:  # eth-keys raises several kinds for a malformed signature
        raise InvalidInput("`signature` is not a valid Ethereum signature.", field="signature") from None
    if signer != contributor:
        raise InvalidInput(
            "`signature` was not made by the contributor's wallet for this image, label and dataset.",
            field="signature",
        )
    return index
