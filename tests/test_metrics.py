"""Tests for tfgan.metrics: every number is checked against an independent computation or a closed form."""

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from sklearn.metrics.pairwise import polynomial_kernel
from sklearn.neighbors import NearestNeighbors

from tfgan import data, metrics


def _gaussians(seed=0, n=400, d=6):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, d))
    mix = rng.normal(size=(d, d)) / math.sqrt(d)
    b = rng.normal(size=(n + 50, d)) @ mix + rng.normal(size=d)
    return a, b


def _fid_by_eigenvalues(a, b):
    """Tr((S_a S_b)^(1/2)) as the sum of sqrt eigenvalues of S_a^(1/2) S_b S_a^(1/2): no sqrtm involved."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ s_b @ root_a), 0, None)).sum()
    return np.sum((mu_a - mu_b) ** 2) + np.trace(s_a) + np.trace(s_b) - 2 * trace_sqrt


# ---- Fréchet distance ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frechet_distance_matches_eigenvalue_formula(seed):
    a, b = _gaussians(seed)
    fid = metrics.frechet_distance(a, b)
    assert isinstance(fid, float)
    np.testing.assert_allclose(fid, _fid_by_eigenvalues(a, b), rtol=1e-8)
    np.testing.assert_allclose(fid, metrics.frechet_distance(b, a), rtol=1e-8)


def test_frechet_distance_of_known_gaussians():
    # Diagonal covariances: d^2 = |mu|^2 + sum (sigma_a - sigma_b)^2 with the sample moments.
    rng = np.random.default_rng(3)
    a = rng.normal(size=(20_000, 3)) * [1.0, 2.0, 0.5]
    b = rng.normal(size=(20_000, 3)) * [2.0, 2.0, 0.5] + [1.0, 0.0, 0.0]
    np.testing.assert_allclose(metrics.frechet_distance(a, b), 1.0 + 1.0, atol=0.1)


def test_frechet_distance_identical_sets_is_zero():
    a, _ = _gaussians()
    assert abs(metrics.frechet_distance(a, a)) < 1e-8
    assert abs(metrics.frechet_distance(a, a.copy()[::-1])) < 1e-8


def test_frechet_distance_singular_covariance_is_finite():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 20)), rng.normal(size=(6, 20))  # rank-deficient covariances
    fid = metrics.frechet_distance(a, b)
    assert np.isfinite(fid)
    np.testing.assert_allclose(fid, _fid_by_eigenvalues(a, b), rtol=1e-3, atol=1e-3)


def test_frechet_distance_one_feature():
    a, b = np.array([[0.0], [2.0]]), np.array([[1.0], [5.0]])  # means 1, 3; variances 2, 8
    np.testing.assert_allclose(metrics.frechet_distance(a, b), 4.0 + 2.0 + 8.0 - 2 * 4.0)


@pytest.mark.parametrize("a, b, message", [
    (np.zeros(5), np.zeros((5, 2)), "`features_a` must be a 2-D array"),
    (np.zeros((5, 2)), np.zeros((5, 2, 1)), "`features_b` must be a 2-D array"),
    (np.zeros((5, 2)), np.zeros((5, 3)), "same number of features"),
    (np.zeros((1, 2)), np.zeros((5, 2)), "`features_a` needs at least 2 rows"),
    (np.full((3, 2), np.nan), np.zeros((5, 2)), "`features_a` contains NaN"),
])
def test_frechet_distance_rejects_bad_inputs(a, b, message):
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance(a, b)


# ---- KID -------------------------------------------------------------------------------------------

def _mmd2_unbiased(x, y):
    k = lambda u, v: polynomial_kernel(u, v, degree=3, gamma=1.0 / x.shape[1], coef0=1.0)  # noqa: E731
    m = len(x)
    k_xx, k_yy = k(x, x), k(y, y)
    return ((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
            - 2 * k(x, y).mean())


def test_kernel_distance_matches_sklearn_kernel_on_full_sets():
    a, b = _gaussians(n=200)
    mean, std = metrics.kernel_distance(a, b[:200], num_subsets=3, subset_size=1000)
    np.testing.assert_allclose(mean, _mmd2_unbiased(a, b[:200]), rtol=1e-10)
    assert std < 1e-9  # every subset is the whole set


def test_kernel_distance_near_zero_for_one_distribution_and_positive_for_shifted():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16))
    same_mean, same_std = metrics.kernel_distance(a, b, num_subsets=20, subset_size=500)
    shift_mean, shift_std = metrics.kernel_distance(a, b + 0.5, num_subsets=20, subset_size=500)
    assert abs(same_mean) < 0.01
    assert shift_mean > 0.2 and shift_mean > 20 * shift_std
    assert shift_mean > 20 * abs(same_mean)


def test_kernel_distance_is_reproducible_and_seeded():
    a, b = _gaussians()
    first = metrics.kernel_distance(a, b, num_subsets=5, subset_size=100, seed=7)
    assert first == metrics.kernel_distance(a, b, num_subsets=5, subset_size=100, seed=7)
    assert first != metrics.kernel_distance(a, b, num_subsets=5, subset_size=100, seed=8)


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_subsets=0), "Received: `num_subsets=0`"),
    (dict(subset_size=1), "Received: `subset_size=1`"),
    (dict(num_subsets=2.5), "Received: `num_subsets=2.5`"),
])
def test_kernel_distance_rejects_bad_arguments(kwargs, message):
    a, b = _gaussians()
    with pytest.raises(ValueError, match=message):
        metrics.kernel_distance(a, b, **kwargs)


# ---- Inception score -------------------------------------------------------------------------------

def test_inception_score_matches_scipy_entropy():
    probs = np.random.default_rng(0).dirichlet(np.full(10, 0.3), size=1000)
    expected = [np.exp(np.mean(scipy.stats.entropy(part.T, part.mean(0)[:, None])))
                for part in np.array_split(probs, 5)]
    mean, std = metrics.inception_score(probs, splits=5)
    np.testing.assert_allclose(mean, np.mean(expected), rtol=1e-10)
    np.testing.assert_allclose(std, np.std(expected), rtol=1e-8)


def test_inception_score_extremes():
    one_hot = np.eye(10)[np.arange(1000) % 10]
    np.testing.assert_allclose(metrics.inception_score(one_hot, splits=4), (10.0, 0.0), atol=1e-10)
    collapsed = np.eye(10)[np.zeros(100, int)]
    np.testing.assert_allclose(metrics.inception_score(collapsed, splits=2)[0], 1.0)
    unsure = np.full((100, 10), 0.1)
    np.testing.assert_allclose(metrics.inception_score(unsure, splits=1)[0], 1.0)


@pytest.mark.parametrize("probs, splits, message", [
    (np.full((10, 4), 0.5), 1, "rows summing to 1"),
    (np.full((10, 4), 0.25), 0, "Received: `splits=0`"),
    (np.full((10, 4), 0.25), 11, "Received: `splits=11`"),
])
def test_inception_score_rejects_bad_inputs(probs, splits, message):
    with pytest.raises(ValueError, match=message):
        metrics.inception_score(probs, splits=splits)


# ---- precision / recall, density / coverage -------------------------------------------------------

def _ring_clusters(modes, per_mode, seed, std=0.05):
    rng = np.random.default_rng(seed)
    centres = data.ring_modes()[modes]
    return np.concatenate([c + rng.normal(0, std, (per_mode, 2)) for c in centres])


def _sklearn_prdc(real, fake, k):
    """Reference computation with sklearn's exact nearest neighbours (closed balls)."""
    radius_real = NearestNeighbors(n_neighbors=k + 1).fit(real).kneighbors(real)[0][:, k]
    radius_fake = NearestNeighbors(n_neighbors=k + 1).fit(fake).kneighbors(fake)[0][:, k]
    d = np.sqrt(((real[:, None, :] - fake[None, :, :]) ** 2).sum(-1))  # [N, M]
    inside = d <= radius_real[:, None] * (1 + 1e-9)
    return dict(precision=inside.any(0).mean(), recall=(d <= radius_fake[None, :] * (1 + 1e-9)).any(1).mean(),
                density=inside.sum() / (k * fake.shape[0]), coverage=inside.any(1).mean())


