"""Sample-quality metrics for GANs: FID, KID, IS, precision / recall, density / coverage, mode coverage.

Pure numpy / scipy functions of feature arrays, labels or samples, computed in float64; none of them
runs a network of its own (`stacked_digits_coverage` calls the classifier it is given). Feature
extractors (a classifier for `digits`, InceptionV3) live in `tfgan.features`.
Each function validates its arguments and raises a `ValueError` that names the argument and its value.

Example:

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> real, fake = rng.normal(size=(500, 8)), rng.normal(0.5, 1.0, size=(500, 8))
>>> frechet_distance(real, fake) > frechet_distance(real, rng.normal(size=(500, 8)))
True
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.special

from tfgan import checks

_CHUNK_ELEMENTS = 2**22  # entries of one block of the pairwise-distance matrix (32 MB in float64)


def _features(value, name, min_rows=2):
    """`value` as a float64 `[N, D]` array with at least `min_rows` rows and finite entries."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D array [num_samples, num_features]. "
                         f"Received: `{name}` with shape {array.shape}.")
    if array.shape[0] < min_rows:
        raise ValueError(f"`{name}` needs at least {min_rows} rows (samples). "
                         f"Received: `{name}` with shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return array


def _feature_pair(a, b, names, min_rows=2):
    a, b = _features(a, names[0], min_rows), _features(b, names[1], min_rows)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"`{names[0]}` and `{names[1]}` must have the same number of features. "
                         f"Received: shapes {a.shape} and {b.shape}.")
    return a, b


def frechet_distance(features_a, features_b, eps=1e-6):
    """Fréchet distance between Gaussians fitted to two feature sets: FID on Inception features.

        d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))

    with mu and S the mean and (unbiased) covariance of each set (Heusel et al. 2017; Dowson &
    Landau 1982). The matrix square root is `scipy.linalg.sqrtm`; when it is not finite (a singular
    product) it is retried on (S_a + eps I)(S_b + eps I), and numerical imaginary parts are dropped.

    Args:
        features_a: `[N, D]` array, e.g. Inception pool features of real images (N >= 2).
        features_b: `[M, D]` array of the other set (M >= 2).
        eps: offset added to both diagonals when the square root is not finite. Defaults to `1e-6`.

    Returns:
        The squared Fréchet distance, a Python float (0 for identical sets).

    Reference:
        Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
        Equilibrium", https://arxiv.org/abs/1706.08500
    """
    a, b = _feature_pair(features_a, features_b, ("features_a", "features_b"))
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    sigma_a = np.atleast_2d(np.cov(a, rowvar=False))
    sigma_b = np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # a singular product (constant pixels, few samples) is expected
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma_a @ sigma_b)
        if not np.all(np.isfinite(covmean)):
            offset = np.eye(len(sigma_a)) * eps
            covmean = scipy.linalg.sqrtm((sigma_a + offset) @ (sigma_b + offset))
    if np.iscomplexobj(covmean):
        imaginary = np.max(np.abs(np.diagonal(covmean).imag))
        if imaginary > 1e-3 * max(1.0, np.max(np.abs(np.diagonal(covmean).real))):
            raise ValueError(f"The square root of the covariance product has a large imaginary part "
                             f"({imaginary:.3g}): too few samples for {a.shape[1]} features?")
        covmean = covmean.real
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * np.trace(covmean))


