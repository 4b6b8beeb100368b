"""Check an exported release offline: each file's sha256, the Merkle root, the manifests, maybe the chain.

``release.json`` is read but not trusted: its item paths must have the shape an export writes, its label
folders are recomputed from the label set, and its hashes are recomputed from its own item list. Without a
chain lookup the check proves only that the files match ``release.json``, which anyone could have rewritten
together with them; the report says so (``chain_consulted``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from sebrus.releases.document import (
    CROISSANT_FILE,
    CSV_MANIFEST,
    IMAGES_DIR,
    JSONL_MANIFEST,
    METADATA_FILES,
    RELEASE_FILE,
    ReleaseDocumentError,
    check_document,
    document_manifest_hash,
    document_root,
    hex32,
    label_dirs,
)
from sebrus.releases.merkle import MerkleError, merkle_root

Kind = Literal["changed", "added", "removed", "relabelled", "moved", "manifest", "metadata", "chain"]

_ITEM_PATH = re.compile(rf"{IMAGES_DIR}/([^/]+)/([0-9a-f]{{64}})\.(png|jpg|webp|gif|bin)")


class OnChainRelease(Protocol):
    merkle_root: bytes
    manifest_hash: bytes
    item_count: int


# (registry, dataset, version) -> the release the chain holds, or None if it holds none.
ChainLookup = Callable[[str, str, int], OnChainRelease | None]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass
class VerifyReport:
    directory: str
    dataset: str | None = None
    chain_id: int | None = None
    registry: str | None = None
    version: int | None = None
    expected_root: str | None = None
    recomputed_root: str | None = None
    chain_root: str | None = None
    chain_consulted: bool = False
    files_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings and self.recomputed_root is not None

    def add(self, kind: Kind, path: str, detail: str) -> None:
        self.findings.append(Finding(kind, path, detail))

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "directory": self.directory,
            "dataset": self.dataset,
            "chain_id": self.chain_id,
            "registry": self.registry,
            "version": self.version,
            "expected_root": self.expected_root,
            "recomputed_root": self.recomputed_root,
            "chain_consulted": self.chain_consulted,
            "chain_root": self.chain_root,
            "files_checked": self.files_checked,
            "findings": [{"kind": f.kind, "path": f.path, "detail": f.detail} for f in self.findings],
        }


def verify_export(directory: Path, chain: ChainLookup | None = None) -> VerifyReport:
    """Compare ``directory`` with its release.json (and with the chain, given a lookup)."""
    root = Path(directory)
    report = VerifyReport(directory=str(root))
    doc = _load_document(root)
    report.dataset = str(doc["chain"].get("dataset"))
    report.chain_id = int(doc["chain"].get("chain_id", 0))
    report.registry = str(doc["chain"].get("registry"))
    report.version = int(doc["version"])
    report.expected_root = str(doc["merkle_root"])

    expected = _expected_items(doc, report)
    _check_document_hashes(doc, report)
    present = _present_files(root, report)
    folder_labels = {folder: label for label, folder in label_dirs(doc["dataset"]["labels"]).items()}
    _compare_files(root, expected, present, folder_labels, report)
    _check_manifests(root, expected, report)
    if chain is not None:
        _check_chain(doc, chain, report)
    return report


def _load_document(root: Path) -> dict[str, Any]:
    path = root / RELEASE_FILE
    if not root.is_dir():
        raise ReleaseDocumentError(f"{root} is not a folder")
    if not path.is_file():
        raise ReleaseDocumentError(f"{root} has no {RELEASE_FILE}: is it a SeBRUS release export?")
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReleaseDocumentError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ReleaseDocumentError(f"{path} does not hold a JSON object")
    check_document(doc)
    return doc


def _expected_items(doc: dict[str, Any], report: VerifyReport) -> dict[str, tuple[str, str]]:
    """path -> (sha256, label), keeping only paths of the shape an export writes."""
    folders = label_dirs(doc["dataset"]["labels"])
    expected: dict[str, tuple[str, str]] = {}
    for item in doc["items"]:
        path, sha, label = str(item["path"]), str(item["sha256"]), str(item["label"])
        match = _ITEM_PATH.fullmatch(path)
        if match is None or match.group(2) != sha or folders.get(label) != match.group(1):
            report.add("metadata", RELEASE_FILE, f"item path {path!r} is not where label {label!r} belongs")
            continue
        expected[path] = (sha, label)
    return expected


def _check_document_hashes(doc: dict[str, Any], report: VerifyReport) -> None:
    try:
        if hex32(document_root(doc)) != doc["merkle_root"]:
            report.add("metadata", RELEASE_FILE, "its items do not hash to the Merkle root it states")
        if hex32(document_manifest_hash(doc)) != doc["manifest_hash"]:
            report.add("metadata", RELEASE_FILE, "its items do not hash to the manifest hash it states")
    except MerkleError as exc:
        report.add("metadata", RELEASE_FILE, str(exc))
    if int(doc["item_count"]) != len(doc["items"]):
        report.add(
            "metadata", RELEASE_FILE, f"states {doc['item_count']} items but lists {len(doc['items'])}"
        )


def _present_files(root: Path, report: VerifyReport) -> dict[str, str]:
    """Every file below ``root`` except the top-level metadata, as path -> sha256."""
    found: dict[str, str] = {}
    for folder, dirs, names in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in dirs:
            if (base / name).is_symlink():
                report.add("added", (base / name).relative_to(root).as_posix(), "a symbolic link was added")
        for name in names:
            path = base / name
            relative = path.relative_to(root).as_posix()
            if relative in METADATA_FILES:
                continue
            if path.is_symlink() or not path.is_file():
                report.add("added", relative, "not a regular file (a link or a device)")
                continue
            found[relative] = _sha256_file(path)
    report.files_checked = len(found)
    return found


def _compare_files(
    root: Path,
    expected: dict[str, tuple[str, str]],
    present: dict[str, str],
    folder_labels: dict[str, str],
    report: VerifyReport,
) -> None:
    missing = {path: value for path, value in expected.items() if path not in present}
    by_hash = {sha: path for path, (sha, _) in missing.items()}
    for path, (sha, _label) in sorted(expected.items()):
        if path in present and present[path] != sha:
            report.add("changed", path, f"its sha256 is {present[path]}, the release says {sha}")
    for path, sha in sorted(present.items()):
        if path in expected:
            continue
        origin = by_hash.pop(sha, None)
        if origin is None:
            report.add("added", path, "not in the release")
            continue
        missing.pop(origin)
        old_label = expected[origin][1]
        new_label = _label_of(path, folder_labels)
        if new_label == old_label:
            report.add("moved", path, f"the release has these bytes at {origin}")
        else:
            shown = repr(new_label) if new_label is not None else "a folder that is no label"
            report.add("relabelled", path, f"moved from label {old_label!r} ({origin}) to {shown}")
    for path in sorted(missing):
        report.add("removed", path, "in the release but missing here")

    pairs = [(sha, folder_labels.get(_folder_of(path) or "", "")) for path, sha in present.items()]
    try:
        report.recomputed_root = hex32(merkle_root(pairs)) if pairs else None
    except MerkleError as exc:
        report.add("added", IMAGES_DIR, f"cannot rebuild the Merkle tree: {exc}")
    if (
        report.recomputed_root is not None
        and report.recomputed_root != report.expected_root
        and not report.findings
    ):
        report.add("metadata", RELEASE_FILE, "the files hash to a different Merkle root")


def _folder_of(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == IMAGES_DIR else None


def _label_of(path: str, folder_labels: dict[str, str]) -> str | None:
    folder = _folder_of(path)
    return folder_labels.get(folder) if folder is not None else None


def _check_manifests(root: Path, expected: dict[str, tuple[str, str]], report: VerifyReport) -> None:
    for name, rows in ((CSV_MANIFEST, _csv_rows), (JSONL_MANIFEST, _jsonl_rows)):
        path = root / name
        if not path.is_file():
            continue
        try:
            listed = rows(path)
        except (ValueError, KeyError, csv.Error) as exc:
            report.add("manifest", name, f"cannot be read: {exc}")
            continue
        _compare_manifest(name, listed, expected, report)
    croissant = root / CROISSANT_FILE
    if croissant.is_file():
        _check_croissant(root, croissant, expected, report)


def _csv_rows(path: Path) -> dict[str, tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["path"]: (row["sha256"], row["label"]) for row in csv.DictReader(handle)}


def _jsonl_rows(path: Path) -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                rows[str(row["path"])] = (str(row["sha256"]), str(row["label"]))
    return rows


def _compare_manifest(
    name: str, listed: dict[str, tuple[str, str]], expected: dict[str, tuple[str, str]], report: VerifyReport
) -> None:
    for path, (sha, label) in sorted(expected.items()):
        if path not in listed:
            report.add("removed", path, f"{name} has no row for it")
            continue
        listed_sha, listed_label = listed[path]
        if listed_label != label:
            report.add("relabelled", path, f"{name} labels it {listed_label!r}, the release {label!r}")
        if listed_sha != sha:
            report.add("changed", path, f"{name} gives sha256 {listed_sha}, the release {sha}")
    for path in sorted(set(listed) - set(expected)):
        report.add("added", path, f"{name} lists it but the release does not")


def _check_croissant(
    root: Path, path: Path, expected: dict[str, tuple[str, str]], report: VerifyReport
) -> None:
    try:
        metadata = json.loads(path.read_text("utf-8"))
        objects = {
            str(entry["contentUrl"]): str(entry["sha256"])
            for entry in metadata["distribution"]
            if entry.get("@type") == "cr:FileObject"
        }
    except (ValueError, KeyError, TypeError) as exc:
        report.add("manifest", CROISSANT_FILE, f"cannot be read: {exc}")
        return
    for item_path, (sha, _) in sorted(expected.items()):
        if objects.get(item_path) != sha:
            report.add("changed", item_path, f"{CROISSANT_FILE} gives it sha256 {objects.get(item_path)}")
    csv_path = root / CSV_MANIFEST
    if CSV_MANIFEST in objects and (
        not csv_path.is_file() or _sha256_file(csv_path) != objects[CSV_MANIFEST]
    ):
        report.add("changed", CSV_MANIFEST, f"does not match the sha256 in {CROISSANT_FILE}")
    for extra in sorted(set(objects) - set(expected) - {CSV_MANIFEST}):
        report.add("added", extra, f"{CROISSANT_FILE} lists it but the release does not")


def _check_chain(doc: dict[str, Any], chain: ChainLookup, report: VerifyReport) -> None:
    report.chain_consulted = True
    dataset, registry, version = (
        str(doc["chain"]["dataset"]),
        str(doc["chain"]["registry"]),
        int(doc["version"]),
    )
    on_chain = chain(registry, dataset, version)
    if on_chain is None:
        report.add("chain", RELEASE_FILE, f"release {version} of {dataset} is not in the registry {registry}")
        return
    report.chain_root = hex32(on_chain.merkle_root)
    if report.chain_root != doc["merkle_root"]:
        report.add(
            "chain", RELEASE_FILE, f"the chain's Merkle root is {report.chain_root}, not {doc['merkle_root']}"
        )
    if hex32(on_chain.manifest_hash) != doc["manifest_hash"]:
        report.add("chain", RELEASE_FILE, "the chain's manifest hash differs from the one stated")
    if on_chain.item_count != len(doc["items"]):
        report.add(
            "chain", RELEASE_FILE, f"the chain counts {on_chain.item_count} items, not {len(doc['items'])}"
        )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
