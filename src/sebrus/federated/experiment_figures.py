"""Figures and CSV for the federated experiment (matplotlib, Okabe-Ito colour-blind-safe palette)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
COLUMNS = (
    "cell", "attack", "malicious_fraction", "n_malicious", "epsilon", "split", "defence", "n_clients",
    "rounds",
    "accuracy", "accuracy_without_defence", "accuracy_all_honest", "attack_success",
    "attack_success_without_defence", "malicious_recall", "malicious_precision", "honest_excluded",
    "client_round_recall", "client_round_precision", "first_round_all_malicious_excluded",
    "separated_rounds", "refused", "privacy_spent_per_client", "transport", "seconds",
)  # fmt: skip


def write_csv(results: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in results:
            writer.writerow({k: r.get(k) for k in COLUMNS})


def _eps_order(e: Any) -> float:
    return float("inf") if e == "inf" else float(e)


def write_figures(results: list[dict[str, Any]], out: Path) -> list[Path]:
    """Detection against ε, and accuracy with and without the defence, for the cells that ran."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    defended = [r for r in results if r["defence"] and not r.get("loss_window")]
    groups = sorted(
        {(r["attack"], r["malicious_fraction"], r["split"]) for r in defended if r["attack"] != "none"}
    )
    if groups:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
        ticks = sorted({r["epsilon"] for r in defended}, key=_eps_order)
        position = {e: i for i, e in enumerate(ticks)}

        def nan_if_none(v: Any) -> float:
            return float("nan") if v is None else float(v)

        for colour_i, (attack, frac, split) in enumerate(groups):
            rows = sorted(
                (
                    r
                    for r in defended
                    if (r["attack"], r["malicious_fraction"], r["split"]) == (attack, frac, split)
                ),
                key=lambda r: _eps_order(r["epsilon"]),
            )
            xs = [position[r["epsilon"]] for r in rows]
            style = dict(
                color=OKABE_ITO[colour_i % len(OKABE_ITO)],
                marker="o",
                linestyle="-" if split == "iid" else "--",
                label=f"{attack} {frac:.0%} {split}",
            )
            axes[0].plot(xs, [nan_if_none(r["malicious_recall"]) for r in rows], **style)
            axes[1].plot(xs, [nan_if_none(r["malicious_precision"]) for r in rows], **style)
            axes[2].plot(xs, [r["accuracy"] for r in rows], **style)
        titles = (
            "Malicious recall (final round)",
            "Malicious precision (final round; no point: nobody excluded)",
            "Global accuracy (defended)",
        )
        for ax, title in zip(axes, titles, strict=True):
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("ε per loss report")
            ax.set_xticks(range(len(ticks)), [str(t) for t in ticks])
            ax.set_ylim(-0.02, 1.02)
            ax.grid(True, alpha=0.3)
        axes[2].set_ylim(0.5, 1.0)
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        path = out / "federated_detection_vs_epsilon.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    paired = [
        r for r in defended if r.get("accuracy_without_defence") is not None and r["epsilon"] in (1.0, "inf")
    ]
    if paired:
        fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(paired)), 4.5))
        labels = [
            f"{r['attack']} {r['malicious_fraction']:.0%}\n{r['split']} ε={r['epsilon']}" for r in paired
        ]
        idx = range(len(paired))
        ax.bar(
            [i - 0.2 for i in idx],
            [r["accuracy_without_defence"] for r in paired],
            0.4,
            color=OKABE_ITO[1],
            label="no defence",
        )
        ax.bar(
            [i + 0.2 for i in idx],
            [r["accuracy"] for r in paired],
            0.4,
            color=OKABE_ITO[0],
            label="loss-clustering defence",
        )
        ax.set_xticks(list(idx), labels, fontsize=7, rotation=45, ha="right")
        ax.set_ylabel("global test accuracy")
        ax.set_ylim(0.5, 1.0)
        ax.legend(loc="lower left", framealpha=0.95)
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        path = out / "federated_accuracy.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written


def write_simulation_figure(rows: list[dict[str, Any]], out: Path) -> Path:
    """Recall of the gap test against rounds of evidence, one line per ε (synthetic losses)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, eps in enumerate(sorted({r["epsilon"] for r in rows})):
        mine = sorted((r for r in rows if r["epsilon"] == eps), key=lambda r: r["rounds"])
        ax.plot(
            [r["rounds"] for r in mine],
            [r["recall"] for r in mine],
            marker="o",
            color=OKABE_ITO[i % len(OKABE_ITO)],
            label=f"ε = {eps:g}" if eps != float("inf") else "ε = ∞ (no noise)",
        )
    ax.axhline(0.95, color="grey", linestyle=":", label="target recall 0.95")
    ax.set_xscale("log")
    ax.set_xlabel("rounds of loss reports (each ε-LDP)")
    ax.set_ylabel("malicious recall, final round")
    ax.set_title("Gap test on synthetic losses: 20 clients, 4 malicious, L = ln 10")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "federated_rounds_needed.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def results_markdown(results: list[dict[str, Any]]) -> str:
    """The per-cell table for docs/seed004-federated.md (written as federated_results.md)."""

    def f(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, float):
            return f"{v:.3f}"
        return str(v)

    head = (
        "| attack | split | ε | defence | accuracy | acc. no defence | acc. all honest | attack success "
        "| recall | precision | honest excluded | all caught by round |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for r in results:
        attack = r["attack"] if r["attack"] == "none" else f"{r['attack']} {r['malicious_fraction']:.0%}"
        rows.append(
            f"| {attack} | {r['split']} | {r['epsilon']} | {'on' if r['defence'] else 'off'} "
            f"| {f(r['accuracy'])} "
            f"| {f(r.get('accuracy_without_defence'))} | {f(r.get('accuracy_all_honest'))} "
            f"| {f(r['attack_success'])} | {f(r['malicious_recall'])} | {f(r['malicious_precision'])} "
            f"| {r['honest_excluded']} | {f(r['first_round_all_malicious_excluded'])} |"
        )
    return head + "\n".join(rows) + "\n"
