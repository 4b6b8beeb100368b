"""Detection benchmark: every attack simulator x poison rate x data set x seed, against ART's defaults.

For each cell the data set is split (stratified by the seed) into a trusted seed set (10%), a test set
(20%) and the pool (70%) that gets poisoned and scanned. Reported per detector and for the ensemble:
precision, recall, F1; for the ensemble and the ART baseline also the attack success rate (ASR) and
clean accuracy after removing the flagged items and retraining, and wall time. The baseline is ART
1.20.1's ActivationDefence with its defaults on a model trained on the poisoned pool, as the SeBRUS
paper used it.

    .venv/bin/python benchmarks/detection.py --smoke --out smoke.json     # CI: about a minute
    .venv/bin/python benchmarks/detection.py --out detection.json         # the full grid (hours)
    .venv/bin/python benchmarks/detection.py --datasets mnist5k --rates 0.1 --out m10.json
    .venv/bin/python benchmarks/detection.py --time-10k                   # one 10k-image scan, timed
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sebrus.detect.attacks import (
    PoisonedData,
    assign_contributors,
    attack_success_rate,
    blended_backdoor,
    clean_label_backdoor,
    patch_backdoor,
    random_label_flip,
    targeted_label_flip,
)
from sebrus.detect.contributors import privacy_tradeoff
from sebrus.detect.datasets import load_dataset, tile_to
from sebrus.detect.models import TorchImageClassifier, train_reference_model
from sebrus.detect.scan import default_epochs, scan

Attack = Callable[[np.ndarray, np.ndarray, float, int], PoisonedData]

ATTACKS: dict[str, Attack] = {
    "patch_all_to_one": lambda x, y, r, s: patch_backdoor(x, y, r, target=0, seed=s),
    "patch_all_to_all": lambda x, y, r, s: patch_backdoor(x, y, r, all_to_all=True, seed=s),
    "blended": lambda x, y, r, s: blended_backdoor(x, y, r, target=0, seed=s),
    "random_flip": lambda x, y, r, s: random_label_flip(x, y, r, seed=s),
    "targeted_flip": lambda x, y, r, s: targeted_label_flip(x, y, r, seed=s),
    "clean_label": lambda x, y, r, s: clean_label_backdoor(x, y, r, target=0, seed=s),
}

#: Targets from the issue, at 10% poison on MNIST-5k (ensemble F1), and what would close each gap.
TARGETS: dict[str, tuple[float, str]] = {
    "patch_all_to_one": (
        0.95,
        "ensemble precision: weaker detectors' false positives survive the even Bonferroni split; weight "
        "the split toward the trigger and anchored checks, or flag at a lower FPR "
        "(trigger check alone: ~0.99)",
    ),
    "patch_all_to_all": (
        0.95,
        "ensemble precision, as for all-to-one: weight the Bonferroni split or lower the FPR "
        "(the trigger check alone reaches ~1.00)",
    ),
    "random_flip": (
        0.95,
        "a stronger reference model: label checks are capped by its ~96% accuracy; a second anchoring "
        "round gave +0.02 on MNIST but let backdoors back in on digits",
    ),
    "targeted_flip": (0.90, "a stronger reference model; 1-vs-7 and 4-vs-9 look-alikes are where it errs"),
    "clean_label": (
        0.70,
        "the noise check alone separates the PGD-perturbed items; any shortfall is ensemble false positives",
    ),
}


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    trusted, test, pool = [], [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        a, b = round(0.1 * len(idx)), round(0.3 * len(idx))
        trusted.extend(idx[:a])
        test.extend(idx[a:b])
        pool.extend(idx[b:])
    t, e, p = (np.array(sorted(v)) for v in (trusted, test, pool))
    return x[t], y[t], x[e], y[e], x[p], y[p]


def prf(flags: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    tp = float(np.sum(flags & truth))
    p = tp / flags.sum() if flags.any() else 0.0
    r = tp / truth.sum() if truth.any() else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
    }


def art_activation_defence_defaults(model: TorchImageClassifier, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ART's ActivationDefence exactly as shipped: defaults, logits layer, smaller-cluster analysis."""
    from art.defences.detector.poison import ActivationDefence
    from art.estimators.classification import PyTorchClassifier
    from torch import nn

    channels = 1 if x.ndim == 3 else x.shape[3]
    nchw = x[:, None] if x.ndim == 3 else np.transpose(x, (0, 3, 1, 2))
    classifier = PyTorchClassifier(
        model=model.module,
        loss=nn.CrossEntropyLoss(),
        input_shape=(channels, *x.shape[1:3]),
        nb_classes=model.n_classes,
        clip_values=(0.0, 1.0),
    )
    defence = ActivationDefence(classifier, nchw.astype(np.float32), np.eye(model.n_classes)[y])
    _, is_clean = defence.detect_poison()
    return np.asarray(is_clean) == 0


