"""Seed 004's make_blobs study: the rerun is faithful to the seed's loop, and its findings hold or not.

Findings that do not reproduce are strict xfails: they fail loudly if the rerun ever starts agreeing with
the seed, which would mean the reproduction changed.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from scipy.stats import spearmanr
from sklearn.datasets import make_blobs
from sklearn.metrics import accuracy_score, silhouette_score
from typer.testing import CliRunner

from sebrus.cli import app
from sebrus.detect.experiments.blobs import (
    BlobsStudyConfig,
    BlobsStudyResult,
    batch_silhouette,
    matched_accuracy,
    poisoning_orders,
    raw_accuracy,
    run_blobs_study,
    seed_initial_centres_and_noise,
)
from sebrus.detect.experiments.blobs_figures import (
    ACCURACY_FIGURE,
    RESULTS_CSV,
    SILHOUETTE_FIGURE,
    figure,
    level_styles,
)
from sebrus.detect.experiments.blobs_findings import summarise_findings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def flat(text: str) -> str:
    """Click's error box wraps long paths; judge the words, not the layout."""
    return " ".join(text.replace("│", " ").split())


@pytest.fixture(scope="module")
def study() -> BlobsStudyResult:
    return run_blobs_study(BlobsStudyConfig())


def seed_loop_cell(var: float, poisoned_points: list[int]) -> tuple[float, float]:
    """The seed's appendix for one grid cell, loop for loop, on a private RandomState instead of the global.

    The seed reseeds with 23 at the end of every iteration, so each cell's noise follows seed 23 and the
    six uniforms of the centres; the replay below does the same before poisoning.
    """
    X, y = make_blobs(n_samples=500, n_features=2, centers=3, random_state=23)
    k = 3
    state = np.random.RandomState(23)
    centres = [2 * (2 * state.random((X.shape[1],)) - 1) for _ in range(k)]
    X_poisoned = X.copy()
    for point in poisoned_points:
        X_poisoned[point] += state.normal(loc=0, scale=var, size=X[point].shape)

    clusters = {i: {"center": centres[i], "points": []} for i in range(k)}
    for idx in range(X_poisoned.shape[0]):
        dist = [np.sqrt(np.sum((X_poisoned[idx] - clusters[i]["center"]) ** 2)) for i in range(k)]
        clusters[int(np.argmin(dist))]["points"].append(X_poisoned[idx])
    for i in range(k):
        points = np.array(clusters[i]["points"])
        if points.shape[0] > 0:
            clusters[i]["center"] = points.mean(axis=0)
    pred = [
        int(np.argmin([np.sqrt(np.sum((x - clusters[j]["center"]) ** 2)) for j in range(k)]))
        for x in X_poisoned
    ]
    return float(accuracy_score(y, pred)), float(silhouette_score(X_poisoned, pred))


@pytest.mark.parametrize(("level_index", "count_index"), [(0, 0), (2, 37), (4, 150), (9, 249), (7, 1)])
def test_vectorised_grid_matches_the_seed_loop_cell_for_cell(
    study: BlobsStudyResult, level_index: int, count_index: int
) -> None:
    config = study.config
    cells = len(config.noise_levels) * len(config.poisoned_counts)
    orders = poisoning_orders(config.n_samples, cells, config.shuffle_seed)
    cell = level_index * len(config.poisoned_counts) + count_index
    chosen = orders[cell, : config.poisoned_counts[count_index]].tolist()

    accuracy, silhouette = seed_loop_cell(config.noise_levels[level_index], chosen)

    assert study.accuracy_raw[level_index, count_index] == pytest.approx(accuracy, abs=1e-12)
    assert study.silhouette[level_index, count_index] == pytest.approx(silhouette, abs=1e-9)


def test_seed_draws_are_replayed_from_the_legacy_global_generator() -> None:
    np.random.seed(23)
    expected_centres = np.stack([2 * (2 * np.random.random((2,)) - 1) for _ in range(3)])
    expected_noise = np.stack([np.random.normal(loc=0, scale=1.0, size=(2,)) for _ in range(5)])

    centres, noise = seed_initial_centres_and_noise(2, 3, 5)

    np.testing.assert_array_equal(centres, expected_centres)
    np.testing.assert_array_equal(noise, expected_noise)


