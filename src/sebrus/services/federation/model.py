"""The federation's final model: a release-like artefact, its bytes in the blob store, its hash on chain.

The bytes are checked against the hash the engine computed, stored under their sha256 (the blob key
is the hash, as for images), and then the hash is anchored once on the FederationLog; the row is
updated last. A retry finds the row (or the chain) already holding the same hash and changes nothing.
Downloads are checked again against the row and the chain (``verify``).
"""

from __future__ import annotations

import hashlib

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.federation import FederationLedger
from sebrus.db.models import Federation, FederationRound
from sebrus.db.models.federations import FEDERATION_FINISHED
from sebrus.primitives import normalize_sha256
from sebrus.services import audit_log
from sebrus.services.errors import Conflict, InvalidInput
from sebrus.services.review.chain_link import ChainUnavailable

#: The largest final model kept; as large as an owner's uploaded scan model may be.
MAX_FINAL_MODEL_BYTES = 128 * 1024 * 1024


def record_final_model(
    db: Session,
    ledger: FederationLedger,
    operator: LocalAccount,
    blobs: BlobStore,
    federation: Federation,
    model_sha256: str,
    model_bytes: bytes,
) -> Federation:
    """Keep and anchor the final model; commits. Idempotent for the same bytes."""
    try:
        claimed = normalize_sha256(model_sha256)
    except ValueError as exc:
        raise InvalidInput(f"The model's hash must be a sha256: {exc}.", field="sha256") from None
    if len(model_bytes) > MAX_FINAL_MODEL_BYTES:
        raise InvalidInput(
            f"The model is larger than the limit of {MAX_FINAL_MODEL_BYTES:,} bytes.", field="file"
        )
    actual = hashlib.sha256(model_bytes).hexdigest()
    if actual != claimed:
        raise InvalidInput(
            f"The model's bytes hash to {actual}, not to the {claimed} sent with them.", field="sha256"
        )
    if federation.model_sha256 is not None:
        if federation.model_sha256 != actual:
            raise Conflict(
                f"Federation {federation.id} already has a final model ({federation.model_sha256})."
            )
        return federation
    has_round = db.scalar(
        select(FederationRound.id).where(FederationRound.federation_id == federation.id).limit(1)
    )
    if has_round is None:
        raise Conflict("A final model comes after at least one anchored round; this federation has none.")
    stored = blobs.put(model_bytes)
    tx_hash = _anchor(ledger, operator, federation, actual)
    federation.model_sha256 = actual
    federation.model_size = stored.size
    federation.model_tx_hash = tx_hash
    federation.status = FEDERATION_FINISHED
    audit_log.record(
        db,
        "federation.final_model",
        f"dataset:{federation.dataset_id}",
        details={"federation": federation.id, "sha256": actual, "tx_hash": tx_hash},
    )
    db.commit()
    return federation


def _anchor(ledger: FederationLedger, operator: LocalAccount, federation: Federation, sha256: str) -> str:
    """The transaction that anchored ``sha256``: sent now, or found from a crashed attempt."""
    try:
        summary = ledger.federation(federation.chain_federation_id)
        if summary is not None and summary.model_sha256 is not None:
            if summary.model_sha256.hex() != sha256:
                raise Conflict(
                    f"The chain holds another final model for this federation ({summary.model_sha256.hex()})."
                )
            found = ledger.final_model_events(federation.chain_federation_id, federation.open_block)
            return found[0][1] if found else ""
        return ledger.record_final_model(operator, federation.chain_federation_id, sha256).tx_hash
    except ContractReverted as exc:
        raise ChainUnavailable(f"The chain refused the final model: {exc}") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not anchor the final model: {exc}") from exc
