"""``POST /api/dataset/{id}/contribution-typed-data``: what a contributor's own wallet signs.

A wallet the user linked (``/api/wallets/challenge`` and ``/link``) signs the returned payload with
``eth_signTypedData_v4``; the upload then carries ``signature``, ``deadline`` and ``contributor``
(see ``POST /api/dataset/{id}/items``), and the relayer anchors it with that signature, paying the gas.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.items import TypedDataOut, TypedDataRequest
from sebrus.http.deps import CurrentUser, DbSession
from sebrus.services import datasets
from sebrus.services.ingest.external_signatures import typed_data_for

router = APIRouter(tags=["items"], responses=ERROR_RESPONSES)

DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The dataset's id.")]


@router.post("/api/dataset/{dataset_id}/contribution-typed-data")
def contribution_typed_data(
    dataset_id: DatasetId, body: TypedDataRequest, db: DbSession, user: CurrentUser
) -> TypedDataOut:
    """The EIP-712 `Contribution` to sign, with a deadline an hour ahead."""
    dataset = datasets.get_dataset(db, dataset_id)
    typed = typed_data_for(
        db, dataset, user, content_hash=body.sha256, label=body.label, contributor=body.contributor
    )
    return TypedDataOut.model_validate(
        {"status": "Sign this with eth_signTypedData_v4.", "typed_data": typed}
    )
