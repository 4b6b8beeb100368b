"""Every detector is a scikit-learn estimator: hyper-parameters in ``__init__``, data in ``fit``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from sebrus.detect.activation_clustering import ActivationClustering
from sebrus.detect.backdoor import EarlyLossIsolation
from sebrus.detect.base import PoisonDetector
from sebrus.detect.class_signal import ClassSignal
from sebrus.detect.contributors import ContributorLossClustering
from sebrus.detect.input_checks import ConflictingDuplicates, NoiseLevel, PatchTrigger
from sebrus.detect.label_issues import LabelIssues
from sebrus.detect.provenance import LeaveOneContributorOut
from sebrus.detect.spectral import SpectralSignatures
from sebrus.detect.tail import TailCalibrator
from tests.support.synthetic import blob_images

ITEM_DETECTORS: list[type[PoisonDetector]] = [
    ActivationClustering,
    ClassSignal,
    ConflictingDuplicates,
    EarlyLossIsolation,
    LabelIssues,
    NoiseLevel,
    PatchTrigger,
    SpectralSignatures,
]
ESTIMATORS: list[type[BaseEstimator]] = [
    *ITEM_DETECTORS,
    ContributorLossClustering,
    LeaveOneContributorOut,
    TailCalibrator,
]


def test_every_poison_detector_is_listed() -> None:
    import sebrus.detect.activation_clustering
    import sebrus.detect.backdoor
    import sebrus.detect.class_signal
    import sebrus.detect.input_checks
    import sebrus.detect.label_issues
    import sebrus.detect.spectral  # noqa: F401

    assert {c.__name__ for c in _subclasses(PoisonDetector)} == {c.__name__ for c in ITEM_DETECTORS}


def _subclasses(cls: type) -> set[type]:
    direct = set(cls.__subclasses__())
    return direct.union(*(_subclasses(c) for c in direct))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_detectors_clone_and_round_trip_their_parameters(cls: type[BaseEstimator]) -> None:
    est = cls()
    params = est.get_params()
    # __init__ takes hyper-parameters only: each is a plain value, never data such as a trusted set
    assert set(params) == set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert all(isinstance(v, (int, float, str, bool, type(None))) for v in params.values()), params
    twin = clone(est)
    assert twin is not est and twin.get_params() == params
    name, value = next(iter(params.items()))
    changed = value + 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    assert clone(est.set_params(**{name: changed})).get_params()[name] == changed


@pytest.mark.parametrize("cls", ITEM_DETECTORS, ids=lambda c: c.__name__)
def test_reading_results_before_fit_raises_not_fitted(cls: type[PoisonDetector]) -> None:
    with pytest.raises(NotFittedError):
        cls().result()


def test_calibrator_p_values_before_fit_raise_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        TailCalibrator().p_values(np.zeros(3))


def test_a_clone_is_unfitted_and_refits_to_the_same_result() -> None:
    images, labels = blob_images(n_per_class=40)
    ref_x, ref_y = blob_images(n_per_class=10, seed=9)
    det = PatchTrigger().fit(images, labels, reference_images=ref_x, reference_labels=ref_y)
    twin = clone(det)
    with pytest.raises(NotFittedError):
        twin.result()
    refit = twin.fit(images, labels, reference_images=ref_x, reference_labels=ref_y)
    assert np.array_equal(refit.scores_, det.scores_)
