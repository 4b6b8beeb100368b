"""The scan's contributor stage: test contributors as groups, then say what else is known about each.

Flags come from the rank test (``contributors.contributor_rank_test``) on the items' per-detector
p-values; a flagged contributor's items, and those of one named before the scan, get weighted-BH weights
so the group evidence reaches the items. Seed 004's loss clustering and leave-one-contributor-out are
reported beside each contributor as evidence, not used to flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sebrus.detect.contributors import ContributorLossClustering, ContributorTest, contributor_rank_test
from sebrus.detect.ensemble import EnsembleResult
from sebrus.detect.models import TorchImageClassifier
from sebrus.detect.provenance import LeaveOneContributorOut


@dataclass(frozen=True)
class ContributorReport:
    id: str
    n_items: int
    score: float
    flagged: bool
    evidence: dict[str, Any] = field(default_factory=dict)


def rank_contributors(
    ensemble: EnsembleResult, owners: np.ndarray, suspects: Sequence[str]
) -> ContributorTest:
    """Rank test of each contributor's items, one column of -log10 p per detector (data items only).

    One column per detector keeps a signal only one detector carries from being averaged away.
    """
    n = len(owners)
    evidence = -np.log10(np.stack([p[:n] for p in ensemble.p_values.values()], axis=1))
    return contributor_rank_test(evidence, owners, suspects=suspects)


def item_weights(test: ContributorTest, ensemble: EnsembleResult, owners: np.ndarray) -> np.ndarray | None:
    """Weighted-BH weights for the pool (calibration items keep 1); ``None`` when nobody was raised.

    ``None`` rather than all-ones weights so the scan only re-combines when a contributor was flagged or
    named before the scan.
    """
    if not (test.flags | test.suspects).any():
        return None
    n = len(owners)
    hits = ensemble.p_combined[:n] <= 0.05
    return np.concatenate([test.item_weights(owners, hits), np.ones(len(ensemble.p_combined) - n)])


def contributor_reports(
    contributors: np.ndarray,
    test: ContributorTest,
    losses: np.ndarray,
    trusted_model: TorchImageClassifier | None,
    images: np.ndarray,
    labels: np.ndarray,
    t_x: np.ndarray | None,
    t_y: np.ndarray | None,
) -> list[ContributorReport]:
    """Flags come from the rank test; seed 004's loss clustering and leave-one-out are evidence beside it."""
    clustering = ContributorLossClustering().fit(losses, contributors)
    loco: LeaveOneContributorOut | None = None
    if trusted_model is not None and t_x is not None and t_y is not None and len(test.ids) >= 3:
        loco = LeaveOneContributorOut().fit(
            trusted_model.embed(images).astype(np.float64),
            labels,
            contributors=contributors,
            X_val=trusted_model.embed(t_x).astype(np.float64),
            y_val=t_y,
        )
    out = []
    for j, cid in enumerate(test.ids):
        evidence: dict[str, Any] = {
            "p_value": float(f"{test.p_values[j]:.3g}"),
            "suspected_before_scan": bool(test.suspects[j]),
            "mean_loss": round(float(clustering.true_means_[j]), 4),
            "loss_cluster_high": bool(clustering.flags_[j]),
        }
        if loco is not None:
            evidence["loco_delta"] = round(float(loco.scores_[j]), 5)
        score = float(-np.log10(max(test.p_values[j], 1e-300)))
        out.append(ContributorReport(str(cid), int(test.counts[j]), score, bool(test.flags[j]), evidence))
    return out
