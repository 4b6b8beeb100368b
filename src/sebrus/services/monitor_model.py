"""The numbers behind release monitoring: train the reference model, score it, and attribute a drop.

Arrays in, numbers out; ``services/monitoring.py`` reads the release from the database and blobs.

Attribution of a drop (why these and not others): a release that lost accuracy on the held-out set
differs from the last good one only by the items it added (and the ones it removed, which cannot add
harm). So the likely sources are among the NEW items, and we score each by how implausible the last
good release's model finds it: the cross-entropy of its given label under a model trained on the
previous release. A mislabelled or triggered image is one that model confidently calls something else,
so its loss is high; a clean new image of a class the model knows has a low loss. The excess over the
median loss of the new items (clean items dominate any plausible release) is summed per contributor and
per class (the label it was given), and each group's share of the total excess is reported. One model
more than the release needs, instead of one per contributor and class as leave-group-out retraining
would cost. The top contributor and top class are then CONFIRMED by leave-group-out retraining: the
release is retrained without that group's new items and the accuracy it gets back is reported, so the
owner sees both the cheap ranking and what removing the suspect actually buys.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOP_GROUPS = 5


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    per_class: dict[str, float]


@dataclass
class Attribution:
    new_items: int
    contributors: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    confirmations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "excess loss of each new item under the previous release's model, summed per "
            "contributor and per class; the top contributor and class confirmed by retraining without them",
            "new_items": self.new_items,
            "contributors": self.contributors,
            "classes": self.classes,
            "confirmations": self.confirmations,
        }


def train(images: np.ndarray, labels: np.ndarray, n_classes: int, epochs: int, seed: int) -> Any:
    from sebrus.detect.models import train_reference_model  # torch loads only when monitoring runs

    return train_reference_model(images, labels, n_classes=n_classes, epochs=epochs, seed=seed)


def evaluate(model: Any, images: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> Evaluation:
    predicted = model.predict_proba(images).argmax(axis=1)
    per_class = {
        names[c]: round(float(np.mean(predicted[labels == c] == c)), 4) for c in sorted(set(labels.tolist()))
    }
    return Evaluation(round(float(np.mean(predicted == labels)), 4), per_class)


def attribute_drop(
    *,
    previous_model: Any,
    new_images: np.ndarray,
    new_labels: np.ndarray,
    new_contributors: Sequence[str],
    names: Sequence[str],
) -> Attribution:
    """Rank contributors and classes by the share of excess loss their new items carry."""
    from sebrus.detect.models import item_losses

    if len(new_labels) == 0:
        return Attribution(0, [], [])
    losses = item_losses(previous_model.predict_proba(new_images), new_labels)
    excess = np.maximum(losses - float(np.median(losses)), 0.0)
    total = float(excess.sum()) or 1.0
    by_contributor: dict[str, list[int]] = defaultdict(list)
    by_class: dict[str, list[int]] = defaultdict(list)
    for k, (who, label) in enumerate(zip(new_contributors, new_labels.tolist(), strict=True)):
        by_contributor[who].append(k)
        by_class[names[label]].append(k)

    def ranked(groups: dict[str, list[int]], key: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {
                key: name,
                "share": round(float(excess[idx].sum()) / total, 4),
                "new_items": len(idx),
                "mean_loss": round(float(losses[idx].mean()), 4),
            }
            for name, idx in groups.items()
        ]
        rows.sort(key=lambda r: (-float(r["share"]), str(r[key])))
        return rows[:TOP_GROUPS]

    return Attribution(len(new_labels), ranked(by_contributor, "contributor"), ranked(by_class, "label"))
