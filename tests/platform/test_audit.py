"""The audit catches tampering with each copy in turn: database rows, chain records, blobs.

One platform (real embedded chain, relayer, indexer, blob store) serves the whole module; each test
tampers with its own dataset, so what one test breaks cannot make another pass or fail.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sebrus.blobs import LocalBlobStore
from sebrus.db.models import AuditLogEntry, ChainCursor, Dataset, Item, ItemStatus
from sebrus.platform import ChainServices
from sebrus.services.ingest.indexer import CURSOR_NAME
from tests.support.images import png
from tests.support.platform import StartPlatform, login

_names = itertools.count()
_seeds = itertools.count(1000)


class World:
    def __init__(self, client: TestClient, services: ChainServices) -> None:
        self.client = client
        self.services = services
        self.owner = login(client, "auditowner")
        self.alice = login(client, "auditalice")

    @property
    def sessions(self) -> Callable[[], Session]:
        factory: Callable[[], Session] = self.client.app.state.platform.session_factory  # type: ignore[attr-defined]
        return factory

    @property
    def blobs(self) -> LocalBlobStore:
        store: LocalBlobStore = self.client.app.state.platform.blobs  # type: ignore[attr-defined]
        return store

    def dataset(self, uploads: int = 3) -> tuple[dict[str, Any], list[str]]:
        """A fresh dataset with ``uploads`` anchored and indexed items from alice."""
        body = {"datasetName": f"audited-{next(_names)}", "description": "", "labels": ["cat", "dog"]}
        created = self.client.post("/api/dataset", json=body, headers=self.owner)
        assert created.status_code == 201, created.text
        dataset: dict[str, Any] = created.json()["new_dataset"]
        hashes = []
        for n in range(uploads):
            up = self.client.post(
                f"/api/dataset/{dataset['id']}/items",
                params={"label": "cat" if n % 2 == 0 else "dog"},
                content=png(next(_seeds)),
                headers=self.alice,
            )
            assert up.status_code == 201, up.text
            hashes.append(up.json()["content_hash"])
        return dataset, hashes

    def audit(self, dataset: dict[str, Any]) -> dict[str, Any]:
        """A new run (signed in: anonymous callers may be served a recent one)."""
        answer = self.client.get(f"/api/dataset/{dataset['id']}/audit", headers=self.owner)
        assert answer.status_code == 200, answer.text
        report: dict[str, Any] = answer.json()
        return report

    def edit_item(self, dataset: dict[str, Any], content_hash: str, **values: object) -> None:
        with self.sessions() as db:
            item = db.scalar(
                select(Item).where(Item.dataset_id == dataset["id"], Item.content_hash == content_hash)
            )
            assert item is not None
            for name, value in values.items():
                setattr(item, name, value)
            db.commit()


@pytest.fixture(scope="module")
def world(start_platform: StartPlatform) -> Iterator[World]:
    app, services = start_platform()
    with TestClient(app) as client:
        yield World(client, services)


def kinds(report: dict[str, Any]) -> list[tuple[str, str | None]]:
    return sorted((f["kind"], f["content_hash"]) for f in report["findings"])


def test_a_clean_dataset_passes_and_the_run_is_logged(world: World) -> None:
    dataset, hashes = world.dataset()
    ledger, detector = world.services.handle.ledger, world.services.handle.operators.detector
    ledger.quarantine(detector, str(dataset["address"]), hashes[0], hashlib.sha256(b"report").digest())
    world.services.indexer.sync()

    report = world.audit(dataset)
    assert report["ok"] is True, report["findings"]
    assert report["findings"] == []
    counts = report["counts"]
    assert (counts["db_items"], counts["chain_items"], counts["blobs_checked"]) == (3, 3, 3)
    assert counts["outbox_confirmed"] == 3 and counts["outbox_pending"] == 0
    assert counts["chain_item_count"] == 3

    with world.sessions() as db:
        status = db.scalar(select(Item.status).where(Item.content_hash == hashes[0]))
        assert status is ItemStatus.QUARANTINED  # the clean audit really compared a non-default status
        logged = db.scalars(
            select(AuditLogEntry).where(
                AuditLogEntry.action == "dataset.audit", AuditLogEntry.subject == f"dataset:{dataset['id']}"
            )
        ).all()
    assert len(logged) == 1 and logged[0].details["ok"] is True


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("label", "dog", "label_mismatch"),
        ("label_index", 1, "label_mismatch"),
        ("status", ItemStatus.APPROVED, "status_mismatch"),
        ("contributor_address", "0x" + "ab" * 20, "contributor_mismatch"),
        ("tx_hash", "0x" + "00" * 32, "transaction_mismatch"),
    ],
)
def test_an_edited_database_row_is_caught(world: World, field: str, value: object, kind: str) -> None:
    dataset, hashes = world.dataset()
    world.edit_item(dataset, hashes[0], **{field: value})  # hashes[0] was uploaded as "cat"
    report = world.audit(dataset)
    assert report["ok"] is False
    assert kinds(report) == [(kind, hashes[0])]
    finding = report["findings"][0]
    assert finding["expected"] != finding["found"]


def test_a_deleted_database_row_is_caught(world: World) -> None:
    dataset, hashes = world.dataset()
    with world.sessions() as db:
        db.execute(delete(Item).where(Item.dataset_id == dataset["id"], Item.content_hash == hashes[1]))
        db.commit()
    report = world.audit(dataset)
    assert kinds(report) == [("chain_only", hashes[1])]
    assert report["findings"][0]["expected"]["label"] == "dog"


def test_a_row_the_chain_never_saw_is_caught(world: World) -> None:
    dataset, _ = world.dataset(uploads=1)
    fake = hashlib.sha256(b"never anchored").hexdigest()
    with world.sessions() as db:
        db.add(
            Item(
                dataset_id=dataset["id"],
                content_hash=fake,
                label="cat",
                label_index=0,
                contributor_address="0x" + "cd" * 20,
                status=ItemStatus.APPROVED,
                size=1,
            )
        )
        db.commit()
    report = world.audit(dataset)
    assert kinds(report) == [("db_only", fake)]


def test_a_chain_item_the_database_lacks_is_caught(world: World) -> None:
    dataset, _ = world.dataset(uploads=1)
    services = world.services
    services.indexer_loop.stop()
    services.relayer_loop.stop()
    try:
        stray = hashlib.sha256(b"anchored behind the platform's back").digest()
        ledger = services.handle.ledger
        ledger.submit(services.handle.operators.deployer, str(dataset["address"]), stray, "dog")

        # The indexer has not read that block yet: a missing row is lag, but a missing blob is not.
        lagging = world.audit(dataset)
        assert kinds(lagging) == [("blob_missing", stray.hex())]
        assert lagging["counts"]["chain_items_not_yet_indexed"] == 1

        with world.sessions() as db:  # an indexer that skipped the event
            cursor = db.get(ChainCursor, CURSOR_NAME)
            assert cursor is not None
            cursor.block_number = ledger.block_number() + 1
            db.commit()
        report = world.audit(dataset)
    finally:
        services.indexer_loop.start()
        services.relayer_loop.start()
    assert kinds(report) == [("blob_missing", stray.hex()), ("chain_only", stray.hex())]


def test_a_deleted_blob_is_caught(world: World) -> None:
    dataset, hashes = world.dataset()
    assert world.blobs.delete(hashes[2])
    report = world.audit(dataset)
    assert kinds(report) == [("blob_missing", hashes[2])]


def test_overwritten_blob_bytes_are_caught(world: World) -> None:
    dataset, hashes = world.dataset()
    path: Path = world.blobs.path_for(hashes[0])
    path.write_bytes(png(99_999))
    report = world.audit(dataset)
    assert kinds(report) == [("blob_corrupt", hashes[0])]
    assert report["findings"][0]["found"] == hashlib.sha256(png(99_999)).hexdigest()


def test_an_edited_label_set_is_caught(world: World) -> None:
    dataset, _ = world.dataset(uploads=0)
    with world.sessions() as db:
        row = db.get(Dataset, dataset["id"])
        assert row is not None
        row.labels = ["cat", "wolf"]
        db.commit()
    report = world.audit(dataset)
    assert kinds(report) == [("dataset_labels", None)]


def test_a_created_block_set_too_late_is_caught(world: World) -> None:
    dataset, _ = world.dataset(uploads=2)
    with world.sessions() as db:
        row = db.get(Dataset, dataset["id"])
        assert row is not None
        row.created_block = world.services.handle.ledger.block_number() + 1
        db.commit()
    report = world.audit(dataset)
    assert ("events_missing", None) in kinds(report)


def test_an_unknown_dataset_is_404_and_anyone_may_audit(world: World) -> None:
    assert world.client.get("/api/dataset/999999/audit").status_code == 404
    dataset, _ = world.dataset(uploads=0)
    anonymous = world.client.get(f"/api/dataset/{dataset['id']}/audit")
    assert anonymous.status_code == 200 and anonymous.json()["ok"] is True


def audit_rows(world: World, dataset: dict[str, Any]) -> int:
    with world.sessions() as db:
        return len(
            db.scalars(
                select(AuditLogEntry.id).where(
                    AuditLogEntry.action == "dataset.audit",
                    AuditLogEntry.subject == f"dataset:{dataset['id']}",
                )
            ).all()
        )


def test_anonymous_audits_share_one_recent_run_and_write_nothing(world: World) -> None:
    dataset, hashes = world.dataset(uploads=2)
    url = f"/api/dataset/{dataset['id']}/audit"
    first = world.client.get(url).json()
    assert first["ok"] is True and first["age_seconds"] == 0
    assert world.blobs.delete(hashes[0])  # a new run would see this
    again = world.client.get(url).json()
    assert again["checked_at"] == first["checked_at"] and again["ok"] is True
    assert again["age_seconds"] > 0
    assert audit_rows(world, dataset) == 0  # an anonymous GET leaves no row behind

    signed_in = world.audit(dataset)  # a signed-in caller always gets a new, logged run ...
    assert kinds(signed_in) == [("blob_missing", hashes[0])]
    assert audit_rows(world, dataset) == 1
    shared = world.client.get(url).json()  # ... which anonymous callers then share
    assert shared["checked_at"] == signed_in["checked_at"] and shared["ok"] is False


def test_blobs_no_row_refers_to_are_reported(world: World) -> None:
    """What kill -9 between storing an upload's bytes and committing its outbox row leaves."""
    dataset, _ = world.dataset(uploads=1)
    before = world.audit(dataset)["counts"]["orphan_blobs"]
    leftover = world.blobs.put(png(next(_seeds))).key
    report = world.audit(dataset)
    assert leftover in report["orphan_blobs"]
    assert report["counts"]["orphan_blobs"] == before + 1
    assert report["ok"] is True  # store-wide leftovers are not this dataset's disagreement
    world.blobs.delete(leftover)
