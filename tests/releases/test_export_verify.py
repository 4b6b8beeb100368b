"""Exports in every format, and offline verification catching each kind of tampering by name."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from sebrus.releases.document import ReleaseDocumentError, manifest_hash
from sebrus.releases.export import ExportError, ExportItem, ReleaseInfo, write_export
from sebrus.releases.merkle import merkle_root
from sebrus.releases.verify import verify_export
from tests.support.croissant import load_croissant_records

DATASET = "0x" + "ab" * 20
REGISTRY = "0x" + "cd" * 20
LABELS = ("cat", "dog", "../evil")


def _png(seed: int) -> bytes:
    image = Image.new("RGB", (4, 4), color=(seed, 2 * seed % 256, 9))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


BLOBS = {hashlib.sha256(b).hexdigest(): b for b in (_png(i) for i in range(1, 6))}
HASHES = sorted(BLOBS)
LABEL_OF = {h: LABELS[i % 3] for i, h in enumerate(HASHES)}


def _info(
    items: list[ExportItem], version: int = 2, license: str | None = None, cite_as: str | None = None
) -> ReleaseInfo:
    pairs = [(i.sha256, i.label) for i in items]
    return ReleaseInfo(
        dataset_id=1,
        dataset_name="pets",
        description="cats and dogs",
        labels=LABELS,
        dataset_address=DATASET,
        chain_id=31337,
        registry=REGISTRY,
        version=version,
        merkle_root="0x" + merkle_root(pairs).hex(),
        manifest_hash="0x" + manifest_hash(31337, DATASET, version, pairs).hex(),
        removed_hash=None,
        item_count=len(items),
        tx_hash="0x" + "11" * 32,
        block_number=7,
        published_at="2026-01-01T00:00:00+00:00",
        license=license,
        cite_as=cite_as,
    )


def _items() -> list[ExportItem]:
    return [ExportItem(h, LABEL_OF[h], "image/png", "0x" + "ee" * 20, "0x" + "22" * 32) for h in HASHES]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("exports")
    items = _items()
    return {
        fmt: write_export(_info(items), items, BLOBS.__getitem__, base / fmt, fmt)
        for fmt in ("imagefolder", "csv", "jsonl", "croissant")
    }


def _copy(exports: dict[str, Path], fmt: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(exports[fmt], tmp_path / fmt))


def _item_path(folder: Path, sha: str) -> Path:
    doc = json.loads((folder / "release.json").read_text())
    return folder / next(i["path"] for i in doc["items"] if i["sha256"] == sha)


@pytest.mark.parametrize("fmt", ["imagefolder", "csv", "jsonl", "croissant"])
def test_a_clean_export_verifies(exports: dict[str, Path], fmt: str) -> None:
    report = verify_export(exports[fmt])
    assert report.ok, report.findings
    assert report.files_checked == len(BLOBS)
    assert report.recomputed_root == report.expected_root == _info(_items()).merkle_root
    assert not report.chain_consulted


def test_the_imagefolder_tree_release_json_and_unsafe_labels(exports: dict[str, Path]) -> None:
    folder = exports["imagefolder"]
    doc = json.loads((folder / "release.json").read_text())
    assert doc["chain"] == {
        "chain_id": 31337,
        "dataset": DATASET,
        "registry": REGISTRY,
        "tx_hash": "0x" + "11" * 32,
        "block_number": 7,
    }
    assert doc["merkle_root"] == _info(_items()).merkle_root
    assert doc["label_dirs"] == {"cat": "cat", "dog": "dog", "../evil": "label_0002"}
    for sha, label in LABEL_OF.items():
        path = folder / "images" / doc["label_dirs"][label] / f"{sha}.png"
        assert path.read_bytes() == BLOBS[sha]
    assert not (folder.parent / "evil").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["images", "release.json"]


def test_csv_and_jsonl_manifests_carry_every_column(exports: dict[str, Path]) -> None:
    with open(exports["csv"] / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["sha256"] for r in rows] == HASHES
    assert rows[0].keys() == {"path", "label", "sha256", "contributor", "tx_hash", "votes", "suspicion"}
    assert all(
        r["contributor"] == "0x" + "ee" * 20 and r["votes"] == "" and r["suspicion"] == "" for r in rows
    )
    lines = [json.loads(x) for x in (exports["jsonl"] / "manifest.jsonl").read_text().splitlines()]
    assert [(x["sha256"], x["label"], x["votes"], x["suspicion"]) for x in lines] == [
        (h, LABEL_OF[h], None, None) for h in HASHES
    ]


def test_croissant_lists_every_file_with_its_sha256_and_rai_fields(exports: dict[str, Path]) -> None:
    folder = exports["croissant"]
    metadata = json.loads((folder / "croissant.json").read_text())
    assert metadata["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    objects = {
        d["contentUrl"]: d["sha256"] for d in metadata["distribution"] if d["@type"] == "cr:FileObject"
    }
    assert len(objects) == len(BLOBS) + 1
    for path, sha in objects.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == sha
    assert {"rai:dataCollection", "rai:dataAnnotationProtocol", "rai:dataCollectionType"} <= metadata.keys()
    fields = [f["name"] for f in metadata["recordSet"][0]["field"]]
    assert fields == ["path", "label", "sha256", "contributor", "tx_hash", "votes", "suspicion"]


def test_the_reference_client_loads_every_record_without_a_warning(exports: dict[str, Path]) -> None:
    """No owner's licence or citation: SPDX NOASSERTION and a citation naming the release are written."""
    metadata = json.loads((exports["croissant"] / "croissant.json").read_text())
    assert metadata["license"] == "NOASSERTION"
    assert metadata["citeAs"].startswith("@misc{sebrus_pets_v2,") and DATASET in metadata["citeAs"]
    records = load_croissant_records(exports["croissant"])
    assert sorted(r["items/sha256"].decode() for r in records) == HASHES
    assert {r["items/label"].decode() for r in records} == set(LABEL_OF.values())


