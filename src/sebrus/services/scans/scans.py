"""Dataset scans: start one, run it, and read what it found.

A scan is a row that moves queued -> running -> done | failed. Whoever runs it (the server's own
background thread, or an RQ worker in another process) claims it by that row, so a job delivered twice
runs once. Running needs the database and the blob store only: flagged items still Pending are marked
for quarantine in the results, and the process that owns the ledger sends those transactions
(``services/scans/quarantine.py``). That split is what lets a worker run without the embedded chain,
which one process alone may open, and without the detector's key.

Every decision is in the append-only audit log: the owner's request, and the automated outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.models import (
    Dataset,
    Item,
    ItemStatus,
    QuarantineState,
    Scan,
    ScanResult,
    ScanScope,
    ScanState,
    User,
)
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import Conflict, InvalidInput, NotFound
from sebrus.services.pagination import Page, PageRequest
from sebrus.services.scans import model as scan_model
from sebrus.services.scans.data import NotEnoughData, load_scan_inputs
from sebrus.services.scans.reports import build_report, store_reports

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
ACTIVE = (ScanState.QUEUED, ScanState.RUNNING)
#: The default operating point: at most this share of the flagged items is expected to be clean.
DEFAULT_FDR = 0.05
MAX_ERROR = 2000
PROGRESS_EVERY_SECONDS = 0.5


@dataclass(frozen=True)
class QuarantineCounts:
    pending: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0


# ---------------------------------------------------------------------------------------------- start


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


def last_finished_scan(db: Session, dataset: Dataset) -> Scan | None:
    """The newest scan that produced results (a scan without enough data does not count)."""
    return db.scalar(
        select(Scan)
        .where(Scan.dataset_id == dataset.id, Scan.state == ScanState.DONE, Scan.insufficient_data.is_(False))
        .order_by(Scan.id.desc())
        .limit(1)
    )


def fail_scan(db: Session, scan: Scan, error: str) -> None:
    """Mark a scan failed (with the audit entry); for runners that could not even start it."""
    scan.state = ScanState.FAILED
    scan.error = error[:MAX_ERROR]
    scan.message = "failed"
    scan.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "scan.fail",
        f"dataset:{scan.dataset_id}",
        details={"scan": scan.id, "automated": True, "error": scan.error},
    )
    db.commit()


def fail_interrupted_scans(sessions: SessionFactory) -> int:
    """At start of the in-process runner: scans left running by a stopped server never finish by themselves.

    They are failed, not retried, so that a scan that brings the process down cannot do so forever.
    """
    with sessions() as db:
        stuck = list(
            db.scalars(select(Scan).where(Scan.state == ScanState.RUNNING, Scan.backend == "thread"))
        )
        for scan in stuck:
            fail_scan(db, scan, "interrupted: the server stopped while this scan ran; start a new scan")
        return len(stuck)


# ---------------------------------------------------------------------------------------------- run


def claim_next(sessions: SessionFactory, backend: str = "thread") -> int | None:
    """Claim the oldest queued scan of ``backend``; None when there is none."""
    with sessions() as db:
        candidates = db.scalars(
            select(Scan.id).where(Scan.state == ScanState.QUEUED, Scan.backend == backend).order_by(Scan.id)
        )
        for scan_id in list(candidates):
            if _claim(db, scan_id):
                return scan_id
    return None


def _claim(db: Session, scan_id: int) -> bool:
    claimed = db.execute(
        update(Scan)
        .where(Scan.id == scan_id, Scan.state == ScanState.QUEUED)
        .values(state=ScanState.RUNNING, started_at=datetime.now(UTC), message="starting", progress=0.0)
    )
    db.commit()
    return bool(getattr(claimed, "rowcount", 0) == 1)


def run_scan(sessions: SessionFactory, blobs: BlobStore, scan_id: int, *, claimed: bool = False) -> ScanState:
    """Run one scan to done or failed; returns the final state. Safe to call for a scan already taken.

    ``claimed``: the caller already moved it to running (``claim_next``); otherwise it is claimed here.
    """
    if not claimed:
        with sessions() as db:
            if db.get(Scan, scan_id) is None:
                raise NotFound(f"Scan {scan_id} not found.")
            if not _claim(db, scan_id):
                current = db.get(Scan, scan_id)
                state = current.state if current is not None else ScanState.FAILED
                log.info("scan %s is %s already; not running it again", scan_id, state.value)
                return state
    progress = _ProgressWriter(sessions, scan_id)
    try:
        with sessions() as db:
            scan, dataset = _scan_and_dataset(db, scan_id)
            try:
                inputs = load_scan_inputs(
                    db, blobs, dataset, scan, progress=lambda f: progress("reading images", 0.1 * f)
                )
            except NotEnoughData as short:
                return _finish_insufficient(db, scan, str(short))
            chain_id = dataset.chain_id
            model_sha256, n_classes = scan.model_sha256, len(dataset.labels)
        model = None
        if model_sha256 is not None:
            progress("loading the owner's model", 0.1, force=True)
            model = scan_model.load_for_scan(blobs, model_sha256, n_classes, inputs.images)
        result = _detect(inputs, scan, progress, model)
        progress("writing reports", 0.92, force=True)
        with sessions() as db:
            scan, dataset = _scan_and_dataset(db, scan_id)
            report = build_report(dataset, scan, inputs, result, chain_id)
            report_key, html_key = store_reports(blobs, report)
            _store_results(db, scan, inputs, result, report_key, html_key)
        return ScanState.DONE
    except Exception as exc:
        log.exception("scan %s failed", scan_id)
        with sessions() as db:
            failed = db.get(Scan, scan_id)
            if failed is not None:
                fail_scan(db, failed, f"{type(exc).__name__}: {exc}")
        return ScanState.FAILED


def _scan_and_dataset(db: Session, scan_id: int) -> tuple[Scan, Dataset]:
    scan = db.get(Scan, scan_id)
    if scan is None:
        raise NotFound(f"Scan {scan_id} not found.")
    dataset = db.get(Dataset, scan.dataset_id)
    if dataset is None:
        raise NotFound(f"The dataset of scan {scan_id} is gone.")
    return scan, dataset


def _detect(inputs: Any, scan: Scan, progress: _ProgressWriter, model: Any = None) -> Any:
    """Run the detectors; ``model`` is the owner's scan model (None: the reference CNN is trained)."""
    from sebrus.detect.scan import scan as detect_scan  # torch and friends load only when a scan runs

    return detect_scan(
        inputs.images,
        inputs.labels,
        contributors=inputs.contributors,
        trusted_images=inputs.trusted_images,
        trusted_labels=inputs.trusted_labels,
        model=model,
        fdr=scan.fdr if scan.fdr is not None else DEFAULT_FDR,
        fpr=scan.fpr,
        seed=scan.random_seed,
        suspect_contributors=inputs.suspect_contributors,
        progress=lambda stage, frac: progress(stage, 0.1 + 0.8 * frac),
    )


