"""Checking a model against the chain: its sha256 recomputed and compared with the anchored one.

Used by the download (the server refuses to hand out bytes that no longer match) and by anyone who
holds a copy (``sebrus federate verify``, which reads the chain itself through a JSON-RPC URL).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sebrus.blobs.base import BlobNotFound, BlobStore
from sebrus.chain.errors import LedgerError
from sebrus.chain.federation import FederationLedger
from sebrus.db.models import Federation
from sebrus.services.errors import Conflict, NotFound
from sebrus.services.review.chain_link import ChainUnavailable


@dataclass(frozen=True)
class ModelCheck:
    sha256: str  # of the bytes checked
    anchored_sha256: str | None  # what the chain holds (None: no final model recorded yet)

    @property
    def matches(self) -> bool:
        return self.anchored_sha256 == self.sha256


def check_model_bytes(ledger: FederationLedger, federation: Federation, data: bytes) -> ModelCheck:
    """``data``'s sha256 beside the final model's hash the chain holds for ``federation``."""
    try:
        summary = ledger.federation(federation.chain_federation_id)
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not read the federation from the chain: {exc}") from exc
    anchored = None if summary is None or summary.model_sha256 is None else summary.model_sha256.hex()
    return ModelCheck(sha256=hashlib.sha256(data).hexdigest(), anchored_sha256=anchored)


def verified_model(ledger: FederationLedger, blobs: BlobStore, federation: Federation) -> bytes:
    """The final model's bytes, only when they hash to what the row and the chain say."""
    if federation.model_sha256 is None:
        raise NotFound(f"Federation {federation.id} has no final model yet.")
    try:
        data = blobs.get(federation.model_sha256)
    except BlobNotFound:
        raise NotFound(
            f"The final model of federation {federation.id} is missing from the blob store."
        ) from None
    check = check_model_bytes(ledger, federation, data)
    if check.sha256 != federation.model_sha256 or not check.matches:
        raise Conflict(
            f"The stored model hashes to {check.sha256}, the chain holds {check.anchored_sha256}: "
            "it is not handed out."
        )
    return data
