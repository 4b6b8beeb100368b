"""Release monitoring on real rows and blobs.

A release in which 40% of one class carries another label (a flip that leaves accuracy almost where it
was) must raise an alert naming the label pair and the flipping contributor; clean releases must not.
The held-out share of the seed set is what monitoring measures on, and scans never see it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from sebrus.blobs import LocalBlobStore
from sebrus.db.engine import make_session_factory
from sebrus.db.models import (
    AuditLogEntry,
    Dataset,
    DatasetSeed,
    Item,
    ItemStatus,
    MetricState,
    Release,
    ReleaseItem,
    SeedSource,
)
from sebrus.detect.datasets import load_digits
from sebrus.services.incidents import monitoring
from sebrus.services.scans import seeds
from tests.support.images import to_png

HONEST, CAROL, MALLORY = "0x" + "11" * 20, "0x" + "66" * 20, "0x" + "22" * 20
LABELS = ["d0", "d1", "d2", "d3"]
#: Seeds 0-5 all pass; 1 (the default) is a draw where overall accuracy alone stays within its noise.
DATA_SEED = int(os.environ.get("SEBRUS_MONITOR_TEST_SEED", "1"))


@dataclass
class Stage:
    sessions: sessionmaker[Session]
    blobs: LocalBlobStore
    dataset_id: int
    images: np.ndarray
    labels: np.ndarray

    def item(self, db: Session, k: int, label: int, who: str) -> Item:
        data = to_png(self.images[k])
        row = Item(
            dataset_id=self.dataset_id,
            content_hash=self.blobs.put(data).key,
            label=LABELS[label],
            label_index=label,
            contributor_address=who,
            status=ItemStatus.APPROVED,
            size=len(data),
        )
        db.add(row)
        return row

    def release(self, db: Session, version: int, members: Sequence[Item]) -> None:
        db.flush()
        release = Release(
            dataset_id=self.dataset_id,
            version=version,
            merkle_root="0x" + f"{version:064x}",
            manifest_hash="0x" + "00" * 32,
            item_count=len(members),
            chain_id=1,
            registry_address="0x" + "44" * 20,
            publisher_address=HONEST,
        )
        db.add(release)
        db.flush()
        db.add_all(
            ReleaseItem(release_id=release.id, item_id=i.id, content_hash=i.content_hash, label=i.label)
            for i in members
        )


def _stage(engine: Engine, tmp_path: Path, seed_idx: np.ndarray, name: str) -> Stage:
    images, labels = load_digits()
    keep = labels < len(LABELS)
    images, labels = images[keep], labels[keep]
    blobs = LocalBlobStore(tmp_path / "blobs")
    sessions = make_session_factory(engine)
    with sessions() as db:
        dataset = Dataset(address="0x" + "33" * 20, name=name, labels=LABELS, chain_id=1)
        db.add(dataset)
        db.flush()
        for k in seed_idx:
            db.add(
                DatasetSeed(
                    dataset_id=dataset.id,
                    content_hash=blobs.put(to_png(images[k])).key,
                    label=LABELS[int(labels[k])],
                    source=SeedSource.UPLOAD,
                )
            )
        db.commit()
        return Stage(sessions, blobs, dataset.id, images, labels)


def test_a_40_percent_one_class_flip_raises_an_alert_naming_the_pair_and_contributor(
    engine: Engine, tmp_path: Path
) -> None:
    _, labels = load_digits()
    n = int(np.sum(labels < len(LABELS)))
    order = np.random.default_rng(DATA_SEED).permutation(n)
    seed_idx, first, honest_new, rest = order[:160], order[160:360], order[360:400], order[400:]
    stage = _stage(engine, tmp_path, seed_idx, "digits")
    y = stage.labels
    with stage.sessions() as db:
        v1 = [stage.item(db, int(k), int(y[k]), HONEST if k % 2 else CAROL) for k in first]
        v2 = v1 + [stage.item(db, int(k), int(y[k]), CAROL) for k in honest_new]
        # Release 3: Mallory sends clean 0s and 3s, and enough 1s labelled 2 that 40% of the release's
        # images of a 1 carry the label 2.
        ones_in_v2 = sum(int(y[k]) == 1 for k in np.concatenate([first, honest_new]))
        n_flips = round(ones_in_v2 * 0.4 / 0.6)
        flips = [int(k) for k in rest if y[k] == 1][:n_flips]
        cover = [int(k) for k in rest if y[k] in (0, 3)][:20]
        mallory = [stage.item(db, k, 2, MALLORY) for k in flips] + [
            stage.item(db, k, int(y[k]), MALLORY) for k in cover
        ]
        for version, members in ((1, v1), (2, v2), (3, v2 + mallory)):
            stage.release(db, version, members)
        db.commit()
    assert len(flips) == n_flips and n_flips / (ones_in_v2 + n_flips) == pytest.approx(0.4, abs=0.01)

    jobs = monitoring.MonitorJobs(stage.sessions, stage.blobs, monitoring.MonitorSettings())
    assert [jobs.step() for _ in range(4)] == [1, 1, 1, 0]  # lowest version first
    with stage.sessions() as db:
        dataset = db.get(Dataset, stage.dataset_id)
        assert dataset is not None
        held = seeds.monitoring_holdout(db, dataset)
        m1, m2, m3 = monitoring.metrics(db, dataset)
        assert {m.state for m in (m1, m2, m3)} == {MetricState.DONE}
        per_label = np.bincount(stage.labels[seed_idx], minlength=len(LABELS))
        assert m1.n_heldout == m3.n_heldout == len(held) == sum(int(c) // 4 for c in per_label)

        # The clean releases: measured per class, compared (1 with the seed baseline, 2 with 1), quiet.
        assert m1.sources["reference"]["kind"] == "seeds" and not m1.alert, m1.message
        assert m2.sources["reference"] == {"kind": "release", "version": 1, "accuracy": m1.accuracy}
        assert not m2.alert, (m2.message, m2.sources["comparison"])
        assert set(m2.per_class) == set(LABELS) and {"accuracy", "true_prob", "confusion"} <= set(
            m2.per_class["d1"]
        )

        # The flip: class d1 loses true-label probability to d2; accuracy hardly moves.
        assert m3.alert, (m3.message, m3.sources["comparison"])
        sources = m3.sources
        dropped = [c["label"] for c in sources["comparison"]["classes"] if c["alert"]]
        assert dropped[0] == "d1", sources["comparison"]  # d2 may lose a little to d1 as well
        if DATA_SEED == 1:  # the accuracy-only rule (a significant overall drop) stays silent here
            assert not sources["comparison"]["accuracy"]["alert"], sources["comparison"]["accuracy"]
        assert (sources["pairs"][0]["from"], sources["pairs"][0]["to"]) == ("d1", "d2")
        assert "d1->d2" in m3.message
        top = sources["contributors"][0]
        assert top["contributor"] == MALLORY and top["p_value"] < 1e-3, sources["contributors"]
        assert top["suspect_items"] >= n_flips // 2
        assert all(c["contributor"] != HONEST for c in sources["pairs"][0]["contributors"][:1])
        (confirmed,) = sources["confirmations"]
        assert confirmed["contributor"] == MALLORY and confirmed["label"] == "d1"
        assert confirmed["recovered"] > 0.05
        assert monitoring.latest_alert(db, dataset) is m3
        actions = list(db.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id)))
        assert actions == ["monitor.measure", "monitor.measure", "monitor.alert"]
        alert_details = db.scalars(
            select(AuditLogEntry.details).where(AuditLogEntry.action == "monitor.alert")
        ).one()
        assert alert_details["top_pairs"][0] == "d1->d2" and alert_details["top_contributors"][0] == MALLORY
