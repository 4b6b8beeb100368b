"""Releases: publish a dataset's Approved items as a versioned release, list, read, page items and diff.

Reads are public (a release is meant to be downloaded and checked by anyone); publishing is the owner's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.releases import (
    ReleaseDiff,
    ReleaseFound,
    ReleaseItems,
    ReleaseList,
    ReleasePublish,
    release_json,
)
from sebrus.http.deps import CurrentUser, DbSession, Pagination, ReleaseChainDep, dataset_or_404
from sebrus.services import releases as service
from sebrus.services.release_evidence import release_item_evidence

router = APIRouter(prefix="/api/dataset/{dataset_id}/releases", tags=["releases"], responses=ERROR_RESPONSES)

MAX_VERSION = 2**63 - 1  # the database's BIGINT; the registry's uint64 is larger
Version = Annotated[int, Path(ge=1, le=MAX_VERSION, description="The release's version.")]


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
    response: Response,
    dataset_id: int,
    body: ReleasePublish,
    db: DbSession,
    user: CurrentUser,
    services: ReleaseChainDep,
) -> ReleaseFound:
    dataset = dataset_or_404(db, dataset_id)
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
    return ReleaseFound.model_validate(
        {
            "status": "Release published." if published.created else "Release already published.",
            "release": release_json(db, dataset, published.release),
        }
    )


@router.get("")
def list_releases(dataset_id: int, db: DbSession) -> ReleaseList:
    dataset = dataset_or_404(db, dataset_id)
    return ReleaseList.model_validate(
        {
            "status": "Success.",
            "releases": [release_json(db, dataset, r) for r in service.list_releases(db, dataset)],
        }
    )


@router.get("/diff")
def diff_releases(
    dataset_id: int,
    db: DbSession,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION, description="The older release.")],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_VERSION, description="The newer release.")],
) -> ReleaseDiff:
    dataset = dataset_or_404(db, dataset_id)
    diff = service.diff_releases(db, dataset, from_version, to_version)
    return ReleaseDiff.model_validate(
        {
            "status": "Success.",
            "from": from_version,
            "to": to_version,
            "added": [{"sha256": h, "label": label} for h, label in diff.added],
            "removed": [{"sha256": r.sha256, "label": r.label, "reason": r.reason} for r in diff.removed],
            "relabelled": [{"sha256": h, "from": a, "to": b} for h, a, b in diff.relabelled],
        }
    )


@router.get("/{version}")
def read_release(dataset_id: int, version: Version, db: DbSession) -> ReleaseFound:
    dataset = dataset_or_404(db, dataset_id)
    return ReleaseFound.model_validate(
        {
            "status": "Success.",
            "release": release_json(db, dataset, service.get_release(db, dataset, version)),
        }
    )


@router.get("/{version}/items")
def read_release_items(dataset_id: int, version: Version, db: DbSession, page: Pagination) -> ReleaseItems:
    dataset = dataset_or_404(db, dataset_id)
    release = service.get_release(db, dataset, version)
    rows = service.release_items(db, release, limit=page.limit, offset=page.offset)
    evidence = release_item_evidence(db, [item.id for _, item in rows])
    return ReleaseItems.model_validate(
        {
            "status": "Success.",
            "items": [
                {
                    "sha256": entry.content_hash,
                    "label": entry.label,
                    "media_type": item.media_type,
                    "contributor": item.contributor_address,
                    "tx_hash": item.tx_hash,
                    "block_number": item.block_number,
                    "votes": evidence[item.id].votes,
                    "suspicion": evidence[item.id].suspicion,
                }
                for entry, item in rows
            ],
            "total": release.item_count,
            "limit": page.limit,
            "offset": page.offset,
        }
    )
