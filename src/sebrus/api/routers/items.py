"""Contributed items: upload an image, list and filter a dataset's items, fetch one and its bytes.

Uploads are the raw image bytes as the request body (``Content-Type: image/png`` and so on) with the
label in the query string, so the size limit is enforced while the body streams in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.api.deps import DbSession, Pagination, State, get_auth, get_optional_auth
from sebrus.blobs.base import BlobNotFound
from sebrus.db.models import Dataset, Item, ItemStatus, OutboxEntry, OutboxState, User
from sebrus.services.ingest.contributions import UploadTooLarge, accept_upload
from sebrus.services.ingest.external_signatures import Presigned

router = APIRouter(prefix="/api/dataset/{dataset_id}/items", tags=["items"])

_HASH = re.compile(r"[0-9a-f]{64}")
MAX_WAITING_UPLOADS = 1024
T = TypeVar("T")


def _chain(request: Request) -> Any:
    services = getattr(request.app.state, "chain", None)
    if services is None:
        raise HTTPException(503, "This server has no chain attached; contributions are unavailable.")
    return services


def _dataset(db: DbSession, dataset_id: int) -> Dataset:
    dataset = db.get(Dataset, dataset_id)
    if dataset is None:
        raise HTTPException(404, f"Dataset {dataset_id} not found.")
    return dataset


def item_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "dataset_id": item.dataset_id,
        "content_hash": item.content_hash,
        "label": item.label,
        "status": item.status.value,
        "contributor": item.contributor_address,
        "contributor_user_id": item.contributor_user_id,
        "tx_hash": item.tx_hash,
        "block_number": item.block_number,
        "log_index": item.log_index,
        "size": item.size,
        "width": item.width,
        "height": item.height,
        "media_type": item.media_type,
        "created_at": item.created_at.isoformat(),
    }


def _uploader(request: Request, db: DbSession) -> User:
    """The signed-in user, as ``CurrentUser`` finds them, with the connection handed back at once.

    Dependencies run in the shared thread pool; had this one kept its connection until the handler's
    first call, a burst of uploads would fill the pool with connections whose requests wait for a
    thread, while every thread waits for a connection.
    """
    try:
        return get_auth(get_optional_auth(request, db)).user
    finally:
        db.close()


Uploader = Annotated[User, Depends(_uploader)]


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
                f"image/{k}": {"schema": {"type": "string", "format": "binary"}}
                for k in ("png", "jpeg", "webp", "gif")
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
    label: Annotated[str, Query(min_length=1, max_length=128, description="A label from the dataset's set.")],
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
) -> dict[str, Any]:
    # This handler is async so that the body can stream in with the size limit enforced; every database
    # call therefore goes through the thread pool (a blocking call here would stall the event loop,
    # and with it every request holding a pooled connection: a deadlock once the pool runs dry), and
    # the session is closed before any waiting, so an upload waiting for its block holds no connection.
    services = _chain(request)
    presigned = _presigned(signature, deadline, contributor)
    dataset = await run_in_threadpool(_release_after, db, _dataset, db, dataset_id)
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and int(declared) > dataset.max_bytes
    ):
        raise HTTPException(413, UploadTooLarge(dataset.max_bytes).message)
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > dataset.max_bytes:
            raise HTTPException(413, UploadTooLarge(dataset.max_bytes).message)
        parts.append(chunk)
    data = b"".join(parts)
    accepted = await run_in_threadpool(
        _release_after,
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
    item, entry = await run_in_threadpool(_release_after, db, _outcome, db, dataset.id, accepted.content_hash)
    if not accepted.created:
        response.status_code = 200
    elif item is None:
        response.status_code = 202
    return {
        "status": "Item anchored." if item is not None else "Item queued for anchoring.",
        "content_hash": accepted.content_hash,
        "state": entry.state.value if entry is not None else OutboxState.CONFIRMED.value,
        "item": item_json(item) if item is not None else None,
    }


def _presigned(signature: str | None, deadline: int | None, contributor: str | None) -> Presigned | None:
    given = [signature is not None, deadline is not None, contributor is not None]
    if not any(given):
        return None
    if not all(given):
        raise HTTPException(400, "A signed upload needs all of `signature`, `deadline` and `contributor`.")
    assert signature is not None and deadline is not None and contributor is not None
    return Presigned(contributor=contributor, deadline=deadline, signature=signature)


def _release_after(db: Session, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``work`` and hand the session's connection back to the pool, whatever happens.

    ``close`` rather than ``rollback``: the objects read stay loaded (detached), so the handler can
    still read them without another query.
    """
    try:
        return work(*args, **kwargs)
    finally:
        db.close()


def _outcome(db: Session, dataset_id: int, content_hash: str) -> tuple[Item | None, OutboxEntry | None]:
    item = db.scalar(select(Item).where(Item.dataset_id == dataset_id, Item.content_hash == content_hash))
    entry = db.scalar(
        select(OutboxEntry).where(
            OutboxEntry.dataset_id == dataset_id, OutboxEntry.content_hash == content_hash
        )
    )
    return item, entry


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
    status: Annotated[ItemStatus | None, Query(description="Only items in this state.")] = None,
    contributor: Annotated[str | None, Query(max_length=42, description="Only this wallet's items.")] = None,
    label: Annotated[str | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    query = select(Item).where(Item.dataset_id == dataset.id)
    if status is not None:
        query = query.where(Item.status == status)
    if contributor is not None:
        query = query.where(func.lower(Item.contributor_address) == contributor.lower())
    if label is not None:
        query = query.where(Item.label == label)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Item.id).limit(page.limit).offset(page.offset))
    return {
        "status": "Success.",
        "items": [item_json(i) for i in rows],
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
    }


def _item(db: DbSession, dataset_id: int, content_hash: str) -> Item:
    if _HASH.fullmatch(content_hash) is None:
        raise HTTPException(400, "An item is named by the sha256 of its bytes: 64 lowercase hex digits.")
    item = db.scalar(select(Item).where(Item.dataset_id == dataset_id, Item.content_hash == content_hash))
    if item is None:
        raise HTTPException(404, f"No item {content_hash} in dataset {dataset_id}.")
    return item


@router.get("/{content_hash}")
def read_item(dataset_id: int, content_hash: str, db: DbSession) -> dict[str, Any]:
    return {"status": "Success.", "item": item_json(_item(db, dataset_id, content_hash))}


@router.get("/{content_hash}/image", response_class=Response)
def read_item_image(dataset_id: int, content_hash: str, db: DbSession, state: State) -> Response:
    item = _item(db, dataset_id, content_hash)
    try:
        data = state.blobs.get(item.content_hash)
    except BlobNotFound:
        raise HTTPException(
            404, "The image's bytes are missing from the blob store; run the audit."
        ) from None
    return Response(
        data,
        media_type=item.media_type or "application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )
