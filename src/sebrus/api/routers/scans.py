"""Poison scans: start one (owner only), watch it, list what it flagged and why, fetch its reports.

Reads are public, like items and releases: the report's sha256 is on chain with every quarantine, so
anyone must be able to fetch the report and check it against that hash.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.scans import FlaggedItems, ScanFound, ScanList, ScanStart, scan_json
from sebrus.blobs.base import BlobNotFound
from sebrus.db.models import ScanScope
from sebrus.http.deps import CurrentUser, DbSession, Pagination, ScanJobsDep, State
from sebrus.services import datasets
from sebrus.services.scans import queries as scan_queries
from sebrus.services.scans import start as scan_start
from sebrus.services.scans.jobs import QueueUnavailable

router = APIRouter(tags=["scans"], responses=ERROR_RESPONSES)

ROW_ID_MAX = 2**31 - 1  # the id columns are 32-bit; a larger number is no row, not a database error
ScanId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="The scan's id.")]
DatasetId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="The dataset's id.")]

# The report page's own policy (no scripts, inline styles, data: images), and never framed.
REPORT_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
)


@router.post(
    "/api/dataset/{dataset_id}/scans",
    status_code=202,
    responses={
        403: {"description": "Only the dataset's owner starts scans."},
        409: {"description": "A scan of this dataset is still queued or running."},
        503: {"description": "No chain attached, or the scan queue (Redis) is down."},
    },
)
def start_scan(
    dataset_id: DatasetId,
    db: DbSession,
    user: CurrentUser,
    jobs: ScanJobsDep,
    body: ScanStart | None = None,
) -> ScanFound:
    """Queue a scan; it runs in the background. Poll `GET /api/scans/{id}` for its progress."""
    body = body or ScanStart()
    dataset = datasets.get_dataset(db, dataset_id)
    scan = scan_start.start_scan(
        db,
        dataset,
        user,
        scope=ScanScope(body.scope),
        fdr=body.fdr,
        fpr=body.fpr,
        seed=body.seed,
        backend=jobs.backend,
    )
    try:
        jobs.submit(db, scan)
    except QueueUnavailable as exc:
        raise HTTPException(503, exc.message) from exc
    return ScanFound.model_validate({"status": "Scan queued.", "scan": scan_json(db, scan)})


@router.get("/api/dataset/{dataset_id}/scans")
def list_scans(dataset_id: DatasetId, db: DbSession, page: Pagination) -> ScanList:
    """The dataset's scans, newest first."""
    dataset = datasets.get_dataset(db, dataset_id)
    found = scan_queries.list_scans(db, dataset, page)
    return ScanList.model_validate(
        {
            "status": "Success.",
            "scans": [scan_json(db, s) for s in found.items],
            "total": found.total,
            "limit": found.limit,
            "offset": found.offset,
        }
    )


@router.get("/api/scans/{scan_id}")
def read_scan(scan_id: ScanId, db: DbSession) -> ScanFound:
    return ScanFound.model_validate(
        {"status": "Success.", "scan": scan_json(db, scan_queries.get_scan(db, scan_id))}
    )


@router.get("/api/scans/{scan_id}/flagged")
def flagged_items(scan_id: ScanId, db: DbSession, page: Pagination) -> FlaggedItems:
    """The items this scan flagged, most suspicious first, each with the detectors that flagged it."""
    scan = scan_queries.get_scan(db, scan_id)
    found = scan_queries.flagged_results(db, scan, page)
    return FlaggedItems.model_validate(
        {
            "status": "Success.",
            "scan_id": scan.id,
            "report_sha256": scan.report_sha256,
            "items": [
                {
                    "sha256": result.content_hash,
                    "label": item.label,
                    "contributor": item.contributor_address,
                    "status": item.status.value,
                    "suspicion": result.suspicion,
                    "reasons": result.reasons,
                    "quarantine": result.quarantine.value if result.quarantine else None,
                    "quarantine_tx": result.quarantine_tx,
                    "quarantine_note": result.quarantine_error,
                }
                for result, item in found.items
            ],
            "total": found.total,
            "limit": found.limit,
            "offset": found.offset,
        }
    )


def _report(db: DbSession, state: State, scan_id: int, kind: str) -> tuple[bytes, str]:
    scan = scan_queries.get_scan(db, scan_id)
    key = scan_queries.report_key(scan, kind)
    try:
        return state.blobs.get(key), key
    except BlobNotFound:
        raise HTTPException(404, f"The report of scan {scan_id} is missing from the blob store.") from None


@router.get(
    "/api/scans/{scan_id}/report.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "The report's bytes."}},
)
def report_json(scan_id: ScanId, db: DbSession, state: State) -> Response:
    """The scanner's JSON report, byte for byte: its sha256 is the report hash on chain."""
    data, key = _report(db, state, scan_id, "json")
    return Response(data, media_type="application/json", headers={"ETag": f'"{key}"', "X-Report-SHA256": key})


@router.get(
    "/api/scans/{scan_id}/report.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "The report page."}},
)
def report_html(scan_id: ScanId, db: DbSession, state: State) -> Response:
    """The report as one offline page: plots, flagged thumbnails and reasons."""
    data, key = _report(db, state, scan_id, "html")
    return Response(
        data,
        media_type="text/html; charset=utf-8",
        headers={"ETag": f'"{key}"', "Content-Security-Policy": REPORT_CSP},
    )
