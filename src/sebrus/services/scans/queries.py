"""Reading scans back: one scan, a dataset's scans, what a scan flagged, its quarantines and reports."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, Scan, ScanResult, ScanState
from sebrus.services.errors import Conflict, NotFound
from sebrus.services.pagination import Page, PageRequest

ACTIVE = (ScanState.QUEUED, ScanState.RUNNING)


@dataclass(frozen=True)
class QuarantineCounts:
    pending: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def last_finished_scan(db: Session, dataset: Dataset) -> Scan | None:
    """The newest scan that produced results (a scan without enough data does not count)."""
    return db.scalar(
        select(Scan)
        .where(Scan.dataset_id == dataset.id, Scan.state == ScanState.DONE, Scan.insufficient_data.is_(False))
        .order_by(Scan.id.desc())
        .limit(1)
    )


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
