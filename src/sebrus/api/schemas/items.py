"""Items as the API shows them, and the upload's answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sebrus.api.schemas.common import Answer, PageAnswer, StatusAnswer
from sebrus.db.models import Item, OutboxEntry, OutboxState
from sebrus.primitives import DATASET_MAX_LABEL_BYTES


class ItemOut(Answer):
    id: int
    dataset_id: int
    content_hash: str
    label: str
    status: str
    contributor: str | None = Field(
        description="The contributing wallet; null while the item is undecided and the caller is neither "
        "the dataset's owner nor the contributor (review is blind to who contributed)."
    )
    contributor_user_id: int | None
    tx_hash: str | None
    block_number: int | None
    log_index: int | None
    size: int | None
    width: int | None
    height: int | None
    media_type: str | None
    created_at: str


def item_json(item: Item, *, show_contributor: bool = True) -> dict[str, Any]:
    """The item's JSON; ``show_contributor`` False blanks who contributed it (blind review, see
    ``services/review/blindness.py``)."""
    return {
        "id": item.id,
        "dataset_id": item.dataset_id,
        "content_hash": item.content_hash,
        "label": item.label,
        "status": item.status.value,
        "contributor": item.contributor_address if show_contributor else None,
        "contributor_user_id": item.contributor_user_id if show_contributor else None,
        "tx_hash": item.tx_hash,
        "block_number": item.block_number,
        "log_index": item.log_index,
        "size": item.size,
        "width": item.width,
        "height": item.height,
        "media_type": item.media_type,
        "created_at": item.created_at.isoformat(),
    }


class DepositDueOut(Answer):
    amount_wei: str = Field(description="The review deposit each item needs before anyone can vote on it.")
    message: str


def deposit_due_json(notice: tuple[int, str] | None) -> dict[str, str] | None:
    return None if notice is None else {"amount_wei": str(notice[0]), "message": notice[1]}


class UploadOut(StatusAnswer):
    content_hash: str
    state: str
    item: ItemOut | None
    deposit_due: DepositDueOut | None = Field(
        description="Set when the dataset asks a review deposit that this item still needs."
    )

    @classmethod
    def of(
        cls,
        content_hash: str,
        item: Item | None,
        entry: OutboxEntry | None,
        deposit_due: tuple[int, str] | None = None,
    ) -> UploadOut:
        """``state`` is the outbox's: pending, sent, confirmed or failed (an upload whose hash another
        wallet anchored first, "taken", is answered 409 by the router instead)."""
        status = "Item anchored." if item is not None else "Item queued for anchoring."
        return cls.model_validate(
            {
                "status": status if deposit_due is None else f"{status} A review deposit is due.",
                "content_hash": content_hash,
                "state": entry.state.value if entry is not None else OutboxState.CONFIRMED.value,
                "item": item_json(item) if item is not None else None,
                "deposit_due": deposit_due_json(deposit_due),
            }
        )


class BulkFileAccepted(Answer):
    name: str
    content_hash: str
    created: bool = Field(description="False: these bytes were already yours, with this label.")


class BulkFileRefused(Answer):
    name: str
    reason: str


class BulkUploadOut(StatusAnswer):
    accepted: list[BulkFileAccepted]
    refused: list[BulkFileRefused]
    queued: int = Field(description="Files newly queued for anchoring (acknowledged: none is lost).")
    deposit_due: DepositDueOut | None = Field(
        description="Set when the dataset asks a review deposit for each of the newly queued items."
    )


class ItemList(PageAnswer):
    items: list[ItemOut]


class ItemFound(StatusAnswer):
    item: ItemOut


# The signed-upload payload (``api/routers/contribution_signing.py``).


class TypedDataRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(min_length=64, max_length=64, description="The image's sha256, lowercase hex.")
    label: str = Field(
        min_length=1, max_length=DATASET_MAX_LABEL_BYTES, description="A label from the dataset's set."
    )
    contributor: str = Field(
        min_length=40, max_length=42, description="A wallet linked to your account; it will sign."
    )


class TypedDataOut(StatusAnswer):
    typed_data: dict[str, Any] = Field(description="The EIP-712 Contribution, for eth_signTypedData_v4.")
