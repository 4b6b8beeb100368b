"""``/api/abi``: contract ABIs kept in the database, changed only by whoever registered them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sebrus.api.schemas.abis import AbiCreate, AbiEnvelope, AbiList, AbiOut, AbiUpdate
from sebrus.api.schemas.common import ERROR_RESPONSES, StatusOut
from sebrus.http.caching import json_with_etag
from sebrus.http.deps import CurrentUser, DbSession, Pagination
from sebrus.services import abis
from sebrus.services.errors import InvalidInput

_NOT_MODIFIED = "The client's copy (If-None-Match: the ETag it was given) is current."

router = APIRouter(prefix="/api/abi", tags=["abis"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=AbiEnvelope)
def create_abi(body: AbiCreate, db: DbSession, user: CurrentUser) -> AbiEnvelope:
    if body.name is None or body.abi is None:
        raise InvalidInput("Both `name` and `abi` are required.")
    row = abis.create_abi(db, user, body.name, body.abi)
    return AbiEnvelope(status="ABI created.", abi=AbiOut.model_validate(row))


@router.get("", response_model=AbiList, responses={304: {"description": _NOT_MODIFIED}})
def list_abis(db: DbSession, page: Pagination, request: Request) -> Response:
    found = abis.list_abis(db, page)
    listed = AbiList(
        status="Success.",
        abis=[AbiOut.model_validate(a) for a in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )
    return json_with_etag(request, listed)


@router.get(
    "/{abi_ref}",
    response_model=AbiEnvelope,
    responses={304: {"description": _NOT_MODIFIED}},
)
def read_abi(abi_ref: str, db: DbSession, request: Request) -> Response:
    """``abi_ref`` is the ABI's numeric id or its name. Answers carry an ETag: revalidating costs a 304."""
    found = AbiEnvelope(status="ABI found.", abi=AbiOut.model_validate(abis.get_abi(db, abi_ref)))
    return json_with_etag(request, found)


@router.put("/{abi_ref}", response_model=AbiEnvelope)
def update_abi(abi_ref: str, body: AbiUpdate, db: DbSession, user: CurrentUser) -> AbiEnvelope:
    row = abis.update_abi(db, user, abis.get_abi(db, abi_ref), name=body.name, abi=body.abi)
    return AbiEnvelope(status="ABI updated.", abi=AbiOut.model_validate(row))


@router.delete("/{abi_ref}", response_model=StatusOut)
def delete_abi(abi_ref: str, db: DbSession, user: CurrentUser) -> StatusOut:
    abis.delete_abi(db, user, abis.get_abi(db, abi_ref))
    return StatusOut(status="ABI removed.")
