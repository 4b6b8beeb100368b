"""The numbers behind release monitoring: train the reference model, measure it per class, test a drop,
and attribute it to label pairs and contributors.

Arrays in, numbers out; ``services/incidents/monitoring.py`` reads the release from the database and blobs.

**What is measured.** Plain accuracy misses label flips: when 40% of class A is relabelled B, a model
trained on the release still predicts A for most A images (the argmax does not move), so accuracy on
the held-out seeds stays put. What moves is the probability the model puts on the true label, and the
mass it moves to B. So every measurement records, per held-out class: accuracy, the mean true-label
probability, and the row of the *soft confusion matrix* (the mean predicted distribution over the
class's held-out images); and per held-out image its predicted distribution (the evidence the next
measurement is paired with).

**When it alerts** (:func:`compare`). Against a reference (the previous measured release, re-read from
its stored per-image evidence, and a baseline model trained on the seeds scans use), per class A with at
least ``MIN_PAIRED`` held-out images measured by both: the paired drops ``d_i = ref_i(A) - cur_i(A)``
are bootstrapped (fixed generator: the same inputs give the same decision), and the class alerts when
the one-sided lower confidence bound of the mean drop exceeds ``margin``, at level ``alpha`` divided by
the number of classes tested (Bonferroni). The margin is what makes a clean release quiet: two models
trained on nearly the same data differ by a few points of probability per class (retraining noise the
image bootstrap cannot see), and the margin sits above that; a 40% flip costs the class far more.
Overall accuracy is tested the same way against ``accuracy_margin``. The label pairs A->B named are
the soft-confusion cells of an alerted class whose mass grew most.

**Attribution** (:func:`attribute_pairs`). For an alerted pair A->B, the suspects are the release's
items LABELLED B that LOOK LIKE A, by their lean ``log p(A) - log p(B)`` under a model the release
cannot have taught: the baseline trained on the seed images scans use (a flip in the release never
reached it). Without enough seeds for one, :func:`cross_fitted` scores each item with a model trained
on the other half of the release; that works on a poisoned release for the same reason accuracy misses
the flip (a 40% minority does not move the argmax), but a model trained on half a small release is
weak, so it is the fallback. Each contributor's B-labelled items are tested against everyone else's
(one-sided Mann-Whitney U on the lean: a weak judge shifts everyone alike, a flip shifts only the
flipper); contributors are ranked by that p-value, and ``suspect_items`` counts their items leaning to
A more than 95% of the others' do, so one large honest contributor with a few confusable images does
not outrank a small one whose B items are mostly A. ``monitoring.py`` then confirms the leader by
retraining without their items and reporting the probability class A gets back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOP_GROUPS = 5
#: A class is tested only when both measurements share at least this many of its held-out images.
MIN_PAIRED = 3
#: Per-image evidence keeps probabilities at or above this (a sparse row per held-out image).
STORED_MIN_PROB = 0.001
#: A pair A->B is named when its mass grew by at least this much, or a fifth of the class's drop.
PAIR_FLOOR = 0.02


@dataclass(frozen=True)
class TestSettings:
    margin: float = 0.08  # true-label probability a class may lose before it counts as a drop
    accuracy_margin: float = 0.02  # the same for overall accuracy
    alpha: float = 0.05
    resamples: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    per_class: dict[str, dict[str, Any]]  # label -> n, accuracy, true_prob, confusion {label: mass}
    probs: np.ndarray  # (n, k): the model's distribution for each held-out image
    labels: np.ndarray

    def evidence(self, hashes: Sequence[str]) -> dict[str, dict[str, float]]:
        """Per held-out image (by sha256), its sparse predicted distribution: what the next release pairs."""
        return {
            h: {str(c): round(float(p), 4) for c, p in enumerate(row) if p >= STORED_MIN_PROB}
            for h, row in zip(hashes, self.probs, strict=True)
        }


#: Every model monitoring trains takes at least this many optimiser steps: a few epochs of a small
#: release (or of the seed set) are a handful of batches, too few to learn what the data says.
MIN_STEPS = 60
BATCH = 128


def epochs_for(n_items: int, epochs: int) -> int:
    batches = max(1, -(-n_items // BATCH))
    return max(epochs, -(-MIN_STEPS // batches))


def train(images: np.ndarray, labels: np.ndarray, n_classes: int, epochs: int, seed: int) -> Any:
    """The reference CNN, with at least ``MIN_STEPS`` optimiser steps (see :func:`epochs_for`)."""
    from sebrus.detect.models import train_reference_model  # torch loads only when monitoring runs

    return train_reference_model(
        images,
        labels,
        n_classes=n_classes,
        epochs=epochs_for(len(labels), epochs),
        batch_size=BATCH,
        seed=seed,
    )


def evaluate(model: Any, images: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> Evaluation:
    return evaluation_of(model.predict_proba(images), labels, names)


def evaluation_of(probs: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> Evaluation:
    probs = np.asarray(probs, dtype=np.float64)
    predicted = probs.argmax(axis=1)
    per_class: dict[str, dict[str, Any]] = {}
    for c in sorted(set(labels.tolist())):
        rows = probs[labels == c]
        mean = rows.mean(axis=0)
        per_class[names[c]] = {
            "n": len(rows),
            "accuracy": round(float(np.mean(predicted[labels == c] == c)), 4),
            "true_prob": round(float(mean[c]), 4),
            "confusion": {names[j]: round(float(m), 4) for j, m in enumerate(mean) if m >= 0.005},
        }
    accuracy = round(float(np.mean(predicted == labels)), 4) if len(labels) else 0.0
    return Evaluation(accuracy, per_class, probs, labels)


def dense(evidence: Mapping[str, Mapping[str, float]], hashes: Sequence[str], k: int) -> np.ndarray:
    """Stored sparse rows back to an (n, k) array, in the order of ``hashes`` (which must all be present)."""
    out = np.zeros((len(hashes), k))
    for n, h in enumerate(hashes):
        for c, p in evidence[h].items():
            if int(c) < k:
                out[n, int(c)] = p
    return out


def _lower_bound(diffs: np.ndarray, level: float, settings: TestSettings) -> float:
    """One-sided percentile-bootstrap lower confidence bound of the mean of ``diffs``."""
    rng = np.random.default_rng(settings.seed)
    picks = rng.integers(0, len(diffs), size=(settings.resamples, len(diffs)))
    return float(np.quantile(diffs[picks].mean(axis=1), level))


def compare(
    current: np.ndarray,
    reference: np.ndarray,
    labels: np.ndarray,
    names: Sequence[str],
    settings: TestSettings,
) -> dict[str, Any]:
    """Test the drop from ``reference`` to ``current`` (paired (n, k) distributions of the same images).

    Returns ``{"alert", "accuracy", "classes": [...], "pairs": [...], "untested": [...]}``; a class entry
    carries its mean drop in true-label probability, the bootstrap lower bound and whether it alerted.
    """
    k = len(names)
    tested = [c for c in range(k) if int(np.sum(labels == c)) >= MIN_PAIRED]
    untested = [names[c] for c in sorted(set(labels.tolist())) if c not in tested]
    level = settings.alpha / max(1, len(tested))
    classes: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    for c in tested:
        rows = labels == c
        drops = reference[rows, c] - current[rows, c]
        bound = _lower_bound(drops, level, settings)
        alert = bound > settings.margin
        classes.append(
            {
                "label": names[c],
                "n": int(rows.sum()),
                "true_prob_before": round(float(reference[rows, c].mean()), 4),
                "true_prob_now": round(float(current[rows, c].mean()), 4),
                "drop": round(float(drops.mean()), 4),
                "lower_bound": round(bound, 4),
                "accuracy_before": round(float(np.mean(reference[rows].argmax(axis=1) == c)), 4),
                "accuracy_now": round(float(np.mean(current[rows].argmax(axis=1) == c)), 4),
                "alert": alert,
            }
        )
        if not alert:
            continue
        grown = current[rows].mean(axis=0) - reference[rows].mean(axis=0)
        floor = max(PAIR_FLOOR, 0.2 * float(drops.mean()))
        for j in np.argsort(-grown):
            if j != c and grown[j] >= floor:
                pairs.append(
                    {
                        "from": names[c],
                        "to": names[int(j)],
                        "mass_before": round(float(reference[rows, j].mean()), 4),
                        "mass_now": round(float(current[rows, j].mean()), 4),
                        "increase": round(float(grown[j]), 4),
                    }
                )
    classes.sort(key=lambda r: (not r["alert"], -float(r["drop"])))
    pairs.sort(key=lambda r: -float(r["increase"]))
    accuracy: dict[str, Any] = {}
    if len(labels):
        hits = (current.argmax(axis=1) == labels).astype(float)
        before = (reference.argmax(axis=1) == labels).astype(float)
        bound = _lower_bound(before - hits, settings.alpha, settings)
        accuracy = {
            "before": round(float(before.mean()), 4),
            "now": round(float(hits.mean()), 4),
            "drop": round(float((before - hits).mean()), 4),
            "lower_bound": round(bound, 4),
            "alert": bound > settings.accuracy_margin,
        }
    return {
        "alert": bool(accuracy.get("alert")) or any(r["alert"] for r in classes),
        "accuracy": accuracy,
        "classes": classes,
        "pairs": pairs,
        "untested": untested,
        "n_paired": len(labels),
        "test": f"paired bootstrap ({settings.resamples} resamples), one-sided lower bound at "
        f"{settings.alpha:g}/{max(1, len(tested))} classes above a {settings.margin:g} drop in "
        f"true-label probability (overall accuracy: above {settings.accuracy_margin:g})",
    }


def cross_fitted(
    images: np.ndarray, labels: np.ndarray, keys: Sequence[str], n_classes: int, epochs: int, seed: int
) -> np.ndarray:
    """Each item's predicted distribution from a model trained on the other half of the items.

    Halves by the parity of the item's sha256 (``keys``), so the split is the same on every run.
    """
    fold = np.array([int(key[-1], 16) % 2 for key in keys])
    out = np.zeros((len(labels), n_classes))
    for f in (0, 1):
        fit, score = fold != f, fold == f
        if not score.any():
            continue
        if fit.sum() == 0 or len(set(labels[fit].tolist())) < 2:
            out[score] = 1.0 / n_classes
            continue
        model = train(images[fit], labels[fit], n_classes, epochs, seed)
        out[score] = model.predict_proba(images[score])
    return out


@dataclass
class Attribution:
    pairs: list[dict[str, Any]]
    contributors: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    confirmations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "for each alerted pair A->B, release items labelled B that a model the release did not "
            "train (the seed-only baseline, else 2-fold cross-fitting) finds more likely A than B; each "
            "contributor's lean toward A tested against everyone else's (one-sided Mann-Whitney U); the "
            "top contributor confirmed by retraining without their items",
            "pairs": self.pairs,
            "contributors": self.contributors,
            "classes": self.classes,
            "confirmations": self.confirmations,
        }


def attribute_pairs(
    *,
    probs: np.ndarray,
    labels: np.ndarray,
    contributors: Sequence[str],
    is_new: np.ndarray,
    pairs: Sequence[Mapping[str, Any]],
    classes: Sequence[Mapping[str, Any]],
    names: Sequence[str],
) -> Attribution:
    """Name the contributors behind each alerted pair (see the module docstring for the method)."""
    from scipy.stats import mannwhitneyu

    index = {name: k for k, name in enumerate(names)}
    who = np.array(contributors, dtype=object)
    logp = np.log(np.clip(probs, 1e-9, 1.0))
    pair_rows: list[dict[str, Any]] = []
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: {"suspect_items": 0, "p_value": 1.0, "pairs": []})
    for pair in pairs:
        a, b = index[str(pair["from"])], index[str(pair["to"])]
        carries_b = labels == b
        lean = logp[:, a] - logp[:, b]  # how much more A than B the judge finds the item
        ranked: list[dict[str, Any]] = []
        for person in sorted(set(who[carries_b].tolist())):
            mine, others = carries_b & (who == person), carries_b & (who != person)
            if int(others.sum()) < MIN_PAIRED:
                continue
            cut = max(0.0, float(np.quantile(lean[others], 0.95)))
            suspect = mine & (lean > cut)
            p_value = float(mannwhitneyu(lean[mine], lean[others], alternative="greater").pvalue)
            ranked.append(
                {
                    "contributor": person,
                    "items_labelled": int(mine.sum()),
                    "suspect_items": int(suspect.sum()),
                    "new_suspect_items": int((suspect & is_new).sum()),
                    "p_value": float(f"{p_value:.3g}"),
                }
            )
        ranked.sort(key=lambda r: (float(r["p_value"]), -int(r["suspect_items"]), str(r["contributor"])))
        pair_rows.append(
            {**pair, "items_labelled_to": int(carries_b.sum()), "contributors": ranked[:TOP_GROUPS]}
        )
        for row in ranked:
            total = totals[str(row["contributor"])]
            total["suspect_items"] += int(row["suspect_items"])
            total["p_value"] = min(float(total["p_value"]), float(row["p_value"]))
            total["pairs"].append(f"{pair['from']}->{pair['to']}")
    suspects = sum(int(t["suspect_items"]) for t in totals.values()) or 1
    people = [
        {
            "contributor": person,
            "suspect_items": t["suspect_items"],
            "share": round(int(t["suspect_items"]) / suspects, 4),
            "p_value": t["p_value"],
            "pairs": t["pairs"],
            "new_items": int((is_new & (who == person)).sum()),
        }
        for person, t in totals.items()
    ]
    people.sort(key=lambda r: (float(r["p_value"]), -int(r["suspect_items"]), str(r["contributor"])))
    class_rows = [
        {"label": str(c["label"]), "drop": c["drop"], "share": round(_share(c, classes), 4), "n": c["n"]}
        for c in classes
        if c.get("alert")
    ]
    return Attribution(pair_rows, people[:TOP_GROUPS], class_rows)


def _share(row: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> float:
    total = sum(max(0.0, float(r["drop"])) for r in rows if r.get("alert")) or 1.0
    return max(0.0, float(row["drop"])) / total