def retrain_and_measure(
    x: np.ndarray,
    y: np.ndarray,
    keep: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    poisoned: PoisonedData,
    seed: int,
) -> dict[str, Any]:
    k = int(max(y.max(), test_y.max()) + 1)
    model = train_reference_model(
        x[keep], y[keep], n_classes=k, epochs=default_epochs(int(keep.sum())), seed=seed
    )
    acc = float(np.mean(model.predict_proba(test_x).argmax(axis=1) == test_y))
    asr = attack_success_rate(model, test_x, test_y, poisoned)
    return {"clean_accuracy": round(acc, 4), "asr": None if asr is None else round(asr, 4)}


def run_cell(
    dataset: str, attack: str, rate: float, seed: int, fpr: float, data: tuple[np.ndarray, np.ndarray]
) -> dict[str, Any]:
    tx, ty, ex, ey, px, py = split(*data, seed)
    poisoned = ATTACKS[attack](px, py, rate, seed)
    truth = poisoned.poison_mask
    owners, malicious = assign_contributors(
        truth, n_contributors=20, n_malicious=3, poison_share=0.9, seed=seed
    )
    t0 = time.perf_counter()
    result = scan(
        poisoned.images,
        poisoned.labels,
        contributors=owners,
        trusted_images=tx,
        trusted_labels=ty,
        fpr=fpr,
        seed=seed,
    )
    scan_s = time.perf_counter() - t0
    k = int(max(py.max(), ty.max()) + 1)
    t0 = time.perf_counter()
    victim = train_reference_model(
        poisoned.images, poisoned.labels, n_classes=k, epochs=default_epochs(len(py)), seed=seed
    )
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    art_flags = art_activation_defence_defaults(victim, poisoned.images, poisoned.labels)
    art_s = time.perf_counter() - t0 + train_s
    no_defence_asr = attack_success_rate(victim, ex, ey, poisoned)
    no_defence_acc = float(np.mean(victim.predict_proba(ex).argmax(axis=1) == ey))
    flagged_contributors = {c.id for c in result.contributors if c.flagged}
    bad = set(malicious.tolist())
    tp_c = len(flagged_contributors & bad)
    cell: dict[str, Any] = {
        "dataset": dataset,
        "attack": attack,
        "rate": rate,
        "seed": seed,
        "n_pool": len(py),
        "n_poisoned": int(truth.sum()),
        "no_defence": {
            "asr": None if no_defence_asr is None else round(no_defence_asr, 4),
            "clean_accuracy": round(no_defence_acc, 4),
        },
        "ensemble": {
            **prf(result.flagged, truth),
            "seconds": round(scan_s, 2),
            **retrain_and_measure(poisoned.images, poisoned.labels, ~result.flagged, ex, ey, poisoned, seed),
        },
        "art_defaults": {
            **prf(art_flags, truth),
            "seconds": round(art_s, 2),
            **retrain_and_measure(poisoned.images, poisoned.labels, ~art_flags, ex, ey, poisoned, seed),
        },
        "detectors": {name: prf(flags, truth) for name, flags in result.detector_flags.items()},
        "contributors": {
            "precision": round(tp_c / len(flagged_contributors), 4) if flagged_contributors else 0.0,
            "recall": round(tp_c / len(bad), 4),
        },
        "scan_timings_s": result.summary["timings_s"],
        # Seed 004's trade-off: contributor detection when each reports an ε-LDP noisy mean loss.
        "ldp_tradeoff": [
            {"epsilon": p.epsilon, "noise_scale": p.noise_scale, "f1": round(p.f1, 4)}
            for p in privacy_tradeoff(
                np.array([c.evidence["mean_loss"] for c in result.contributors]),
                np.array([c.id for c in result.contributors]),
                sorted(bad),
                seed=seed,
            )
        ],
    }
    return cell


