from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from sebrus.api.schemas.common import ApiModel
from sebrus.api.schemas.scans import SeedImage
from sebrus.db.models import DEFAULT_MAX_BYTES, Dataset


class DatasetCreate(ApiModel):
    # The prototype's three fields; optional here so that a missing one gets a 400 naming it.
    datasetName: str | None = Field(default=None, examples=["cats-vs-dogs"])
    description: str | None = Field(default=None, examples=["Photos of cats and dogs"])
    address: str | None = Field(default=None, examples=["0x5FbDB2315678afecb367f032d93F642f64180aa3"])
    labels: list[str] = Field(default_factory=list, examples=[["cat", "dog"]])
    max_bytes: int = DEFAULT_MAX_BYTES
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None
    payload_on_chain: bool = False
    review_policy: dict[str, Any] = Field(default_factory=dict)
    seed: list[SeedImage] = Field(
        default_factory=list,
        max_length=5000,
        description="The vetted seed set: trusted images for scans (add more at /api/dataset/{id}/seed).",
    )


class DatasetUpdate(ApiModel):
    datasetName: str | None = None
    description: str | None = None
    address: str | None = Field(default=None, description="Accepted only if unchanged.")
    license: str | None = Field(
        default=None,
        max_length=1024,
        description='An SPDX licence expression (CC-BY-4.0) or the URL of the licence; "" clears it. '
        "Exports state it (Croissant `license`).",
    )
    cite_as: str | None = Field(
        default=None,
        max_length=16_000,
        description='How to cite the dataset (a BibTeX entry, say); "" clears it. Croissant `citeAs`.',
    )


class DatasetOut(ApiModel):
    id: int
    datasetName: str
    description: str
    address: str
    chain_id: int | None
    chain_index: int | None
    owner_id: int | None
    owner: str | None = Field(description="The owner's username (null once their account is gone).")
    labels: list[str]
    max_bytes: int
    min_width: int | None
    max_width: int | None
    min_height: int | None
    max_height: int | None
    payload_on_chain: bool
    review_policy: dict[str, Any]
    created_block: int | None
    license: str | None = Field(description="The owner's licence: an SPDX expression or a URL.")
    cite_as: str | None = Field(description="How the owner asks to be cited.")
    created_at: datetime

    @classmethod
    def of(cls, dataset: Dataset, owner: str | None) -> DatasetOut:
        """``owner`` is the owner's username, looked up by the caller (one query for a whole page)."""
        return cls(
            id=dataset.id,
            datasetName=dataset.name,
            description=dataset.description,
            address=dataset.address,
            chain_id=dataset.chain_id,
            chain_index=dataset.chain_index,
            owner_id=dataset.owner_id,
            owner=owner,
            labels=dataset.labels,
            max_bytes=dataset.max_bytes,
            min_width=dataset.min_width,
            max_width=dataset.max_width,
            min_height=dataset.min_height,
            max_height=dataset.max_height,
            payload_on_chain=dataset.payload_on_chain,
            review_policy=dataset.review_policy,
            created_block=dataset.created_block,
            license=dataset.license,
            cite_as=dataset.cite_as,
            created_at=dataset.created_at,
        )


class DatasetCreated(ApiModel):
    status: str
    new_dataset: DatasetOut


class DatasetFound(ApiModel):
    status: str
    dataset: DatasetOut
    user: DatasetOut = Field(description="Same as `dataset`; the prototype's client reads this key.")


class DatasetList(ApiModel):
    status: str
    datasets: list[DatasetOut]
    total: int
    limit: int
    offset: int


class RoleOut(ApiModel):
    user_id: int
    role: str


class RoleList(ApiModel):
    status: str
    roles: list[RoleOut]
