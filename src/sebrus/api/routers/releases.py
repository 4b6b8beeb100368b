"""Releases: publish a dataset's Approved items as a versioned release, list, read, page items and diff.

Reads are public (a release is meant to be downloaded and checked by anyone); publishing is the owner's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from sebrus.api.deps import CurrentUser, DbSession, Pagination
from sebrus.api.schemas.releases import ReleasePublish
from sebrus.db.models import Dataset, Release
from sebrus.services import releases as service

router = APIRouter(prefix="/api/dataset/{dataset_id}/releases", tags=["releases"])

MAX_VERSION = 2**63 - 1  # the database's BIGINT; the registry's uint64 is larger
Version = Annotated[int, Path(ge=1, le=MAX_VERSION, description="The release's version.")]


def _dataset(db: DbSession, dataset_id: int) -> Dataset:
    dataset = db.get(Dataset, dataset_id)
    if dataset is None:
        raise HTTPException(404, f"Dataset {dataset_id} not found.")
    return dataset


def release_json(db: DbSession, dataset: Dataset, release: Release) -> dict[str, Any]:
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
        "removed": [
            {"sha256": r.content_hash, "label": r.label, "reason": r.reason}
            for r in service.release_removals(db, release)
        ],
    }


@router.post(
    "",
    status_code=201,
    responses={
        200: {"description": "This version was already published with these items (a retry)."},
        400: {"description": "Nothing approved to release, or a bad exclusion or version."},
        403: {"description": "Only the dataset's owner publishes."},
        409: {"description": "Nothing changed since the last release, or the version is taken."},
    },
)
def publish_release(
    request: Request,
    response: Response,
    dataset_id: int,
    body: ReleasePublish,
    db: DbSession,
    user: CurrentUser,
) -> dict[str, Any]:
    services = getattr(request.app.state, "chain", None)
    if services is None:
        raise HTTPException(503, "This server has no chain attached; releases cannot be published.")
    dataset = _dataset(db, dataset_id)
    published = service.publish_release(
        db,
        link=services.link,
        dataset=dataset,
        user=user,
        notes=body.notes,
        exclude=body.exclude,
        version=body.version,
    )
    if not published.created:
        response.status_code = 200
    return {
        "status": "Release published." if published.created else "Release already published.",
        "release": release_json(db, dataset, published.release),
    }


@router.get("")
def list_releases(dataset_id: int, db: DbSession) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    return {
        "status": "Success.",
        "releases": [release_json(db, dataset, r) for r in service.list_releases(db, dataset)],
    }


@router.get("/diff")
def diff_releases(
    dataset_id: int,
    db: DbSession,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION, description="The older release.")],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_VERSION, description="The newer release.")],
) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    diff = service.diff_releases(db, dataset, from_version, to_version)
    return {
        "status": "Success.",
        "from": from_version,
        "to": to_version,
        "added": [{"sha256": h, "label": label} for h, label in diff.added],
        "removed": [{"sha256": r.sha256, "label": r.label, "reason": r.reason} for r in diff.removed],
        "relabelled": [{"sha256": h, "from": a, "to": b} for h, a, b in diff.relabelled],
    }


@router.get("/{version}")
def read_release(dataset_id: int, version: Version, db: DbSession) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    return {
        "status": "Success.",
        "release": release_json(db, dataset, service.get_release(db, dataset, version)),
    }


@router.get("/{version}/items")
def read_release_items(dataset_id: int, version: Version, db: DbSession, page: Pagination) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    release = service.get_release(db, dataset, version)
    rows = service.release_items(db, release, limit=page.limit, offset=page.offset)
    return {
        "status": "Success.",
        "items": [
            {
                "sha256": entry.content_hash,
                "label": entry.label,
                "media_type": item.media_type,
                "contributor": item.contributor_address,
                "tx_hash": item.tx_hash,
                "block_number": item.block_number,
                "votes": None,  # filled once the review contract records votes
                "suspicion": None,  # filled once dataset scans record scores
            }
            for entry, item in rows
        ],
        "total": release.item_count,
        "limit": page.limit,
        "offset": page.offset,
    }