def summarise(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for c in cells:
        groups.setdefault((c["dataset"], c["attack"], c["rate"]), []).append(c)

    def mean(values: list[Any]) -> float | None:
        vals = [v for v in values if v is not None]
        return round(float(np.mean(vals)), 4) if vals else None

    rows = []
    for (dataset, attack, rate), cs in sorted(groups.items()):
        det_names = sorted(cs[0]["detectors"])
        best = max(det_names, key=lambda d: mean([c["detectors"][d]["f1"] for c in cs]) or 0.0)
        rows.append(
            {
                "dataset": dataset,
                "attack": attack,
                "rate": rate,
                "seeds": len(cs),
                "ensemble_f1": mean([c["ensemble"]["f1"] for c in cs]),
                "ensemble_precision": mean([c["ensemble"]["precision"] for c in cs]),
                "ensemble_recall": mean([c["ensemble"]["recall"] for c in cs]),
                "art_f1": mean([c["art_defaults"]["f1"] for c in cs]),
                "best_detector": best,
                "best_detector_f1": mean([c["detectors"][best]["f1"] for c in cs]),
                "asr_no_defence": mean([c["no_defence"]["asr"] for c in cs]),
                "asr_after_ensemble": mean([c["ensemble"]["asr"] for c in cs]),
                "asr_after_art": mean([c["art_defaults"]["asr"] for c in cs]),
                "acc_no_defence": mean([c["no_defence"]["clean_accuracy"] for c in cs]),
                "acc_after_ensemble": mean([c["ensemble"]["clean_accuracy"] for c in cs]),
                "acc_after_art": mean([c["art_defaults"]["clean_accuracy"] for c in cs]),
                "scan_s": mean([c["ensemble"]["seconds"] for c in cs]),
                "art_s": mean([c["art_defaults"]["seconds"] for c in cs]),
                "contributor_recall": mean([c["contributors"]["recall"] for c in cs]),
                "contributor_precision": mean([c["contributors"]["precision"] for c in cs]),
            }
        )
    return rows


def _fmt(v: Any, width: int = 6) -> str:
    if v is None:
        return "-".rjust(width)
    if isinstance(v, float):
        return f"{v:.2f}".rjust(width)
    return str(v).rjust(width)


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'data':8} {'attack':17} {'rate':>5} {'n':>2} | {'ensF1':>6} {'P':>5} {'R':>5} | {'ART F1':>6} | "
        f"{'best single detector':>27} | {'ASR0':>5} {'ASRens':>6} {'ASRart':>6} | {'acc0':>5} {'accEns':>6} "
        f"{'accArt':>6} | {'scan s':>6} {'art s':>6} | {'contrib R/P':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['dataset']:8} {r['attack']:17} {r['rate']:5.2f} {r['seeds']:2d} | {_fmt(r['ensemble_f1'])} "
            f"{_fmt(r['ensemble_precision'], 5)} {_fmt(r['ensemble_recall'], 5)} | {_fmt(r['art_f1'])} | "
            f"{r['best_detector']:>20} {_fmt(r['best_detector_f1'])} | {_fmt(r['asr_no_defence'], 5)} "
            f"{_fmt(r['asr_after_ensemble'])} {_fmt(r['asr_after_art'])} | {_fmt(r['acc_no_defence'], 5)} "
            f"{_fmt(r['acc_after_ensemble'])} {_fmt(r['acc_after_art'])} | "
            f"{_fmt(r['scan_s'])} {_fmt(r['art_s'])} | "
            f"{_fmt(r['contributor_recall'], 5)}/{_fmt(r['contributor_precision'], 4)}"
        )


