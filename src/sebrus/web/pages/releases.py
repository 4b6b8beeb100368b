"""The releases page's renderer: the list (with each release's diff against the one before), how to
download and verify each, and the owner's publish form; the publish route renders it again after a
refusal, with the message and what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Response

from sebrus.db.models import Dataset, Release
from sebrus.releases.export import FORMATS
from sebrus.services import releases
from sebrus.services.accounts.users import usernames
from sebrus.services.release_archive import archive_folder
from sebrus.services.releases import MAX_NOTES, ReleaseDiff
from sebrus.web.chain_info import chain_services, served_network
from sebrus.web.context import WebRequest

#: Each format's name on the page, in the order the download links show them.
FORMAT_NAMES = {"imagefolder": "ImageFolder", "csv": "CSV", "jsonl": "JSONL", "croissant": "Croissant"}
assert set(FORMAT_NAMES) == set(FORMATS)
DIFF_SHOWN = 50  # entries of each kind a release's diff lists on the page; the API pages through all


@dataclass(frozen=True)
class ReleaseView:
    """One release as the page lists it."""

    release: Release
    publisher: str | None
    diff: ReleaseDiff | None  # against the release before it; None for the first
    folder: str  # what the zip unpacks to, and what the verify command names
    verify: str
    verify_on_chain: str | None  # None when the page cannot name a node of the release's chain


def _chain_url(web: WebRequest) -> str | None:
    """A JSON-RPC URL anyone can check a release against: this server's /rpc when it serves its
    embedded chain; otherwise the operator's node URL is not ours to publish, and the page says so."""
    if served_network(web.request) is None:
        return None
    return str(web.request.base_url).rstrip("/") + "/rpc"


def _views(web: WebRequest, dataset: Dataset) -> list[ReleaseView]:
    found = releases.list_releases(web.db, dataset)
    names = usernames(web.db, [r.publisher_user_id for r in found])
    chain_url = _chain_url(web)
    views = []
    for previous, release in zip([None, *found], found, strict=False):
        folder = archive_folder(dataset, release)
        diff = None
        if previous is not None:
            diff = releases.diff_releases(web.db, dataset, previous.version, release.version)
        views.append(
            ReleaseView(
                release=release,
                publisher=names.get(release.publisher_user_id or 0),
                diff=diff,
                folder=folder,
                verify=f"sebrus verify {folder}",
                verify_on_chain=f"sebrus verify {folder} --chain-url {chain_url}" if chain_url else None,
            )
        )
    return list(reversed(views))  # newest first


def render_releases(
    web: WebRequest,
    dataset: Dataset,
    *,
    notes: str = "",
    error: str = "",
    published: int | None = None,
    status_code: int = 200,
) -> Response:
    user = web.user
    context: dict[str, Any] = {
        "dataset": dataset,
        "views": _views(web, dataset),
        "formats": FORMAT_NAMES,
        "diff_shown": DIFF_SHOWN,
        "is_owner": user is not None and dataset.owner_id == user.id,
        "chain_attached": chain_services(web.request) is not None,
        "notes": notes,
        "max_notes": MAX_NOTES,
        "error": error,
        "published": published,
        "server_url": str(web.request.base_url).rstrip("/"),
    }
    return web.render("releases.html", context, status_code=status_code)
