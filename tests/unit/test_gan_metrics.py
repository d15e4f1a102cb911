"""GAN metrics on feature sets whose answers are known: Gaussians with closed forms, and
toy point clouds where precision and recall can be counted by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from fauxlab.synthesis.gan.metrics import (
    GanEvaluation,
    compare_features,
    frechet_distance,
    frechet_distance_gaussians,
    generate_images,
    kernel_inception_distance,
    mmd2_unbiased,
    precision_recall,
    trace_sqrt_product,
)
from fauxlab.synthesis.gan.models import Architecture, build_generator
from fauxlab.synthesis.gan.sample import LoadedGenerator


def _mixing(d: int, seed: int = 0) -> np.ndarray:
    """x @ mixing has covariance mixing.T @ mixing: correlated features, like a network's."""
    return np.random.default_rng(seed).normal(size=(d, d)) / np.sqrt(d)


def _gaussian(n: int, d: int, seed: int, shift: float = 0.0, mixing: int = 0) -> np.ndarray:
    """n samples of N(shift, M^T M); the same `mixing` seed gives the same distribution."""
    return np.random.default_rng(seed).normal(size=(n, d)) @ _mixing(d, mixing) + shift


def _random_psd(d: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, 2 * d))
    return a @ a.T / (2 * d)


def test_fd_of_a_set_with_itself_is_zero() -> None:
    x = _gaussian(500, 64, seed=0)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fd_of_a_shifted_copy_is_the_squared_shift() -> None:
    """Same samples moved by delta: equal covariances, so FD = |delta|^2 exactly."""
    x = _gaussian(400, 32, seed=1)
    distances = []
    for size in (0.5, 1.0, 2.0):
        delta = np.full(32, size)
        distances.append(frechet_distance(x, x + delta))
        assert distances[-1] == pytest.approx(32 * size**2, rel=1e-6)
    assert distances == sorted(distances)


def test_fd_of_a_scaled_copy_matches_the_closed_form() -> None:
    """y = 2x + delta: cov_y = 4 cov_x, so tr(A + B - 2 sqrt(AB)) = tr(A + 4A - 4A) = tr(A)."""
    x = _gaussian(300, 16, seed=2)
    x = x - x.mean(axis=0)  # so that the means differ by delta exactly
    delta = np.linspace(-1, 1, 16)
    expected = float(delta @ delta + np.trace(np.cov(x, rowvar=False)))
    assert frechet_distance(x, 2 * x + delta) == pytest.approx(expected, rel=1e-6)


def test_fd_of_independent_gaussian_samples_approaches_the_population_value() -> None:
    d, shift = 8, 0.75
    x = _gaussian(40_000, d, seed=3, mixing=1)
    y = _gaussian(40_000, d, seed=4, shift=shift, mixing=2)
    m1, m2 = _mixing(d, 1), _mixing(d, 2)
    expected = frechet_distance_gaussians(np.zeros(d), m1.T @ m1, np.full(d, shift), m2.T @ m2)
    assert expected > d * shift**2  # the covariances differ too
    assert frechet_distance(x, y) == pytest.approx(expected, rel=0.05)


def test_trace_sqrt_product_agrees_with_scipy_sqrtm() -> None:
    a, b = _random_psd(20, seed=5), _random_psd(20, seed=6)
    reference = np.trace(scipy.linalg.sqrtm(a @ b)).real
    assert trace_sqrt_product(a, b) == pytest.approx(reference, rel=1e-8)


def test_fd_of_diagonal_gaussians_matches_the_closed_form() -> None:
    """Commuting covariances: FD = |m1 - m2|^2 + sum (s1 - s2)^2 over standard deviations."""
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.5])
    m1, m2 = np.zeros(3), np.array([1.0, -1.0, 2.0])
    expected = 6.0 + float(((s1 - s2) ** 2).sum())
    value = frechet_distance_gaussians(m1, np.diag(s1**2), m2, np.diag(s2**2))
    assert value == pytest.approx(expected, rel=1e-10)


def test_fd_handles_fewer_samples_than_dimensions() -> None:
    """N < D gives singular covariances (1000 images, 1280 features): still finite, >= 0."""
    x, y = _gaussian(30, 100, seed=7), _gaussian(30, 100, seed=8, shift=1.0)
    value = frechet_distance(x, y)
    assert np.isfinite(value) and value > frechet_distance(x, _gaussian(30, 100, seed=9))


