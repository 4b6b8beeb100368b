"""Bulk uploads: many images with their labels in one multipart request.

A collection of its own (``POST /api/dataset/{id}/uploads``) rather than a path under ``items``,
where ``items/{sha256}`` names one item. Each file is validated as a single upload is and refused on
its own; all accepted files are acknowledged in one database transaction (``services/ingest/bulk.py``),
and the body is parsed while it streams, its limits counted as bytes arrive (``http/multipart_images.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from sebrus.api.schemas.items import (
    BulkFileAccepted,
    BulkFileRefused,
    BulkUploadOut,
    DepositDueOut,
    deposit_due_json,
)
from sebrus.http.deps import ContributionChainDep, DbSession, State, Uploader, dataset_or_404, release_after
from sebrus.http.multipart_images import read_image_parts
from sebrus.services.ingest.bulk import MAX_FILES, BulkAccepted, BulkFile, BulkRefused, accept_bulk
from sebrus.services.ingest.contributions import UploadTooLarge
from sebrus.services.review.deposits_due import upload_notice

router = APIRouter(prefix="/api/dataset/{dataset_id}/uploads", tags=["items"])


@router.post(
    "",
    responses={
        400: {"description": "Not a multipart body of image files, or more files than one request takes."},
        404: {"description": "No such dataset."},
        409: {"description": "Another request uploaded some of the same images at the same moment; retry."},
        413: {"description": "The body is larger than a bulk upload may be."},
        429: {"description": "Too many uploads."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "description": "One file part per image; each part's field name is its label "
                        "(`curl -F cat=@cat1.png -F dog=@dog1.png`).",
                        "additionalProperties": {"type": "string", "format": "binary"},
                    }
                }
            },
        }
    },
)
async def upload_bulk(
    request: Request,
    dataset_id: int,
    db: DbSession,
    user: Uploader,
    state: State,
    services: ContributionChainDep,
) -> BulkUploadOut:
    """Contribute many images in one request: each file is checked on its own and refused with its own
    reason; every accepted file is acknowledged in one transaction and anchored in the next batches."""
    dataset = await run_in_threadpool(release_after, db, dataset_or_404, db, dataset_id)
    parts = await read_image_parts(
        request,
        max_files=MAX_FILES,
        max_file_bytes=dataset.max_bytes,
        max_total_bytes=state.settings.bulk_upload_max_bytes,
    )
    if not parts:
        raise HTTPException(400, "A bulk upload needs at least one image file part.")
    refused = [
        BulkRefused(p.filename, UploadTooLarge(dataset.max_bytes).message) for p in parts if p.too_large
    ]
    accepted: list[BulkAccepted] = []
    files = [BulkFile(p.filename, p.label, bytes(p.data)) for p in parts if not p.too_large]
    if files:
        outcome = await run_in_threadpool(
            release_after,
            db,
            accept_bulk,
            db,
            link=services.link,
            blobs=state.blobs,
            dataset=dataset,
            user=user,
            files=files,
            limiter=services.limiter,
        )
        accepted, refused = outcome.accepted, refused + outcome.refused
    queued = sum(1 for a in accepted if a.created)
    if queued:
        services.relayer_loop.wake()
    return BulkUploadOut(
        status=f"{queued} queued for anchoring, {len(accepted) - queued} already there, "
        f"{len(refused)} refused.",
        accepted=[
            BulkFileAccepted(name=a.name, content_hash=a.content_hash, created=a.created) for a in accepted
        ],
        refused=[BulkFileRefused(name=r.name, reason=r.reason) for r in refused],
        queued=queued,
        deposit_due=DepositDueOut.model_validate(notice)
        if (notice := deposit_due_json(upload_notice(dataset, queued)))
        else None,
    )
