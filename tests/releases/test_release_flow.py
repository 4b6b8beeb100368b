"""Releases end to end over HTTP: publish rules, removals and diffs, CLI export in every format, verify, load.

Items are approved the way the review contract will do it: the owner grants an account RESOLVER_ROLE and
that account calls ``resolve``; the indexer then mirrors the ItemResolved events into the database.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.releases import ReleaseLedger
from sebrus.config import Settings
from sebrus.db.engine import make_engine
from sebrus.db.models import Dataset, User, WalletKind
from sebrus.releases.document import manifest_hash
from sebrus.releases.merkle import merkle_root
from sebrus.sdk import Client, Conflict, Forbidden, InvalidRequest, UnverifiedRelease, load_release
from tests.support.cli import sebrus
from tests.support.croissant import load_croissant_records
from tests.support.images import png
from tests.support.live_server import PASSWORD, LiveServer, live_server
from tests.support.platform import cheap_settings


@dataclass
class World:
    server: LiveServer
    settings: Settings
    owner: Client
    stranger: Client
    dataset_id: int
    address: str
    images: dict[str, bytes]  # sha256 -> bytes
    labels: dict[str, str]  # sha256 -> label


def _owner_signer(world: World) -> LocalAccount:
    engine = make_engine(world.settings.resolved_database_url)
    try:
        with Session(engine) as db:
            dataset = db.scalar(select(Dataset).where(Dataset.address == world.address))
            assert dataset is not None and dataset.owner_id is not None
            owner = db.get(User, dataset.owner_id)
            assert owner is not None
            wallet = next(w for w in owner.wallets if w.kind is WalletKind.CUSTODIAL)
            return world.server.services.link.signer_for(wallet)
    finally:
        engine.dispose()


def _approve(world: World, hashes: list[str], approved: bool = True) -> None:
    signer = _owner_signer(world)
    ledger = world.server.services.handle.ledger
    if not ledger.has_role(world.address, "resolver", signer.address):
        ledger.grant_role(signer, world.address, "resolver", signer.address)
    for sha in hashes:
        ledger.resolve(signer, world.address, sha, approved)
    world.server.services.indexer.sync()


def _upload(world: World, seed: int, label: str) -> str:
    data = png(seed)
    sha = hashlib.sha256(data).hexdigest()
    assert world.owner.upload(world.dataset_id, data, label).outcome == "anchored"
    world.images[sha], world.labels[sha] = data, label
    return sha


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = cheap_settings(tmp_path_factory.mktemp("release-server"))
    with live_server(settings) as server:
        owner, stranger = Client(server.url), Client(server.url)
        for name, client in (("relowner", owner), ("relstranger", stranger)):
            client.register(name, PASSWORD)
            client.login(name, PASSWORD)
        dataset = owner.create_dataset("pets", "cats and dogs", ["cat", "dog"])
        yield World(server, settings, owner, stranger, dataset.id, dataset.address, {}, {})
        owner.close()
        stranger.close()


@pytest.fixture(scope="module")
def published(world: World) -> World:
    """Five uploads: four approved, one rejected; release 1 published from them."""
    hashes = [_upload(world, seed, "cat" if seed % 2 else "dog") for seed in range(1, 6)]
    with pytest.raises(InvalidRequest, match="no Approved items"):
        world.owner.publish_release(world.dataset_id)
    _approve(world, hashes[:4])
    _approve(world, hashes[4:], approved=False)
    release = world.owner.publish_release(world.dataset_id, notes="first cut", version=1)
    assert release.version == 1
    return world


def test_a_release_holds_exactly_the_approved_items_and_is_on_chain(published: World) -> None:
    world = published
    release = world.owner.release(world.dataset_id, 1)
    approved = [(i.content_hash, i.label) for i in world.owner.items(world.dataset_id, status="approved")]
    assert release.item_count == len(approved) == 4
    assert release.merkle_root == "0x" + merkle_root(approved).hex()
    listed = list(world.owner.release_items(world.dataset_id, 1))
    assert sorted((i.sha256, i.label) for i in listed) == sorted(approved)
    # resolved directly by the owner, never scanned: no ballots, no suspicion
    assert all(i.votes == {"approve": 0, "reject": 0} and i.suspicion is None for i in listed)

    on_chain = ReleaseLedger(world.server.services.handle.ledger).release(world.address, 1)
    assert on_chain is not None
    assert "0x" + on_chain.merkle_root.hex() == release.merkle_root
    assert on_chain.item_count == 4
    assert "0x" + on_chain.manifest_hash.hex() == release.manifest_hash
    assert release.registry == world.server.services.handle.ledger.deployment.release_registry


def test_only_the_owner_publishes_and_nothing_changed_is_refused(published: World) -> None:
    world = published
    with pytest.raises(Forbidden, match="owner"):
        world.stranger.publish_release(world.dataset_id)
    with pytest.raises(Conflict, match="Nothing changed since version 1"):
        world.owner.publish_release(world.dataset_id)
    again = world.owner.publish_release(world.dataset_id, notes="first cut", version=1)  # a retry
    assert again.version == 1 and len(world.owner.releases(world.dataset_id)) == 1
    with pytest.raises(InvalidRequest, match="next release of this dataset is version 2"):
        world.owner.publish_release(world.dataset_id, version=5)
    with pytest.raises(InvalidRequest):  # beyond the database's integers: refused, not a server error
        world.owner.release(world.dataset_id, 2**70)
    with pytest.raises(InvalidRequest, match="Say why"):
        world.owner.publish_release(world.dataset_id, exclude={"ab" * 32: ""})


def test_a_later_release_removes_items_and_says_why(published: World) -> None:
    world = published
    first = {i.sha256 for i in world.owner.release_items(world.dataset_id, 1)}
    new = _upload(world, 99, "dog")
    _approve(world, [new])
    dropped = sorted(first)[0]
    release = world.owner.publish_release(
        world.dataset_id, notes="second", exclude={dropped: "near-duplicate of another image"}
    )
    assert release.version == 2 and release.item_count == 4
    assert [(r.sha256, r.reason) for r in release.removed] == [(dropped, "near-duplicate of another image")]
    assert release.removed_hash is not None
    diff = world.owner.diff_releases(world.dataset_id, 1, 2)
    assert diff["added"] == [{"sha256": new, "label": "dog"}]
    assert diff["removed"] == [
        {"sha256": dropped, "label": world.labels[dropped], "reason": "near-duplicate of another image"}
    ]
    assert world.owner.release(world.dataset_id, 1).item_count == 4  # release 1 is unchanged
    code, output = _cli("release", "diff", str(world.dataset_id), "1", "2", "--url", world.server.url)
    assert code == 0, output
    assert f"+ {new} dog" in output and f"- {dropped}" in output and "near-duplicate" in output
    assert [r.version for r in world.owner.releases(world.dataset_id)] == [1, 2]


def test_a_release_already_on_chain_is_adopted_not_published_twice(published: World) -> None:
    """A crash after the transaction but before the database commit: the retry records what the chain has."""
    world = published
    _approve(world, [_upload(world, 123, "cat")])
    pairs = [(i.content_hash, i.label) for i in world.owner.items(world.dataset_id, status="approved")]
    ledger = world.server.services.handle.ledger
    releases = ReleaseLedger(ledger)
    version = len(world.owner.releases(world.dataset_id)) + 1
    releases.publish(
        _owner_signer(world),
        world.address,
        version=version,
        merkle_root=merkle_root(pairs),
        item_count=len(pairs),
        manifest_hash=manifest_hash(ledger.chain_id, world.address, version, pairs),
    )
    adopted = world.owner.publish_release(world.dataset_id, notes="after a crash")
    assert adopted.version == version and adopted.item_count == len(pairs) and adopted.tx_hash is None
    assert releases.latest_version(world.address) == version

    # A different release under the next version on chain is a conflict, and nothing is recorded.
    _approve(world, [_upload(world, 124, "dog")])
    releases.publish(
        _owner_signer(world),
        world.address,
        version=version + 1,
        merkle_root=hashlib.sha256(b"something else").digest(),
        item_count=1,
        manifest_hash=hashlib.sha256(b"manifest").digest(),
    )
    with pytest.raises(Conflict, match="different release"):
        world.owner.publish_release(world.dataset_id)
    assert [r.version for r in world.owner.releases(world.dataset_id)][-1] == version


def _cli(*args: str) -> tuple[int, str]:
    result = sebrus(*args)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def cli_exports(published: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    world = published
    code, output = _cli(
        "dataset",
        "edit",
        str(world.dataset_id),
        "--license",
        "CC-BY-4.0",
        "--cite-as",
        CITATION,
        "--url",
        world.server.url,
        "--token",
        world.owner.token or "",
    )
    assert code == 0, output
    base = tmp_path_factory.mktemp("cli-exports")
    out: dict[str, Path] = {}
    for fmt in ("imagefolder", "csv", "jsonl", "croissant"):
        code, output = _cli(
            "release",
            "export",
            str(world.dataset_id),
            "1",
            "--format",
            fmt,
            "--out",
            str(base / fmt),
            "--url",
            world.server.url,
        )
        assert code == 0, output
        out[fmt] = base / fmt
    return out


CITATION = "@misc{pets, title = {Pets}}"


def test_a_cli_croissant_export_states_the_owners_terms_and_loads_without_warnings(
    cli_exports: dict[str, Path], published: World
) -> None:
    folder = cli_exports["croissant"]
    metadata = json.loads((folder / "croissant.json").read_text())
    assert metadata["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert metadata["citeAs"] == CITATION
    records = load_croissant_records(folder)
    assert sorted(r["items/sha256"].decode() for r in records) == sorted(
        i.sha256 for i in published.owner.release_items(published.dataset_id, 1)
    )
    # resolved directly by the owner: the manifest says so rather than leaving the column empty
    assert {r["items/votes"] for r in records} == {b'{"approve": 0, "reject": 0}'}


def test_cli_lists_shows_and_diffs(published: World) -> None:
    world = published
    code, output = _cli("release", "list", str(world.dataset_id), "--url", world.server.url, "--json")
    assert code == 0
    assert [r["version"] for r in json.loads(output)][:1] == [1]
    code, output = _cli("release", "show", str(world.dataset_id), "1", "--url", world.server.url, "--json")
    assert code == 0 and json.loads(output)["item_count"] == 4
    code, output = _cli("release", "show", str(world.dataset_id), "9", "--url", world.server.url)
    assert code == 1 and "no release 9" in output


def test_cli_publish_needs_a_login_and_names_bad_exclusions(published: World) -> None:
    world = published
    code, output = _cli(
        "release",
        "publish",
        str(world.dataset_id),
        "--url",
        world.server.url,
        "--token",
        world.stranger.token or "",
    )
    assert code == 1 and "owner" in output
    code, output = _cli(
        "release",
        "publish",
        str(world.dataset_id),
        "--exclude",
        "abc",
        "--url",
        world.server.url,
        "--token",
        world.owner.token or "",
    )
    assert code == 2 and "SHA256=REASON" in output


@pytest.mark.parametrize("fmt", ["imagefolder", "csv", "jsonl", "croissant"])
def test_every_cli_export_verifies_and_says_the_chain_was_not_consulted(
    cli_exports: dict[str, Path], fmt: str
) -> None:
    folder = cli_exports[fmt]
    doc = json.loads((folder / "release.json").read_text())
    assert doc["chain"]["registry"] and doc["chain"]["dataset"] and doc["chain"]["chain_id"]
    code, output = _cli("verify", str(folder))
    assert code == 0, output
    assert "verified" in output and "NOT consulted" in output


def test_cli_verify_names_each_tampered_file(cli_exports: dict[str, Path], tmp_path: Path) -> None:
    folder = Path(shutil.copytree(cli_exports["csv"], tmp_path / "tampered"))
    doc = json.loads((folder / "release.json").read_text())
    paths = [folder / i["path"] for i in doc["items"]]
    changed, removed, moved = paths[0], paths[1], paths[2]
    changed.write_bytes(b"not the image")
    removed.unlink()
    other = "dog" if moved.parent.name == "cat" else "cat"
    (folder / "images" / other).mkdir(exist_ok=True)
    relabelled = folder / "images" / other / moved.name
    moved.rename(relabelled)
    added = folder / "images" / "cat" / "extra.png"
    added.write_bytes(b"extra")

    code, output = _cli("verify", str(folder), "--json")
    assert code == 1
    found = {(f["kind"], f["path"]) for f in json.loads(output)["findings"]}
    rel = lambda p: p.relative_to(folder).as_posix()  # noqa: E731
    assert found == {
        ("changed", rel(changed)),
        ("removed", rel(removed)),
        ("relabelled", rel(relabelled)),
        ("added", rel(added)),
    }
    code, output = _cli("verify", str(tmp_path / "nothing"))
    assert code == 2 and "not a folder" in output


def test_the_sdk_loads_only_verified_releases(cli_exports: dict[str, Path], tmp_path: Path) -> None:
    loaded = load_release(cli_exports["imagefolder"])
    images, labels = loaded.to_numpy()
    assert images.shape == (4, 8, 8, 3) and images.dtype == np.uint8
    assert loaded.classes == ["cat", "dog"]
    doc = json.loads((cli_exports["imagefolder"] / "release.json").read_text())
    by_hash = {i["sha256"]: i["label"] for i in doc["items"]}
    assert [loaded.classes[t] for t in labels] == [by_hash[h] for h in sorted(by_hash)]

    torch = pytest.importorskip("torch")
    dataset = loaded.torch_dataset()
    image, label = dataset[0]
    assert isinstance(image, torch.Tensor) and tuple(image.shape) == (3, 8, 8) and label == labels[0]

    folder = Path(shutil.copytree(cli_exports["imagefolder"], tmp_path / "bad"))
    victim = folder / doc["items"][0]["path"]
    victim.write_bytes(victim.read_bytes() + b"x")
    with pytest.raises(UnverifiedRelease, match=doc["items"][0]["path"]):
        load_release(folder)
    unverified = load_release(folder, allow_unverified=True)
    assert not unverified.verified and len(unverified) == 4