def test_point_zero_is_never_poisoned_as_in_the_seed() -> None:
    orders = poisoning_orders(500, 40, seed=5)
    assert orders.min() == 1
    assert all(sorted(row) == list(range(1, 500)) for row in orders.tolist())


def test_batch_silhouette_matches_sklearn_including_empty_and_singleton_clusters() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(4, 60, 2))
    labels = rng.integers(0, 3, size=(4, 60))
    labels[1] = np.where(labels[1] == 2, 1, labels[1])  # cluster 2 empty
    labels[2, 0], labels[2, 1:] = 2, rng.integers(0, 2, size=59)  # cluster 2 a singleton
    labels[3] = 1  # one cluster only: sklearn refuses, we return NaN

    scores = batch_silhouette(points, labels, 3)

    for row in range(3):
        assert scores[row] == pytest.approx(silhouette_score(points[row], labels[row]), abs=1e-10)
    assert np.isnan(scores[3])


def test_matched_accuracy_ignores_arbitrary_cluster_ids_while_raw_does_not() -> None:
    truth = np.array([0, 0, 1, 1, 2, 2])
    relabelled = np.array([[2, 2, 0, 0, 1, 1], [2, 2, 0, 1, 1, 1]])

    np.testing.assert_allclose(raw_accuracy(truth, relabelled), [0.0, 1 / 6])
    np.testing.assert_allclose(matched_accuracy(truth, relabelled, 3), [1.0, 5 / 6])