def check_targets(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        if r["dataset"] != "mnist5k" or abs(r["rate"] - 0.1) > 1e-9:
            continue
        if r["attack"] in TARGETS:
            goal, gap = TARGETS[r["attack"]]
            ok = (r["ensemble_f1"] or 0.0) >= goal
            lines.append(
                f"{'PASS' if ok else 'MISS'} {r['attack']}: ensemble F1 {r['ensemble_f1']} (target >= {goal})"
                + ("" if ok else f"; would close it: {gap}")
            )
        asr = r["asr_after_ensemble"]
        if asr is not None:
            lines.append(
                f"{'PASS' if asr <= 0.05 else 'MISS'} {r['attack']}: ASR after cleaning {asr} "
                "(target <= 0.05)"
            )
    return lines


def time_10k_scan(seed: int = 0) -> dict[str, Any]:
    """MNIST-5k tiled to 10k (copies shifted by one pixel), 10% random flips, 500 trusted items."""
    x, y = load_dataset("mnist5k")
    tx, ty, _, _, px, py = split(x, y, seed)
    big_x, big_y = tile_to(px, py, 10_000, seed=seed)
    poisoned = random_label_flip(big_x, big_y, 0.1, seed=seed)
    trusted_x, trusted_y = tile_to(tx, ty, 500, seed=seed + 1)
    t0 = time.perf_counter()
    result = scan(
        poisoned.images,
        poisoned.labels,
        trusted_images=trusted_x,
        trusted_labels=trusted_y,
        fpr=0.01,
        seed=seed,
    )
    seconds = time.perf_counter() - t0
    return {
        "n_items": len(big_y),
        "seconds": round(seconds, 2),
        "timings_s": result.summary["timings_s"],
        **prf(result.flagged, poisoned.poison_mask),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny grid for CI: digits, two attacks, one seed"
    )
    parser.add_argument("--out", type=Path, help="write all cells, the summary and the target check as JSON")
    parser.add_argument("--datasets", default="digits,mnist5k")
    parser.add_argument("--attacks", default=",".join(ATTACKS))
    parser.add_argument("--rates", default="0.05,0.1,0.2")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--fpr", type=float, default=0.01)
    parser.add_argument("--time-10k", action="store_true", help="also time one scan of 10,000 images")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # ART logs every PGD batch and clustering step
    warnings.filterwarnings("ignore")

    if args.smoke:
        datasets, attacks, rates, seeds = ["digits"], ["patch_all_to_all", "random_flip"], [0.1], [0]
    else:
        datasets = args.datasets.split(",")
        attacks = args.attacks.split(",")
        rates = [float(r) for r in args.rates.split(",")]
        seeds = list(range(args.seeds))
    unknown = sorted(set(attacks) - set(ATTACKS))
    if unknown:
        parser.error(f"unknown attacks: {', '.join(unknown)}")

    cells: list[dict[str, Any]] = []
    report: dict[str, Any] = {"fpr": args.fpr, "cells": cells}
    started = time.perf_counter()
    for dataset in datasets:
        data = load_dataset(dataset)  # type: ignore[arg-type]
        for attack in attacks:
            for rate in rates:
                for seed in seeds:
                    cell = run_cell(dataset, attack, rate, seed, args.fpr, data)
                    cells.append(cell)
                    print(
                        f"[{time.perf_counter() - started:7.0f}s] {dataset} {attack} {rate} seed {seed}: "
                        f"ensemble F1 {cell['ensemble']['f1']:.3f}, ART F1 {cell['art_defaults']['f1']:.3f}",
                        file=sys.stderr,
                        flush=True,
                    )
                    if args.out:
                        report["summary"] = summarise(cells)
                        args.out.write_text(json.dumps(report, indent=2))
    rows = summarise(cells)
    report["summary"] = rows
    print(f"\nDetection benchmark, FPR {args.fpr}, mean over seeds (ASR0/acc0: no defence)\n")
    print_table(rows)
    targets = check_targets(rows)
    report["targets"] = targets
    if targets:
        print("\nTargets (MNIST-5k, 10% poison):")
        for line in targets:
            print("  " + line)
    if cells and "ldp_tradeoff" in cells[0]:
        by_eps: dict[str, list[float]] = {}
        for cell in cells:
            for point in cell["ldp_tradeoff"]:
                by_eps.setdefault(str(point["epsilon"]), []).append(point["f1"])
        curve = {eps: round(float(np.mean(f1s)), 3) for eps, f1s in by_eps.items()}
        report["ldp_tradeoff"] = curve
        print(
            "\nContributor detection F1 under ε-LDP (seed 004), mean over cells: "
            + ", ".join(f"ε={eps}: {f1}" for eps, f1 in curve.items())
        )
    if args.time_10k:
        timing = time_10k_scan()
        report["scan_10k"] = timing
        verdict = "PASS" if timing["seconds"] <= 60 else "MISS"
        print(
            f"\n{verdict} 10k-image scan: {timing['seconds']} s (target <= 60 s); "
            f"stages {timing['timings_s']}"
        )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
