"""A published release as one zip file: what the web page's download links serve.

The CLI and the SDK export a release by downloading it item by item; a browser cannot, so the server
writes the same export (``releases.export.write_export``: the ImageFolder tree, ``release.json`` and the
format's manifest, every image checked against its sha256 on the way) into a scratch folder and zips it
under one top folder, so that ``unzip`` gives exactly the folder ``sebrus verify`` checks.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobNotFound, BlobStore
from sebrus.db.models import Dataset, Release
from sebrus.releases.document import Removal
from sebrus.releases.export import FORMATS, ExportError, ExportItem, ReleaseInfo, write_export
from sebrus.services import releases
from sebrus.services.errors import InvalidInput

PAGE = 500  # release items read per query while the export is written


def archive_folder(dataset: Dataset, release: Release) -> str:
    """The zip's top folder, also the folder name the page's verify command uses: ``<name>-v<version>``."""
    slug = re.sub(r"[^a-z0-9]+", "-", dataset.name.lower()).strip("-")[:60] or f"dataset-{dataset.id}"
    return f"{slug}-v{release.version}"


def archive_name(dataset: Dataset, release: Release, fmt: str) -> str:
    return f"{archive_folder(dataset, release)}-{fmt}.zip"


def release_info(db: Session, dataset: Dataset, release: Release) -> ReleaseInfo:
    """The release as the export library describes it (the same facts the API's release answer gives)."""
    return ReleaseInfo(
        dataset_id=dataset.id,
        dataset_name=dataset.name,
        description=dataset.description,
        labels=tuple(dataset.labels),
        dataset_address=dataset.address,
        chain_id=release.chain_id,
        registry=release.registry_address,
        version=release.version,
        merkle_root=release.merkle_root,
        manifest_hash=release.manifest_hash,
        removed_hash=release.removed_hash,
        item_count=release.item_count,
        tx_hash=release.tx_hash,
        block_number=release.block_number,
        published_at=release.created_at.isoformat(),
        notes=release.notes,
        removed=tuple(
            Removal(r.content_hash, r.label, r.reason) for r in releases.release_removals(db, release)
        ),
    )


def _items(db: Session, release: Release) -> list[ExportItem]:
    items: list[ExportItem] = []
    while len(items) < release.item_count:
        page = releases.release_items(db, release, limit=PAGE, offset=len(items))
        if not page:
            break
        items.extend(
            ExportItem(
                entry.content_hash, entry.label, item.media_type, item.contributor_address, item.tx_hash
            )
            for entry, item in page
        )
    return items


def _fetcher(blobs: BlobStore) -> Callable[[str], bytes]:
    """The blob store's bytes; a missing image fails the export naming it, like an altered one."""

    def fetch(sha256: str) -> bytes:
        try:
            return blobs.get(sha256)
        except BlobNotFound:
            raise ExportError(f"item {sha256} is missing from the blob store; nothing was written") from None

    return fetch


def write_release_zip(
    db: Session, blobs: BlobStore, dataset: Dataset, release: Release, fmt: str, scratch: Path
) -> Path:
    """Write the release in ``fmt`` as a zip inside ``scratch`` (a folder the caller removes) and return it.

    Raises InvalidInput for an unknown format and ``ExportError`` when a stored image is missing or
    does not match its sha256 (then no zip is made: a download ``sebrus verify`` would fail is never
    offered).
    """
    if fmt not in FORMATS:
        raise InvalidInput(
            f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}.", field="format"
        )
    folder = archive_folder(dataset, release)
    tree = write_export(
        release_info(db, dataset, release), _items(db, release), _fetcher(blobs), scratch / folder, fmt
    )
    target = scratch / archive_name(dataset, release, fmt)
    # Images are already compressed: store them; deflate only the manifests.
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                compress = zipfile.ZIP_STORED if path.parent != tree else zipfile.ZIP_DEFLATED
                archive.write(path, f"{folder}/{path.relative_to(tree).as_posix()}", compress_type=compress)
    shutil.rmtree(tree, ignore_errors=True)
    return target


def scratch_folder() -> Path:
    """A private temporary folder for one download; the caller removes it when the response is sent."""
    return Path(tempfile.mkdtemp(prefix="sebrus-release-zip-"))