@pytest.mark.parametrize("chunk", [metrics._CHUNK_ELEMENTS, 37])
def test_prdc_match_sklearn_reference(monkeypatch, chunk):
    monkeypatch.setattr(metrics, "_CHUNK_ELEMENTS", chunk)  # also exercises block boundaries
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(300, 5)), rng.normal(0.3, 1.2, size=(250, 5))
    expected = _sklearn_prdc(real, fake, k=4)
    pr = metrics.precision_recall(real, fake, k=4)
    dc = metrics.density_coverage(real, fake, k=4)
    for name, value in {**pr, **dc}.items():
        assert isinstance(value, float)
        np.testing.assert_allclose(value, expected[name], rtol=1e-12, err_msg=name)


def test_precision_recall_identical_sets():
    real = _ring_clusters(range(8), 50, seed=0)
    assert metrics.precision_recall(real, real.copy(), k=3) == dict(precision=1.0, recall=1.0)


def test_precision_recall_and_coverage_fall_when_half_the_modes_are_dropped():
    real = _ring_clusters(range(8), 100, seed=0)
    fake = _ring_clusters([0, 2, 4, 6], 200, seed=1)
    pr = metrics.precision_recall(real, fake, k=3)
    assert pr["precision"] > 0.95
    assert 0.4 < pr["recall"] < 0.55
    dc = metrics.density_coverage(real, fake, k=5)
    assert 0.4 < dc["coverage"] <= 0.5  # only the kept half of the real balls can hold fakes
    assert 0.8 < dc["density"] < 1.3  # fakes twice as dense in half the balls: about 1, fidelity unchanged


