"""The owner's own scan model at the service level, on SQLite and PostgreSQL: only the owner sets it,
it is checked (format, class count, a run on the dataset's images) before anything is stored, it lives
in the blob store under its sha256, and a scan on the server runs with it and says so in its report."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from pathlib import Path

import pytest
import torch
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sebrus.blobs import LocalBlobStore
from sebrus.db.engine import make_session_factory
from sebrus.db.models import AuditLogEntry, Dataset, Scan, ScanState, User
from sebrus.detect.uploaded_model import MAX_MODEL_BYTES
from sebrus.services.errors import InvalidInput, PermissionDenied
from sebrus.services.scans import model as scan_model
from sebrus.services.scans import runner as scan_runner
from sebrus.services.scans import start as scan_start
from tests.support.models import net, safetensors_bytes, torchscript_bytes
from tests.support.scans import add_items, user

Setup = tuple[Dataset, User, User, LocalBlobStore]


@pytest.fixture
def setup(db: Session, tmp_path: Path) -> Setup:
    owner, other = user(db, "owner"), user(db, "other")
    dataset = Dataset(
        address="0x" + "22" * 20, name="digits", owner_id=owner.id, labels=["zero", "one", "two"]
    )
    db.add(dataset)
    db.commit()
    return dataset, owner, other, LocalBlobStore(tmp_path / "blobs")


def blob_count(blobs: LocalBlobStore) -> int:
    return len(list(blobs.iter_keys()))


def actions(db: Session, dataset: Dataset) -> list[str]:
    query = select(AuditLogEntry.action).where(AuditLogEntry.subject == f"dataset:{dataset.id}")
    return list(db.scalars(query.order_by(AuditLogEntry.id)))


def test_the_server_limit_is_within_the_loaders() -> None:
    assert scan_model.MAX_SCAN_MODEL_BYTES <= MAX_MODEL_BYTES


def test_the_owner_sets_a_torchscript_then_a_safetensors_model(db: Session, setup: Setup) -> None:
    dataset, owner, _, blobs = setup
    add_items(db, blobs, dataset, {0: 3, 1: 3, 2: 3})
    assert not scan_model.current_model(dataset).uploaded
    scripted = torchscript_bytes(net())
    info = scan_model.set_scan_model(db, blobs, dataset, owner, scripted, name="../../etc/my model.pt")
    assert info.uploaded and info.description == "uploaded"
    assert (info.format, info.size, info.name) == ("torchscript", len(scripted), "my model.pt")
    assert info.sha256 == hashlib.sha256(scripted).hexdigest() and blobs.get(info.sha256) == scripted
    assert info.checked_on is not None and "8x8, grayscale" in info.checked_on
    assert info.classes == ["zero", "one", "two"]
    db.expire_all()
    assert db.get(Dataset, dataset.id).scan_model_sha256 == info.sha256  # type: ignore[union-attr]

    weights = safetensors_bytes(net())
    replaced = scan_model.set_scan_model(db, blobs, dataset, owner, weights, name="w.safetensors")
    assert replaced.format == "safetensors" and replaced.sha256 == hashlib.sha256(weights).hexdigest()
    assert blobs.exists(replaced.sha256)
    entries = list(
        db.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "scan_model.set").order_by("id"))
    )
    assert [e.details["sha256"] for e in entries] == [info.sha256, replaced.sha256]
    assert entries[1].details["previous"] == info.sha256 and entries[1].actor_user_id == owner.id

    removed = scan_model.remove_scan_model(db, dataset, owner)
    assert not removed.uploaded and removed.description == "reference CNN"
    assert actions(db, dataset)[-1] == "scan_model.remove"
    assert blobs.exists(replaced.sha256)  # earlier reports name it: the bytes stay


def test_a_dataset_without_images_takes_a_model_the_weights_decide_about(db: Session, setup: Setup) -> None:
    dataset, owner, _, blobs = setup
    info = scan_model.set_scan_model(db, blobs, dataset, owner, safetensors_bytes(net(channels=3)))
    assert info.format == "safetensors" and info.checked_on is None


def test_refusals_store_nothing(db: Session, setup: Setup) -> None:
    dataset, owner, other, blobs = setup
    add_items(db, blobs, dataset, {0: 3, 1: 3, 2: 3})
    before = blob_count(blobs)
    good = torchscript_bytes(net())
    with pytest.raises(PermissionDenied, match="owner"):
        scan_model.set_scan_model(db, blobs, dataset, other, good)
    evil = pickle.dumps({"weights": [1, 2, 3]})
    with pytest.raises(InvalidInput, match="pickle"):
        scan_model.set_scan_model(db, blobs, dataset, owner, evil, name="model.bin")
    whole = io.BytesIO()
    torch.save(net(), whole)  # a pickled module: refused, never unpickled
    with pytest.raises(InvalidInput, match="more than plain weights"):
        scan_model.set_scan_model(db, blobs, dataset, owner, whole.getvalue())
    with pytest.raises(InvalidInput, match="5 output classes, the data has 3"):
        scan_model.set_scan_model(db, blobs, dataset, owner, safetensors_bytes(net(n_classes=5)))
    with pytest.raises(InvalidInput, match="returns 5 outputs, expected 3 classes"):
        scan_model.set_scan_model(db, blobs, dataset, owner, torchscript_bytes(net(n_classes=5)))
    with pytest.raises(InvalidInput, match="input channels"):
        scan_model.set_scan_model(db, blobs, dataset, owner, safetensors_bytes(net(channels=3)))
    with pytest.raises(InvalidInput, match="does not run on 9 of the dataset's images"):
        scan_model.set_scan_model(db, blobs, dataset, owner, torchscript_bytes(net(channels=3)))
    with pytest.raises(InvalidInput, match="cannot load"):
        scan_model.set_scan_model(db, blobs, dataset, owner, b"\x00" * 64)
    with pytest.raises(InvalidInput, match="empty"):
        scan_model.set_scan_model(db, blobs, dataset, owner, b"")
    with pytest.raises(scan_model.ScanModelTooLarge):
        scan_model.set_scan_model(db, blobs, dataset, owner, b"\x00" * (scan_model.MAX_SCAN_MODEL_BYTES + 1))
    with pytest.raises(PermissionDenied):
        scan_model.remove_scan_model(db, dataset, other)
    db.rollback()
    db.expire_all()
    assert blob_count(blobs) == before
    assert db.get(Dataset, dataset.id).scan_model_sha256 is None  # type: ignore[union-attr]
    assert "scan_model.set" not in actions(db, dataset)


def test_a_scan_runs_with_the_owners_model_and_its_report_names_it(
    db: Session, engine: Engine, setup: Setup
) -> None:
    dataset, owner, _, blobs = setup
    add_items(db, blobs, dataset, {0: 12, 1: 12, 2: 12})
    sessions = make_session_factory(engine)
    model = torchscript_bytes(net())
    sha = scan_model.set_scan_model(db, blobs, dataset, owner, model, name="mine.pt").sha256
    first = scan_start.start_scan(db, dataset, owner)
    assert first.model_sha256 == sha
    scan_model.remove_scan_model(db, dataset, owner)  # the scan keeps the model it was started with
    assert scan_runner.run_scan(sessions, blobs, first.id) is ScanState.DONE
    with sessions() as fresh:
        done = fresh.get(Scan, first.id)
        assert done is not None and done.state is ScanState.DONE, done and done.error
        report = json.loads(blobs.get(done.report_sha256 or ""))
    assert report["summary"]["model"] == "uploaded" and report["summary"]["model_sha256"] == sha

    reference = scan_start.start_scan(db, dataset, owner)
    assert reference.model_sha256 is None
    assert scan_runner.run_scan(sessions, blobs, reference.id) is ScanState.DONE
    with sessions() as fresh:
        done = fresh.get(Scan, reference.id)
        assert done is not None
        report = json.loads(blobs.get(done.report_sha256 or ""))
    assert report["summary"]["model"] == "reference CNN" and report["summary"]["model_sha256"] is None


def test_a_model_that_cannot_be_used_at_scan_time_fails_the_scan_clearly(
    db: Session, engine: Engine, setup: Setup
) -> None:
    dataset, owner, _, blobs = setup
    add_items(db, blobs, dataset, {0: 12, 1: 12})
    sessions = make_session_factory(engine)
    sha = scan_model.set_scan_model(db, blobs, dataset, owner, torchscript_bytes(net())).sha256
    assert sha is not None
    scan = scan_start.start_scan(db, dataset, owner)
    blobs.delete(sha)
    assert scan_runner.run_scan(sessions, blobs, scan.id) is ScanState.FAILED
    with sessions() as fresh:
        failed = fresh.get(Scan, scan.id)
        assert failed is not None and failed.error is not None
        assert failed.error.startswith("ScanModelError: the dataset's scan model")
        assert sha in failed.error and "missing from the blob store" in failed.error
        assert (
            fresh.scalar(
                select(func.count()).select_from(AuditLogEntry).where(AuditLogEntry.action == "scan.fail")
            )
            == 1
        )