def _polynomial_kernel(x, y):
    """k(x, y) = (x . y / d + 1)^3, the KID kernel."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def kernel_distance(features_a, features_b, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: the unbiased MMD^2 with a cubic polynomial kernel, over random subsets.

        k(x, y) = (x . y / d + 1)^3
        MMD^2_u = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(m(m-1)) sum_{i!=j} k(y_i, y_j)
                  - 2/m^2 sum_{i,j} k(x_i, y_j)

    (Binkowski et al. 2018), averaged over `num_subsets` pairs of
    subsets of `m = min(subset_size, N, M)` rows each, drawn without replacement.

    Args:
        features_a: `[N, D]` array (N >= 2).
        features_b: `[M, D]` array (M >= 2).
        num_subsets: number of subset pairs to average over. Defaults to `100`.
        subset_size: rows per subset, capped at the smaller set's size. Defaults to `1000`.
        seed: seed of the subset draws, so the estimate is reproducible. Defaults to `0`.

    Returns:
        `(mean, std)` of the per-subset MMD^2 estimates, Python floats. The mean is unbiased, so it can
        be slightly negative when the two sets come from one distribution.

    Reference:
        Binkowski et al. 2018, "Demystifying MMD GANs", https://arxiv.org/abs/1801.01401
    """
    a, b = _feature_pair(features_a, features_b, ("features_a", "features_b"))
    num_subsets = checks.positive_int("num_subsets", num_subsets)
    m = min(checks.positive_int("subset_size", subset_size, minimum=2), len(a), len(b))
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for s in range(num_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        estimates[s] = within - 2.0 * k_xy.sum() / (m * m)
    return float(estimates.mean()), float(estimates.std())


def inception_score(probabilities, splits=10):
    """Inception Score (a classifier score with any classifier's softmax): exp(E_x KL(p(y|x) || p(y))).

        IS = exp( 1/N sum_i sum_c p(c|x_i) (log p(c|x_i) - log p(c)) ),  p(c) = 1/N sum_i p(c|x_i)

    (Salimans et al. 2016, sec. 4), computed on `splits` consecutive parts of the samples, as in the
    paper's code. It ranges from 1 (every sample classified alike, or no sample confident) to the
    number of classes (confident and balanced predictions).

    Args:
        probabilities: `[N, C]` class probabilities (each row non-negative, summing to 1).
        splits: number of parts the score is averaged over (<= N). Defaults to `10`.

    Returns:
        `(mean, std)` of the per-split scores, Python floats.

    Reference:
        Salimans et al. 2016, "Improved Techniques for Training GANs", https://arxiv.org/abs/1606.03498
    """
    p = _features(probabilities, "probabilities", min_rows=1)
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("`probabilities` must be non-negative with rows summing to 1 (softmax outputs). "
                         f"Received: row sums in [{p.sum(axis=1).min():.4g}, {p.sum(axis=1).max():.4g}].")
    splits = checks.positive_int("splits", splits)
    if splits > len(p):
        raise ValueError(f"`splits` must be at most the number of samples ({len(p)}). Received: `splits={splits}`.")
    scores = []
    for i in range(splits):
        part = p[i * len(p) // splits:(i + 1) * len(p) // splits]
        marginal = part.mean(axis=0, keepdims=True)
        kl = scipy.special.xlogy(part, part) - scipy.special.xlogy(part, marginal)
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _chunks(num_rows, num_cols):
    """Row slices such that a block of `rows x num_cols` holds about `_CHUNK_ELEMENTS` entries."""
    step = max(1, _CHUNK_ELEMENTS // max(1, num_cols))
    return [slice(start, min(start + step, num_rows)) for start in range(0, num_rows, step)]


def _squared_distances(x, y):
    """||x_i - y_j||^2 for a block of rows of `x` against all of `y`, clipped at 0."""
    d = (x * x).sum(axis=1)[:, None] + (y * y).sum(axis=1)[None, :] - 2.0 * (x @ y.T)
    return np.maximum(d, 0.0)


def _knn_radii(x, k):
    """Squared distance from each row of `x` to its k-th nearest other row (the row itself excluded)."""
    radii = np.empty(len(x))
    for rows in _chunks(len(x), len(x)):
        radii[rows] = np.partition(_squared_distances(x[rows], x), k, axis=1)[:, k]
    return radii


def _in_balls(points, centres, squared_radii):
    """How many of the balls B(centres_j, radii_j) contain each point (closed balls)."""
    counts = np.empty(len(points), dtype=np.int64)
    for rows in _chunks(len(points), len(centres)):
        counts[rows] = (_squared_distances(points[rows], centres) <= squared_radii[None, :]).sum(axis=1)
    return counts


def _ball_counts(centres, squared_radii, points):
    """How many `points` each closed ball B(centres_i, radii_i) contains."""
    counts = np.empty(len(centres), dtype=np.int64)
    for rows in _chunks(len(centres), len(points)):
        counts[rows] = (_squared_distances(centres[rows], points) <= squared_radii[rows, None]).sum(axis=1)
    return counts


def _check_k(k, name, sizes):
    k = checks.positive_int(name, k)
    if k >= min(sizes):
        raise ValueError(f"`{name}` must be smaller than the number of samples in each set ({min(sizes)}). "
                         f"Received: `{name}={k}`.")
    return k


def precision_recall(real_features, fake_features, k=3):
    """Improved precision and recall: the fraction of each set inside the other's k-NN manifold.

        manifold(Phi) = union over phi in Phi of the ball B(phi, ||phi - NN_k(phi)||)
        precision = 1/M sum_j 1[fake_j in manifold(real)],  recall = 1/N sum_i 1[real_i in manifold(fake)]

    with NN_k(phi) the k-th nearest neighbour of phi in its own set (Kynkäänniemi et al. 2019).
    Precision measures fidelity (fakes that look real), recall diversity (real data the fakes cover).
    Distances are Euclidean, computed in blocks, so memory stays bounded for large sets.

    Args:
        real_features: `[N, D]` array of real-sample features (N > k).
        fake_features: `[M, D]` array of generated-sample features (M > k).
        k: neighbourhood size defining the radii. Defaults to `3`, the paper's choice.

    Returns:
        `dict(precision=float, recall=float)`, each in [0, 1].

    Reference:
        Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative
        Models", https://arxiv.org/abs/1904.06991
    """
    real, fake = _feature_pair(real_features, fake_features, ("real_features", "fake_features"))
    k = _check_k(k, "k", (len(real), len(fake)))
    precision = np.mean(_in_balls(fake, real, _knn_radii(real, k)) > 0)
    recall = np.mean(_in_balls(real, fake, _knn_radii(fake, k)) > 0)
    return dict(precision=float(precision), recall=float(recall))


def density_coverage(real_features, fake_features, k=5):
    """Density and coverage: k-NN balls around the real samples only, robust to outliers.

        density  = 1/(kM) sum_j sum_i 1[fake_j in B(real_i, NND_k(real_i))]
        coverage = 1/N sum_i 1[exists j: fake_j in B(real_i, NND_k(real_i))]

    (Naeem et al. 2020). Density counts how many real neighbourhoods hold each fake (about 1
    when the two distributions match, above 1 when fakes crowd dense regions); coverage is the fraction
    of real neighbourhoods that hold at least one fake.

    Args:
        real_features: `[N, D]` array of real-sample features (N > k).
        fake_features: `[M, D]` array of generated-sample features (M >= 1).
        k: neighbourhood size defining the radii. Defaults to `5`, the paper's choice.

    Returns:
        `dict(density=float, coverage=float)`; coverage is in [0, 1], density in [0, N/k].

    Reference:
        Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models",
        https://arxiv.org/abs/2002.09797
    """
    real = _features(real_features, "real_features")
    fake = _features(fake_features, "fake_features", min_rows=1)
    if real.shape[1] != fake.shape[1]:
        raise ValueError("`real_features` and `fake_features` must have the same number of features. "
                         f"Received: shapes {real.shape} and {fake.shape}.")
    k = _check_k(k, "k", (len(real),))
    fakes_per_ball = _ball_counts(real, _knn_radii(real, k), fake)
    density = fakes_per_ball.sum() / (k * len(fake))
    coverage = np.mean(fakes_per_ball > 0)
    return dict(density=float(density), coverage=float(coverage))


def _kl_from_uniform(counts):
    """KL(p || uniform) = sum_c p_c log(p_c C) = log C - H(p) of the histogram `counts` over C bins."""
    p = counts / counts.sum()
    return float(np.sum(scipy.special.xlogy(p, p * len(counts))))


def mode_coverage(samples, modes, std):
    """Modes recovered, fraction of high-quality samples and KL of the mode histogram (PacGAN's 2-D metrics).

        nearest(x) = argmin_k ||x - mode_k||,   x is high quality iff ||x - mode_nearest(x)|| <= 3 std
        modes        = #{k : some high-quality x has nearest(x) = k}
        high_quality = #{high-quality x} / N
        kl           = KL(p || U) = sum_k p_k log(K p_k),  p_k = #{high-quality x : nearest(x) = k} / #{high-quality x}

    as in Lin et al. 2018 (after Srivastava et al. 2017): `kl` is the "reverse" KL from the histogram
    of the high-quality samples' modes to the uniform mixture weights; low-quality samples enter only
    `high_quality`, as in PacGAN's released evaluation code. It is 0 for balanced samples and log K
    when every high-quality sample sits at one mode. With no high-quality sample at all the histogram
    is empty and `kl` is log K, its largest value, so a generator never scores better by producing
    only junk.

    Args:
        samples: `[N, D]` generated points (N >= 1), e.g. 2,500 for `ring` / `grid`.
        modes: `[K, D]` mixture centres, e.g. `tfgan.data.info("ring").modes`.
        std: the mixture components' standard deviation (> 0), e.g. `info("ring").mode_std`.

    Returns:
        `dict(modes=int, high_quality=float, kl=float)`.

    Reference:
        Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
        https://arxiv.org/abs/1712.04086
    """
    samples = _features(samples, "samples", min_rows=1)
    centres = _features(modes, "modes", min_rows=1)
    if samples.shape[1] != centres.shape[1]:
        raise ValueError("`samples` and `modes` must have the same number of dimensions. "
                         f"Received: shapes {samples.shape} and {centres.shape}.")
    if isinstance(std, bool) or not isinstance(std, (int, float, np.number)) or not np.isfinite(std) or std <= 0:
        raise ValueError(f"`std` must be a positive number. Received: `std={std!r}`.")
    nearest = np.empty(len(samples), dtype=np.int64)
    nearest_distance = np.empty(len(samples))
    for rows in _chunks(len(samples), len(centres)):
        d = _squared_distances(samples[rows], centres)
        nearest[rows] = d.argmin(axis=1)
        nearest_distance[rows] = d[np.arange(len(d)), nearest[rows]]
    high_quality = nearest_distance <= (3.0 * float(std)) ** 2
    counts = np.bincount(nearest[high_quality], minlength=len(centres))
    kl = _kl_from_uniform(counts) if counts.sum() else float(np.log(len(centres)))
    return dict(modes=int(np.count_nonzero(counts)), high_quality=float(high_quality.mean()), kl=kl)


def class_coverage(predictions, num_classes):
    """Classes a labelled generator covers, and the KL of its predicted-class histogram from uniform.

        p_c = #{i : label_i = c} / N,   classes_covered = #{c : p_c > 0},   kl = KL(p || U) = sum_c p_c log(C p_c)

    The image analogue of `mode_coverage`: labels come from an evaluation classifier (e.g.
    `tfgan.features.digits_classifier().predict`), as in the stacked-MNIST experiments of
    Srivastava et al. 2017 and Lin et al. 2018. `kl` is 0 for a class-balanced set, log C for one class.

    Args:
        predictions: `[N]` integer labels in [0, num_classes), or `[N, num_classes]` class probabilities
            (their argmax is taken).
        num_classes: the number of classes C (>= 1).

    Returns:
        `dict(classes_covered=int, kl=float)`.

    Reference:
        Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational
        Learning", https://arxiv.org/abs/1705.07761
    """
    num_classes = checks.positive_int("num_classes", num_classes)
    values = np.asarray(predictions)
    if values.ndim == 2:
        if values.shape[1] != num_classes:
            raise ValueError(f"`predictions` of shape {values.shape} must have `num_classes={num_classes}` "
                             "columns when given as probabilities.")
        labels = values.argmax(axis=1)
    elif values.ndim == 1 and (values.size == 0 or np.issubdtype(values.dtype, np.integer)):
        labels = values.astype(np.int64)
    else:
        raise ValueError("`predictions` must be [N] integer labels or [N, num_classes] probabilities. "
                         f"Received: shape {values.shape}, dtype {values.dtype}.")
    if len(labels) == 0:
        raise ValueError("`predictions` is empty: need at least one sample.")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"`predictions` holds labels in [{labels.min()}, {labels.max()}], outside "
                         f"[0, {num_classes}) for `num_classes={num_classes}`.")
    counts = np.bincount(labels, minlength=num_classes)
    return dict(classes_covered=int(np.count_nonzero(counts)), kl=_kl_from_uniform(counts))


def code_purity(classes, codes, num_classes, num_codes=None):
    """How well an unsupervised code (InfoGAN's categorical code) separates classes it was never told of.

        counts[v, c] = #{i : code_i = v, class_i = c},   majority_v = argmax_c counts[v, c],
        purity_v = counts[v, majority_v] / #{i : code_i = v},   distinct = #{majority_v}

    A code that finds the classes gives each value its own majority class (`distinct` = number of
    values, when there are as many values as classes) with purity near 1.

    Args:
        classes: `[N]` integer classes (e.g. a classifier's predictions) or `[N, num_classes]` probabilities.
        codes: `[N]` integer code values of the samples.
        num_classes: the number of classes.
        num_codes: the number of code values. Defaults to `max(codes) + 1`.

    Returns:
        `dict(majority=[V] ints, purity=[V] floats, mean_purity=float, distinct=int, counts=[V, C] ints)`.
    """
    num_classes = checks.positive_int("num_classes", num_classes)
    values = np.asarray(classes)
    labels = values.argmax(axis=1) if values.ndim == 2 else values.astype(np.int64)
    codes = np.asarray(codes).astype(np.int64)
    if codes.shape != labels.shape:
        raise ValueError(f"`codes` must hold one code value per sample ({labels.shape[0]}). Received: shape "
                         f"{codes.shape}.")
    num_codes = int(codes.max()) + 1 if num_codes is None else checks.positive_int("num_codes", num_codes)
    counts = np.zeros((num_codes, num_classes), np.int64)
    np.add.at(counts, (codes, labels), 1)
    totals = np.maximum(counts.sum(axis=1), 1)
    purity = counts.max(axis=1) / totals
    majority = counts.argmax(axis=1)
    return dict(majority=majority.tolist(), purity=[round(float(p), 4) for p in purity],
                mean_purity=float(purity.mean()), distinct=int(len(set(majority.tolist()))), counts=counts.tolist())


def _requested(labels, num_rows):
    labels = np.asarray(labels)
    if labels.shape != (num_rows,) or not (labels.size == 0 or np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"`labels` must be [N] integer classes, one per sample (N={num_rows}). "
                         f"Received: shape {labels.shape}, dtype {labels.dtype}.")
    return labels.astype(np.int64)


def conditional_mode_accuracy(samples, labels, modes, std):
    """Fraction of a conditional generator's samples within 3 std of the mode they were asked for.

        accuracy = #{i : ||x_i - mode_{c_i}|| <= 3 std} / N

    The class-conditional reading of `mode_coverage`'s "high quality": on the labelled `ring` /
    `grid` the class is the mode index, so this checks the conditioning exactly.

    Args:
        samples: `[N, D]` generated points.
        labels: `[N]` the classes (mode indices) they were generated for.
        modes: `[K, D]` mixture centres.
        std: the components' standard deviation (> 0).
    """
    samples = _features(samples, "samples", min_rows=1)
    centres = _features(modes, "modes", min_rows=1)
    labels = _requested(labels, len(samples))
    if labels.min() < 0 or labels.max() >= len(centres):
        raise ValueError(f"`labels` must lie in [0, {len(centres)}) (one per mode). "
                         f"Received: values in [{labels.min()}, {labels.max()}].")
    if isinstance(std, bool) or not isinstance(std, (int, float, np.number)) or not np.isfinite(std) or std <= 0:
        raise ValueError(f"`std` must be a positive number. Received: `std={std!r}`.")
    distance = np.linalg.norm(samples - centres[labels], axis=1)
    return float(np.mean(distance <= 3.0 * float(std)))


def conditional_class_accuracy(probabilities, labels):
    """Fraction of a conditional generator's samples that a classifier assigns to the requested class.

        accuracy = #{i : argmax_c p(c | x_i) = c_i} / N

    with p an independent classifier's probabilities, e.g. `tfgan.features.digits_classifier().predict`
    (the "classification accuracy" of generated samples, Odena et al. 2017, sec. 4.1).

    Args:
        probabilities: `[N, C]` class probabilities of the samples.
        labels: `[N]` the classes they were generated for.
    """
    values = np.asarray(probabilities)
    if values.ndim != 2 or len(values) == 0:
        raise ValueError(f"`probabilities` must be [N, C] with N >= 1. Received: shape {values.shape}.")
    labels = _requested(labels, len(values))
    return float(np.mean(values.argmax(axis=1) == labels))


def _stacked_predictions(predictions, num_classes, name="predictions"):
    """`[N, K]` integer digits from `[N, K]` integer predictions or `[N, K, num_classes]` probabilities."""
    values = np.asarray(predictions)
    if values.ndim == 3 and values.shape[2] == num_classes:
        digits = values.argmax(axis=2)
    elif values.ndim == 2 and (values.size == 0 or np.issubdtype(values.dtype, np.integer)):
        digits = values.astype(np.int64)
    else:
        raise ValueError(f"`{name}` must be [N, channels] integer digits or [N, channels, {num_classes}] "
                         f"probabilities. Received: shape {values.shape}, dtype {values.dtype}.")
    if digits.shape[0] == 0 or digits.shape[1] == 0:
        raise ValueError(f"`{name}` is empty: need at least one sample and one channel. "
                         f"Received: shape {values.shape}.")
    if digits.min() < 0 or digits.max() >= num_classes:
        raise ValueError(f"`{name}` holds digits in [{digits.min()}, {digits.max()}], outside "
                         f"[0, {num_classes}) for `num_classes={num_classes}`.")
    return digits


def stacked_modes(digits, num_classes=10):
    """The mode (label) of each stacked sample: its channels' digits read as one base-`num_classes` number.

        mode = sum_k d_k C^(K-1-k),   e.g. 100 d_R + 10 d_G + d_B for K = 3 channels and C = 10

    the label `tfgan.data.stacked_digits_dataset` gives its examples.

    Args:
        digits: `[N, K]` integer digits (one a channel) or `[N, K, num_classes]` probabilities.
        num_classes: classes per channel C. Defaults to `10`.

    Returns:
        `[N]` int64 modes in [0, C^K).
    """
    num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
    digits = _stacked_predictions(digits, num_classes, "digits")
    return np.ravel_multi_index(tuple(digits.T), (num_classes,) * digits.shape[1]).astype(np.int64)


def stacked_mode_digits(modes, num_channels=3, num_classes=10):
    """The inverse of `stacked_modes`: `[N]` labels in [0, C^K) -> `[N, K]` digits, first channel first.

    Args:
        modes: `[N]` integer labels, e.g. `stacked_digits` labels 0-999.
        num_channels: digits per label K. Defaults to `3`.
        num_classes: classes per channel C. Defaults to `10`.
    """
    num_channels = checks.positive_int("num_channels", num_channels)
    num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
    labels = np.asarray(modes)
    if labels.ndim != 1 or not (labels.size == 0 or np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"`modes` must be [N] integer labels. Received: shape {labels.shape}, dtype {labels.dtype}.")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes**num_channels):
        raise ValueError(f"`modes` holds labels in [{labels.min()}, {labels.max()}], outside "
                         f"[0, {num_classes**num_channels}) for {num_channels} channels of {num_classes} classes.")
    return np.stack(np.unravel_index(labels.astype(np.int64), (num_classes,) * num_channels), axis=1)


def stacked_mode_coverage(predictions, num_classes=10):
    """Modes of Stacked MNIST a generator covers, and the KL of its mode histogram from uniform.

        mode_i = 100 d_i,R + 10 d_i,G + d_i,B          (`stacked_modes`; C^K modes for K channels)
        p_m    = #{i : mode_i = m} / N
        modes  = #{m : p_m > 0}
        kl     = KL(p || U) = sum_{m : p_m > 0} p_m log(p_m / (1/1000))

    with d_i,k the classifier's digit for channel k of sample i. This is the experiment of Metz et al.
    2017 (sec. 3.3.1), Srivastava et al. 2017 (VEEGAN, Table 2) and Lin et al. 2018 (PacGAN, Table 3):
    PacGAN's released code (`stacked_MNIST_experiments/*/model.py`) histograms the predicted modes of
    26,000 samples and takes `KLD(p, q)` with q uniform over the 1,000 modes, skipping empty bins,
    i.e. KL from the samples' histogram to uniform, the direction used here. It is 0 when every mode
    is equally frequent, log 2 when half the modes are, and log 1000 for a single mode.

    Args:
        predictions: `[N, K]` integer digits, one a channel, or `[N, K, num_classes]` probabilities
            (the argmax of each channel is taken), e.g. from `tfgan.features.digits_classifier()`.
        num_classes: classes per channel. Defaults to `10`, so 3 channels have 1,000 modes.

    Returns:
        `dict(modes=int, kl=float)`.

    Reference:
        Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
        https://arxiv.org/abs/1712.04086; Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in
        GANs using Implicit Variational Learning", https://arxiv.org/abs/1705.07761
    """
    num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
    digits = _stacked_predictions(predictions, num_classes)
    modes = stacked_modes(digits, num_classes)
    counts = np.bincount(modes, minlength=num_classes ** digits.shape[1])
    return dict(modes=int(np.count_nonzero(counts)), kl=_kl_from_uniform(counts))


def channel_accuracy(predictions, labels, num_classes=10):
    """Per-channel accuracy of a digit classifier on stacked samples whose digits are known.

        accuracy_k = #{i : d_i,k = true digit of channel k of sample i} / N

    On real stacked data this says how far `stacked_mode_coverage` can be trusted: a sample's mode is
    right only when all its channels are (about the product of the accuracies).

    Args:
        predictions: `[N, K]` predicted digits or `[N, K, num_classes]` probabilities.
        labels: the true `[N, K]` digits, or `[N]` stacked labels (`100 d_R + 10 d_G + d_B`).
        num_classes: classes per channel. Defaults to `10`.

    Returns:
        A list of K floats, one a channel, in [0, 1].
    """
    num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
    digits = _stacked_predictions(predictions, num_classes)
    truth = np.asarray(labels)
    if truth.ndim == 1:
        truth = stacked_mode_digits(truth, digits.shape[1], num_classes)
    truth = _stacked_predictions(truth, num_classes, "labels")
    if truth.shape != digits.shape:
        raise ValueError(f"`labels` must give the digits of every channel of every sample, shape {digits.shape}. "
                         f"Received: `labels` with shape {np.shape(labels)}.")
    return [float(a) for a in np.mean(digits == truth, axis=0)]


def stacked_digits_coverage(images, classifier, labels=None):
    """`stacked_mode_coverage` of stacked images: each channel classified as a one-channel 8x8 digit.

    Args:
        images: `[N, H, W, K]` stacked images, uint8 in [0, 255] or floats in [-1, 1], e.g. 26,000
            samples of a generator trained on `stacked_digits`.
        classifier: anything with `predict(images [M, H, W, 1]) -> [M, 10] probabilities`, e.g.
            `tfgan.features.digits_classifier()`.
        labels: the images' true `[N]` stacked labels (or `[N, K]` digits), for real data. Defaults to
            `None`; when given, the result also holds `channel_accuracy` (`channel_accuracy`'s list).

    Returns:
        `dict(modes=int, kl=float)`, plus `channel_accuracy=[float] * K` with `labels`.
    """
    array = np.asarray(images)
    if array.ndim != 4 or array.shape[0] == 0:
        raise ValueError(f"`images` must be [N, H, W, channels] stacked images with N >= 1. "
                         f"Received: `images` with shape {array.shape}.")
    num, height, width, channels = array.shape
    # Channel-major: [N, H, W, K] -> [N*K, H, W, 1], sample i's channel k at row i*K + k.
    singles = np.moveaxis(array, 3, 1).reshape(num * channels, height, width, 1)
    probabilities = np.asarray(classifier.predict(singles))
    if probabilities.ndim != 2 or len(probabilities) != len(singles):
        raise ValueError(f"`classifier.predict` must return [M, classes] probabilities for M = {len(singles)} "
                         f"channel images. Received: shape {probabilities.shape}.")
    digits = probabilities.argmax(axis=1).reshape(num, channels)
    result = stacked_mode_coverage(digits, probabilities.shape[1])
    if labels is not None:
        result["channel_accuracy"] = channel_accuracy(digits, labels, probabilities.shape[1])
    return result
