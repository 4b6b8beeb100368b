"""Activation clustering (Chen et al. 2018), the paper's detector, done on the hidden layer.

ART's ActivationDefence clusters the *last* layer (the logits), which a backdoored model makes look like
its target class, and its ``relative-size`` / ``silhouette-scores`` analyses crash or return garbage
under numpy 2 (ART 1.20.1). We keep ART's working piece, ``reduce_dimensionality`` (PCA to 10 dims), and
do the per-class 2-means and the relative-size analysis ourselves on the penultimate layer.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from sklearn.cluster import KMeans

from sebrus.detect.base import PoisonDetector, check_features


def _reduce(embeddings: np.ndarray, n_dims: int) -> np.ndarray:
    from art.defences.detector.poison.activation_defence import reduce_dimensionality

    n_dims = min(n_dims, embeddings.shape[0] - 1, embeddings.shape[1])
    if n_dims < 1:
        return embeddings
    return np.asarray(reduce_dimensionality(embeddings, nb_dims=n_dims, reduce="PCA"))


class ActivationClustering(PoisonDetector):
    """Per class: PCA to ``n_dims``, 2-means, and suspicion for the smaller cluster.

    The score of an item in the small cluster grows as the cluster gets smaller (relative to
    ``max_relative_size``) and as it sits further from the big cluster's centre; items in the big
    cluster score by how close they are to the small one, so the score is continuous for calibration.
    """

    name = "activation_clustering"

    def __init__(self, n_dims: int = 10, max_relative_size: float = 0.35, seed: int = 0) -> None:
        self.n_dims = n_dims
        self.max_relative_size = max_relative_size
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> Self:
        check_features(X, y, "embeddings")
        scores = np.zeros(len(X), dtype=np.float64)
        flags = np.zeros(len(X), dtype=bool)
        sizes: dict[int, float] = {}
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            if len(idx) < 4:
                continue
            reduced = _reduce(X[idx], self.n_dims)
            km = KMeans(n_clusters=2, n_init=4, random_state=self.seed).fit(reduced)
            counts = np.bincount(km.labels_, minlength=2)
            small = int(np.argmin(counts))
            rel = counts[small] / len(idx)
            sizes[int(c)] = float(rel)
            d_small = np.linalg.norm(reduced - km.cluster_centers_[small], axis=1)
            d_big = np.linalg.norm(reduced - km.cluster_centers_[1 - small], axis=1)
            spread = np.median(d_big[km.labels_ != small]) + 1e-9
            margin = (d_big - d_small) / spread  # >0: nearer the small cluster
            size_weight = max(0.0, 1.0 - rel / max(self.max_relative_size, 1e-9)) if rel > 0 else 0.0
            scores[idx] = margin * (0.5 + size_weight)
            if rel < self.max_relative_size:
                flags[idx[km.labels_ == small]] = True
        self.scores_, self.flags_ = scores, flags
        self.evidence_ = {"relative_size_of_small_cluster": sizes}
        return self
