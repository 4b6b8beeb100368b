"""The class-signal detector: a faint pattern added to one class (SIG), found against trusted images."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from sebrus.detect.class_signal import ClassSignal
from sebrus.detect.paper_attacks import sig_attack, sig_signal
from tests.support.synthetic import blob_images


def _data(seed: int = 0) -> tuple[np.ndarray, ...]:
    x, y = blob_images(n_per_class=160, n_classes=3, side=16, seed=seed)
    x = np.clip(x + np.random.default_rng(seed).normal(0, 0.03, x.shape), 0, 1).astype(np.float32)
    ref = np.zeros(len(y), dtype=bool)
    for c in range(3):
        ref[np.flatnonzero(y == c)[:20]] = True
    return x, y, ref


def test_sig_is_found_in_its_class_and_nowhere_else() -> None:
    x, y, ref = _data()
    poisoned = sig_attack(x[~ref], y[~ref], share=0.5, target=1, delta=0.08, seed=0)
    xs, ys = x.copy(), y.copy()
    xs[~ref], ys[~ref] = poisoned.images, poisoned.labels
    det = ClassSignal().fit(xs[~ref], ys[~ref], reference_images=x[ref], reference_labels=y[ref])
    assert set(det.evidence_["patterns"]) == {"1"}
    assert roc_auc_score(poisoned.poison_mask, det.scores_) > 0.95
    result = det.result()
    assert result.p_values is not None
    assert result.p_values[~poisoned.poison_mask & (ys[~ref] != 1)].min() == 1.0


def test_clean_data_shows_no_pattern() -> None:
    for seed in range(3):
        x, y, ref = _data(seed)
        det = ClassSignal().fit(x[~ref], y[~ref], reference_images=x[ref], reference_labels=y[ref])
        assert det.evidence_["patterns"] == {}
        assert np.all(det.p_values_ == 1.0)


def test_calibration_items_marked_in_x_are_scored_leave_one_out() -> None:
    x, y, ref = _data()
    det = ClassSignal().fit(x, y, reference_mask=ref)  # the trusted items live in X itself
    assert det.p_values_.shape == (len(y),) and det.evidence_["patterns"] == {}


def test_sig_signal_shape_and_test_time_trigger() -> None:
    signal = sig_signal((8, 12), 0.1, 3.0)
    assert signal.shape == (8, 12) and np.allclose(signal[0], signal[5])
    assert abs(float(signal.max()) - 0.1) < 0.01
