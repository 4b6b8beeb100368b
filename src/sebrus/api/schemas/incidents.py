"""Request bodies and answers of the monitoring and incident routes: metrics, revocations, trace."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from sebrus.api.schemas.common import Answer, StatusAnswer
from sebrus.db.models import ReleaseMetric, Revocation
from sebrus.services.incidents import revocations


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contributor: str = Field(min_length=42, max_length=42, description="The wallet address to revoke.")
    reason: str = Field(min_length=1, max_length=1000, description="Why; its sha256 goes on chain.")


class ClearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[str] | None = Field(
        default=None,
        max_length=10_000,
        description="sha256 of the held items to clear (released even if the rescan flagged them). "
        "Omit it to clear only the held items the revocation's rescan scored and found unremarkable: "
        "flagged items, items scoring above 95% of other contributors' items, unscored items, and all "
        "of them when the rescan scores the contributor as a group above everyone else, stay held. "
        "Until that rescan has finished with results, omitting it is refused with 409.",
    )
    note: str = Field(min_length=1, max_length=1000, description="What the new check was.")


class ReinstateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


# ---------------------------------------------------------------------------------------------- answers


class MetricOut(Answer):
    version: int
    state: str
    message: str
    accuracy: float | None
    per_class: dict[str, Any] = Field(
        description="Per label: accuracy, mean true-label probability and the soft confusion row."
    )
    n_train: int
    n_heldout: int
    previous_version: int | None
    previous_accuracy: float | None
    drop: float | None
    threshold: float
    alert: bool
    sources: dict[str, Any] = Field(description="The alert's likely sources (per-image evidence left out).")
    error: str | None
    finished_at: str | None


def metric_json(metric: ReleaseMetric) -> dict[str, Any]:
    """A metric as the API shows it; the per-image evidence (seed hashes are the owner's) is left out."""
    sources = {k: v for k, v in (metric.sources or {}).items() if k != "evidence"}
    return {
        "version": metric.version,
        "state": metric.state.value,
        "message": metric.message,
        "accuracy": metric.accuracy,
        "per_class": metric.per_class,
        "n_train": metric.n_train,
        "n_heldout": metric.n_heldout,
        "previous_version": metric.previous_version,
        "previous_accuracy": metric.previous_accuracy,
        "drop": metric.drop,
        "threshold": metric.threshold,
        "alert": metric.alert,
        "sources": sources,
        "error": metric.error,
        "finished_at": metric.finished_at.isoformat() if metric.finished_at else None,
    }


class Metrics(StatusAnswer):
    metrics: list[MetricOut]
    alert: MetricOut | None


class RevokedItemOut(Answer):
    sha256: str
    status_at_revocation: str
    action: str
    requarantine_tx: str | None
    quarantine_tx: str | None
    cleared: bool
    cleared_tx: str | None


class RevocationOut(Answer):
    id: int
    contributor: str
    state: str
    reason: str
    reason_hash: str
    registry: str
    tx_hash: str
    block_number: int
    rescan_id: int | None
    rescan_error: str | None
    revoked_at: str
    lifted_at: str | None


class RevocationWithItemsOut(RevocationOut):
    items: list[RevokedItemOut]


def revocation_json(db: Session, revocation: Revocation, with_items: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": revocation.id,
        "contributor": revocation.contributor_address,
        "state": revocation.state.value,
        "reason": revocation.reason,
        "reason_hash": revocation.reason_hash,
        "registry": revocation.registry_address,
        "tx_hash": revocation.tx_hash,
        "block_number": revocation.block_number,
        "rescan_id": revocation.rescan_id,
        "rescan_error": revocation.rescan_error,
        "revoked_at": revocation.created_at.isoformat(),
        "lifted_at": revocation.lifted_at.isoformat() if revocation.lifted_at else None,
    }
    if with_items:
        body["items"] = [
            {
                "sha256": r.content_hash,
                "status_at_revocation": r.status_at_revocation,
                "action": r.action,
                "requarantine_tx": r.requarantine_tx,
                "quarantine_tx": r.quarantine_tx,
                "cleared": r.cleared,
                "cleared_tx": r.cleared_tx,
            }
            for r in revocations.revocation_items(db, revocation)
        ]
    return body


class Revoked(StatusAnswer):
    revocation: RevocationWithItemsOut


class RevocationList(StatusAnswer):
    revocations: list[RevocationWithItemsOut]
    held: int


class StillHeldOut(Answer):
    sha256: str
    reason: str


class Cleared(StatusAnswer):
    cleared: list[str]
    still_held: list[StillHeldOut]
    rescan: str | None


class Reinstated(StatusAnswer):
    revocation: RevocationOut


class TraceOut(StatusAnswer):
    trace: dict[str, Any] = Field(
        description="Upload, wallet, transaction, chain events, votes, scans and releases of the item."
    )
