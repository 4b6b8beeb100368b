"""What a revocation's rescan says about the revoked contributor (``holds.rescan_verdict``), and
what the scan inputs carry for it: unit tests on database rows, no chain."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from sebrus.db.models import (
    Dataset,
    DatasetSeed,
    Item,
    ItemStatus,
    Revocation,
    RevocationState,
    Scan,
    ScanResult,
    ScanState,
    SeedSource,
)
from sebrus.services.incidents import holds
from sebrus.services.scans import seeds

HONEST, MALLORY = "0x" + "11" * 20, "0x" + "22" * 20


def _rescan(db: Session, scores: list[tuple[str, float, bool]]) -> tuple[Dataset, Revocation]:
    dataset = Dataset(address="0x" + "33" * 20, name="d", labels=["a", "b"], chain_id=1)
    db.add(dataset)
    db.flush()
    scan = Scan(dataset_id=dataset.id, state=ScanState.DONE)
    db.add(scan)
    db.flush()
    for n, (who, suspicion, flagged) in enumerate(scores):
        item = Item(
            dataset_id=dataset.id,
            content_hash=f"{n:064x}",
            label="a",
            label_index=0,
            contributor_address=who,
            status=ItemStatus.APPROVED,
            size=1,
        )
        db.add(item)
        db.flush()
        db.add(
            ScanResult(
                scan_id=scan.id,
                item_id=item.id,
                content_hash=item.content_hash,
                suspicion=suspicion,
                flagged=flagged,
            )
        )
    revocation = Revocation(
        dataset_id=dataset.id,
        contributor_address=MALLORY,
        state=RevocationState.ACTIVE,
        reason="r",
        reason_hash="0" * 64,
        tx_hash="0x",
        block_number=1,
        registry_address="0x" + "44" * 20,
        rescan_id=scan.id,
    )
    db.add(revocation)
    db.commit()
    return dataset, revocation


def test_a_group_of_unflagged_but_raised_scores_is_suspicious_as_a_group(db: Session) -> None:
    rng = np.random.default_rng(0)
    honest = [(HONEST, float(s), False) for s in rng.uniform(0.0, 0.5, 60)]
    # 40 flips that each stay under the scan's threshold, yet all sit in the upper half of the scores.
    flips = [(MALLORY, float(s), False) for s in rng.uniform(0.3, 0.6, 40)]
    _, revocation = _rescan(db, honest + flips + [(MALLORY, 0.99, True)])
    verdict = holds.rescan_verdict(db, revocation)
    assert verdict is not None and len(verdict.scored) == 41 and len(verdict.flagged) == 1
    assert verdict.group_p is not None and verdict.group_suspicious


def test_a_contributor_scored_like_everyone_else_is_not_suspicious_as_a_group(db: Session) -> None:
    rng = np.random.default_rng(1)
    scores = [(HONEST, float(s), False) for s in rng.uniform(0, 0.5, 60)]
    scores += [(MALLORY, float(s), False) for s in rng.uniform(0, 0.45, 20)] + [(MALLORY, 0.499, False)]
    _, revocation = _rescan(db, scores)
    verdict = holds.rescan_verdict(db, revocation)
    assert verdict is not None and not verdict.group_suspicious and not verdict.flagged
    top = f"{80:064x}"  # the last one: above 95% of the honest scores, so it stays held by default
    assert verdict.suspicious == {top}


def test_no_verdict_until_the_rescan_has_finished_with_results(db: Session) -> None:
    _, revocation = _rescan(db, [(HONEST, 0.1, False)])
    scan = db.get(Scan, revocation.rescan_id)
    assert scan is not None
    scan.state = ScanState.RUNNING
    db.commit()
    assert holds.rescan_verdict(db, revocation) is None
    scan.state, scan.insufficient_data = ScanState.DONE, True
    db.commit()
    assert holds.rescan_verdict(db, revocation) is None


def test_the_holdout_rule_is_a_quarter_per_label_by_hash_and_none_under_four(db: Session) -> None:
    dataset, _ = _rescan(db, [(HONEST, 0.1, False)])
    hashes = {"a": [f"a{n:063x}" for n in range(9)], "b": [f"b{n:063x}" for n in range(3)]}
    for label, values in hashes.items():
        for value in values:
            db.add(
                DatasetSeed(dataset_id=dataset.id, content_hash=value, label=label, source=SeedSource.UPLOAD)
            )
    db.add(DatasetSeed(dataset_id=dataset.id, content_hash="f" * 64, label="a", source=SeedSource.ITEM))
    db.commit()
    held = seeds.holdout_hashes(seeds.seed_rows(db, dataset))
    assert held == set(sorted(hashes["a"])[:2])  # floor(9 / 4) = 2 of "a"; "b" has 3; items never
    assert {s.content_hash for s in seeds.monitoring_holdout(db, dataset)} == held