def test_density_coverage_identical_sets():
    real = np.random.default_rng(0).normal(size=(200, 3))  # no ties: each ball holds itself and k others
    dc = metrics.density_coverage(real, real.copy(), k=5)
    np.testing.assert_allclose(dc["density"], 6 / 5)
    assert dc["coverage"] == 1.0


def test_far_fake_outliers_scale_density_and_precision_by_the_inlier_fraction():
    real = _ring_clusters(range(8), 50, seed=0)
    inliers = _ring_clusters(range(8), 50, seed=1)
    fake = np.concatenate([inliers, np.full((100, 2), 10.0)])  # in no real ball
    np.testing.assert_allclose(metrics.density_coverage(real, fake)["density"],
                               0.8 * metrics.density_coverage(real, inliers)["density"], rtol=1e-12)
    np.testing.assert_allclose(metrics.precision_recall(real, fake)["precision"],
                               0.8 * metrics.precision_recall(real, inliers)["precision"], rtol=1e-12)


@pytest.mark.parametrize("fn, k, message", [
    (metrics.precision_recall, 0, "Received: `k=0`"),
    (metrics.precision_recall, 10, "Received: `k=10`"),
    (metrics.density_coverage, 10, "Received: `k=10`"),
    (metrics.density_coverage, True, "Received: `k=True`"),
])
def test_knn_metrics_reject_bad_k(fn, k, message):
    with pytest.raises(ValueError, match=message):
        fn(np.random.default_rng(0).normal(size=(10, 2)), np.random.default_rng(1).normal(size=(12, 2)), k=k)


# ---- mode coverage ----------------------------------------------------------------------------------

def _kl_closed_form(counts, num_bins):
    total = sum(counts)
    return sum(c / total * math.log(c / total * num_bins) for c in counts if c)


def test_mode_coverage_counts_hand_built_samples():
    modes, std = data.ring_modes(), 0.01
    offset = np.array([0.6, 0.8])  # a unit vector
    high = [modes[0]] * 4 + [modes[1]] * 2 + [modes[2], modes[3] + 2.9 * std * offset] + [modes[4]] * 2
    low = [modes[5] + 3.1 * std * offset, [0.0, 0.0], [10.0, 10.0], [-5.0, 3.0]]
    result = metrics.mode_coverage(np.array(high + low), modes, std)
    assert result["modes"] == 5 and isinstance(result["modes"], int)
    assert result["high_quality"] == pytest.approx(10 / 14, abs=1e-12)
    assert result["kl"] == pytest.approx(_kl_closed_form([4, 2, 1, 1, 2], 8), abs=1e-12)