def test_mmd_matches_a_plain_loop_over_pairs() -> None:
    x, y = _gaussian(7, 4, seed=10), _gaussian(6, 4, seed=11, shift=0.5)

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return float((a @ b / 4 + 1) ** 3)

    xx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    yy = sum(k(y[i], y[j]) for i in range(6) for j in range(6) if i != j) / (6 * 5)
    xy = sum(k(x[i], y[j]) for i in range(7) for j in range(6)) / (7 * 6)
    assert mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two() -> None:
    x, same = _gaussian(600, 32, seed=12), _gaussian(600, 32, seed=13)
    different = _gaussian(600, 32, seed=14, shift=0.5)
    same_mean, same_std = kernel_inception_distance(x, same, subsets=20)
    diff_mean, diff_std = kernel_inception_distance(x, different, subsets=20)
    assert abs(same_mean) < 3 * same_std + 1e-3
    assert diff_mean > 10 * abs(same_mean) and diff_mean > 5 * diff_std


def test_kid_is_seeded() -> None:
    x, y = _gaussian(200, 8, seed=15), _gaussian(200, 8, seed=16, shift=0.2)
    assert kernel_inception_distance(x, y, seed=3) == kernel_inception_distance(x, y, seed=3)


def _two_clusters(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 100.0


def test_mode_collapse_has_full_precision_and_half_recall() -> None:
    """Reals in two far clusters, fakes copy only the first: every fake is realistic,
    and only the first half of the reals is covered."""
    a, b = _two_clusters(17)
    precision, recall = precision_recall(np.vstack([a, b]), np.vstack([a, a]))
    assert (precision, recall) == (1.0, 0.5)


def test_junk_fakes_lower_precision_only() -> None:
    a, b = _two_clusters(18)
    reals = np.vstack([a, b])
    junk = np.random.default_rng(19).normal(size=(50, 2)) - 100.0
    precision, recall = precision_recall(reals, np.vstack([reals, junk]))
    assert precision == pytest.approx(100 / 150)
    assert recall == 1.0


def test_far_away_fakes_have_no_precision_or_recall() -> None:
    a, b = _two_clusters(20)
    assert precision_recall(np.vstack([a, b]), np.vstack([a, b]) + 1000.0) == (0.0, 0.0)


def test_a_ball_reaches_exactly_the_third_nearest_neighbour() -> None:
    """Reals at 0, 1, ..., 9 on a line: the end points' balls reach 3 (their 3rd neighbour
    is 3 away), inclusive. A fake at 12.0 lies on 9's ball, 12.5 and -3.1 outside."""
    reals = np.arange(10.0)[:, None]
    fakes = np.array([[12.0], [12.5], [-2.9], [-3.1], [4.5]])
    precision, _ = precision_recall(reals, fakes)
    assert precision == pytest.approx(3 / 5)


def test_recall_is_precision_with_the_roles_swapped() -> None:
    x, y = _gaussian(200, 8, seed=28), _gaussian(150, 8, seed=29, shift=0.4)
    assert precision_recall(x, y)[1] == precision_recall(y, x)[0]


def test_precision_recall_does_not_depend_on_the_chunk_size() -> None:
    x, y = _gaussian(300, 16, seed=21), _gaussian(250, 16, seed=22, shift=0.3)
    assert precision_recall(x, y, chunk=37) == precision_recall(x, y, chunk=1024)


def test_compare_features_ranks_a_closer_set_better() -> None:
    real = _gaussian(300, 16, seed=23)
    near, far = _gaussian(300, 16, seed=24, shift=0.1), _gaussian(300, 16, seed=25, shift=1.0)
    good, bad = compare_features(real, near), compare_features(real, far)
    assert good.fd_lite0 < bad.fd_lite0 and good.kid < bad.kid
    assert good.precision > bad.precision and good.recall > bad.recall


def test_generated_images_are_seeded_uint8_in_memory() -> None:
    arch = Architecture("fauxlab", 32)
    generator = LoadedGenerator(build_generator(arch).eval(), arch, "test", "0" * 64, 0)
    images = generate_images(generator, 20, seed=5, batch=8)
    assert images.shape == (20, 3, 32, 32) and images.dtype == torch.uint8
    assert torch.equal(images, generate_images(generator, 20, seed=5, batch=8))
    assert not torch.equal(images, generate_images(generator, 20, seed=6, batch=8))


def test_evaluation_dict_is_flat_and_rounded() -> None:
    scores = compare_features(_gaussian(60, 8, seed=26), _gaussian(60, 8, seed=27))
    evaluation = GanEvaluation("g", 10, "reals", 60, 32, 128, 0, scores, 1.234)
    data = evaluation.to_dict()
    assert {"fd_lite0", "kid", "kid_std", "precision", "recall", "images", "seed"} <= set(data)
    assert "scores" not in data and data["seconds"] == 1.2
