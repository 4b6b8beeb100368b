"""The numbers that decide whether seed 004's stated findings reproduce, gathered in one JSON-able summary.

The seed states its findings in words read off two figures; each is turned here into a number with an
explicit threshold, so the CLI's ``--json``, the tests and ``docs/seed004-blobs.md`` all judge the same thing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import spearmanr

from sebrus.detect.experiments.blobs import BlobsStudyResult

# The seed's thresholds, as it states them.
ACCURACY_FLOOR = 0.8
ACCURACY_NINETY = 0.9
SILHOUETTE_CEILING_AT_VAR4 = 0.70
# "Variance 4 with about 30% poisoned": 30% of the points, judged over a +/-2 percentage-point window so
# that one lucky shuffle does not decide it.
CLAIM_NOISE_LEVEL = 4.0
CLAIM_FRACTION = 0.30
CLAIM_WINDOW = 0.02


def _cell_name(result: BlobsStudyResult, flat_index: int) -> dict[str, float]:
    level, count = np.unravel_index(flat_index, result.silhouette.shape)
    return {"noise_level": float(result.noise_levels[level]), "poisoned": int(result.poisoned_counts[count])}


def _first_count_below(row: np.ndarray, counts: np.ndarray, threshold: float) -> int | None:
    below = np.flatnonzero(row < threshold)
    return int(counts[below[0]]) if below.size else None


def silhouette_rank_correlations(result: BlobsStudyResult) -> dict[str, float]:
    """Spearman rho of silhouette against poisoned count and against noise level over the whole grid.

    Also over the grid without its degenerate edges (count 0 or noise 0, where nothing changes), which is
    the fairer test of which factor matters more.
    """
    levels, counts = np.meshgrid(result.noise_levels, result.poisoned_counts, indexing="ij")
    inner = (levels > 0) & (counts > 0)
    sil = result.silhouette
    finite = np.isfinite(sil)
    return {
        "rho_vs_poisoned": float(spearmanr(sil[finite], counts[finite]).statistic),
        "rho_vs_noise": float(spearmanr(sil[finite], levels[finite]).statistic),
        "rho_vs_poisoned_inner": float(spearmanr(sil[inner & finite], counts[inner & finite]).statistic),
        "rho_vs_noise_inner": float(spearmanr(sil[inner & finite], levels[inner & finite]).statistic),
    }


def corner_means(result: BlobsStudyResult) -> dict[str, float]:
    """Mean silhouette in the grid's low corner (lowest 30% of both axes) and its high corner (top 30%)."""
    levels, counts = result.noise_levels, result.poisoned_counts
    low_l, high_l = np.quantile(levels, 0.3), np.quantile(levels, 0.7)
    low_c, high_c = np.quantile(counts, 0.3), np.quantile(counts, 0.7)
    sil = result.silhouette
    low = sil[np.ix_(levels <= low_l, counts <= low_c)]
    high = sil[np.ix_(levels >= high_l, counts >= high_c)]
    return {"low_corner": float(np.nanmean(low)), "high_corner": float(np.nanmean(high))}


def silhouette_near_claim(result: BlobsStudyResult) -> dict[str, Any]:
    """Silhouette at noise level 4 around 30% poisoned, or None values when the grid lacks that cell."""
    matches = np.flatnonzero(np.isclose(result.noise_levels, CLAIM_NOISE_LEVEL))
    fractions = result.poisoned_counts / result.config.n_samples
    window = np.abs(fractions - CLAIM_FRACTION) <= CLAIM_WINDOW + 1e-12
    if not matches.size or not window.any():
        return {"mean": None, "max": None, "first_poisoned_below": None}
    row = result.silhouette[matches[0]]
    return {
        "mean": float(np.nanmean(row[window])),
        "max": float(np.nanmax(row[window])),
        "first_poisoned_below": _first_count_below(row, result.poisoned_counts, SILHOUETTE_CEILING_AT_VAR4),
    }


def summarise_findings(result: BlobsStudyResult) -> dict[str, Any]:
    """Every number ``docs/seed004-blobs.md`` quotes, plus a verdict per stated finding."""
    counts = result.poisoned_counts
    accuracy = result.accuracy_matched
    worst = int(np.nanargmin(accuracy))
    correlations = silhouette_rank_correlations(result)
    corners = corner_means(result)
    near_claim = silhouette_near_claim(result)
    summary: dict[str, Any] = {
        "grid": {
            "n_samples": result.config.n_samples,
            "noise_levels": result.noise_levels.tolist(),
            "noise_reading": result.config.noise,
            "poisoned_min": int(counts.min()),
            "poisoned_max": int(counts.max()),
            "shuffle_seed": result.config.shuffle_seed,
            "cells": int(accuracy.size),
        },
        "accuracy": {
            "min_raw": float(np.nanmin(result.accuracy_raw)),
            "min_matched": float(accuracy.flat[worst]),
            "worst_cell": _cell_name(result, worst),
            "raw_equals_matched": bool(np.array_equal(result.accuracy_raw, accuracy)),
            "cells_below_floor": int((accuracy <= ACCURACY_FLOOR).sum()),
            "first_poisoned_below_0_9": {
                str(level): _first_count_below(row, counts, ACCURACY_NINETY)
                for level, row in zip(result.noise_levels.tolist(), accuracy, strict=True)
            },
        },
        "silhouette": {
            "clean": float(result.silhouette[:, counts == 0].mean()) if (counts == 0).any() else None,
            "min": float(np.nanmin(result.silhouette)),
            **correlations,
            **corners,
            "at_noise_4_near_30pct": near_claim,
        },
    }
    if result.sklearn_accuracy_matched is not None and result.sklearn_silhouette is not None:
        summary["sklearn_kmeans"] = {
            "min_matched_accuracy": float(np.nanmin(result.sklearn_accuracy_matched)),
            "worst_cell": _cell_name(result, int(np.nanargmin(result.sklearn_accuracy_matched))),
            "min_silhouette": float(np.nanmin(result.sklearn_silhouette)),
        }
    summary["claims"] = {
        "accuracy_above_0_8_across_grid": bool((accuracy > ACCURACY_FLOOR).all()),
        "accuracy_below_0_9_only_from_noise_5": all(
            (row >= ACCURACY_NINETY).all()
            for level, row in zip(result.noise_levels, accuracy, strict=True)
            if level < 5
        ),
        "silhouette_falls_with_poison_and_noise": correlations["rho_vs_poisoned"] < 0
        and correlations["rho_vs_noise"] < 0
        and corners["high_corner"] < corners["low_corner"],
        "silhouette_below_0_70_at_noise_4_near_30pct": near_claim["max"] is not None
        and near_claim["max"] < SILHOUETTE_CEILING_AT_VAR4,
    }
    return summary
