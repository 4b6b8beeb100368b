"""Contributed items: upload an image, list and filter a dataset's items, fetch one and its bytes.

An upload is the raw image bytes as the request body (``Content-Type: image/png`` and so on), or one
file part of a ``multipart/form-data`` body (``curl -F file=@cat.png``, what an HTML form or a
``FormData`` sends), with the label in the query string. Either way the body is read as it streams
(``http/multipart_images.py`` for the multipart one), so the dataset's size limit is enforced before
the whole body has arrived.
"""

from __future__ import annotations

from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from sebrus.api.params import ItemHash
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.items import (
    ItemFound,
    ItemList,
    UploadOut,
    item_json,
)
from sebrus.blobs.base import BlobNotFound
from sebrus.db.models import Dataset, Item, ItemStatus, OutboxState
from sebrus.http.body_allowances import FORM_FRAMING_BYTES
from sebrus.http.caching import CorruptBlob, immutable_blob_response
from sebrus.http.deps import (
    ContributionChainDep,
    DbSession,
    OptionalUser,
    Pagination,
    State,
    Uploader,
    dataset_or_404,
    release_after,
)
from sebrus.http.multipart_images import read_image_parts
from sebrus.primitives import DATASET_MAX_LABEL_BYTES, SHA256_PREFIX_PATTERN, is_canonical_sha256
from sebrus.services import items as item_index
from sebrus.services.audit.read_integrity import record_read_mismatch
from sebrus.services.errors import Conflict
from sebrus.services.ingest.contributions import UploadTooLarge, accept_upload
from sebrus.services.ingest.external_signatures import Presigned
from sebrus.services.review.blindness import shows_contributor
from sebrus.services.review.deposits_due import deposits_due, upload_notice

router = APIRouter(prefix="/api/dataset/{dataset_id}/items", tags=["items"], responses=ERROR_RESPONSES)

MAX_WAITING_UPLOADS = 1024
IMAGE_TYPES = ("png", "jpeg", "webp", "gif")


@router.post(
    "",
    status_code=201,
    responses={
        200: {"description": "The same bytes were uploaded before; the existing item is returned."},
        202: {"description": "Accepted and queued; not yet anchored when the wait ran out."},
        400: {"description": "Not an acceptable image, or an unknown label."},
        409: {"description": "Someone else already contributed these bytes."},
        413: {"description": "Larger than the dataset's limit."},
        429: {"description": "Too many uploads."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                **{f"image/{k}": {"schema": {"type": "string", "format": "binary"}} for k in IMAGE_TYPES},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "description": "Exactly one file part, the image (`curl -F file=@cat.png`).",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def upload_item(
    request: Request,
    response: Response,
    dataset_id: int,
    db: DbSession,
    user: Uploader,
    state: State,
    services: ContributionChainDep,
    label: Annotated[
        str,
        Query(
            min_length=1, max_length=DATASET_MAX_LABEL_BYTES, description="A label from the dataset's set."
        ),
    ],
    wait: Annotated[bool, Query(description="Wait until the item is anchored and indexed.")] = True,
    signature: Annotated[
        str | None,
        Query(
            max_length=132,
            description="Your own wallet's EIP-712 signature of the Contribution "
            "(from POST /api/dataset/{id}/contribution-typed-data); with `deadline` and `contributor`.",
        ),
    ] = None,
    deadline: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="The signed deadline.")] = None,
    contributor: Annotated[
        str | None, Query(max_length=42, description="The linked wallet that signed.")
    ] = None,
) -> UploadOut:
    # This handler is async so that the body can stream in with the size limit enforced; every database
    # call therefore goes through the thread pool (a blocking call here would stall the event loop,
    # and with it every request holding a pooled connection: a deadlock once the pool runs dry), and
    # the session is closed before any waiting, so an upload waiting for its block holds no connection.
    presigned = _presigned(signature, deadline, contributor)
    dataset = await run_in_threadpool(release_after, db, dataset_or_404, db, dataset_id)
    if _is_multipart(request):
        data = await _one_file_part(request, dataset.max_bytes)
    else:
        data = await _raw_body(request, dataset.max_bytes)
    accepted = await run_in_threadpool(
        release_after,
        db,
        accept_upload,
        db,
        link=services.link,
        blobs=state.blobs,
        dataset=dataset,
        user=user,
        label=label,
        data=data,
        limiter=services.limiter,
        presigned=presigned,
    )
    if accepted.created:
        services.relayer_loop.wake()
    item = accepted.item
    if item is None and wait:
        await to_thread.run_sync(
            services.indexer.wait_for,
            dataset.id,
            accepted.content_hash,
            state.settings.upload_wait_seconds,
            limiter=_waiters(request),
        )
    item, entry = await run_in_threadpool(
        release_after, db, item_index.upload_outcome, db, dataset.id, accepted.content_hash
    )
    if entry is not None and entry.state is OutboxState.TAKEN:
        # Another wallet anchored these bytes first (e.g. a front-runner): not this user's item.
        raise Conflict(entry.error or "This image was anchored first by another wallet.")
    if not accepted.created:
        response.status_code = 200
    elif item is None:
        response.status_code = 202
    due = await run_in_threadpool(release_after, db, _deposit_notice, db, dataset, item)
    return UploadOut.of(accepted.content_hash, item, entry, due)


def _deposit_notice(db: Session, dataset: Dataset, item: Item | None) -> tuple[int, str] | None:
    """The upload's deposit notice: for an indexed item only while its deposit is unpaid; for one still
    on its way to the chain whenever the dataset asks a deposit."""
    if item is not None and not deposits_due(db, [item]):
        return None
    return upload_notice(dataset, 1)


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().lstrip().startswith("multipart/form-data")


async def _raw_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413, UploadTooLarge(max_bytes).message)
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_bytes:
            raise HTTPException(413, UploadTooLarge(max_bytes).message)
        parts.append(chunk)
    return b"".join(parts)