def test_true_variance_reading_takes_the_square_root_of_the_level() -> None:
    levels = (0.0, 1.0, 4.0, 9.0)
    counts = (0, 60, 150, 249)
    as_std = run_blobs_study(BlobsStudyConfig(noise_levels=(0.0, 1.0, 2.0, 3.0), poisoned_counts=counts))
    as_variance = run_blobs_study(
        BlobsStudyConfig(noise_levels=levels, poisoned_counts=counts, noise="variance")
    )

    np.testing.assert_array_equal(as_variance.silhouette, as_std.silhouette)
    np.testing.assert_array_equal(as_variance.noise_std, [0.0, 1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "bad",
    [
        {"poisoned_counts": (0, 500)},
        {"poisoned_counts": (-1,)},
        {"noise_levels": (-1.0,)},
        {"noise_levels": ()},
        {"n_centers": 1},
        {"noise": "stdev"},
    ],
)
def test_config_refuses_impossible_grids(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BlobsStudyConfig(**bad)  # type: ignore[arg-type]


def test_sklearn_kmeans_column_is_filled_and_agrees_on_clean_data() -> None:
    result = run_blobs_study(
        BlobsStudyConfig(noise_levels=(0.0, 4.0), poisoned_counts=(0, 100), with_sklearn=True)
    )
    assert result.sklearn_accuracy_matched is not None
    assert result.sklearn_silhouette is not None
    assert result.sklearn_accuracy_matched[0, 0] == 1.0
    assert result.sklearn_silhouette[0, 0] == pytest.approx(result.silhouette[0, 0])
    assert result.sklearn_silhouette[1, 1] < result.sklearn_silhouette[0, 0]


# --- The seed's stated findings, on the real grid -------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="Seed 004 says accuracy stays above 0.8 across the grid; the rerun dips to 0.77 at noise 9 "
    "with 246-247 of 500 points poisoned (see docs/seed004-blobs.md).",
)
def test_seed_claim_accuracy_stays_above_0_8_everywhere(study: BlobsStudyResult) -> None:
    assert study.accuracy_matched.min() > 0.8


def test_accuracy_stays_above_0_8_except_at_the_highest_noise_and_poison(study: BlobsStudyResult) -> None:
    below = np.argwhere(study.accuracy_matched <= 0.8)
    assert below.size > 0
    assert set(study.noise_levels[below[:, 0]]) == {9.0}
    assert study.poisoned_counts[below[:, 1]].min() >= 200
    assert study.accuracy_matched.min() >= 0.75


def test_accuracy_only_drops_below_0_9_from_noise_5(study: BlobsStudyResult) -> None:
    low_noise = study.noise_levels < 5
    assert (study.accuracy_matched[low_noise] >= 0.9).all()
    assert (study.accuracy_matched[~low_noise] < 0.9).any(axis=1).all()


def test_raw_cluster_ids_happen_to_line_up_with_the_labels(study: BlobsStudyResult) -> None:
    # The seed scored raw ids; its seed-23 centres start nearest their own blob, so nothing is lost.
    np.testing.assert_array_equal(study.accuracy_raw, study.accuracy_matched)


def test_silhouette_falls_as_poison_and_noise_rise(study: BlobsStudyResult) -> None:
    levels, counts = np.meshgrid(study.noise_levels, study.poisoned_counts, indexing="ij")
    assert spearmanr(study.silhouette.ravel(), counts.ravel()).statistic < -0.5
    assert spearmanr(study.silhouette.ravel(), levels.ravel()).statistic < -0.5
    low_corner = study.silhouette[:3, :75].mean()
    high_corner = study.silhouette[7:, 175:].mean()
    assert high_corner < low_corner - 0.2
    # Clean data is untouched whatever the noise level.
    assert np.ptp(study.silhouette[:, 0]) == 0
    assert np.ptp(study.silhouette[0]) == 0


def test_silhouette_is_below_0_70_at_noise_4_with_about_30_percent_poisoned(study: BlobsStudyResult) -> None:
    row = study.silhouette[list(study.noise_levels).index(4.0)]
    around_30_percent = (study.poisoned_counts >= 140) & (study.poisoned_counts <= 160)
    assert row[around_30_percent].max() < 0.70
    assert row[study.poisoned_counts == 150][0] < 0.70


def test_summary_reports_the_grid_it_was_given(study: BlobsStudyResult) -> None:
    summary = summarise_findings(study)
    assert summary["accuracy"]["min_matched"] == pytest.approx(study.accuracy_matched.min())
    assert summary["silhouette"]["min"] == pytest.approx(study.silhouette.min())
    assert summary["grid"]["cells"] == study.silhouette.size
    json.dumps(summary)  # the CLI prints it
    claims = summary["claims"]
    assert claims["accuracy_above_0_8_across_grid"] == bool((study.accuracy_matched > 0.8).all())
    assert claims["silhouette_below_0_70_at_noise_4_near_30pct"] is True


# --- The figures ----------------------------------------------------------------------------------------


def test_the_ten_noise_levels_get_shades_that_can_be_told_apart() -> None:
    result = run_blobs_study(BlobsStudyConfig(poisoned_counts=(0, 50, 100)))
    fig = figure(result, result.accuracy_matched, None, "accuracy", "Accuracy", reference=0.8)
    try:
        lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("var = ")]
        colours = [np.array(to_rgb(line.get_color())) for line in lines]
    finally:
        plt.close(fig)
    assert len(colours) == 10
    # Viridis's ten neighbouring shades were 0.11 apart in RGB; tab10's closest pair is 0.26 apart.
    closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(colours, 2))
    assert closest > 0.25
    more = level_styles(14)  # past ten the colours repeat, so the dashes differ
    assert len(set(more)) == 14


# --- The CLI ---------------------------------------------------------------------------------------------


def test_cli_writes_both_figures_and_the_csv(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    result = CliRunner().invoke(app, ["experiment", "blobs", "--out", str(out), "--json", "--seed", "7"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["grid"]["shuffle_seed"] == 7
    for name in (ACCURACY_FIGURE, SILHOUETTE_FIGURE):
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)
        assert (out / name).stat().st_size > 10_000
    lines = (out / RESULTS_CSV).read_text().splitlines()
    assert lines[0].startswith("noise_level,noise_std,poisoned,")
    assert len(lines) == 1 + 10 * 250


def test_cli_refuses_an_out_path_that_is_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "report.txt"
    existing.write_text("keep me")

    result = CliRunner().invoke(app, ["experiment", "blobs", "--out", str(existing)])

    assert result.exit_code == 2
    assert "exists and is not a directory" in flat(result.output)
    assert existing.read_text() == "keep me"


def test_cli_refuses_an_out_path_under_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "report.txt"
    existing.write_text("")

    result = CliRunner().invoke(app, ["experiment", "blobs", "--out", str(existing / "figures")])

    assert result.exit_code == 2
    assert "cannot create directory" in flat(result.output)
