"""``/api/dataset/{id}/scan-model``: the owner's own model that the dataset's scans use.

``PUT`` takes the model file as the raw request body (``application/octet-stream``), so the size limit
is enforced while it streams in; the file is checked in full (``services/scans/model.py``) before any
of it is stored. ``DELETE`` goes back to the reference CNN. Reads are public, like scans: every scan
report names the model it ran with by the same sha256.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.scans import ScanModelEnvelope, ScanModelOut
from sebrus.blobs.base import BlobStore
from sebrus.db.models import Dataset, User
from sebrus.http.deps import CurrentUser, DbSession, State, Uploader, release_after
from sebrus.services import datasets
from sebrus.services.errors import NotFound
from sebrus.services.scans import model as scan_model

router = APIRouter(prefix="/api/dataset/{dataset_id}/scan-model", tags=["scans"], responses=ERROR_RESPONSES)

DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The dataset's id.")]


def _owned(db: Session, dataset_id: int, user: User) -> Dataset:
    dataset = datasets.get_dataset(db, dataset_id)
    scan_model.check_can_change(db, dataset, user)
    return dataset


def _store(
    db: Session, blobs: BlobStore, dataset_id: int, user_id: int, data: bytes, name: str | None
) -> scan_model.ScanModelInfo:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("Your account is gone.")
    dataset = datasets.get_dataset(db, dataset_id)
    return scan_model.set_scan_model(db, blobs, dataset, user, data, name=name)


@router.put(
    "",
    response_model=ScanModelEnvelope,
    responses={
        400: {"description": "Not a model in a safe format, or it does not fit the dataset; nothing stored."},
        403: {"description": "Only the dataset's owner sets its scan model."},
        413: {"description": "Larger than the scan model limit."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def set_scan_model(
    request: Request,
    dataset_id: DatasetId,
    db: DbSession,
    user: Uploader,
    state: State,
    filename: Annotated[
        str | None,
        Query(max_length=255, description="The file's name, shown beside the model (never used as a path)."),
    ] = None,
) -> ScanModelEnvelope:
    """Upload the model the dataset's scans use: TorchScript, or safetensors / state-dict weights of
    the `reference_cnn` architecture. Pickles are refused. Scans started afterwards use it."""
    await run_in_threadpool(release_after, db, _owned, db, dataset_id, user)  # 404/403 before the body
    limit = scan_model.MAX_SCAN_MODEL_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, scan_model.ScanModelTooLarge(limit).message)
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise HTTPException(413, scan_model.ScanModelTooLarge(limit).message)
        parts.append(chunk)
    info = await run_in_threadpool(
        release_after, db, _store, db, state.blobs, dataset_id, user.id, b"".join(parts), filename
    )
    return ScanModelEnvelope(
        status="Scans of this dataset now use this model.", scan_model=ScanModelOut.of(info)
    )


@router.get("", response_model=ScanModelEnvelope)
def get_scan_model(dataset_id: DatasetId, db: DbSession) -> ScanModelEnvelope:
    """Which model the dataset's scans use (`reference`: the reference CNN each scan trains)."""
    info = scan_model.current_model(datasets.get_dataset(db, dataset_id))
    return ScanModelEnvelope(status="Success.", scan_model=ScanModelOut.of(info))


@router.delete(
    "",
    response_model=ScanModelEnvelope,
    responses={403: {"description": "Only the dataset's owner changes its scan model."}},
)
def remove_scan_model(dataset_id: DatasetId, db: DbSession, user: CurrentUser) -> ScanModelEnvelope:
    """Go back to the reference CNN. The model's bytes stay: earlier scan reports name them."""
    info = scan_model.remove_scan_model(db, datasets.get_dataset(db, dataset_id), user)
    return ScanModelEnvelope(
        status="Scans of this dataset now train the reference CNN.", scan_model=ScanModelOut.of(info)
    )
