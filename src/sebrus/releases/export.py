"""Write a release to a directory in the formats people train from.

Every format writes the images as an ImageFolder tree (``images/<label>/<sha256>.<ext>``) and a
``release.json`` naming the Merkle root, the chain id and the contract addresses; ``csv`` and ``jsonl``
add a manifest, ``croissant`` adds the CSV manifest and Croissant JSON-LD metadata. The export is built
in a sibling temporary folder and renamed into place, so a failed export leaves nothing behind, and
every image's bytes are checked against their sha256 before they are written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sebrus.releases.croissant import croissant_metadata
from sebrus.releases.document import (
    CROISSANT_FILE,
    CSV_MANIFEST,
    FORMAT,
    JSONL_MANIFEST,
    RELEASE_FILE,
    Removal,
    hex32,
    item_path,
    label_dirs,
    manifest_hash,
    merkle_description,
)
from sebrus.releases.merkle import merkle_root

FORMATS = ("imagefolder", "csv", "jsonl", "croissant")
MANIFEST_COLUMNS = ("path", "label", "sha256", "contributor", "tx_hash", "votes", "suspicion")


class ExportError(ValueError):
    """The export could not be written; the message names the item or the path at fault."""


@dataclass(frozen=True)
class ExportItem:
    sha256: str
    label: str
    media_type: str | None
    contributor: str
    tx_hash: str | None
    votes: Any = None  # filled once reviews exist
    suspicion: float | None = None  # filled once scans exist


@dataclass(frozen=True)
class ReleaseInfo:
    """What the server says about a release; the export re-checks its hashes before trusting it."""

    dataset_id: int
    dataset_name: str
    description: str
    labels: Sequence[str]
    dataset_address: str
    chain_id: int
    registry: str
    version: int
    merkle_root: str
    manifest_hash: str
    removed_hash: str | None
    item_count: int
    tx_hash: str | None
    block_number: int | None
    published_at: str
    notes: str = ""
    removed: Sequence[Removal] = field(default_factory=tuple)
    license: str | None = None  # the owner's: an SPDX expression or a URL; None when not stated
    cite_as: str | None = None  # the owner's citation; None when not stated


def write_export(
    info: ReleaseInfo, items: Sequence[ExportItem], fetch: Callable[[str], bytes], out: Path, fmt: str
) -> Path:
    """Write the release to ``out`` (which must not exist, or be an empty folder) and return it."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    _check_against_info(info, items)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} already exists and is not an empty folder; choose a new --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        rows = _write_images(info, items, fetch, staging)
        if fmt in ("csv", "croissant"):
            _write_csv(staging / CSV_MANIFEST, rows)
        if fmt == "jsonl":
            _write_jsonl(staging / JSONL_MANIFEST, rows)
        if fmt == "croissant":
            files = {row["path"]: row["sha256"] for row in rows}
            files[CSV_MANIFEST] = _sha256_file(staging / CSV_MANIFEST)
            _write_json(staging / CROISSANT_FILE, croissant_metadata(info, files))
        _write_json(staging / RELEASE_FILE, release_document(info, rows))
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def release_document(info: ReleaseInfo, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "dataset": {
            "id": info.dataset_id,
            "name": info.dataset_name,
            "description": info.description,
            "labels": list(info.labels),
        },
        "chain": {
            "chain_id": info.chain_id,
            "dataset": info.dataset_address,
            "registry": info.registry,
            "tx_hash": info.tx_hash,
            "block_number": info.block_number,
        },
        "version": info.version,
        "published_at": info.published_at,
        "notes": info.notes,
        "merkle_root": info.merkle_root,
        "manifest_hash": info.manifest_hash,
        "removed_hash": info.removed_hash,
        "item_count": info.item_count,
        "merkle": merkle_description(),
        "label_dirs": label_dirs(info.labels),
        "removed": [{"sha256": r.sha256, "label": r.label, "reason": r.reason} for r in info.removed],
        "items": [{"path": r["path"], "sha256": r["sha256"], "label": r["label"]} for r in rows],
    }


def _check_against_info(info: ReleaseInfo, items: Sequence[ExportItem]) -> None:
    pairs = [(i.sha256, i.label) for i in items]
    if len(items) != info.item_count:
        raise ExportError(f"the server listed {len(items)} items for a release of {info.item_count}")
    unknown = sorted({i.label for i in items} - set(info.labels))
    if unknown:
        raise ExportError(f"items carry labels the dataset does not have: {unknown}")
    if hex32(merkle_root(pairs)) != info.merkle_root:
        raise ExportError("the items the server listed do not hash to the release's Merkle root")
    expected = hex32(manifest_hash(info.chain_id, info.dataset_address, info.version, pairs))
    if expected != info.manifest_hash:
        raise ExportError("the items the server listed do not hash to the release's manifest hash")


def _write_images(
    info: ReleaseInfo, items: Sequence[ExportItem], fetch: Callable[[str], bytes], root: Path
) -> list[dict[str, Any]]:
    folders = label_dirs(info.labels)
    rows: list[dict[str, Any]] = []
    for item in sorted(items, key=lambda i: i.sha256):
        data = fetch(item.sha256)
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise ExportError(
                f"the bytes served for item {item.sha256} do not hash to it; nothing was written"
            )
        relative = item_path(folders[item.label], item.sha256, item.media_type)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        rows.append(
            {
                "path": relative,
                "label": item.label,
                "sha256": item.sha256,
                "contributor": item.contributor,
                "tx_hash": item.tx_hash,
                "votes": item.votes,
                "suspicion": item.suspicion,
            }
        )
    return rows


def _write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row[k]) for k in MANIFEST_COLUMNS})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({k: row[k] for k in MANIFEST_COLUMNS}, ensure_ascii=False) + "\n")


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
