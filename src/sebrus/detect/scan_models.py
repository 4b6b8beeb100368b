"""The models a scan trains, one function each; ``scan.py`` runs them in order and feeds the detectors.

1. :func:`shared_stage`: a model on everything, whose hidden layer feeds activation clustering and
   spectral signatures (they need the trigger learned), and whose first-epoch losses feed ABL's
   class-share check.
2. :func:`out_of_fold_stage`: cross-fitted probabilities (each item scored by a model that never trained
   on it), as confident learning assumes.
3. :func:`trusted_stage`: a model on the trusted reference, then the *anchored* models, cross-fitted in
   two folds: each trains on the reference plus the items of the other fold that the trusted model finds
   plausible, and scores its own fold, so neither a flipped label nor a learned trigger is scored by a
   model that memorised it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from sebrus.detect.label_issues import out_of_fold_probabilities
from sebrus.detect.models import ImageClassifier, TorchImageClassifier, item_losses, train_reference_model

#: From this many items on, two cross-validation folds instead of three: half the data already trains a
#: good model, and it saves a sixth of the scan's training work.
LARGE_SCAN = 6000


@dataclass
class Pool:
    """The data plus the calibration items, which are scored exactly like data items."""

    x: np.ndarray
    y: np.ndarray
    is_cal: np.ndarray
    n_classes: int
    epochs: int
    seed: int


@dataclass(frozen=True)
class TrustedModels:
    """What :func:`trusted_stage` trained: the trusted model, its view of the pool, and the anchored one."""

    model: TorchImageClassifier
    #: the trusted model's probabilities and per-item losses on the pool
    probs: np.ndarray
    loss: np.ndarray
    #: cross-fitted probabilities of the anchored models
    anchored_probs: np.ndarray
    notes: dict[str, float]


def anchor_keep_share(data_loss: np.ndarray, calibration_loss: np.ndarray | None) -> float:
    """Share of the data to train the anchored model on: leave out about 1.5x the estimated poison.

    The poison rate is estimated as the excess of data items whose trusted-model loss is above the 95th
    percentile of the clean calibration items' loss (5% of clean items are expected there). Without
    calibration items the data's own 80th percentile stands in (it keeps 80%).
    """
    if calibration_loss is None or len(calibration_loss) == 0:
        return 0.8
    threshold = np.quantile(calibration_loss, 0.95)
    excess = max(0.0, float(np.mean(data_loss > threshold)) - 0.05)
    return float(np.clip(1.0 - 1.5 * excess - 0.05, 0.5, 0.9))


def shared_stage(pool: Pool, model: ImageClassifier | None) -> tuple[ImageClassifier, np.ndarray, np.ndarray]:
    """The embedder (the uploaded model, else the shared one), the pool's embeddings, first-epoch losses.

    The shared model is trained even when a model was uploaded: ABL's first-epoch losses come from it.
    """
    early_loss = np.zeros(len(pool.y))

    def grab_early(epoch: int, clf: TorchImageClassifier) -> None:
        if epoch == 0:
            early_loss[:] = item_losses(clf.predict_proba(pool.x), pool.y)

    shared = train_reference_model(
        pool.x, pool.y, n_classes=pool.n_classes, epochs=pool.epochs, seed=pool.seed, on_epoch_end=grab_early
    )
    embedder: ImageClassifier = model if model is not None else shared
    return embedder, embedder.embed(pool.x).astype(np.float64), early_loss


def out_of_fold_stage(pool: Pool) -> np.ndarray:
    """Out-of-fold probabilities: confident learning needs each item scored by a model that never saw it."""
    return out_of_fold_probabilities(
        pool.x,
        pool.y,
        n_folds=2 if len(pool.y) >= LARGE_SCAN else 3,
        n_classes=pool.n_classes,
        seed=pool.seed,
        epochs=pool.epochs,
    )


def trusted_stage(pool: Pool, t_x: np.ndarray, t_y: np.ndarray) -> TrustedModels:
    """The trusted model and its probabilities, and anchored probabilities cross-fitted in two folds.

    Keeping 85% rather than 70% of the data took the anchored label check's best F1 from 0.90 to 0.93 on
    MNIST-5k random flips; a fixed share let most of a 20% backdoor back in, so the share follows the
    estimated poison. Cross-fitting costs nothing extra (two models on half the data each) and means an
    item that slipped into the plausible share is still scored by a model that never saw it.
    """
    trusted_epochs = int(np.clip(round(30_000 / len(t_y)), 5, 40))
    trusted_model = train_reference_model(
        t_x, t_y, n_classes=pool.n_classes, epochs=trusted_epochs, seed=pool.seed + 1
    )
    trusted_probs = trusted_model.predict_proba(pool.x)
    trusted_loss = item_losses(trusted_probs, pool.y)
    keep = anchor_keep_share(
        trusted_loss[~pool.is_cal], trusted_loss[pool.is_cal] if pool.is_cal.any() else None
    )
    plausible = trusted_loss <= np.quantile(trusted_loss, keep)
    probs = np.zeros((len(pool.y), pool.n_classes))
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=pool.seed)
    safe_y = pool.y if np.bincount(pool.y).min(initial=2) >= 2 else np.zeros_like(pool.y)
    for k, (train_idx, score_idx) in enumerate(folds.split(np.zeros(len(pool.y)), safe_y)):
        use = train_idx[plausible[train_idx]]
        anchored = train_reference_model(
            np.concatenate([t_x, pool.x[use]]),
            np.concatenate([t_y, pool.y[use]]),
            n_classes=pool.n_classes,
            epochs=2 * pool.epochs,
            seed=pool.seed + 2 + k,
        )
        probs[score_idx] = anchored.predict_proba(pool.x[score_idx])
    notes = {"kept_share": round(keep, 3), "folds": 2}
    return TrustedModels(trusted_model, trusted_probs, trusted_loss, probs, notes)