def _finish_insufficient(db: Session, scan: Scan, message: str) -> ScanState:
    scan.state = ScanState.DONE
    scan.insufficient_data = True
    scan.progress = 1.0
    scan.message = message[:256]
    scan.error = message
    scan.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "scan.finish",
        f"dataset:{scan.dataset_id}",
        details={"scan": scan.id, "automated": True, "insufficient_data": True, "message": message},
    )
    db.commit()
    return ScanState.DONE


def _store_results(db: Session, scan: Scan, inputs: Any, result: Any, report_key: str, html_key: str) -> None:
    statuses = {
        i.id: i.status for i in db.scalars(select(Item).where(Item.id.in_([i.id for i in inputs.items])))
    }
    n_flagged = 0
    to_quarantine = 0
    for k in np.flatnonzero(inputs.in_scope):
        item = inputs.items[k]
        flagged = bool(result.flagged[k])
        quarantine: QuarantineState | None = None
        if flagged:
            n_flagged += 1
            # Only Pending items can be quarantined; anything else was decided already (by a scan or review).
            quarantine = (
                QuarantineState.PENDING
                if statuses.get(item.id) is ItemStatus.PENDING
                else QuarantineState.SKIPPED
            )
            to_quarantine += quarantine is QuarantineState.PENDING
        db.add(
            ScanResult(
                scan_id=scan.id,
                item_id=item.id,
                content_hash=item.content_hash,
                suspicion=float(result.suspicion[k]),
                flagged=flagged,
                reasons=result.reasons[k] if flagged else [],
                quarantine=quarantine,
                quarantine_error=None
                if quarantine is not QuarantineState.SKIPPED
                else f"item was {statuses.get(item.id, ItemStatus.PENDING).value}, not pending",
            )
        )
    scan.state = ScanState.DONE
    scan.progress = 1.0
    scan.message = f"done: {n_flagged} flagged, {to_quarantine} to quarantine"
    scan.threshold = float(result.threshold) if np.isfinite(result.threshold) else None
    scan.expected_false_positives = result.summary.get("expected_false_positives")
    scan.expected_precision = result.summary.get("expected_precision")
    scan.trusted_message = result.summary.get("trusted", {}).get("message")
    scan.n_items = int(inputs.in_scope.sum())
    scan.n_context = len(inputs.items)
    scan.n_trusted = len(inputs.trusted_hashes)
    scan.n_flagged = n_flagged
    scan.report_sha256 = report_key
    scan.report_html_sha256 = html_key
    scan.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "scan.finish",
        f"dataset:{scan.dataset_id}",
        details={
            "scan": scan.id,
            "automated": True,
            "report_sha256": report_key,
            "n_items": scan.n_items,
            "n_flagged": n_flagged,
            "to_quarantine": to_quarantine,
            "threshold": scan.threshold,
        },
    )
    db.commit()


