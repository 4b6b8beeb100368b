"""The scan report's figures, drawn with matplotlib and returned as PNG bytes for embedding.

PNG rather than SVG: an SVG would carry report strings (labels, contributor ids) as markup inside the page,
while a PNG carries only pixels. Every text drawn from the report passes ``parse_math=False``: labels and ids
come from uploaders, and a stray ``$`` would otherwise be parsed as TeX, or make matplotlib raise.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless; selecting it before pyplot loads avoids a GUI backend probe

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

FLAGGED_COLOUR = "#d62728"
CLEAN_COLOUR = "#7f8fa6"
THRESHOLD_COLOUR = "#111111"
FLAGGED_HATCH = "///"
FLAGGED_MARK = "flagged"
MAX_LABEL_CHARS = 28


@dataclass(frozen=True)
class PlotPoint:
    """One item as the plots see it: where it sits, how suspicious it is, whether it was flagged."""

    label: str
    suspicion: float | None
    flagged: bool
    embedding: tuple[float, float] | None


@dataclass(frozen=True)
class PlotBar:
    name: str
    score: float
    flagged: bool


def shorten(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """Keep axis text inside its plot, cutting the middle: ids such as wallet addresses differ at both ends.

    The full string stays in the HTML, escaped.
    """
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _report_style() -> AbstractContextManager[None]:
    return plt.rc_context({"font.size": 9})


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def class_cluster_plots(points: Sequence[PlotPoint], max_classes: int = 24) -> list[tuple[str, bytes]]:
    """One small scatter per class of its items' 2-D embedding, flagged items on top in red.

    Classes come in sorted order; only the first ``max_classes`` with embeddings are drawn so a report with
    hundreds of labels stays a page and not a book.
    """
    by_class: dict[str, list[PlotPoint]] = {}
    for point in points:
        if point.embedding is not None:
            by_class.setdefault(point.label, []).append(point)
    plots = []
    with _report_style():
        for label in sorted(by_class)[:max_classes]:
            members = by_class[label]
            xy = np.array([p.embedding for p in members], dtype=float)
            flagged = np.array([p.flagged for p in members], dtype=bool)
            fig, axes = plt.subplots(figsize=(3.2, 3.0))
            axes.scatter(
                xy[~flagged, 0], xy[~flagged, 1], s=8, c=CLEAN_COLOUR, alpha=0.6, label="not flagged"
            )
            axes.scatter(
                xy[flagged, 0],
                xy[flagged, 1],
                s=22,
                c=FLAGGED_COLOUR,
                marker="x",
                linewidths=1.2,
                label="flagged",
            )
            axes.set_title(
                f"{shorten(label)}: {flagged.sum()} of {len(members)} flagged", fontsize=9, parse_math=False
            )
            axes.set_xticks([])
            axes.set_yticks([])
            if flagged.any():
                axes.legend(loc="best", fontsize=7, framealpha=0.8)
            fig.tight_layout()
            plots.append((label, _png(fig)))
    return plots


def suspicion_histogram(
    points: Sequence[PlotPoint], threshold: float | None, fpr: float | None
) -> bytes | None:
    """Stacked histogram of suspicion, flagged and not, with the flagging threshold as a line."""
    scores = [
        (p.suspicion, p.flagged) for p in points if p.suspicion is not None and math.isfinite(p.suspicion)
    ]
    if not scores:
        return None
    values = np.array([s for s, _ in scores])
    flagged = np.array([f for _, f in scores], dtype=bool)
    low, high = float(values.min()), float(values.max())
    if threshold is not None and math.isfinite(threshold):
        low, high = min(low, threshold), max(high, threshold)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    bins = np.linspace(low, high, 41)
    with _report_style():
        fig, axes = plt.subplots(figsize=(7.5, 3.4))
        axes.hist(
            [values[~flagged], values[flagged]],
            bins=bins.tolist(),
            stacked=True,
            color=[CLEAN_COLOUR, FLAGGED_COLOUR],
            label=[f"not flagged ({(~flagged).sum()})", f"flagged ({flagged.sum()})"],
        )
        if threshold is not None and math.isfinite(threshold):
            note = f"threshold {threshold:.3g}" + (f" (FPR {fpr:.3g})" if fpr is not None else " (FDR)")
            axes.axvline(threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=1.4, label=note)
        axes.set_xlabel("suspicion")
        tallest = max(np.histogram(values, bins=bins)[0])
        if tallest > 100:
            # Thousands of clean items would flatten a handful of flagged ones on a linear axis.
            axes.set_yscale("symlog", linthresh=10)
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            axes.set_ylabel("items (log scale above 10)")
        else:
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_ylabel("items")
        axes.legend(loc="upper right")
        axes.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        return _png(fig)


def bars_to_show(bars: Sequence[PlotBar], max_bars: int) -> list[PlotBar]:
    """Every flagged contributor makes the cut whatever its score; the rest fill up by score."""
    by_score = sorted(bars, key=lambda bar: bar.score, reverse=True)
    keep = [bar for bar in by_score if bar.flagged][:max_bars]
    keep += [bar for bar in by_score if not bar.flagged][: max_bars - len(keep)]
    return sorted(keep, key=lambda bar: bar.score, reverse=True)


def contributor_bars(bars: Sequence[PlotBar], max_bars: int = 40) -> bytes | None:
    """:func:`contributor_figure` as PNG bytes; None when there are no contributor scores."""
    fig = contributor_figure(bars, max_bars)
    return None if fig is None else _png(fig)


def contributor_figure(bars: Sequence[PlotBar], max_bars: int = 40) -> Figure | None:
    """Horizontal bars of contributor scores, highest first, flagged contributors marked.

    A flagged contributor is told by more than colour, which a colour-blind reader or a grey printout
    loses: its bar is red and hatched, the word "flagged" sits at its end, its name is red and bold,
    and a legend says so. Beyond ``max_bars`` contributors the chart keeps every flagged one and the
    highest-scoring others. The caller saves or closes the figure.
    """
    if not bars:
        return None
    shown = bars_to_show(bars, max_bars)
    with _report_style():
        fig, axes = plt.subplots(figsize=(7.5, 0.9 + 0.24 * len(shown)))
        positions = np.arange(len(shown))
        drawn = axes.barh(
            positions,
            [bar.score for bar in shown],
            color=[FLAGGED_COLOUR if bar.flagged else CLEAN_COLOUR for bar in shown],
            edgecolor=[THRESHOLD_COLOUR if bar.flagged else CLEAN_COLOUR for bar in shown],
            linewidth=0.6,
        )
        for patch, bar in zip(drawn.patches, shown, strict=True):
            if bar.flagged:
                patch.set_hatch(FLAGGED_HATCH)
                axes.annotate(
                    FLAGGED_MARK,
                    (max(bar.score, 0.0), patch.get_y() + patch.get_height() / 2),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                    color=FLAGGED_COLOUR,
                )
        axes.set_yticks(positions, [shorten(bar.name) for bar in shown], parse_math=False)
        for tick, bar in zip(axes.get_yticklabels(), shown, strict=True):
            if bar.flagged:
                tick.set_color(FLAGGED_COLOUR)
                tick.set_fontweight("bold")
        axes.invert_yaxis()
        axes.margins(x=0.12)  # room for the "flagged" marks at the end of the longest bars
        axes.set_xlabel("contributor score\n-log10 p of their items' suspicion against everyone else's")
        n_flagged = sum(bar.flagged for bar in bars)
        title = f"Contributors: {n_flagged} flagged of {len(bars)}"
        if len(bars) > len(shown):
            title += f" (top {len(shown)} shown, every flagged one included)"
        axes.set_title(title)
        axes.legend(
            handles=[
                Patch(
                    facecolor=FLAGGED_COLOUR, edgecolor=THRESHOLD_COLOUR, hatch=FLAGGED_HATCH, label="flagged"
                ),
                Patch(facecolor=CLEAN_COLOUR, label="not flagged"),
            ],
            loc="lower right",
            fontsize=8,
            framealpha=0.9,
        )
        axes.grid(True, axis="x", alpha=0.3)
        fig.tight_layout()
        return fig
