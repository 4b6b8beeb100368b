"""``POST /api/dataset/{id}/contribution-typed-data``: what a contributor's own wallet signs.

A wallet the user linked (``/api/wallets/challenge`` and ``/link``) signs the returned payload with
``eth_signTypedData_v4``; the upload then carries ``signature``, ``deadline`` and ``contributor``
(see ``POST /api/dataset/{id}/items``), and the relayer anchors it with that signature, paying the gas.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from sebrus.api.deps import CurrentUser, DbSession
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.services import datasets
from sebrus.services.ingest.external_signatures import typed_data_for

router = APIRouter(tags=["items"], responses=ERROR_RESPONSES)

DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The dataset's id.")]


class TypedDataRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(min_length=64, max_length=64, description="The image's sha256, lowercase hex.")
    label: str = Field(min_length=1, max_length=128, description="A label from the dataset's set.")
    contributor: str = Field(
        min_length=40, max_length=42, description="A wallet linked to your account; it will sign."
    )


@router.post("/api/dataset/{dataset_id}/contribution-typed-data")
def contribution_typed_data(
    dataset_id: DatasetId, body: TypedDataRequest, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """The EIP-712 `Contribution` to sign, with a deadline an hour ahead."""
    dataset = datasets.get_dataset(db, dataset_id)
    typed = typed_data_for(
        db, dataset, user, content_hash=body.sha256, label=body.label, contributor=body.contributor
    )
    return {"status": "Sign this with eth_signTypedData_v4.", "typed_data": typed}