def test_mode_coverage_balanced_collapsed_and_empty():
    grid = data.grid_modes()
    assert metrics.mode_coverage(np.repeat(grid, 4, axis=0), grid, 0.05) == dict(modes=25, high_quality=1.0, kl=0.0)
    collapsed = metrics.mode_coverage(np.repeat(grid[3:4], 10, axis=0), grid, 0.05)
    assert collapsed["modes"] == 1 and collapsed["kl"] == pytest.approx(math.log(25))
    junk = metrics.mode_coverage(np.full((7, 2), 1.0), grid, 0.05)  # between modes: no HQ sample
    assert junk == dict(modes=0, high_quality=0.0, kl=pytest.approx(math.log(25)))


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_mode_coverage_of_the_true_mixture(name):
    info = data.info(name)
    samples, _ = data.mixture_samples(name, 2500, seed=0)
    result = metrics.mode_coverage(samples, info.modes, info.mode_std)
    assert result["modes"] == len(info.modes)
    assert result["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)  # P(chi2_2 <= 9)
    assert result["kl"] < 0.02


@pytest.mark.parametrize("std", [0.0, -1.0, float("nan"), "0.1", True])
def test_mode_coverage_rejects_bad_std(std):
    with pytest.raises(ValueError, match="Received: `std="):
        metrics.mode_coverage(np.zeros((3, 2)), data.ring_modes(), std)


def test_mode_coverage_rejects_mismatched_dims():
    with pytest.raises(ValueError, match="`samples` and `modes`"):
        metrics.mode_coverage(np.zeros((3, 3)), data.ring_modes(), 0.01)


# ---- class coverage ---------------------------------------------------------------------------------

def test_class_coverage_labels_and_probabilities():
    labels = np.array([0, 0, 1, 2, 2, 2, 2, 2])
    expected = scipy.stats.entropy(np.bincount(labels, minlength=5) / 8, np.full(5, 0.2))
    result = metrics.class_coverage(labels, num_classes=5)
    assert result["classes_covered"] == 3
    assert result["kl"] == pytest.approx(expected, abs=1e-12)
    probs = np.eye(5)[labels] * 0.6 + 0.08  # argmax is the label
    assert metrics.class_coverage(probs, 5) == result
    assert metrics.class_coverage(np.arange(10), 10) == dict(classes_covered=10, kl=0.0)


@pytest.mark.parametrize("predictions, num_classes, message", [
    (np.array([0, 5]), 5, "outside \\[0, 5\\)"),
    (np.array([-1, 0]), 5, "outside"),
    (np.zeros((4, 3)), 5, "num_classes=5"),
    (np.array([0.0, 1.0]), 5, "integer labels"),
    (np.array([], int), 5, "empty"),
    (np.array([0, 1]), 0, "Received: `num_classes=0`"),
])
def test_class_coverage_rejects_bad_inputs(predictions, num_classes, message):
    with pytest.raises(ValueError, match=message):
        metrics.class_coverage(predictions, num_classes)


# ---- Stacked MNIST modes -----------------------------------------------------------------------------

def _every_triple():
    return np.stack(np.unravel_index(np.arange(1000), (10, 10, 10)), axis=1)  # [1000, 3], row m has digits of m


def _direct_modes_and_kl(digits):
    """The modes hit and KL(p || U_1000) of the histogram of digit triples, by counting tuples."""
    triples, counts = np.unique(digits, axis=0, return_counts=True)
    histogram = np.zeros(1000)
    histogram[:len(counts)] = counts  # which bins hold the counts does not matter for KL from uniform
    return len(triples), scipy.stats.entropy(histogram, np.full(1000, 1e-3))


@pytest.mark.parametrize("digits, modes, kl", [
    (_every_triple(), 1000, 0.0),  # every mode once
    (np.repeat(_every_triple()[::2], 2, axis=0), 500, math.log(2)),  # half the modes, twice each
    (np.repeat([[4, 0, 7]], 26, axis=0), 1, math.log(1000)),  # one mode
])
def test_stacked_mode_coverage_counts_known_modes_exactly(digits, modes, kl):
    result = metrics.stacked_mode_coverage(digits)
    assert result["modes"] == modes and isinstance(result["modes"], int)
    assert result["kl"] == pytest.approx(kl, abs=1e-12)
    direct_modes, direct_kl = _direct_modes_and_kl(digits)
    assert (result["modes"], result["kl"]) == (direct_modes, pytest.approx(direct_kl, abs=1e-12))


def test_stacked_mode_coverage_matches_direct_count_on_random_predictions_and_probabilities():
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 10, (3000, 3)) % rng.integers(1, 11, (1, 3))  # fewer digits on some channels
    result = metrics.stacked_mode_coverage(digits)
    direct_modes, direct_kl = _direct_modes_and_kl(digits)
    assert result["modes"] == direct_modes and result["kl"] == pytest.approx(direct_kl, abs=1e-12)
    probabilities = rng.dirichlet(np.ones(10), size=(3000, 3)) + 2.0 * np.eye(10)[digits]  # argmax is the digit
    probabilities /= probabilities.sum(axis=2, keepdims=True)
    assert metrics.stacked_mode_coverage(probabilities) == result


