"""Each detector must find poison planted in small synthetic data, and must not flag clean data wholesale."""

from __future__ import annotations

import numpy as np
import pytest

from sebrus.detect.activation_clustering import ActivationClustering
from sebrus.detect.attacks import blend_trigger, patch_trigger
from sebrus.detect.backdoor import EarlyLossIsolation, class_share_z
from sebrus.detect.input_checks import ConflictingDuplicates, NoiseLevel, PatchTrigger, perceptual_hashes
from sebrus.detect.label_issues import (
    LabelIssues,
    confident_learning_mask,
    find_label_issues,
    self_confidence_scores,
)
from sebrus.detect.spectral import SpectralSignatures
from tests.support.synthetic import blob_images, clustered_embeddings, precision_recall


def test_spectral_signatures_find_the_shifted_minority() -> None:
    X, y, truth = clustered_embeddings()
    det = SpectralSignatures(expected_poison_rate=0.1).fit(X, y)
    precision, recall = precision_recall(det.flags_, truth)
    assert recall >= 0.9 and precision >= 0.55  # Tran's rule flags 1.5x the expected rate
    top = np.argsort(det.scores_)[-int(truth.sum()) :]
    assert truth[top].mean() >= 0.9


def test_spectral_signatures_centre_the_data() -> None:
    # Without centring (ART's defect) the top direction is the class mean and every item scores alike.
    X, y, truth = clustered_embeddings(seed=1)
    X = X + 100.0
    det = SpectralSignatures().fit(X, y)
    assert precision_recall(det.flags_, truth)[1] >= 0.9


def test_activation_clustering_flags_the_small_cluster() -> None:
    X, y, truth = clustered_embeddings(seed=2)
    det = ActivationClustering(n_dims=5).fit(X, y)
    precision, recall = precision_recall(det.flags_, truth)
    assert precision >= 0.9 and recall >= 0.9
    assert all(v < 0.35 for v in det.evidence_["relative_size_of_small_cluster"].values())


def test_activation_clustering_does_not_flag_unimodal_classes() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(0, 1, (600, 8))
    y = np.repeat(np.arange(3), 200)
    det = ActivationClustering(n_dims=5).fit(X, y)
    assert det.flags_.mean() < 0.1


