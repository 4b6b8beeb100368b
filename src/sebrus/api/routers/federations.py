"""Federated training: the owner starts a federation; its rounds, exclusions and final model are public.

Reads are public, like releases: provenance is meant to be checked by anyone. Writes are the dataset
owner's: starting a federation, and the two calls the Flower server makes as it runs (``sebrus
federate start`` sends each round and the final model here with the owner's token, and this server,
which holds the chain, anchors them). A round or model sent again is answered 200 and anchored once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.federations import (
    FederationFound,
    FederationList,
    FederationStart,
    RoundIn,
    RoundRecorded,
    federation_json,
    round_json,
)
from sebrus.blobs.base import BlobStore
from sebrus.db.models import Federation, User
from sebrus.http.deps import (
    CurrentUser,
    DbSession,
    Federations,
    FederationsDep,
    State,
    Uploader,
    dataset_or_404,
    release_after,
)
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import NotFound
from sebrus.services.federation import queries
from sebrus.services.federation.model import MAX_FINAL_MODEL_BYTES, record_final_model
from sebrus.services.federation.rounds import anchor_round, federation_lock
from sebrus.services.federation.start import start_federation
from sebrus.services.federation.verify import verified_model

router = APIRouter(tags=["federations"], responses=ERROR_RESPONSES)

DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The dataset's id.")]
FederationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The federation's id.")]
TOO_LARGE = f"The model is larger than the limit of {MAX_FINAL_MODEL_BYTES:,} bytes."


def _found(db: Session, federation: Federation) -> FederationFound:
    rounds = queries.rounds_of(db, [federation])[federation.id]
    return FederationFound.model_validate(
        {"status": "Success.", "federation": federation_json(federation, rounds)}
    )


def _owned(db: Session, federation_id: int, user: User) -> Federation:
    federation = queries.get_federation(db, federation_id)
    require_owner(db, dataset_or_404(db, federation.dataset_id), user, "record the federated training of")
    return federation


@router.post(
    "/api/dataset/{dataset_id}/federations",
    status_code=201,
    responses={
        400: {
            "description": "A label not in the dataset's set, or no uploaded model to train; nothing stored."
        },
        403: {"description": "Only the dataset's owner starts federated training."},
    },
)
def start(
    dataset_id: DatasetId, body: FederationStart, db: DbSession, user: CurrentUser, chain: FederationsDep
) -> FederationFound:
    """Open a federation on chain (the owner's wallet signs) and record it; run `sebrus federate start`
    to serve its rounds."""
    dataset = dataset_or_404(db, dataset_id)
    federation = start_federation(
        db, link=chain.link, federations=chain.log, dataset=dataset, user=user, request=body.request()
    )
    found = _found(db, federation)
    found.status = "Federation started."
    return found


@router.get("/api/dataset/{dataset_id}/federations")
def list_federations(dataset_id: DatasetId, db: DbSession) -> FederationList:
    """The dataset's federations, newest first, each with its rounds and exclusions."""
    dataset = dataset_or_404(db, dataset_id)
    found = queries.federations_of(db, dataset)
    rounds = queries.rounds_of(db, found)
    return FederationList.model_validate(
        {"status": "Success.", "federations": [federation_json(f, rounds[f.id]) for f in found]}
    )


@router.get("/api/federations/{federation_id}")
def get_federation(federation_id: FederationId, db: DbSession) -> FederationFound:
    """One federation: its configuration, every anchored round (participants, exclusions, hashes, the
    transaction) and its final model's hash."""
    return _found(db, queries.get_federation(db, federation_id))


@router.post(
    "/api/federations/{federation_id}/rounds",
    status_code=201,
    responses={
        200: {"description": "This round was already anchored with these facts (a replay)."},
        400: {
            "description": "A round outside the federation, a wallet that is not an address, or exclusions "
            "that are not participants."
        },
        403: {"description": "Only the dataset's owner records its federation's rounds."},
        409: {"description": "The round was anchored with other facts, or the federation has finished."},
    },
)
def record_round(
    response: Response,
    federation_id: FederationId,
    body: RoundIn,
    db: DbSession,
    user: CurrentUser,
    chain: FederationsDep,
) -> RoundRecorded:
    """Anchor one round in one transaction (the platform's operator account signs) and store it."""
    federation = _owned(db, federation_id, user)
    anchored = anchor_round(
        db, chain.log, chain.link.operators.relayer, federation, body.record(federation.id)
    )
    if not anchored.created:
        response.status_code = 200
    return RoundRecorded.model_validate(
        {
            "status": "Round anchored." if anchored.created else "Round already anchored.",
            "round": round_json(anchored.row),
        }
    )


def _store_model(
    db: Session, chain: Federations, blobs: BlobStore, federation_id: int, sha256: str, data: bytes
) -> Federation:
    with federation_lock(federation_id):
        federation = queries.get_federation(db, federation_id)
        return record_final_model(
            db, chain.log, chain.link.operators.relayer, blobs, federation, sha256, data
        )


@router.put(
    "/api/federations/{federation_id}/model",
    responses={
        400: {"description": "The bytes do not hash to `sha256`; nothing stored."},
        403: {"description": "Only the dataset's owner records its federation's model."},
        409: {"description": "Another final model was recorded, or no round was anchored yet."},
        413: {"description": "Larger than the model limit."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def put_model(
    request: Request,
    federation_id: FederationId,
    db: DbSession,
    user: Uploader,
    state: State,
    chain: FederationsDep,
    sha256: Annotated[
        str,
        Query(
            pattern=r"^(0x)?[0-9a-fA-F]{64}$", description="The model's sha256, as the engine computed it."
        ),
    ],
) -> FederationFound:
    """Keep the final model (the raw body) in the blob store and anchor its sha256 once."""
    await run_in_threadpool(release_after, db, _owned, db, federation_id, user)  # 404/403 before the body
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and int(declared) > MAX_FINAL_MODEL_BYTES
    ):
        raise HTTPException(413, TOO_LARGE)
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_FINAL_MODEL_BYTES:
            raise HTTPException(413, TOO_LARGE)
        parts.append(chunk)
    data = b"".join(parts)
    session = state.session_factory()
    try:
        federation = await run_in_threadpool(
            _store_model, session, chain, state.blobs, federation_id, sha256, data
        )
        found = await run_in_threadpool(_found, session, federation)
    finally:
        session.close()
    found.status = "Final model recorded."
    return found


@router.get(
    "/api/federations/{federation_id}/model",
    response_class=Response,
    responses={
        200: {
            "description": "The final model's bytes, checked against the hash on chain before they are sent.",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {"description": "No such federation, or it has no final model yet."},
        409: {"description": "The stored bytes no longer match the anchored hash: nothing is sent."},
    },
)
def download_model(
    federation_id: FederationId, db: DbSession, state: State, chain: FederationsDep
) -> Response:
    """The final model, hash-checked; `X-Model-SHA256` names the hash to compare with the chain."""
    federation = queries.get_federation(db, federation_id)
    if federation.model_sha256 is None:
        raise NotFound(f"Federation {federation.id} has no final model yet.")
    data = verified_model(chain.log, state.blobs, federation)
    sha = federation.model_sha256
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "ETag": f'"{sha}"',
            "X-Model-SHA256": sha,
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Disposition": f'attachment; filename="federation-{federation.id}-model.bin"',
        },
    )