def test_the_owners_licence_and_citation_and_the_evidence_columns_reach_croissant(tmp_path: Path) -> None:
    citation = "@misc{pets2026,\n  title = {Pets},\n  author = {Owner}\n}"
    items = [
        ExportItem(h, LABEL_OF[h], "image/png", "0x" + "ee" * 20, None, {"approve": 2, "reject": 1}, 0.25)
        for h in HASHES
    ]
    expression = _info(items, license="MIT OR Apache-2.0", cite_as=citation)
    folder = write_export(expression, items, BLOBS.__getitem__, tmp_path / "expr", "croissant")
    metadata = json.loads((folder / "croissant.json").read_text())
    assert metadata["license"] == "MIT OR Apache-2.0" and metadata["citeAs"] == citation
    records = load_croissant_records(folder)
    assert {(r["items/votes"], r["items/suspicion"]) for r in records} == {
        (b'{"approve": 2, "reject": 1}', 0.25)
    }
    single = write_export(
        _info(items, license="CC-BY-4.0"), items, BLOBS.__getitem__, tmp_path / "one", "croissant"
    )
    assert json.loads((single / "croissant.json").read_text())["license"] == (
        "https://spdx.org/licenses/CC-BY-4.0.html"
    )
    assert len(load_croissant_records(single)) == len(HASHES)


