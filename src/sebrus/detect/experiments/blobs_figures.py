"""Seed 004's two figures and the raw numbers behind them, written to disk.

The figures follow the seed's layout (one line per noise level against the poisoned count) so the two can be
compared side by side; when sklearn's converged KMeans ran, it gets a second panel on the same axes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: must come before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sebrus.detect.experiments.blobs import BlobsStudyResult

ACCURACY_FIGURE = "accuracy_vs_poisoned.png"
SILHOUETTE_FIGURE = "silhouette_vs_poisoned.png"
RESULTS_CSV = "blobs_results.csv"

CSV_COLUMNS = (
    "noise_level",
    "noise_std",
    "poisoned",
    "poisoned_fraction",
    "accuracy_raw",
    "accuracy_matched",
    "silhouette",
    "sklearn_accuracy_matched",
    "sklearn_silhouette",
)


def write_results_csv(result: BlobsStudyResult, path: Path) -> None:
    """One row per grid cell; the sklearn columns are empty when sklearn did not run."""
    levels, stds, counts = result.noise_levels, result.noise_std, result.poisoned_counts
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for li, (level, std) in enumerate(zip(levels, stds, strict=True)):
            for ci, count in enumerate(counts):
                writer.writerow(
                    [
                        f"{level:g}",
                        f"{std:.6g}",
                        int(count),
                        f"{count / result.config.n_samples:.4f}",
                        f"{result.accuracy_raw[li, ci]:.6f}",
                        f"{result.accuracy_matched[li, ci]:.6f}",
                        f"{result.silhouette[li, ci]:.6f}",
                        _optional(result.sklearn_accuracy_matched, li, ci),
                        _optional(result.sklearn_silhouette, li, ci),
                    ]
                )


def _optional(grid: np.ndarray | None, li: int, ci: int) -> str:
    return "" if grid is None else f"{grid[li, ci]:.6f}"


#: Ten shades that can be told apart (matplotlib's qualitative tab10): the noise levels are categories to
#: match against the legend, and a sequential map such as viridis made neighbouring levels look alike.
LEVEL_PALETTE = "tab10"
#: Beyond ten levels the colours repeat, so each further round of ten gets its own dash pattern.
LEVEL_DASHES = ("-", "--", ":", "-.")
REFERENCE_COLOUR = "black"  # the seed's mark: not one of the palette's shades


def level_styles(n_levels: int) -> list[tuple[tuple[float, float, float], str]]:
    """(colour, line style) per noise level: no two levels share both."""
    palette = plt.get_cmap(LEVEL_PALETTE)
    shades = palette.N  # 10: a ListedColormap's own colours, read by index
    styles = []
    for i in range(n_levels):
        red, green, blue, _ = palette(i % shades)
        styles.append(
            ((float(red), float(green), float(blue)), LEVEL_DASHES[(i // shades) % len(LEVEL_DASHES)])
        )
    return styles


def _plot_lines(axes: Axes, result: BlobsStudyResult, grid: np.ndarray, title: str, ylabel: str) -> None:
    styles = level_styles(len(result.noise_levels))
    for level, row, (colour, dash) in zip(result.noise_levels, grid, styles, strict=True):
        axes.plot(
            result.poisoned_counts, row, color=colour, linestyle=dash, linewidth=1.4, label=f"var = {level:g}"
        )
    axes.set_title(title)
    axes.set_xlabel(f"Number of poisoned samples (of {result.config.n_samples})")
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)


def _noise_note(result: BlobsStudyResult) -> str:
    if result.config.noise == "std":
        return "noise std = var, as the seed's scale=var does"
    return "noise std = sqrt(var): var read as a true variance"


def figure(
    result: BlobsStudyResult,
    main: np.ndarray,
    converged: np.ndarray | None,
    ylabel: str,
    title: str,
    reference: float | None,
) -> Figure:
    """One of the seed's figures, drawn but not saved (the caller saves and closes it)."""
    panels = [("Seed's one-step k-means", main)]
    if converged is not None:
        panels.append(("sklearn KMeans (converged)", converged))
    fig, axes_row = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 5.5), sharey=True, squeeze=False)
    for axes, (name, grid) in zip(axes_row[0], panels, strict=True):
        _plot_lines(axes, result, grid, name, ylabel)
        if reference is not None:
            axes.axhline(
                reference,
                color=REFERENCE_COLOUR,
                linestyle=(0, (6, 3)),
                linewidth=1,
                label=f"seed's {reference:g} mark",
            )
    axes_row[0][-1].legend(loc="lower left", fontsize=8, ncol=2)
    fig.suptitle(f"{title} ({_noise_note(result)})")
    fig.tight_layout()
    return fig


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_figures(result: BlobsStudyResult, out_dir: Path) -> tuple[Path, Path]:
    """The seed's Figure 1 (accuracy) and Figure 2 (silhouette); returns their paths."""
    accuracy_path, silhouette_path = out_dir / ACCURACY_FIGURE, out_dir / SILHOUETTE_FIGURE
    accuracy = figure(
        result,
        result.accuracy_matched,
        result.sklearn_accuracy_matched,
        "Accuracy (best cluster-to-label matching)",
        "Accuracy vs. number of poisoned samples",
        reference=0.8,
    )
    _save(accuracy, accuracy_path)
    silhouette = figure(
        result,
        result.silhouette,
        result.sklearn_silhouette,
        "Silhouette score",
        "Silhouette vs. number of poisoned samples",
        reference=0.7,
    )
    _save(silhouette, silhouette_path)
    return accuracy_path, silhouette_path