def test_stacked_modes_read_the_channels_as_a_three_digit_number():
    digits = np.array([[1, 2, 3], [0, 0, 9], [9, 0, 0], [9, 9, 9]])
    np.testing.assert_array_equal(metrics.stacked_modes(digits), [123, 9, 900, 999])
    np.testing.assert_array_equal(metrics.stacked_mode_digits(np.array([123, 9, 900, 999])), digits)
    np.testing.assert_array_equal(metrics.stacked_mode_digits(metrics.stacked_modes(_every_triple())),
                                  _every_triple())


def test_channel_accuracy_counts_each_channel():
    truth = _every_triple()
    predicted = truth.copy()
    predicted[:100, 0] = (predicted[:100, 0] + 1) % 10  # 10% wrong on R, 1% on B, none on G
    predicted[:10, 2] = (predicted[:10, 2] + 3) % 10
    expected = [0.9, 1.0, 0.99]
    assert metrics.channel_accuracy(predicted, truth) == pytest.approx(expected, abs=1e-12)
    assert metrics.channel_accuracy(predicted, np.arange(1000)) == pytest.approx(expected, abs=1e-12)  # labels
    assert metrics.channel_accuracy(np.eye(10)[predicted], truth) == pytest.approx(expected, abs=1e-12)  # probs


class _BrightnessClassifier:
    """A stand-in for the digits classifier: an image whose pixels are all v*20 is digit v."""

    def __init__(self):
        self.calls = []

    def predict(self, images):
        self.calls.append(images.shape)
        return np.eye(10)[np.round(images[:, 0, 0, 0].astype(np.float64) / 20).astype(int)]


def test_stacked_digits_coverage_classifies_each_channel_in_order():
    rng = np.random.default_rng(1)
    digits = rng.integers(0, 10, (700, 3))
    images = np.broadcast_to((digits * 20).astype(np.uint8)[:, None, None, :], (700, 8, 8, 3))
    classifier = _BrightnessClassifier()
    labels = metrics.stacked_modes(digits)
    result = metrics.stacked_digits_coverage(images, classifier, labels=labels)
    assert classifier.calls == [(2100, 8, 8, 1)]  # each channel a one-channel digit
    assert result == dict(metrics.stacked_mode_coverage(digits), channel_accuracy=[1.0, 1.0, 1.0])
    swapped = metrics.stacked_digits_coverage(images[..., ::-1], classifier, labels=labels)
    assert swapped["channel_accuracy"][1] == 1.0 and swapped["channel_accuracy"][0] < 0.2  # R is the hundreds


@pytest.mark.parametrize("predictions, message", [
    (np.array([[0, 1, 10]]), r"outside \[0, 10\)"),
    (np.array([[0, -1, 2]]), "outside"),
    (np.zeros((4, 3)), "integer digits"),
    (np.zeros((4, 3, 7)), "integer digits"),
    (np.zeros(4, int), "integer digits"),
    (np.zeros((0, 3), int), "empty"),
])
def test_stacked_mode_coverage_rejects_bad_predictions(predictions, message):
    with pytest.raises(ValueError, match=message):
        metrics.stacked_mode_coverage(predictions)


def test_stacked_metrics_reject_bad_arguments():
    with pytest.raises(ValueError, match="Received: `num_classes=1`"):
        metrics.stacked_mode_coverage(np.zeros((2, 3), int), num_classes=1)
    with pytest.raises(ValueError, match="`labels` must give the digits"):
        metrics.channel_accuracy(np.zeros((2, 3), int), np.zeros((3, 3), int))
    with pytest.raises(ValueError, match=r"outside \[0, 1000\)"):
        metrics.stacked_mode_digits(np.array([1000]))
    with pytest.raises(ValueError, match=r"`images` must be \[N, H, W, channels\]"):
        metrics.stacked_digits_coverage(np.zeros((8, 8, 3)), _BrightnessClassifier())
