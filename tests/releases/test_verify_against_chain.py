"""``sebrus verify --chain-url``: the root in release.json must be the one the ReleaseRegistry holds.

Needs a JSON-RPC node (the anvil that scripts/test.sh starts); skipped without one locally, failed in CI.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from sebrus.chain.backends import ChainHandle, open_chain
from sebrus.chain.releases import ReleaseLedger
from sebrus.cli import app
from sebrus.releases.document import manifest_hash
from sebrus.releases.export import ExportItem, ReleaseInfo, write_export
from sebrus.releases.merkle import merkle_root
from tests.support.chain import rpc_settings

BLOBS = {hashlib.sha256(f"image {i}".encode()).hexdigest(): f"image {i}".encode() for i in range(3)}


@pytest.fixture(scope="module")
def rpc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainHandle]:
    handle = open_chain(rpc_settings(tmp_path_factory.mktemp("verify-rpc")))
    handle.init()
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture(scope="module")
def export(rpc: ChainHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ledger = rpc.ledger
    owner = Account.create()
    ledger.transfer(rpc.operators.deployer, owner.address, 10**18)
    dataset = ledger.create_dataset(owner, name="pets", description="", labels=("cat", "dog"))
    items = [ExportItem(h, "cat" if i % 2 else "dog", None, owner.address, None) for i, h in enumerate(BLOBS)]
    pairs = [(i.sha256, i.label) for i in items]
    root = merkle_root(pairs)
    manifest = manifest_hash(ledger.chain_id, dataset.address, 1, pairs)
    releases = ReleaseLedger(ledger)
    result = releases.publish(
        owner, dataset.address, version=1, merkle_root=root, item_count=3, manifest_hash=manifest
    )
    info = ReleaseInfo(
        dataset_id=1,
        dataset_name="pets",
        description="",
        labels=("cat", "dog"),
        dataset_address=dataset.address,
        chain_id=ledger.chain_id,
        registry=releases.registry_address,
        version=1,
        merkle_root="0x" + root.hex(),
        manifest_hash="0x" + manifest.hex(),
        removed_hash=None,
        item_count=3,
        tx_hash=result.tx_hash,
        block_number=result.block_number,
        published_at="2026-01-01T00:00:00+00:00",
    )
    return write_export(info, items, BLOBS.__getitem__, tmp_path_factory.mktemp("rpc-export") / "x", "jsonl")


def _verify(folder: Path, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", str(folder), "--chain-url", url], catch_exceptions=False)
    return result.exit_code, result.output


def test_a_clean_export_matches_the_chain(rpc: ChainHandle, export: Path) -> None:
    code, output = _verify(export, rpc.url)
    assert code == 0, output
    assert "Chain root 0x" in output and "NOT consulted" not in output


def test_a_consistently_rewritten_export_is_caught_only_by_the_chain(
    rpc: ChainHandle, export: Path, tmp_path: Path
) -> None:
    """Drop an item, rewrite release.json and the manifest to match: offline it passes, the chain fails it."""
    folder = Path(shutil.copytree(export, tmp_path / "rewritten"))
    doc = json.loads((folder / "release.json").read_text())
    dropped = doc["items"].pop(0)
    (folder / dropped["path"]).unlink()
    pairs = [(i["sha256"], i["label"]) for i in doc["items"]]
    doc["merkle_root"] = "0x" + merkle_root(pairs).hex()
    doc["manifest_hash"] = (
        "0x" + manifest_hash(doc["chain"]["chain_id"], doc["chain"]["dataset"], 1, pairs).hex()
    )
    doc["item_count"] = len(pairs)
    (folder / "release.json").write_text(json.dumps(doc))
    lines = [x for x in (folder / "manifest.jsonl").read_text().splitlines() if dropped["sha256"] not in x]
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n")

    offline = CliRunner().invoke(app, ["verify", str(folder)], catch_exceptions=False)
    assert offline.exit_code == 0, offline.output
    code, output = _verify(folder, rpc.url)
    assert code == 1 and "chain's Merkle root" in output


def test_an_export_naming_a_look_alike_registry_is_refused(
    rpc: ChainHandle, export: Path, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(export, tmp_path / "fake"))
    doc = json.loads((folder / "release.json").read_text())
    doc["chain"]["registry"] = rpc.ledger.deployment.manager
    (folder / "release.json").write_text(json.dumps(doc))
    code, output = _verify(folder, rpc.url)
    assert code == 2 and "not SeBRUS's ReleaseRegistry" in output
