"""Release monitoring on real rows and blobs: a release that adds one contributor's mislabelled digits loses
held-out accuracy, raises an alert, and names that contributor and label as the drop's likely sources."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import Engine, select

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
from sebrus.services import monitoring

HONEST, MALLORY = "0x" + "11" * 20, "0x" + "22" * 20
LABELS = ["d0", "d1", "d2", "d3"]


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_release_with_flipped_labels_raises_an_alert_naming_its_contributor(
    engine: Engine, tmp_path: Path
) -> None:
    images, labels = load_digits()
    keep = labels < len(LABELS)
    images, labels = images[keep], labels[keep]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(labels))
    heldout, first, honest_new = order[:120], order[120:420], order[420:480]
    # Mallory's new items: every remaining 1 labelled 2, a targeted flip the previous model will doubt.
    flipped = np.array([k for k in order[480:] if labels[k] == 1])
    blobs = LocalBlobStore(tmp_path / "blobs")
    sessions = make_session_factory(engine)
    with sessions() as db:
        dataset = Dataset(address="0x" + "33" * 20, name="digits", labels=LABELS, chain_id=1)
        db.add(dataset)
        db.flush()

        def item(k: int, label: int, who: str) -> Item:
            data = _png(images[k])
            row = Item(
                dataset_id=dataset.id,
                content_hash=blobs.put(data).key,
                label=LABELS[label],
                label_index=label,
                contributor_address=who,
                status=ItemStatus.APPROVED,
                size=len(data),
            )
            db.add(row)
            return row

        v1 = [item(int(k), int(labels[k]), HONEST) for k in first]
        v2 = (
            v1
            + [item(int(k), int(labels[k]), HONEST) for k in honest_new]
            + [item(int(k), 2, MALLORY) for k in flipped]
        )
        for k in heldout:
            db.add(
                DatasetSeed(
                    dataset_id=dataset.id,
                    content_hash=blobs.put(_png(images[k])).key,
                    label=LABELS[int(labels[k])],
                    source=SeedSource.UPLOAD,
                )
            )
        db.flush()
        for version, members in ((1, v1), (2, v2)):
            release = Release(
                dataset_id=dataset.id,
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
        db.commit()
        dataset_id = dataset.id

    jobs = monitoring.MonitorJobs(sessions, blobs, monitoring.MonitorSettings(drop_threshold=0.02, epochs=12))
    assert jobs.step() == 1 and jobs.step() == 1 and jobs.step() == 0  # both releases, lowest version first
    with sessions() as db:
        stored = db.get(Dataset, dataset_id)
        assert stored is not None
        first_metric, second = monitoring.metrics(db, stored)
        assert (first_metric.state, second.state) == (MetricState.DONE, MetricState.DONE)
        assert first_metric.n_heldout == second.n_heldout == len(heldout)
        assert second.n_train == len(v2) and first_metric.accuracy is not None and second.accuracy is not None
        assert first_metric.accuracy > 0.85 and not first_metric.alert
        assert second.previous_version == 1 and second.drop == round(
            first_metric.accuracy - second.accuracy, 4
        )
        assert second.drop is not None and second.drop > 0.02 and second.alert
        assert monitoring.latest_alert(db, stored) is second
        sources = second.sources
        assert sources["new_items"] == len(honest_new) + len(flipped)
        assert (
            sources["contributors"][0]["contributor"] == MALLORY and sources["contributors"][0]["share"] > 0.5
        )
        assert sources["classes"][0]["label"] == "d2"
        confirmed = {c["group"]: c for c in sources["confirmations"]}
        assert confirmed["contributor"]["contributor"] == MALLORY
        assert confirmed["contributor"]["items_left_out"] == len(flipped)
        assert confirmed["contributor"]["recovered"] > 0.0
        actions = list(db.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id)))
        assert actions == ["monitor.measure", "monitor.alert"]


def test_a_release_without_held_out_seeds_is_recorded_as_not_measured(engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(engine)
    blobs = LocalBlobStore(tmp_path / "blobs")
    with sessions() as db:
        dataset = Dataset(address="0x" + "55" * 20, name="no seeds", labels=LABELS, chain_id=1)
        db.add(dataset)
        db.flush()
        db.add(
            Release(
                dataset_id=dataset.id,
                version=1,
                merkle_root="0x" + "01" * 32,
                manifest_hash="0x" + "00" * 32,
                item_count=1,
                chain_id=1,
                registry_address="0x" + "44" * 20,
                publisher_address=HONEST,
            )
        )
        db.commit()
    jobs = monitoring.MonitorJobs(sessions, blobs, monitoring.MonitorSettings())
    assert jobs.step() == 1
    with sessions() as db:
        (metric,) = monitoring.metrics(db, db.scalars(select(Dataset)).one())
        assert metric.state is MetricState.DONE and metric.accuracy is None and not metric.alert
        assert "seed" in metric.message
