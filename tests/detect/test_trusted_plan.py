"""What a seed set can do, said in the words every face shows."""

from __future__ import annotations

import numpy as np

from sebrus.detect.trusted_plan import MIN_CALIBRATION, MIN_REFERENCE, plan_trusted


def test_a_real_seed_set_is_split_into_reference_and_calibration() -> None:
    plan = plan_trusted(np.repeat(np.arange(10), 6), seed=0)  # 6 per label
    assert plan.has_reference and plan.has_calibration
    assert len(plan.reference_idx) == 30 and len(plan.calibration_idx) == 30
    assert not set(plan.reference_idx) & set(plan.calibration_idx)
    assert "30 as the trusted reference" in plan.message and "30 to calibrate" in plan.message


def test_a_small_seed_set_still_serves_as_reference_and_says_so() -> None:
    plan = plan_trusted(np.repeat(np.arange(5), 3), seed=0)  # 15 images: too few to also calibrate
    assert plan.has_reference and not plan.has_calibration
    assert len(plan.reference_idx) == 15 and len(plan.calibration_idx) == 0
    assert "calibrated on the data itself" in plan.message
    assert plan.as_dict()["n_calibration"] == 0


def test_too_few_or_none_are_named_as_unused() -> None:
    tiny = plan_trusted(np.arange(MIN_REFERENCE - 1) % 3, seed=0)
    assert not tiny.has_reference and f"too few to use (at least {MIN_REFERENCE}" in tiny.message
    none = plan_trusted(None, seed=0)
    assert none.n_trusted == 0 and none.message.startswith("No trusted seed images")
    assert MIN_CALIBRATION > MIN_REFERENCE