async def _one_file_part(request: Request, max_bytes: int) -> bytes:
    """The image of a multipart body holding exactly one file part; the framing gets a small allowance
    beyond the dataset's limit, the image none."""
    try:
        parts = await read_image_parts(
            request, max_files=1, max_file_bytes=max_bytes, max_total_bytes=max_bytes + FORM_FRAMING_BYTES
        )
    except HTTPException as exc:
        if exc.status_code == 413:
            raise HTTPException(413, UploadTooLarge(max_bytes).message) from None
        raise
    if not parts:
        raise HTTPException(
            400, "The multipart body has no file part: send the image as one (-F file=@cat.png)."
        )
    if parts[0].too_large:
        raise HTTPException(413, UploadTooLarge(max_bytes).message)
    return bytes(parts[0].data)


def _presigned(signature: str | None, deadline: int | None, contributor: str | None) -> Presigned | None:
    given = [signature is not None, deadline is not None, contributor is not None]
    if not any(given):
        return None
    if not all(given):
        raise HTTPException(400, "A signed upload needs all of `signature`, `deadline` and `contributor`.")
    assert signature is not None and deadline is not None and contributor is not None
    return Presigned(contributor=contributor, deadline=deadline, signature=signature)


def _waiters(request: Request) -> CapacityLimiter:
    """Threads for uploads waiting on the chain, apart from the pool that does the work.

    Waiting threads only sleep on an event; taking them from the shared pool (40 threads) would let
    40 waiting uploads starve everything else, including the uploads the next batch needs.
    """
    limiter: CapacityLimiter | None = getattr(request.app.state, "upload_waiters", None)
    if limiter is None:
        limiter = CapacityLimiter(MAX_WAITING_UPLOADS)
        request.app.state.upload_waiters = limiter
    return limiter


@router.get("")
def list_items(
    dataset_id: int,
    db: DbSession,
    page: Pagination,
    viewer: OptionalUser,
    status: Annotated[ItemStatus | None, Query(description="Only items in this state.")] = None,
    contributor: Annotated[str | None, Query(max_length=42, description="Only this wallet's items.")] = None,
    label: Annotated[str | None, Query(max_length=DATASET_MAX_LABEL_BYTES)] = None,
    sha_prefix: Annotated[
        str | None,
        Query(
            pattern=SHA256_PREFIX_PATTERN,
            description="Only items whose sha256 starts with these hex digits (1 to 64, either case): "
            "resolve the short hash a table shows; `total` says whether it is unique.",
        ),
    ] = None,
) -> ItemList:
    dataset = dataset_or_404(db, dataset_id)
    found = item_index.list_items(
        db,
        dataset,
        page,
        status=status,
        contributor=contributor,
        label=label,
        sha_prefix=sha_prefix,
        viewer=viewer,
    )
    return ItemList.model_validate(
        {
            "status": "Success.",
            "items": [
                item_json(i, show_contributor=shows_contributor(i, dataset, viewer)) for i in found.items
            ],
            "total": found.total,
            "limit": found.limit,
            "offset": found.offset,
        }
    )


def _item(db: DbSession, dataset_id: int, content_hash: str) -> Item:
    if not is_canonical_sha256(content_hash):
        raise HTTPException(400, "An item is named by the sha256 of its bytes: 64 lowercase hex digits.")
    item = item_index.item_by_hash(db, dataset_id, content_hash)
    if item is None:
        raise HTTPException(404, f"No item {content_hash} in dataset {dataset_id}.")
    return item


@router.get("/{content_hash}")
def read_item(dataset_id: int, content_hash: ItemHash, db: DbSession, viewer: OptionalUser) -> ItemFound:
    dataset = dataset_or_404(db, dataset_id)
    item = _item(db, dataset_id, content_hash)
    shown = item_json(item, show_contributor=shows_contributor(item, dataset, viewer))
    return ItemFound.model_validate({"status": "Success.", "item": shown})


@router.get(
    "/{content_hash}/image",
    response_class=Response,
    responses={
        200: {
            "content": {
                f"image/{k}": {"schema": {"type": "string", "format": "binary"}} for k in IMAGE_TYPES
            },
            "description": "The image's bytes, as uploaded.",
        },
        304: {"description": "The client's copy (If-None-Match: its sha256) is current."},
        500: {
            "description": "The stored bytes no longer hash to the item's sha256: refused and logged. "
            "(An image over 32 MiB is checked while it streams: a mismatch cuts the response short.)"
        },
    },
)
def read_item_image(
    request: Request, dataset_id: int, content_hash: ItemHash, db: DbSession, state: State
) -> Response:
    """The bytes, re-hashed as they are served; the sha256 is the ETag and the answer is immutable (a
    hash never changes), so bytes that no longer match it are refused rather than cached for a year."""
    item = _item(db, dataset_id, content_hash)

    def on_corrupt(found: str | None) -> None:
        record_read_mismatch(state.session_factory, dataset_id, content_hash, found)

    try:
        return immutable_blob_response(
            request,
            state.blobs,
            item.content_hash,
            item.media_type or "application/octet-stream",
            # 0 is the indexer's "no blob when indexed": then the length is not known, not zero
            size=item.size or None,
            on_corrupt=on_corrupt,
        )
    except BlobNotFound:
        raise HTTPException(
            404, "The image's bytes are missing from the blob store; run the audit."
        ) from None
    except CorruptBlob:
        raise HTTPException(
            500,
            "The stored bytes of this image no longer match its sha256, so they are not served; "
            "the mismatch is in the audit log. Run the audit.",
        ) from None