class _ProgressWriter:
    """Writes progress to the scan row in its own short transaction, at most every half second."""

    def __init__(self, sessions: SessionFactory, scan_id: int) -> None:
        self._sessions = sessions
        self._scan_id = scan_id
        self._last = 0.0

    def __call__(self, message: str, fraction: float, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        with self._sessions() as db:
            db.execute(
                update(Scan)
                .where(Scan.id == self._scan_id, Scan.state == ScanState.RUNNING)
                .values(progress=round(min(max(fraction, 0.0), 1.0), 3), message=message[:256])
            )
            db.commit()


# ---------------------------------------------------------------------------------------------- read


def get_scan(db: Session, scan_id: int) -> Scan:
    scan = db.get(Scan, scan_id)
    if scan is None:
        raise NotFound(f"Scan {scan_id} not found.")
    return scan


def list_scans(db: Session, dataset: Dataset | None, page: PageRequest) -> Page[Scan]:
    """A dataset's scans, or with ``None`` every dataset's, newest first."""
    wanted = [Scan.dataset_id == dataset.id] if dataset is not None else []
    total = db.scalar(select(func.count()).select_from(Scan).where(*wanted)) or 0
    rows = db.scalars(
        select(Scan).where(*wanted).order_by(Scan.id.desc()).limit(page.limit).offset(page.offset)
    )
    return Page(list(rows), total, page.limit, page.offset)


def quarantine_counts(db: Session, scan: Scan) -> QuarantineCounts:
    rows = db.execute(
        select(ScanResult.quarantine, func.count())
        .where(ScanResult.scan_id == scan.id, ScanResult.quarantine.is_not(None))
        .group_by(ScanResult.quarantine)
    )
    counts = {state.value: int(n) for state, n in rows if state is not None}
    return QuarantineCounts(**counts)


def flagged_results(db: Session, scan: Scan, page: PageRequest) -> Page[tuple[ScanResult, Item]]:
    """Flagged items, most suspicious first, with their current item rows."""
    where = (ScanResult.scan_id == scan.id, ScanResult.flagged.is_(True))
    total = db.scalar(select(func.count()).select_from(ScanResult).where(*where)) or 0
    rows = db.execute(
        select(ScanResult, Item)
        .join(Item, Item.id == ScanResult.item_id)
        .where(*where)
        .order_by(ScanResult.suspicion.desc(), ScanResult.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return Page([(r, i) for r, i in rows], total, page.limit, page.offset)


def report_key(scan: Scan, kind: str) -> str:
    """The blob key of a finished scan's report (``json`` or ``html``)."""
    key = scan.report_sha256 if kind == "json" else scan.report_html_sha256
    if key is None:
        if scan.state in ACTIVE:
            raise Conflict(
                f"Scan {scan.id} is still {scan.state.value}; its report is written when it finishes."
            )
        raise NotFound(f"Scan {scan.id} has no report ({scan.message or scan.state.value}).")
    return key
