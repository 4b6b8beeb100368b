"""Seed 004's elimination rule: K-Means (k = 2) on the reported losses, with a gap test.

K-Means always returns two clusters, even when every client is honest, so "exclude the high
cluster" alone would exclude honest clients every round. The high cluster is left out only when:

1. it is a strict minority (the seed's premise: attackers are fewer than honest clients);
2. its centre lies at least ``min_gap`` (a fraction of the clip range L) above the low centre, so
   a loss difference too small to matter never costs anyone their place; and
3. the separation statistic ``T = gap / pooled within-cluster SD`` exceeds the (1 - α) quantile of
   T under the null hypothesis "all reports come from one unimodal population". T is scale-free,
   so its null law depends only on the population's shape and the number of clients; it is
   simulated (parametric bootstrap) for both shapes an honest federation can take: Gaussian
   heterogeneity between clients, and the LDP mechanism's own noise averaged over each client's
   report count. The larger quantile is used. The within-cluster spread already contains the LDP
   noise, so a wide noise scale raises the bar automatically; at small ε the attackers' gap is
   buried in noise and the test (correctly) declines to exclude anyone.

The values clustered are each client's running mean of its noisy reports so far: one report at
ε = 1 carries noise of SD √2·L, more than the whole clip range, so evidence has to accumulate
over rounds (at a privacy cost of ε per report, by sequential composition).

In one dimension the optimal 2-means partition is a contiguous split of the sorted values, so it
is found exactly by trying every split point (what sklearn's Lloyd iterations approximate).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sebrus.federated.ldp import Mechanism

#: Per-round false-separation rate of the null test: over 20 rounds an honest federation loses
#: somebody with probability at most about 2%.
DEFAULT_ALPHA = 0.001
NULL_DRAWS = 4000


@dataclass(frozen=True)
class GapDecision:
    separated: bool
    high: np.ndarray  # bool mask of the high cluster (meaningful even when not separated)
    gap: float
    statistic: float
    threshold: float


def two_means_1d(values: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Exact 1-D K-Means with k = 2: (high-cluster mask, low centre, high centre, min SSE)."""
    x = np.asarray(values, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    sse, split = _best_splits(x[order][None, :])
    k = int(split[0])
    high = np.zeros(len(x), dtype=bool)
    high[order[k:]] = True
    return high, float(x[~high].mean()), float(x[high].mean()), float(sse[0])


def _best_splits(sorted_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each sorted row, the minimum two-cluster SSE and the split index (first of the high group)."""
    _, n = sorted_rows.shape
    c1 = np.cumsum(sorted_rows, axis=1)
    c2 = np.cumsum(sorted_rows**2, axis=1)
    total1, total2 = c1[:, -1:], c2[:, -1:]
    k = np.arange(1, n)  # low group = first k values
    s1, s2 = c1[:, :-1], c2[:, :-1]
    sse_low = s2 - s1**2 / k
    sse_high = (total2 - s2) - (total1 - s1) ** 2 / (n - k)
    sse = sse_low + sse_high
    best = np.argmin(sse, axis=1)
    return sse[np.arange(len(sse)), best], best + 1


def _statistic(sorted_rows: np.ndarray) -> np.ndarray:
    n = sorted_rows.shape[1]
    sse, split = _best_splits(sorted_rows)
    rows = np.arange(len(sorted_rows))
    c1 = np.cumsum(sorted_rows, axis=1)
    low = c1[rows, split - 1] / split
    high = (c1[:, -1] - c1[rows, split - 1]) / (n - split)
    pooled = np.sqrt(np.maximum(sse, 0.0) / max(n - 2, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pooled > 0, (high - low) / pooled, np.inf)


@lru_cache(maxsize=256)
def null_threshold(counts: tuple[int, ...], mechanism: Mechanism | None, alpha: float) -> float:
    """(1 - α) quantile of T when all clients share one population (see the module docstring).

    ``counts`` is each client's number of reports (its running mean averages that many noise draws);
    ``mechanism`` None means no LDP noise, so only the Gaussian shape is simulated.
    """
    rng = np.random.default_rng(12345)
    n = len(counts)
    shapes = [rng.standard_normal((NULL_DRAWS, n))]
    if mechanism is not None:
        cols = []
        for c in counts:
            if mechanism == "laplace":
                draws = rng.laplace(0.0, 1.0, size=(NULL_DRAWS, c))
            else:
                draws = rng.standard_normal((NULL_DRAWS, c))
            cols.append(draws.mean(axis=1))
        shapes.append(np.stack(cols, axis=1))
    quantiles = [float(np.quantile(_statistic(np.sort(s, axis=1)), 1.0 - alpha)) for s in shapes]
    return max(quantiles)


def gap_test(
    values: np.ndarray,
    counts: np.ndarray,
    *,
    clip: float,
    mechanism: Mechanism | None,
    min_gap: float = 0.1,
    alpha: float = DEFAULT_ALPHA,
) -> GapDecision:
    """Decide whether the high-loss cluster of ``values`` (one per client) stands apart."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        return GapDecision(False, np.zeros(n, dtype=bool), 0.0, 0.0, float("inf"))
    high, lo, hi, sse = two_means_1d(x)
    gap = hi - lo
    pooled = float(np.sqrt(max(sse, 0.0) / (n - 2)))
    stat = gap / pooled if pooled > 0 else float("inf")
    key = tuple(sorted(int(c) for c in counts))
    threshold = null_threshold(key, mechanism, alpha)
    separated = bool(high.sum() < n / 2 and gap >= min_gap * clip and stat > threshold)
    return GapDecision(separated, high, float(gap), float(stat), threshold)
