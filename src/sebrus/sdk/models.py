"""Typed views of the API's JSON, so SDK users get attributes and a type checker instead of dict keys.

Each model reads only the fields it names, so a server that adds fields does not break older clients.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_jsonable(v) for v in value]
    return value


class _Model:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (datetimes as ISO 8601), for ``--json`` output and logging."""
        assert dataclasses.is_dataclass(self)
        return {f.name: _to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class User(_Model):
    id: int
    username: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> User:
        return cls(id=int(data["id"]), username=str(data["username"]))


@dataclass(frozen=True)
class Dataset(_Model):
    id: int
    name: str
    description: str
    address: str
    labels: list[str]
    owner_id: int | None
    owner: str | None  # the owner's username; None once their account is gone
    chain_id: int | None
    chain_index: int | None
    max_bytes: int
    min_width: int | None
    max_width: int | None
    min_height: int | None
    max_height: int | None
    payload_on_chain: bool
    review_policy: dict[str, Any]
    created_block: int | None
    created_at: datetime
    license: str | None = None  # the owner's licence (SPDX expression or URL); exports state it
    cite_as: str | None = None  # how the owner asks to be cited

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dataset:
        return cls(
            id=int(data["id"]),
            name=str(data["datasetName"]),
            description=str(data["description"]),
            address=str(data["address"]),
            labels=[str(label) for label in data.get("labels", [])],
            owner_id=data.get("owner_id"),
            owner=data.get("owner"),
            chain_id=data.get("chain_id"),
            chain_index=data.get("chain_index"),
            max_bytes=int(data["max_bytes"]),
            min_width=data.get("min_width"),
            max_width=data.get("max_width"),
            min_height=data.get("min_height"),
            max_height=data.get("max_height"),
            payload_on_chain=bool(data.get("payload_on_chain", False)),
            review_policy=dict(data.get("review_policy") or {}),
            created_block=data.get("created_block"),
            created_at=_time(data["created_at"]),
            license=data.get("license"),
            cite_as=data.get("cite_as"),
        )


@dataclass(frozen=True)
class Item(_Model):
    """One contributed image as the platform indexed it from the chain; ``content_hash`` names it."""

    id: int
    dataset_id: int
    content_hash: str
    label: str
    status: str
    contributor: str | None  # None: hidden while the item is undecided (blind review)
    contributor_user_id: int | None
    tx_hash: str | None
    block_number: int | None
    log_index: int | None
    size: int | None
    width: int | None
    height: int | None
    media_type: str | None
    created_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        return cls(
            id=int(data["id"]),
            dataset_id=int(data["dataset_id"]),
            content_hash=str(data["content_hash"]),
            label=str(data["label"]),
            status=str(data["status"]),
            contributor=data.get("contributor"),
            contributor_user_id=data.get("contributor_user_id"),
            tx_hash=data.get("tx_hash"),
            block_number=data.get("block_number"),
            log_index=data.get("log_index"),
            size=data.get("size"),
            width=data.get("width"),
            height=data.get("height"),
            media_type=data.get("media_type"),
            created_at=_time(data["created_at"]),
        )


UploadOutcome = Literal["anchored", "already there", "queued"]

_OUTCOMES: dict[int, UploadOutcome] = {201: "anchored", 200: "already there", 202: "queued"}


@dataclass(frozen=True)
class BulkUploadResult(_Model):
    """What became of a bulk upload: per accepted file ``(name, content_hash, created)`` (created False:
    these bytes were yours already), per refused file ``(name, reason)``."""

    accepted: list[tuple[str, str, bool]]
    refused: list[tuple[str, str]]
    queued: int
    message: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkUploadResult:
        return cls(
            accepted=[(str(a["name"]), str(a["content_hash"]), bool(a["created"])) for a in data["accepted"]],
            refused=[(str(r["name"]), str(r["reason"])) for r in data["refused"]],
            queued=int(data["queued"]),
            message=str(data.get("status", "")),
        )


@dataclass(frozen=True)
class UploadResult(_Model):
    """What became of one upload.

    ``anchored``: new, on chain and indexed. ``already there``: these bytes were uploaded before (by you),
    and ``item`` is the existing one. ``queued``: accepted and acknowledged (nothing will be lost) but not
    yet anchored when the server stopped waiting; ``item`` is None until it is.
    """

    content_hash: str
    outcome: UploadOutcome
    state: str
    message: str
    item: Item | None

    @classmethod
    def from_response(cls, status_code: int, data: dict[str, Any]) -> UploadResult:
        item = data.get("item")
        return cls(
            content_hash=str(data["content_hash"]),
            outcome=_OUTCOMES.get(status_code, "queued"),
            state=str(data.get("state", "")),
            message=str(data.get("status", "")),
            item=Item.from_json(item) if isinstance(item, dict) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["item"] = self.item.to_dict() if self.item is not None else None
        return out
