"""Monitoring and incident response: per-release metrics and alerts, revocations, item trace, audit export.

Metrics are public, like releases: anyone who downloads a release may want to know how a model trained
on it scores. Everything else is the owner's: a trace shows votes before review is over and the
revocations' reasons, and the audit log names the owner's every move.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse

from sebrus.api.params import Sha
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.incidents import (
    Cleared,
    ClearIn,
    Metrics,
    Reinstated,
    ReinstateIn,
    RevocationList,
    Revoked,
    RevokeIn,
    TraceOut,
    metric_json,
    revocation_json,
)
from sebrus.db.models import Dataset
from sebrus.http.deps import (
    CurrentUser,
    DbSession,
    OptionalLedgerDep,
    OptionalScanJobsDep,
    Revocations,
    RevocationsDep,
    State,
)
from sebrus.services import datasets
from sebrus.services.accounts.roles import require_owner
from sebrus.services.audit import export as audit_export
from sebrus.services.incidents import holds, monitoring, revocations, trace
from sebrus.services.review.chain_link import ChainUnavailable

router = APIRouter(prefix="/api/dataset/{dataset_id}", tags=["incidents"], responses=ERROR_RESPONSES)

ROW_ID_MAX = 2**31 - 1
DatasetId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="The dataset's id.")]
Address = Annotated[str, Path(min_length=42, max_length=42, description="The contributor's wallet.")]
T = TypeVar("T")


def _on_chain(chain: Revocations, db: DbSession, dataset_id: int, change: Callable[..., T], **args: Any) -> T:
    """Run a revocation change that sends a transaction: ``change(db, link=, registry=, dataset=, **args)``.

    The routes differ only in the change and its arguments; the chain check comes first (503 without a
    registry), then the dataset (404), and the service checks ownership. A chain the service could not
    use (``ChainUnavailable``) is the server's trouble, not the owner's: 503.
    """
    dataset = datasets.get_dataset(db, dataset_id)
    try:
        return change(db, link=chain.link, registry=chain.registry, dataset=dataset, **args)
    except ChainUnavailable as exc:
        raise HTTPException(503, exc.message) from exc


def _owned(db: DbSession, dataset_id: int, user: CurrentUser, verb: str) -> Dataset:
    dataset = datasets.get_dataset(db, dataset_id)
    require_owner(db, dataset, user, verb)
    return dataset


# ---------------------------------------------------------------------------------------------- metrics


@router.get("/metrics")
def release_metrics(dataset_id: DatasetId, db: DbSession) -> Metrics:
    """The reference model trained on each release, measured on the held-out share of the seed set.

    ``per_class``: per label, accuracy, mean true-label probability and the soft confusion row.
    ``alert`` is the newest measured release's metric when a class lost significantly more true-label
    probability than the margin (or accuracy fell) against the previous release or the seed-only
    baseline (``sources.comparison``); its ``sources`` name the label pairs, the classes and the
    contributors whose items carry the pair's label but look like its source class.
    """
    dataset = datasets.get_dataset(db, dataset_id)
    alert = monitoring.latest_alert(db, dataset)
    return Metrics.model_validate(
        {
            "status": "Success.",
            "metrics": [metric_json(m) for m in monitoring.metrics(db, dataset)],
            "alert": metric_json(alert) if alert is not None else None,
        }
    )


# ---------------------------------------------------------------------------------------------- revocations


@router.post(
    "/revocations",
    status_code=201,
    responses={503: {"description": "No chain attached, or the chain refused."}},
)
def revoke_contributor(
    dataset_id: DatasetId,
    body: RevokeIn,
    db: DbSession,
    user: CurrentUser,
    chain: RevocationsDep,
    jobs: OptionalScanJobsDep,
) -> Revoked:
    """Revoke a contributor: their items are held (Pending ones quarantined on chain) and rescanned."""
    outcome = _on_chain(
        chain,
        db,
        dataset_id,
        revocations.revoke,
        jobs=jobs,
        user=user,
        contributor=body.contributor,
        reason=body.reason,
    )
    return Revoked.model_validate(
        {
            "status": f"Revoked: {outcome.held} item(s) held, {outcome.quarantined} quarantined on chain.",
            "revocation": revocation_json(db, outcome.revocation, with_items=True),
        }
    )


@router.get("/revocations")
def list_revocations(dataset_id: DatasetId, db: DbSession, user: CurrentUser) -> RevocationList:
    dataset = _owned(db, dataset_id, user, "see the revocations of")
    return RevocationList.model_validate(
        {
            "status": "Success.",
            "revocations": [
                revocation_json(db, r, with_items=True) for r in revocations.list_revocations(db, dataset)
            ],
            "held": len(holds.held_back(db, dataset)),
        }
    )


@router.post("/revocations/{contributor}/clear")
def clear_items(
    request: Request,
    dataset_id: DatasetId,
    contributor: Address,
    body: ClearIn,
    db: DbSession,
    user: CurrentUser,
    chain: RevocationsDep,
) -> Cleared:
    """Release held items: those named, or by default those the revocation's rescan found unremarkable.

    The answer says how many stay held and why (``still_held``); 409 when no item is named and the
    rescan has not finished with results.
    """
    outcome = _on_chain(
        chain,
        db,
        dataset_id,
        revocations.clear,
        user=user,
        contributor=contributor,
        hashes=body.items,
        note=body.note,
    )
    return Cleared.model_validate(
        {
            "status": outcome.summary(),
            "cleared": outcome.cleared,
            "still_held": [{"sha256": h, "reason": why} for h, why in outcome.kept.items()],
            "rescan": outcome.note or None,
        }
    )


@router.post("/revocations/{contributor}/reinstate")
def reinstate_contributor(
    request: Request,
    dataset_id: DatasetId,
    contributor: Address,
    body: ReinstateIn,
    db: DbSession,
    user: CurrentUser,
    chain: RevocationsDep,
) -> Reinstated:
    revocation = _on_chain(
        chain, db, dataset_id, revocations.reinstate, user=user, contributor=contributor, reason=body.reason
    )
    return Reinstated.model_validate({"status": "Reinstated.", "revocation": revocation_json(db, revocation)})


# ---------------------------------------------------------------------------------------------- trace


@router.get("/items/{sha256}/trace")
def trace_item(
    dataset_id: DatasetId, sha256: Sha, db: DbSession, user: CurrentUser, ledger: OptionalLedgerDep
) -> TraceOut:
    """The item's whole history: upload, wallet, transaction, chain events, votes, scans, releases."""
    dataset = _owned(db, dataset_id, user, "trace items of")
    return TraceOut.model_validate(
        {"status": "Success.", "trace": trace.trace_item(db, ledger, dataset, sha256)}
    )


# ---------------------------------------------------------------------------------------------- audit log


@router.get(
    "/audit-log",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}, "description": "The export."}},
)
def export_audit_log(
    dataset_id: DatasetId,
    db: DbSession,
    user: CurrentUser,
    state: State,
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv.")] = "jsonl",
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Only entries with a larger id.")] = 0,
) -> StreamingResponse:
    """Every owner action and automated decision on this dataset, oldest first (append-only)."""
    dataset = _owned(db, dataset_id, user, "export the audit log of")
    lines = audit_export.render(audit_export.entries(state.session_factory, dataset, after), format)
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    name = f"sebrus-dataset-{dataset.id}-audit.{format}"
    return StreamingResponse(
        lines,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
