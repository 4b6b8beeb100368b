"""What the owner's seed set can do in a scan, decided once and said in words.

A seed set has two jobs. Its *reference* part is what the trusted detectors compare with or train on
(trigger positions, the class signal, the trusted and anchored models). Its *calibration* part is mixed
into the data and scored like every item, so the ensemble learns what clean scores look like. Each item
can do one job, so the set is split per label, the reference taking the larger half; when the
calibration half would be too small to use, every item goes to the reference.

Small sets still count: from 2 items of a label the label gets one of each; the detectors pool their
calibration across classes (scores are put on one scale per class first), so 5-10 items per label give
a calibration set of 20-50, and the tail fit's upper confidence bound makes a small one cautious rather
than wrong. Below ``MIN_CALIBRATION`` calibration items the scan calibrates on the data itself and says
so; below ``MIN_REFERENCE`` reference items the trusted detectors do not run, and the scan says that too.
``TrustedPlan.message`` is the sentence the report, the web page and the CLI all show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Fewer calibration items than this cannot set a null; the data calibrates itself instead.
MIN_CALIBRATION = 20
#: Fewer reference items than this train no useful model and compare with nothing.
MIN_REFERENCE = 10


@dataclass(frozen=True)
class TrustedPlan:
    n_trusted: int
    reference_idx: np.ndarray
    calibration_idx: np.ndarray

    @property
    def has_reference(self) -> bool:
        return len(self.reference_idx) >= MIN_REFERENCE

    @property
    def has_calibration(self) -> bool:
        return self.has_reference and len(self.calibration_idx) >= MIN_CALIBRATION

    @property
    def message(self) -> str:
        n_ref, n_cal = len(self.reference_idx), len(self.calibration_idx)
        if self.n_trusted == 0:
            return (
                "No trusted seed images: the scan calibrated on the data itself, and the checks that compare "
                "with trusted images (trigger positions, class signal, the anchored model) did not run."
            )
        if not self.has_reference:
            return (
                f"The {self.n_trusted} trusted seed images are too few to use (at least {MIN_REFERENCE} "
                f"for the trusted checks, plus {MIN_CALIBRATION} to calibrate): the scan calibrated on "
                "the data itself and skipped the checks that compare with trusted images."
            )
        if not self.has_calibration:
            return (
                f"The {self.n_trusted} trusted seed images were used as the trusted reference (trigger "
                "positions, class signal, the anchored model); too few were left to calibrate on "
                f"(at least {MIN_CALIBRATION} needed, about 2 per label beyond the reference), so the "
                "scan calibrated on the data itself."
            )
        return (
            f"The {self.n_trusted} trusted seed images were used: {n_ref} as the trusted reference "
            f"(trigger positions, class signal, the anchored model) and {n_cal} to calibrate the flags."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_trusted": self.n_trusted,
            "n_reference": len(self.reference_idx) if self.has_reference else 0,
            "n_calibration": len(self.calibration_idx) if self.has_calibration else 0,
            "reference_used": self.has_reference,
            "calibration_used": self.has_calibration,
            "message": self.message,
        }


def plan_trusted(trusted_labels: np.ndarray | None, seed: int) -> TrustedPlan:
    """Split the seed set per label: the larger half to the reference, the rest to calibration."""
    if trusted_labels is None or len(trusted_labels) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return TrustedPlan(0, empty, empty)
    rng = np.random.default_rng(seed + 7)
    reference: list[int] = []
    calibration: list[int] = []
    for c in np.unique(trusted_labels):
        idx = rng.permutation(np.flatnonzero(trusted_labels == c))
        half = (len(idx) + 1) // 2
        reference.extend(idx[:half].tolist())
        calibration.extend(idx[half:].tolist())
    if len(calibration) < MIN_CALIBRATION:
        # Too few to calibrate on: every seed image serves as reference instead.
        reference, calibration = reference + calibration, []
    return TrustedPlan(
        len(trusted_labels),
        np.sort(np.array(reference, dtype=np.int64)),
        np.sort(np.array(calibration, dtype=np.int64)),
    )
