"""The release document (``release.json``): what a release holds, and the hashes the chain records.

Everything here is plain data and stdlib hashing, so a consumer can verify an export with no server, no
database and no chain library. The canonical JSON is ``json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` encoded as UTF-8; the manifest hash is the sha256 of the
canonical JSON of ``{"format", "chain_id", "dataset", "version", "items": [[sha256, label], ...]}`` with
items in the Merkle tree's canonical order, and the removed hash is the sha256 of the canonical JSON of
the removal list (``[{"sha256", "label", "reason"}]`` sorted by sha256), or none when nothing was removed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sebrus.releases.merkle import CONSTRUCTION, canonical_order, merkle_root

FORMAT = "sebrus-release/1"
RELEASE_FILE = "release.json"
IMAGES_DIR = "images"
CSV_MANIFEST = "manifest.csv"
JSONL_MANIFEST = "manifest.jsonl"
CROISSANT_FILE = "croissant.json"
METADATA_FILES = frozenset({RELEASE_FILE, CSV_MANIFEST, JSONL_MANIFEST, CROISSANT_FILE})

_SAFE_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.+-]{0,63}")
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}


class ReleaseDocumentError(ValueError):
    """A release document that is missing, malformed, or inconsistent with itself."""


@dataclass(frozen=True)
class Removal:
    sha256: str
    label: str
    reason: str


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def manifest_hash(chain_id: int, dataset: str, version: int, items: Iterable[tuple[str, str]]) -> bytes:
    ordered = [[h.hex(), label] for h, label in canonical_order(items)]
    body = {"format": FORMAT, "chain_id": chain_id, "dataset": dataset, "version": version, "items": ordered}
    return hashlib.sha256(canonical_json(body)).digest()


def removed_hash(removals: Sequence[Removal]) -> bytes | None:
    if not removals:
        return None
    body = [
        {"sha256": r.sha256, "label": r.label, "reason": r.reason} for r in sorted(removals, key=_by_hash)
    ]
    return hashlib.sha256(canonical_json(body)).digest()


def _by_hash(removal: Removal) -> str:
    return removal.sha256


def label_dirs(labels: Sequence[str]) -> dict[str, str]:
    """Folder name per label. A label is untrusted text: only plain names become folders as they are."""
    folders: dict[str, str] = {}
    for index, label in enumerate(labels):
        plain = _SAFE_LABEL.fullmatch(label) is not None and label not in (".", "..")
        folders[label] = label if plain else f"label_{index:04d}"
    taken = list(folders.values())
    if len(set(f.lower() for f in taken)) != len(taken):  # case-insensitive file systems
        folders = {label: f"label_{index:04d}" for index, label in enumerate(labels)}
    return folders


def item_path(folder: str, sha256: str, media_type: str | None) -> str:
    """Where an item lives in an export, relative to its root, with ``/`` separators."""
    return f"{IMAGES_DIR}/{folder}/{sha256}{_EXTENSIONS.get(media_type or '', '.bin')}"


def merkle_description() -> dict[str, str]:
    """The construction in words, written into every release.json for whoever re-implements it."""
    return {
        "construction": CONSTRUCTION,
        "hash": "sha256",
        "order": "items sorted ascending by content hash (raw bytes)",
        "leaf": "sha256(0x00 || content_hash (32 bytes) || utf8(label))",
        "node": "sha256(0x01 || left || right)",
        "odd": "a level with an odd number of nodes promotes its last node unchanged",
    }


def check_document(doc: Mapping[str, Any]) -> None:
    """Refuse a release.json that is not one, or whose hashes disagree with its own item list."""
    if doc.get("format") != FORMAT:
        raise ReleaseDocumentError(f"{RELEASE_FILE}: format is {doc.get('format')!r}, expected {FORMAT!r}")
    for key in ("version", "merkle_root", "manifest_hash", "item_count", "items", "chain", "label_dirs"):
        if key not in doc:
            raise ReleaseDocumentError(f"{RELEASE_FILE}: the {key!r} field is missing")
    items = doc["items"]
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and {"path", "sha256", "label"} <= set(i) for i in items
    ):
        raise ReleaseDocumentError(f"{RELEASE_FILE}: items must be objects with path, sha256 and label")


def document_root(doc: Mapping[str, Any]) -> bytes:
    return merkle_root((i["sha256"], i["label"]) for i in doc["items"])


def document_manifest_hash(doc: Mapping[str, Any]) -> bytes:
    return manifest_hash(
        int(doc["chain"]["chain_id"]),
        str(doc["chain"]["dataset"]),
        int(doc["version"]),
        ((i["sha256"], i["label"]) for i in doc["items"]),
    )


def hex32(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()
