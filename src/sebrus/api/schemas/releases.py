"""Request bodies and answers of the release routes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sebrus.api.schemas.common import Answer, PageAnswer, StatusAnswer
from sebrus.db.models import Dataset, Release, ReleaseRemoval


class ReleasePublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: str = Field(default="", max_length=4000, description="What this release is, for people.")
    exclude: dict[str, str] = Field(
        default_factory=dict,
        max_length=10_000,
        description="Approved items to leave out: sha256 -> why. Items of the previous release left out "
        "are listed as removed with this reason.",
    )
    version: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,
        description="The version you expect to publish; a retry with the same version and items returns "
        "the release already published instead of failing.",
    )


# ---------------------------------------------------------------------------------------------- answers


class RemovedOut(Answer):
    sha256: str
    label: str
    reason: str | None


class ReleaseOut(Answer):
    dataset_id: int
    dataset_name: str
    description: str
    labels: list[str]
    dataset_address: str | None
    version: int
    merkle_root: str
    manifest_hash: str
    removed_hash: str | None
    item_count: int
    notes: str
    chain_id: int
    registry: str
    publisher: str
    tx_hash: str | None
    block_number: int | None
    published_at: str
    removed: list[RemovedOut]
    license: str | None = Field(description="The dataset's licence as its owner states it now.")
    cite_as: str | None = Field(description="How the dataset's owner asks to be cited, as stated now.")


def release_json(dataset: Dataset, release: Release, removals: Sequence[ReleaseRemoval]) -> dict[str, Any]:
    """One release's answer; its removals are passed in so that a list loads them all in one query."""
    return {
        "dataset_id": dataset.id,
        "dataset_name": dataset.name,
        "description": dataset.description,
        "labels": list(dataset.labels),
        "dataset_address": dataset.address,
        "version": release.version,
        "merkle_root": release.merkle_root,
        "manifest_hash": release.manifest_hash,
        "removed_hash": release.removed_hash,
        "item_count": release.item_count,
        "notes": release.notes,
        "chain_id": release.chain_id,
        "registry": release.registry_address,
        "publisher": release.publisher_address,
        "tx_hash": release.tx_hash,
        "block_number": release.block_number,
        "published_at": release.created_at.isoformat(),
        "removed": [{"sha256": r.content_hash, "label": r.label, "reason": r.reason} for r in removals],
        "license": dataset.license,
        "cite_as": dataset.cite_as,
    }


class ReleaseFound(StatusAnswer):
    release: ReleaseOut


class ReleaseList(StatusAnswer):
    releases: list[ReleaseOut]


class AddedOut(Answer):
    sha256: str
    label: str


class RelabelledOut(Answer):
    sha256: str
    from_: str = Field(alias="from")
    to: str


class ReleaseDiff(StatusAnswer):
    from_: int = Field(alias="from")
    to: int
    added: list[AddedOut]
    removed: list[RemovedOut]
    relabelled: list[RelabelledOut]


class ReleaseVotesOut(Answer):
    approve: int = Field(description="Revealed ballots for approving the item, over all its rounds.")
    reject: int = Field(description="Revealed ballots for rejecting it.")


class ReleaseItemOut(Answer):
    sha256: str
    label: str
    media_type: str | None
    contributor: str
    tx_hash: str | None
    block_number: int | None
    votes: ReleaseVotesOut = Field(
        description="The item's revealed ballots by side (0 and 0 when its resolver decided it directly)."
    )
    suspicion: float | None = Field(
        description="Poison-detector suspicion from the newest finished scan that scored the item; "
        "null when none did."
    )


class ReleaseItems(PageAnswer):
    items: list[ReleaseItemOut]