def _noisy_probs(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, k = 600, 4
    true = rng.integers(0, k, n)
    probs = rng.dirichlet(np.ones(k) * 0.3, n) * 0.3
    probs[np.arange(n), true] += 0.7
    labels = true.copy()
    flipped = rng.random(n) < 0.1
    labels[flipped] = (true[flipped] + rng.integers(1, k, flipped.sum())) % k
    return probs / probs.sum(axis=1, keepdims=True), labels, flipped


def test_confident_learning_finds_flipped_labels() -> None:
    probs, labels, flipped = _noisy_probs()
    precision, recall = precision_recall(confident_learning_mask(probs, labels), flipped)
    assert precision >= 0.9 and recall >= 0.85
    det = LabelIssues().fit(probs, labels)
    assert np.array_equal(det.flags_, confident_learning_mask(probs, labels))
    scores = self_confidence_scores(probs, labels)
    assert np.quantile(scores[flipped], 0.1) > np.quantile(scores[~flipped], 0.9)


def _varied_probs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class counts, sharpness and noise vary by seed, so ties between confident classes occur."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(40, 400)), int(rng.integers(2, 7))
    true = rng.integers(0, k, n)
    probs = rng.dirichlet(np.ones(k) * float(rng.choice([0.1, 0.3, 1.0, 3.0])), n)
    probs[np.arange(n), true] += float(rng.uniform(0.0, 0.8))
    labels = true.copy()
    flipped = rng.random(n) < 0.15
    labels[flipped] = (true[flipped] + rng.integers(1, k, flipped.sum())) % k
    return labels, probs / probs.sum(axis=1, keepdims=True)


def test_find_label_issues_takes_cleanlabs_arguments() -> None:
    probs, labels, _ = _noisy_probs()
    mask = find_label_issues(labels, probs)
    assert np.array_equal(mask, find_label_issues(labels=labels, pred_probs=probs))
    assert np.array_equal(mask, find_label_issues(labels, probs, filter_by="confident_learning"))
    assert np.array_equal(mask, confident_learning_mask(probs, labels))
    with pytest.raises(ValueError, match="backend='cleanlab'"):
        find_label_issues(labels, probs, filter_by="prune_by_noise_rate")


def test_builtin_and_cleanlab_backends_agree() -> None:
    cleanlab_filter = pytest.importorskip("cleanlab.filter")  # the optional AGPL extra
    for seed in range(40):
        labels, probs = _varied_probs(seed)
        ours = find_label_issues(labels, probs)
        theirs = cleanlab_filter.find_label_issues(labels, probs, filter_by="confident_learning")
        assert np.array_equal(ours, theirs), seed
        assert np.array_equal(find_label_issues(labels, probs, backend="cleanlab"), ours), seed
    probs, labels, _ = _noisy_probs()
    builtin = LabelIssues().fit(probs, labels)
    assert np.array_equal(LabelIssues(backend="cleanlab").fit(probs, labels).flags_, builtin.flags_)


def test_label_issues_reject_bad_probabilities() -> None:
    probs, labels, _ = _noisy_probs()
    with pytest.raises(ValueError, match="sum to 1"):
        LabelIssues().fit(probs * 2, labels)
    with pytest.raises(ValueError, match="outside"):
        LabelIssues().fit(probs, labels + 10)
    with pytest.raises(ValueError, match="unknown backend"):
        LabelIssues(backend="nope").fit(probs, labels)  # type: ignore[arg-type]


def test_patch_trigger_finds_stamped_items_against_a_trusted_reference() -> None:
    images, labels = blob_images(n_per_class=300)
    ref_x, ref_y = blob_images(n_per_class=40, seed=9)
    rng = np.random.default_rng(0)
    truth = rng.random(len(images)) < 0.1
    poisoned = images.copy()
    poisoned[truth] = patch_trigger(images[truth])
    det = PatchTrigger().fit(poisoned, labels, reference_images=ref_x, reference_labels=ref_y)
    precision, recall = precision_recall(det.flags_, truth)
    assert precision == 1.0 and recall == 1.0
    clean = PatchTrigger().fit(images, labels, reference_images=ref_x, reference_labels=ref_y)
    assert not clean.flags_.any()


def test_patch_trigger_needs_a_reference() -> None:
    images, labels = blob_images()
    with pytest.raises(ValueError, match="trusted seed set"):
        PatchTrigger().fit(images, labels)


def test_noise_level_flags_blended_and_noisy_images() -> None:
    images, labels = blob_images(n_per_class=100)
    truth = np.zeros(len(images), dtype=bool)
    truth[::10] = True
    poisoned = images.copy()
    poisoned[truth] = blend_trigger(images[truth], alpha=0.15)
    det = NoiseLevel().fit(poisoned, labels)
    precision, recall = precision_recall(det.flags_, truth)
    assert precision >= 0.95 and recall >= 0.95


def test_conflicting_duplicates_flag_the_minority_label() -> None:
    images, labels = blob_images(n_per_class=20)
    x = np.concatenate([images, images[:3], images[3:6]])
    y = np.concatenate([labels, (labels[:3] + 1) % 3, labels[3:6]])  # 3 relabelled copies, 3 honest copies
    det = ConflictingDuplicates(max_distance=0).fit(x, y)
    n = len(images)
    assert det.flags_[[n, n + 1, n + 2]].all()  # each copy disagrees with all of its look-alikes
    assert not det.flags_[[n + 3, n + 4, n + 5]].any()
    # an original may be flagged only if it was one of the relabelled ones (few look-alikes of its own)
    assert set(np.flatnonzero(det.flags_[:n]).tolist()) <= {0, 1, 2}


def test_conflicting_duplicates_flag_both_sides_of_a_lone_pair() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((10, 16, 16)).astype(np.float32)
    x = np.concatenate([x, x[:1]])
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 2])
    det = ConflictingDuplicates(max_distance=0).fit(x, y)
    assert np.flatnonzero(det.flags_).tolist() == [0, 10]


def test_perceptual_hash_is_stable_and_discriminates() -> None:
    images, _ = blob_images(n_per_class=5)
    h = perceptual_hashes(images)
    assert h.dtype == np.uint64 and len(h) == len(images)
    assert np.array_equal(h, perceptual_hashes(images.copy()))
    assert len(set(h.tolist())) > 3


def test_early_loss_isolation_and_class_share() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 100)
    losses = rng.normal(1.0, 0.2, 400)
    truth = np.zeros(400, dtype=bool)
    truth[:15] = True
    losses[truth] = 0.01  # learned suspiciously fast
    det = EarlyLossIsolation().fit(losses, labels, reference_labels=np.repeat(np.arange(4), 25))
    precision, recall = precision_recall(det.flags_, truth)
    assert recall == 1.0 and precision >= 0.9
    grown = np.concatenate([labels, np.zeros(120, dtype=np.int64)])  # class 0 takes 42% instead of 25%
    share = class_share_z(grown, np.repeat(np.arange(4), 100), 4)
    assert share[0] > 3 and (share[1:] < 1).all()


def test_patch_trigger_p_values_reach_below_the_calibration_floor() -> None:
    # Every clean calibration item scores exactly 0 on this check, so an empirical null stops at
    # 1/(n+1); the trusted on-rates give a patch that clean images never show a p-value far below it.
    from sebrus.detect.attacks import patch_backdoor
    from tests.support.synthetic import blob_images

    x, y = blob_images(n_per_class=120, n_classes=3, side=28, seed=1)  # a 3x3 checker: two units
    ref = np.zeros(len(y), dtype=bool)
    for c in range(3):
        ref[np.flatnonzero(y == c)[:30]] = True
    poisoned = patch_backdoor(x[~ref], y[~ref], 0.15, target=0, seed=0)
    det = PatchTrigger().fit(
        poisoned.images, poisoned.labels, reference_images=x[ref], reference_labels=y[ref]
    )
    p = det.result().p_values
    assert p is not None
    assert p[poisoned.poison_mask].max() < 1.0 / (1 + ref.sum()) / 10
    assert np.median(p[~poisoned.poison_mask]) == 1.0