def test_verify_names_a_changed_an_added_a_removed_and_a_relabelled_file(
    exports: dict[str, Path], tmp_path: Path
) -> None:
    folder = _copy(exports, "imagefolder", tmp_path)
    changed, removed, relabelled = _item_path(folder, HASHES[0]), _item_path(folder, HASHES[1]), HASHES[3]
    changed.write_bytes(changed.read_bytes() + b"tampered")
    removed.unlink()
    source = _item_path(folder, relabelled)
    old_label = LABEL_OF[relabelled]
    new_label = "cat" if old_label != "cat" else "dog"
    moved_to = folder / "images" / new_label / source.name
    source.rename(moved_to)
    added = folder / "images" / "dog" / "intruder.png"
    added.write_bytes(_png(200))

    report = verify_export(folder)
    assert not report.ok
    found = {(f.kind, f.path) for f in report.findings}
    rel = lambda p: p.relative_to(folder).as_posix()  # noqa: E731
    assert found == {
        ("changed", rel(changed)),
        ("removed", rel(removed)),
        ("relabelled", rel(moved_to)),
        ("added", rel(added)),
    }
    relabel = next(f for f in report.findings if f.kind == "relabelled")
    assert repr(old_label) in relabel.detail and repr(new_label) in relabel.detail


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_label_edited_in_a_manifest_is_named(exports: dict[str, Path], tmp_path: Path, fmt: str) -> None:
    folder = _copy(exports, fmt, tmp_path)
    manifest = folder / f"manifest.{fmt}"
    target = HASHES[2]
    lines = manifest.read_text().splitlines()
    lines = [
        line.replace(LABEL_OF[target], "dog" if LABEL_OF[target] != "dog" else "cat", 1)
        if target in line
        else line
        for line in lines
    ]
    manifest.write_text("\n".join(lines) + "\n")
    report = verify_export(folder)
    assert [(f.kind, f.path) for f in report.findings] == [
        ("relabelled", _item_path(folder, target).relative_to(folder).as_posix())
    ]


def test_a_rewritten_release_json_fails_its_own_hashes(exports: dict[str, Path], tmp_path: Path) -> None:
    folder = _copy(exports, "imagefolder", tmp_path)
    doc = json.loads((folder / "release.json").read_text())
    doc["items"][0]["label"] = "dog" if doc["items"][0]["label"] != "dog" else "cat"
    (folder / "release.json").write_text(json.dumps(doc))
    report = verify_export(folder)
    assert ("metadata", "release.json") in {(f.kind, f.path) for f in report.findings}
    assert not report.ok


def test_a_release_json_path_outside_the_tree_is_refused(exports: dict[str, Path], tmp_path: Path) -> None:
    folder = _copy(exports, "imagefolder", tmp_path)
    doc = json.loads((folder / "release.json").read_text())
    doc["items"][0]["path"] = "../../outside.png"
    (folder / "release.json").write_text(json.dumps(doc))
    report = verify_export(folder)
    assert any(f.kind == "metadata" and "../../outside.png" in f.detail for f in report.findings)


def test_the_chain_root_is_compared_when_given(exports: dict[str, Path]) -> None:
    class OnChain:
        def __init__(self, root: str) -> None:
            self.merkle_root = bytes.fromhex(root[2:])
            self.manifest_hash = bytes.fromhex(_info(_items()).manifest_hash[2:])
            self.item_count = len(BLOBS)

    good = verify_export(
        exports["csv"], lambda registry, dataset, version: OnChain(_info(_items()).merkle_root)
    )
    assert good.ok and good.chain_consulted and good.chain_root == good.expected_root
    bad = verify_export(exports["csv"], lambda registry, dataset, version: OnChain("0x" + "99" * 32))
    assert [f.kind for f in bad.findings] == ["chain"]
    missing = verify_export(exports["csv"], lambda registry, dataset, version: None)
    assert "not in the registry" in missing.findings[0].detail


def test_exports_refuse_wrong_bytes_and_a_used_folder(tmp_path: Path) -> None:
    items = _items()
    with pytest.raises(ExportError, match="do not hash to it"):
        write_export(_info(items), items, lambda sha: b"not the image", tmp_path / "x", "csv")
    assert not (tmp_path / "x").exists() and not list(tmp_path.iterdir())
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "f").write_text("x")
    with pytest.raises(ExportError, match="not an empty folder"):
        write_export(_info(items), items, BLOBS.__getitem__, tmp_path / "used", "csv")
    with pytest.raises(ExportError, match="unknown export format"):
        write_export(_info(items), items, BLOBS.__getitem__, tmp_path / "y", "parquet")
    with pytest.raises(ExportError, match="Merkle root"):
        write_export(_info(items[:-1]), items[1:], BLOBS.__getitem__, tmp_path / "z", "csv")


def test_a_folder_that_is_no_release_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReleaseDocumentError, match=r"no release\.json"):
        verify_export(tmp_path)
