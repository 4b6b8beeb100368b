"""Starting a scan: the owner's request, checked and queued as a row with its audit entry.

A scan is a row that moves queued -> running -> done | failed. Whoever runs it (``scans.runner``, in
the server's own thread or on an RQ worker) claims it by that row, so a job delivered twice runs once.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, Scan, ScanScope, ScanState, User
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import Conflict, InvalidInput
from sebrus.services.scans import model as scan_model
from sebrus.services.scans.queries import ACTIVE, last_finished_scan

#: The default operating point: at most this share of the flagged items is expected to be clean.
DEFAULT_FDR = 0.05


def start_scan(
    db: Session,
    dataset: Dataset,
    user: User,
    *,
    scope: ScanScope = ScanScope.ALL,
    fdr: float | None = None,
    fpr: float | None = None,
    seed: int = 0,
    backend: str = "thread",
) -> Scan:
    """Queue a scan of ``dataset`` (owner only); the caller hands its id to a runner after this commits.

    The operating point is a false-discovery rate (``DEFAULT_FDR`` unless given); ``fpr`` replaces it
    with an explicit per-item false-positive rate. Giving both is refused: they are two different rules.
    """
    require_owner(db, dataset, user, "scan")
    if fdr is not None and fpr is not None:
        raise InvalidInput(
            "Give `fdr` or `fpr`, not both: they are two ways to set where flags start.", field="fpr"
        )
    if fpr is not None and not 0.0 < fpr <= 0.5:
        raise InvalidInput(f"`fpr` must lie in (0, 0.5], got {fpr}.", field="fpr")
    if fdr is not None and not 0.0 < fdr <= 0.5:
        raise InvalidInput(f"`fdr` must lie in (0, 0.5], got {fdr}.", field="fdr")
    if fpr is None and fdr is None:
        fdr = DEFAULT_FDR
    active = db.scalar(
        select(Scan).where(Scan.dataset_id == dataset.id, Scan.state.in_(ACTIVE)).order_by(Scan.id)
    )
    if active is not None:
        raise Conflict(
            f"Scan {active.id} of this dataset is still {active.state.value}; wait for it to finish."
        )
    upto = db.scalar(select(func.max(Item.id)).where(Item.dataset_id == dataset.id)) or 0
    since = 0
    if scope is ScanScope.NEW_SINCE_LAST:
        last = last_finished_scan(db, dataset)
        since = last.upto_item_id if last is not None else 0
    scan = Scan(
        dataset_id=dataset.id,
        requested_by_user_id=user.id,
        state=ScanState.QUEUED,
        scope=scope,
        backend=backend,
        progress=0.0,
        message="queued",
        since_item_id=since,
        upto_item_id=upto,
        model_sha256=dataset.scan_model_sha256,
        fpr=fpr,
        fdr=fdr,
        random_seed=seed,
        n_items=0,
        n_context=0,
        n_trusted=0,
        n_flagged=0,
        insufficient_data=False,
    )
    db.add(scan)
    db.flush()
    audit_log.record(
        db,
        "scan.start",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={
            "scan": scan.id,
            "scope": scope.value,
            "fdr": fdr,
            "fpr": fpr,
            "upto_item_id": upto,
            "backend": backend,
            "model": scan.model_sha256 or scan_model.REFERENCE,
        },
    )
    db.commit()
    return scan
