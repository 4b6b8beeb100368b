"""Where to draw the line: flag as many items as the data supports at a stated expected precision.

A fixed false-positive rate flags that share of clean items whatever the data holds: 5% of a clean set,
and at 10% poison a precision near 0.69 even with perfect recall. The default here is a false-discovery
rate instead (Benjamini and Hochberg 1995, with Storey's 2002 estimate of the share of clean items):
among the flagged items, the expected share of clean ones is at most ``fdr``. On clean data that flags
almost nothing (with probability at least ``1 - fdr``, nothing at all), and when many items are poisoned
it flags them all. Conformal p-values make this valid for finite calibration sets (Bates et al. 2023).

Weights (Genovese, Roeder and Wasserman 2006) let outside evidence move an item's threshold: an item of a
contributor whose items are suspicious as a group is tested at a laxer level, others at a slightly
stricter one, with the weights averaging one so the guarantee is kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


def storey_pi0(p_values: np.ndarray, lam: float = 0.5) -> float:
    """Estimated share of true nulls (clean items): p-values above ``lam`` come from clean items only."""
    p = np.asarray(p_values, dtype=np.float64)
    if len(p) == 0:
        return 1.0
    return float(np.clip((1.0 + np.sum(p > lam)) / (len(p) * (1.0 - lam)), 1e-3, 1.0))


def bh_threshold(p_values: np.ndarray, fdr: float, pi0: float = 1.0) -> float:
    """Benjamini-Hochberg: the largest ``p_(k)`` with ``p_(k) <= fdr * k / (pi0 * n)``, or 0 if none."""
    p = np.sort(np.asarray(p_values, dtype=np.float64))
    n = len(p)
    if n == 0:
        return 0.0
    ok = p <= fdr * np.arange(1, n + 1) / (max(pi0, 1e-3) * n)
    return float(p[np.flatnonzero(ok)[-1]]) if ok.any() else 0.0


@dataclass(frozen=True)
class OperatingPoint:
    """How the flags were chosen, and what they are expected to hold, for reports and reviewers."""

    method: str  # "fdr" (default) or "fpr" (an explicit per-item false-positive rate)
    level: float
    p_threshold: float
    n_items: int
    n_flagged: int
    estimated_clean_share: float
    expected_false_positives: float
    expected_precision: float | None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("p_threshold", "estimated_clean_share", "expected_false_positives", "expected_precision"):
            if out[key] is not None:
                out[key] = float(f"{out[key]:.4g}")
        return out


def choose_flags(
    p_values: np.ndarray,
    *,
    fdr: float | None = 0.05,
    fpr: float | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, OperatingPoint]:
    """Flags for ``p_values`` (one per item) at a false-discovery rate, or at ``fpr`` when that is given.

    ``weights``: per-item weights (mean 1 is enforced) for weighted BH; an item is flagged when
    ``p / weight`` passes. The expected false positives are ``pi0 * sum(min(1, weight * t))``.
    """
    p = np.asarray(p_values, dtype=np.float64)
    n = len(p)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != p.shape or np.any(w < 0):
        raise ValueError("weights must be non-negative, one per p-value")
    w = w * (n / w.sum()) if w.sum() > 0 else np.ones(n)
    adjusted = np.clip(p / np.maximum(w, 1e-12), 0.0, 1.0)
    pi0 = storey_pi0(p)
    if fpr is not None:
        if not 0.0 < fpr < 1.0:
            raise ValueError(f"fpr must lie in (0, 1), got {fpr}")
        method, level, t = "fpr", fpr, fpr
    else:
        if fdr is None or not 0.0 < fdr < 1.0:
            raise ValueError(f"fdr must lie in (0, 1), got {fdr}")
        method, level, t = "fdr", fdr, bh_threshold(adjusted, fdr, pi0)
    flags = adjusted <= t if t > 0 else np.zeros(n, dtype=bool)
    expected_fp = pi0 * float(np.minimum(1.0, w * t).sum()) if t > 0 else 0.0
    n_flagged = int(flags.sum())
    precision = max(0.0, 1.0 - expected_fp / n_flagged) if n_flagged else None
    return flags, OperatingPoint(method, level, t, n, n_flagged, pi0, expected_fp, precision)
