"""Scan rules at the service level, on SQLite and PostgreSQL: who may start one, one at a time, claiming,
not-enough-data, scope, and how the quarantine sender treats each on-chain status."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sebrus.blobs import LocalBlobStore
from sebrus.chain.errors import ContractReverted
from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.chain.types import TxResult
from sebrus.db.engine import make_session_factory
from sebrus.db.models import (
    AuditLogEntry,
    Dataset,
    Item,
    ItemStatus,
    QuarantineState,
    Scan,
    ScanResult,
    ScanScope,
    ScanState,
    User,
)
from sebrus.services import errors as service_errors
from sebrus.services.errors import Conflict, InvalidInput, PermissionDenied
from sebrus.services.scans import queries as scan_queries
from sebrus.services.scans import runner as scan_runner
from sebrus.services.scans import start as scan_start
from sebrus.services.scans.quarantine import QuarantineSender
from tests.support.scans import add_items, user

REPORT = "ab" * 32


@pytest.fixture
def setup(db: Session, tmp_path: Path) -> tuple[Dataset, User, User, LocalBlobStore]:
    owner, other = user(db, "owner"), user(db, "other")
    dataset = Dataset(
        address="0x" + "11" * 20, name="digits", owner_id=owner.id, labels=["zero", "one", "two"]
    )
    db.add(dataset)
    db.commit()
    return dataset, owner, other, LocalBlobStore(tmp_path / "blobs")


def test_only_the_owner_starts_a_scan_and_only_one_at_a_time(
    db: Session, setup: tuple[Dataset, User, User, LocalBlobStore]
) -> None:
    dataset, owner, other, _ = setup
    with pytest.raises(PermissionDenied, match="owner"):
        scan_start.start_scan(db, dataset, other)
    with pytest.raises(InvalidInput, match="fpr"):
        scan_start.start_scan(db, dataset, owner, fpr=0.9)
    with pytest.raises(InvalidInput, match="fdr"):
        scan_start.start_scan(db, dataset, owner, fdr=0.0)
    with pytest.raises(InvalidInput, match="not both"):
        scan_start.start_scan(db, dataset, owner, fdr=0.1, fpr=0.05)
    first = scan_start.start_scan(db, dataset, owner)
    assert (first.state, first.requested_by_user_id) == (ScanState.QUEUED, owner.id)
    assert (first.fdr, first.fpr) == (scan_start.DEFAULT_FDR, None)  # a false-discovery rate by default
    with pytest.raises(Conflict, match=f"Scan {first.id} .* still queued"):
        scan_start.start_scan(db, dataset, owner)
    actions = db.scalars(select(AuditLogEntry.action).where(AuditLogEntry.subject == f"dataset:{dataset.id}"))
    assert list(actions) == ["scan.start"]


def test_a_queued_scan_is_claimed_once(
    db: Session, engine: Engine, setup: tuple[Dataset, User, User, LocalBlobStore]
) -> None:
    dataset, owner, _, blobs = setup
    scan = scan_start.start_scan(db, dataset, owner)
    sessions = make_session_factory(engine)
    assert scan_runner.claim_next(sessions) == scan.id
    assert scan_runner.claim_next(sessions) is None
    # A second delivery of the same job (RQ may deliver twice) finds it running and leaves it alone.
    assert scan_runner.run_scan(sessions, blobs, scan.id) is ScanState.RUNNING


def test_too_little_data_finishes_with_a_clear_not_enough_data_state(
    db: Session, engine: Engine, setup: tuple[Dataset, User, User, LocalBlobStore]
) -> None:
    dataset, owner, _, blobs = setup
    add_items(db, blobs, dataset, {0: 12, 1: 4})
    scan = scan_start.start_scan(db, dataset, owner)
    sessions = make_session_factory(engine)
    assert scan_runner.run_scan(sessions, blobs, scan.id) is ScanState.DONE
    with sessions() as fresh:
        done = fresh.get(Scan, scan.id)
        assert done is not None and done.insufficient_data and done.report_sha256 is None
        assert "Not enough data" in (done.error or "") and "'one': 4" in (done.error or "")
        assert fresh.scalar(select(ScanResult.id).where(ScanResult.scan_id == scan.id)) is None
        with pytest.raises(service_errors.NotFound, match="no report"):
            scan_queries.report_key(done, "json")


def test_a_scan_records_every_item_and_new_since_last_only_the_new_ones(
    db: Session, engine: Engine, setup: tuple[Dataset, User, User, LocalBlobStore]
) -> None:
    dataset, owner, _, blobs = setup
    first_items = add_items(db, blobs, dataset, {0: 15, 1: 15, 2: 3})
    sessions = make_session_factory(engine)
    first = scan_start.start_scan(db, dataset, owner)
    assert scan_runner.run_scan(sessions, blobs, first.id) is ScanState.DONE
    with sessions() as fresh:
        done = fresh.get(Scan, first.id)
        assert done is not None and done.state is ScanState.DONE and not done.insufficient_data, done.error
        assert done.n_items == 30  # the label with 3 items is left out, and the report says so
        report = blobs.get(done.report_sha256 or "")
        assert hashlib.sha256(report).hexdigest() == done.report_sha256 and b"fewer than 10" in report
        assert blobs.get(done.report_html_sha256 or "").lstrip().lower().startswith(b"<!doctype html")
        results = list(fresh.scalars(select(ScanResult).where(ScanResult.scan_id == first.id)))
        assert len(results) == 30 and all(r.flagged == bool(r.reasons) for r in results)
        assert all((r.quarantine is QuarantineState.PENDING) == r.flagged for r in results)

    db.expire_all()
    newer = add_items(db, blobs, dataset, {0: 5, 1: 5})
    second = scan_start.start_scan(db, dataset, owner, scope=ScanScope.NEW_SINCE_LAST)
    assert second.since_item_id == max(i.id for i in first_items)
    assert scan_runner.run_scan(sessions, blobs, second.id) is ScanState.DONE
    with sessions() as fresh:
        ids = set(fresh.scalars(select(ScanResult.item_id).where(ScanResult.scan_id == second.id)))
        assert ids == {i.id for i in newer} and len(ids) == 10
        context = fresh.get(Scan, second.id)
        assert context is not None and context.n_context == 40


class FakeLedger:
    def __init__(self, statuses: dict[str, ChainStatus], refuse: dict[str, str]) -> None:
        self.statuses, self.refuse, self.sent = statuses, refuse, []  # type: list[tuple[str, str]]

    def get_item(self, dataset: str, content_hash: str) -> Any:
        status = self.statuses.get(content_hash)
        return None if status is None else SimpleNamespace(status=status)

    def quarantine(self, detector: Any, dataset: str, content_hash: str, report_hash: str) -> TxResult:
        if content_hash in self.refuse:
            raise ContractReverted(self.refuse[content_hash], {})
        self.sent.append((content_hash, report_hash))
        return TxResult(tx_hash="0x" + "cd" * 32, block_number=7, gas_used=1)


def test_the_sender_quarantines_pending_items_once_and_skips_the_rest(
    db: Session, engine: Engine, setup: tuple[Dataset, User, User, LocalBlobStore]
) -> None:
    dataset, _, _, _ = setup
    hashes = [f"{k:064x}" for k in range(1, 6)]
    items = []
    for h in hashes:
        item = Item(
            dataset_id=dataset.id,
            content_hash=h,
            label="zero",
            label_index=0,
            contributor_address="0x" + "22" * 20,
            size=1,
            status=ItemStatus.PENDING,
        )
        db.add(item)
        items.append(item)
    scan = Scan(dataset_id=dataset.id, state=ScanState.DONE, report_sha256=REPORT)
    db.add(scan)
    db.flush()
    for item in items:
        db.add(
            ScanResult(
                scan_id=scan.id,
                item_id=item.id,
                content_hash=item.content_hash,
                suspicion=3.0,
                flagged=True,
                reasons=[{"detector": "patch_trigger", "score": 3.0, "detail": "x"}],
                quarantine=QuarantineState.PENDING,
            )
        )
    db.commit()
    ledger = FakeLedger(
        {
            hashes[0]: ChainStatus.PENDING,
            hashes[1]: ChainStatus.QUARANTINED,
            hashes[2]: ChainStatus.APPROVED,
            hashes[3]: ChainStatus.PENDING,
        },
        refuse={hashes[3]: "AccessControlUnauthorizedAccount"},
    )
    woken = []
    link = SimpleNamespace(
        ledger=ledger, operators=SimpleNamespace(detector=SimpleNamespace(address="0xdet"))
    )
    sender = QuarantineSender(make_session_factory(engine), link, after_send=lambda: woken.append(1))  # type: ignore[arg-type]
    assert sender.step() == 5
    assert sender.step() == 0  # nothing is pending any more: a second pass sends nothing
    assert ledger.sent == [(hashes[0], REPORT)] and woken == [1]
    db.expire_all()
    states = {r.content_hash: r for r in db.scalars(select(ScanResult).where(ScanResult.scan_id == scan.id))}
    assert states[hashes[0]].quarantine is QuarantineState.SENT and states[hashes[0]].quarantine_tx
    assert states[hashes[1]].quarantine is QuarantineState.SKIPPED
    assert "already quarantined" in (states[hashes[1]].quarantine_error or "")
    assert states[hashes[2]].quarantine is QuarantineState.SKIPPED
    assert states[hashes[3]].quarantine is QuarantineState.FAILED
    assert "AccessControl" in (states[hashes[3]].quarantine_error or "")
    assert states[hashes[4]].quarantine is QuarantineState.FAILED  # unknown on chain
    logged = list(db.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "item.quarantine")))
    assert (
        len(logged) == 1 and logged[0].details["automated"] and logged[0].details["report_sha256"] == REPORT
    )
    assert scan_queries.quarantine_counts(db, scan) == scan_queries.QuarantineCounts(
        pending=0, sent=1, skipped=2, failed=2
    )


def test_a_scan_the_queue_cannot_take_is_failed_with_the_reason(
    db: Session, engine: Engine, setup: tuple[Dataset, User, User, LocalBlobStore]
) -> None:
    from sebrus.services.scans.jobs import QueueUnavailable, ScanJobs

    dataset, owner, _, blobs = setup
    jobs = ScanJobs(make_session_factory(engine), blobs, SimpleNamespace(), redis_url="redis://127.0.0.1:1/0")  # type: ignore[arg-type]
    scan = scan_start.start_scan(db, dataset, owner, backend=jobs.backend)
    with pytest.raises(QueueUnavailable, match="Redis"):
        jobs.submit(db, scan)
    db.refresh(scan)
    assert scan.state is ScanState.FAILED and "could not queue" in (scan.error or "")
    jobs.stop()


def test_the_detectors_get_the_operating_point_and_the_revoked_contributors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A rescan after a revocation must use the hold as evidence: the revoked wallets reach the detectors
    # as suspects, with the scan's own operating point.
    import sebrus.detect.scan as detect_scan

    seen: dict[str, Any] = {}
    monkeypatch.setattr(detect_scan, "scan", lambda *args, **kwargs: seen.update(kwargs))
    inputs = SimpleNamespace(
        images=None,
        labels=None,
        contributors=None,
        trusted_images=None,
        trusted_labels=None,
        suspect_contributors=["0xRevoked"],
    )
    row = Scan(fdr=None, fpr=0.02, random_seed=3)
    scan_runner._detect(inputs, row, lambda *a, **k: None)  # type: ignore[arg-type]
    assert seen["suspect_contributors"] == ["0xRevoked"]
    assert (seen["fpr"], seen["fdr"], seen["seed"]) == (0.02, scan_start.DEFAULT_FDR, 3)
