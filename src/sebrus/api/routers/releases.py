"""Releases: publish a dataset's Approved items as a versioned release, list, read, page items and diff.

Reads are public (a release is meant to be downloaded and checked by anyone); publishing is the owner's.
A release never changes once published, so its item pages (what a download reads) are answered with
an ETag derived from the release's manifest hash and ``Cache-Control: immutable``; a client that
sends the ETag back in ``If-None-Match`` gets 304 before the page is read from the database. The
release's own answer also names the dataset, whose name and description the owner may edit, so it
carries an ETag of its content and is revalidated (``no-cache``) instead.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

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

REVALIDATE = "public, no-cache"
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag sent in If-None-Match is current."}
}


def _etag_of(data: bytes) -> str:
    return f'"{hashlib.sha256(data).hexdigest()[:40]}"'


def _not_modified(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names this ETag (weak comparison, as RFC 9110 asks for GET) or ``*``."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    sent = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in sent or etag in sent


def _cached(request: Request, etag: str, cache_control: str, body: bytes | None = None) -> Response:
    """304 when the client holds this ETag, else the JSON ``body``; both carry the caching headers."""
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if body is None or _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


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
            "release": release_json(
                dataset, published.release, service.release_removals(db, published.release)
            ),
        }
    )


@router.get("")
def list_releases(dataset_id: int, db: DbSession) -> ReleaseList:
    dataset = dataset_or_404(db, dataset_id)
    found = service.list_releases(db, dataset)
    removals = service.removals_by_release(db, found)
    return ReleaseList.model_validate(
        {"status": "Success.", "releases": [release_json(dataset, r, removals[r.id]) for r in found]}
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


@router.get("/{version}", response_model=ReleaseFound, responses=NOT_MODIFIED)
def read_release(request: Request, dataset_id: int, version: Version, db: DbSession) -> Response:
    dataset = dataset_or_404(db, dataset_id)
    release = service.get_release(db, dataset, version)
    answer = ReleaseFound.model_validate(
        {
            "status": "Success.",
            "release": release_json(dataset, release, service.release_removals(db, release)),
        }
    )
    body = answer.model_dump_json(by_alias=True).encode()
    return _cached(request, _etag_of(body), REVALIDATE, body)


@router.get("/{version}/items", response_model=ReleaseItems, responses=NOT_MODIFIED)
def read_release_items(
    request: Request, dataset_id: int, version: Version, db: DbSession, page: Pagination
) -> Response:
    dataset = dataset_or_404(db, dataset_id)
    release = service.get_release(db, dataset, version)
    rows = service.release_items(db, release, limit=page.limit, offset=page.offset)
    evidence = release_item_evidence(db, [item.id for _, item in rows])
    answer = ReleaseItems.model_validate(
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
    # Not immutable: each row's `suspicion` follows the newest scan, which may come after the release.
    # The ETag is the page's own content, so an unchanged page still answers 304.
    body = answer.model_dump_json(by_alias=True).encode()
    return _cached(request, _etag_of(body), REVALIDATE, body)
