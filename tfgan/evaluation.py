"""Evaluating generators: the metrics each dataset calls for, and a callback that tracks them in training.

`Evaluator(dataset)` prepares the reference (real features, mixture modes, the toy's data) once and
turns generated samples into a dict of numbers; `tools/evaluate.py` runs it on an exported generator,
and the `tfgan.callbacks.Evaluation` callback runs it every N steps of `fit`, logs the numbers and
keeps the best generator.

| data | metrics (names for `metrics=`) |
|---|---|
| `ring`, `grid` | `modes`, `high_quality`, `kl` (`tfgan.metrics.mode_coverage`) |
| `toy1d` | `mean`, `std`, `wasserstein` (1-D Wasserstein distance to the data) |
| `digits` | `fd`, `kid`, `precision`, `recall`, `classes` (on the shipped classifier), `fid` (Inception) |
| `stacked_digits` | `modes` (of 1,000), `kl`, `channel_accuracy` (`tfgan.metrics.stacked_digits_coverage`), `fid` |
| other images | `fid` (Inception) |
"""

import collections
import os

import numpy as np
import scipy.stats
import tensorflow as tf

from tfgan import checks
from tfgan import data as data_lib
from tfgan import dataset_names
from tfgan import features as features_lib
from tfgan import metrics as metrics_lib

MIXTURE_METRICS = ("modes", "high_quality", "kl")
TOY1D_METRICS = ("mean", "std", "wasserstein")
DIGITS_METRICS = ("fd", "kid", "precision", "recall", "classes")
STACKED_METRICS = ("modes", "kl", "channel_accuracy")
INCEPTION_METRICS = ("fid",)
# Samples tools/evaluate.py draws by default: Stacked MNIST's 26,000 (PacGAN, VEEGAN), else 2,500.
NUM_SAMPLES = {"stacked_digits": 26_000}
DEFAULT_NUM_SAMPLES = 2500
# Direction of each number an Evaluator returns, for choosing the best generator.
HIGHER_IS_BETTER = {"modes", "high_quality", "precision", "recall", "classes_covered", "channel_accuracy"}
LOWER_IS_BETTER = {"kl", "wasserstein", "fd", "kid", "class_kl", "fid"}
# Outputs of each metric name.
OUTPUTS = {"classes": ("classes_covered", "class_kl"), "kid": ("kid", "kid_std")}


class Evaluator:
    """Computes a dataset's sample-quality metrics for generated samples.

    The reference data is prepared once in `__init__` (real features for images, the modes for the
    2-D mixtures, 100,000 points of the toy's N(mean, std), the digits classifier's accuracy on the
    channels of `num_real` real `stacked_digits`), so calling it repeatedly, as the
    `Evaluation` callback does, only pays for the generated samples. Asking for `fid` loads
    InceptionV3 at once and fails with `FileNotFoundError` when its weights file is missing.

    Args:
        dataset: a `tfgan.data` name: `toy1d`, `ring`, `grid`, `digits`, `stacked_digits`, `tfds:...` or
            `folder:...`.
        metrics: metric names (see `available_metrics`). Defaults to all offline metrics of the data.
        toy_mean: mean of the `toy1d` data. Defaults to `5.0`.
        toy_std: std of the `toy1d` data. Defaults to `1.0`.
        inception_weights: InceptionV3 no-top weights file for `fid`. Defaults to Keras's cache path.
        kid_subsets: subset pairs KID averages over (subsets of up to 1,000 samples). Defaults to `10`.
        num_real: real images used as the reference for image data (for `stacked_digits`, the real samples
            `channel_accuracy` is measured on). Defaults to `2000` (all 1,797 digits).
        data_dir: tensorflow-datasets data directory. Defaults to `None`.
        image_size: size the generator's images have (for image data sets). Defaults to the data's own.
        channels: their channels. Defaults to the data's own.

    Example:

    >>> evaluator = Evaluator("ring")
    >>> sorted(evaluator(tfgan.data.mixture_samples("ring", 2500, seed=0)[0]))
    ['high_quality', 'kl', 'modes']
    """

    def __init__(self, dataset, metrics=None, *, toy_mean=5.0, toy_std=1.0, inception_weights=None, kid_subsets=10,
                 num_real=2000, data_dir=None, image_size=None, channels=None):
        self.info = data_lib.info(dataset, image_size, channels, toy_mean, toy_std, data_dir)
        self.dataset = dataset
        self.metrics = resolve_metrics(dataset, metrics, self.info.shape)
        self.kid_subsets = checks.positive_int("kid_subsets", kid_subsets)
        self._inception = features_lib.InceptionFeatures(inception_weights) if "fid" in self.metrics else None
        self._classifier = None
        self._real = None
        self.channel_accuracies = None  # stacked_digits: the classifier's accuracy on each real channel
        if self.info.kind == "image":
            self._prepare_images(num_real, data_dir)
        elif self.info.shape == (1,):
            rng = np.random.default_rng(12345)
            self._real = rng.normal(toy_mean, toy_std, data_lib.NUM_POINTS)

    @property
    def outputs(self):
        """The keys of the dict a call returns, in order."""
        return metric_outputs(self.metrics)

    def _prepare_images(self, num_real, data_dir):
        if self.dataset == "digits" and self.info.shape == (8, 8, 1):
            real = data_lib.digits_arrays()[0][:num_real]
        elif self.dataset == "stacked_digits":
            dataset, _ = data_lib.load(self.dataset, num_real, labels=True, seed=0, image_size=self.info.shape[0])
            real, labels = (t.numpy() for t in next(iter(dataset)))
        else:
            dataset, _ = data_lib.load(self.dataset, num_real, seed=0, image_size=self.info.shape[0],
                                       channels=self.info.shape[-1], data_dir=data_dir, shuffle_buffer=num_real)
            real = next(iter(dataset)).numpy()
        self._real = {}
        if any(m in DIGITS_METRICS for m in self.metrics):  # digits at 8x8x1, checked in __init__
            self._classifier = features_lib.digits_classifier()
            self._real["digits"] = self._classifier.features(real)
        if self.dataset == "stacked_digits" and any(m in STACKED_METRICS for m in self.metrics):  # 8x8x3, checked
            self._classifier = features_lib.digits_classifier()
            reference = metrics_lib.stacked_digits_coverage(real, self._classifier, labels)
            # How far a mode count can be trusted: the classifier's accuracy on real channels, per channel.
            self.channel_accuracies = reference["channel_accuracy"]
            self._real["stacked"] = reference
        if self._inception is not None:
            self._real["inception"] = self._inception.features(real)

    def check_samples(self, shape):
        """Raises `ValueError` when samples of `shape` (without the batch axis) are not this data's."""
        if tuple(shape) != tuple(self.info.shape):
            raise ValueError(f"The generator makes samples of shape {tuple(shape)}, but dataset {self.dataset!r} "
                             f"has samples of shape {tuple(self.info.shape)}.")

    def __call__(self, samples):
        """The metrics of `samples` (`[N, ...]`, floats in [-1, 1] or uint8 for images) as a dict of floats."""
        samples = np.asarray(samples)
        self.check_samples(samples.shape[1:])
        if not np.all(np.isfinite(samples.astype(np.float64))):
            return {key: float("nan") for key in self.outputs}
        if self.info.kind == "image":
            results = self._images(samples)
        elif self.info.shape == (1,):
            x = samples.astype(np.float64).ravel()
            results = dict(mean=float(x.mean()), std=float(x.std()),
                           wasserstein=float(scipy.stats.wasserstein_distance(x, self._real)))
        else:
            results = metrics_lib.mode_coverage(samples, self.info.modes, self.info.mode_std)
        return {key: results[key] for key in self.outputs}

    def _images(self, samples):
        results = {}
        if "stacked" in self._real:
            results.update(metrics_lib.stacked_digits_coverage(samples, self._classifier))
            results["channel_accuracy"] = float(np.mean(self.channel_accuracies))
        if "digits" in self._real:
            real, fake = self._real["digits"], self._classifier.features(samples)
            if "fd" in self.metrics:
                results["fd"] = metrics_lib.frechet_distance(real, fake)
            if "kid" in self.metrics:
                results["kid"], results["kid_std"] = metrics_lib.kernel_distance(real, fake, self.kid_subsets)
            if "precision" in self.metrics or "recall" in self.metrics:
                results.update(metrics_lib.precision_recall(real, fake))
            if "classes" in self.metrics:
                coverage = metrics_lib.class_coverage(self._classifier.predict(samples), 10)
                results.update(classes_covered=coverage["classes_covered"], class_kl=coverage["kl"])
        if self._inception is not None:
            results["fid"] = metrics_lib.frechet_distance(self._real["inception"], self._inception.features(samples))
        return results


def available_metrics(dataset):
    """The metric names `Evaluator` accepts for a dataset name (raises `ValueError` for unknown names)."""
    dataset_names.parse(dataset)
    if dataset in ("ring", "grid"):
        return MIXTURE_METRICS
    if dataset == "toy1d":
        return TOY1D_METRICS
    if dataset == "digits":
        return DIGITS_METRICS + INCEPTION_METRICS
    if dataset == "stacked_digits":
        return STACKED_METRICS + INCEPTION_METRICS
    return INCEPTION_METRICS


def resolve_metrics(dataset, metrics=None, shape=None):
    """The metric names for a dataset: `metrics` checked against `available_metrics`, or by default all
    the offline ones (not `fid`); `ValueError` naming `metrics` otherwise. With the samples' `shape`,
    also checks that the digits classifier's metrics get the 8x8x1 images it was trained on (8x8x3 for
    `stacked_digits`, one digit a channel)."""
    available = available_metrics(dataset)
    metrics = list(metrics) if metrics is not None else [m for m in available if m not in INCEPTION_METRICS]
    unknown = [m for m in metrics if m not in available]
    if not metrics or unknown:
        raise ValueError(f"`metrics` must be a non-empty subset of {','.join(available)} for dataset {dataset!r}. "
                         f"Received: `metrics={','.join(metrics)}`.")
    classifier_metrics = [m for m in metrics if m in DIGITS_METRICS]
    if dataset == "stacked_digits":
        classifier_metrics = [m for m in metrics if m in STACKED_METRICS]
        if classifier_metrics and shape is not None and tuple(shape) != (8, 8, 3):
            raise ValueError(f"`metrics={','.join(classifier_metrics)}` classify each channel with the 8x8 digits "
                             f"classifier, but the images are {'x'.join(map(str, shape))}; evaluate 8x8x3 "
                             "stacked digits or use `fid`.")
    elif classifier_metrics and shape is not None and tuple(shape) != (8, 8, 1):
        raise ValueError(f"`metrics={','.join(classifier_metrics)}` use the 8x8x1 digits classifier, but the images "
                         f"are {'x'.join(map(str, shape))}; evaluate 8x8 digits or use `fid`.")
    return tuple(metrics)


def load_sampler(path):
    """`sample(n, seed) -> numpy samples` from an exported generator's `sample` signature, and the
    shape of one sample; `ValueError` when `path` holds no such SavedModel.

    A class-conditional generator is asked for the classes in turn (label `i % num_classes` for sample
    `i`), so its samples hold every class equally, as the data does; an InfoGAN generator for its
    categorical codes' values in turn (`balanced_codes`).
    """
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ValueError(f"`{path}` is not a SavedModel directory (expected tools/train.py's WORKDIR/generator).")
    try:
        module = tf.saved_model.load(path)
        signature = module.signatures["sample"]
    except (OSError, KeyError, ValueError, tf.errors.OpError) as error:
        raise ValueError(f"`{path}` has no generator with a `sample` signature ({type(error).__name__}).") from None
    outputs = signature.structured_outputs
    key = "images" if "images" in outputs else "samples"
    if key not in outputs:
        raise ValueError(f"The `sample` signature of `{path}` outputs {sorted(outputs)}, not images or samples.")

    def sample(n, seed):
        inputs = {"n": tf.constant(n, tf.int32), "seed": tf.constant(seed, tf.int32)}
        if "labels" in signature.structured_input_signature[1]:
            inputs["labels"] = tf.range(n, dtype=tf.int32) % module.num_classes
        if "categorical" in signature.structured_input_signature[1]:
            inputs["categorical"] = tf.constant(balanced_codes(n, module.categorical_codes.numpy()))
        return signature(**inputs)[key].numpy()

    return sample, tuple(outputs[key].shape[1:])


def balanced_codes(count, categorical_codes):
    """int32 `[count, J]` categorical codes taking every combination of values in turn, code 0 fastest:
    row i has code j = (i // (K_0 ... K_{j-1})) % K_j."""
    index, columns, period = np.arange(count), [], 1
    for k in np.asarray(categorical_codes).tolist():
        columns.append(index // period % k)
        period *= k
    return np.stack(columns, axis=1).astype(np.int32) if columns else np.zeros((count, 0), np.int32)


def code_purity(path, classifier=None, per_value=300, seed=0, code=0):
    """How well an exported InfoGAN generator's categorical code `code` separates the digit classes,
    unsupervised: for each of its K values, `per_value` samples (noise, the other codes and the
    continuous codes drawn from `seed`) are labelled by the digits classifier (or `classifier`, any
    object with `predict(images) -> [N, 10]`), and `tfgan.metrics.code_purity` counts them: the
    majority class of each value, its purity, the mean purity and how many distinct majority classes
    the K values have. InfoGAN on digits finds the classes when `distinct` is close to 10 and the
    purities are high.
    """
    module = tf.saved_model.load(path)
    signature = module.signatures["sample"]
    if "categorical" not in signature.structured_input_signature[1]:
        raise ValueError(f"`{path}` is not an InfoGAN generator (its `sample` signature takes no `categorical`).")
    ks = module.categorical_codes.numpy().tolist()
    if not 0 <= code < len(ks):
        raise ValueError(f"`code` must be a categorical code index in [0, {len(ks)}). Received: `code={code!r}`.")
    classifier = classifier or features_lib.digits_classifier()
    rng = np.random.default_rng(seed)
    predictions, values = [], []
    for value in range(ks[code]):
        categorical = np.stack([np.full(per_value, value) if j == code else rng.integers(0, k, per_value)
                                for j, k in enumerate(ks)], axis=1).astype(np.int32)
        images = signature(n=tf.constant(per_value), seed=tf.constant(seed * 1000 + value),
                           categorical=tf.constant(categorical))["images"].numpy()
        predictions.append(np.asarray(classifier.predict(images)).argmax(axis=1))
        values.append(np.full(per_value, value))
    return metrics_lib.code_purity(np.concatenate(predictions), np.concatenate(values), 10, ks[code])


def default_num_samples(dataset):
    """Samples an evaluation draws by default: 26,000 for `stacked_digits` (as PacGAN and VEEGAN), else 2,500."""
    return NUM_SAMPLES.get(dataset, DEFAULT_NUM_SAMPLES)


def evaluate_generator(path, evaluator, num_samples=None, seed=0):
    """Evaluates the exported generator at `path`: `num_samples` samples drawn with its `sample(n, seed)`
    (by default `default_num_samples` of the evaluator's data)."""
    if num_samples is None:
        num_samples = default_num_samples(evaluator.dataset)
    sample, shape = load_sampler(path)
    evaluator.check_samples(shape)
    return evaluator(sample(num_samples, seed))


def metric_outputs(metrics):
    """The keys an Evaluator with these metric names returns (`classes` gives two, `kid` its std too)."""
    return tuple(key for m in metrics for key in OUTPUTS.get(m, (m,)))


def is_better(metric, value, best):
    """Whether `value` of `metric` beats `best` (None: nothing yet); NaN never does."""
    if value is None or not np.isfinite(value):
        return False
    if best is None:
        return True
    return value > best if metric in HIGHER_IS_BETTER else value < best


# ---------------------------------------------------------------- image-to-image translation

def load_translators(path):
    """`{signature: translate}` for each image-to-image signature of the export at `path`
    (`serving_default`: A to B, `b_to_a`: CycleGAN's B to A), each `translate(images) -> float32 numpy in
    [-1, 1]`; `ValueError` when `path` is not a translation export."""
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ValueError(f"`{path}` is not a SavedModel directory (expected tools/train.py's WORKDIR/generator).")
    signatures = tf.saved_model.load(path).signatures
    functions = {name: f for name, f in signatures.items() if "images" in f.structured_input_signature[1]}
    if "serving_default" not in functions:
        raise ValueError(f"`{path}` has no image-to-image `serving_default` signature (taking `images`): it is not a "
                         f"pix2pix / cyclegan export.")

    def translator(function):
        def translate(images, batch_size=512):
            images = np.asarray(images, np.float32)
            out = [function(images=tf.constant(images[i:i + batch_size]))["images"].numpy()
                   for i in range(0, len(images), batch_size)]
            return np.concatenate(out).astype(np.float32) / 127.5 - 1.0

        return translate

    return {name: translator(f) for name, f in functions.items()}


def digits_rot90_scores(translate, start=0, stop=None, translate_back=None, classifier=None, swaps=5):
    """How well `translate` (A to B, numpy images in [-1, 1] -> the same) rotates the embedded digits
    `start:stop` by 90 degrees, against the `digits_rot90` targets:

    - `mae`: mean absolute error of the outputs against the true rotated digits (pixels in [-1, 1]);
    - `class_kept`: the fraction of outputs, rotated back by -90 degrees, that the shipped digits
      classifier (`tfgan.features.digits_classifier`) assigns their input's class;
    - `swaps`: the `swaps` most frequent wrong classes, `"true->assigned": count` (what fails, e.g. `"4->1": 7`);
    - `reference_accuracy`: the classifier's accuracy on the true inputs (its ceiling here).

    With `translate_back` (CycleGAN's B to A) also `cycle_error` (mean |F(G(a)) - a|), and `b_to_a_mae` /
    `b_to_a_class_kept` for F on the true rotated digits (its outputs classified as they are).
    """
    checks.non_negative_int("start", start)
    a, b, labels = data_lib.digits_rot90_arrays()
    a, b, labels = (x[start:stop] for x in (a, b, labels))
    if not len(a):
        raise ValueError(f"No digits in `start={start}`, `stop={stop}` (there are {len(data_lib.digits_arrays()[1])}).")
    a = a.astype(np.float32) / 127.5 - 1.0
    b = b.astype(np.float32) / 127.5 - 1.0
    classifier = classifier or features_lib.digits_classifier()
    outputs = np.asarray(translate(a), np.float32)
    predicted = classifier.predict(np.rot90(outputs, k=-1, axes=(1, 2))).argmax(axis=1)
    wrong = collections.Counter(f"{t}->{p}" for t, p in zip(labels, predicted) if t != p)
    results = {"examples": len(a), "mae": float(np.abs(outputs - b).mean()),
               "class_kept": float(np.mean(predicted == labels)),
               "reference_accuracy": float(np.mean(classifier.predict(a).argmax(axis=1) == labels)),
               "swaps": dict(wrong.most_common(swaps))}
    if translate_back is not None:
        results["cycle_error"] = float(np.abs(np.asarray(translate_back(outputs), np.float32) - a).mean())
        back = np.asarray(translate_back(b), np.float32)
        results["b_to_a_mae"] = float(np.abs(back - a).mean())
        results["b_to_a_class_kept"] = float(np.mean(classifier.predict(back).argmax(axis=1) == labels))
    return results


def evaluate_translator(path, held_out_from=0):
    """`digits_rot90_scores` of the translation export at `path` (with its `b_to_a` when it has one) on
    the digits from `held_out_from` on (those a run with `--max_examples=held_out_from` never saw; all of
    them for 0), and with `held_out_from` also on the digits before it, as `train_*` keys."""
    translators = load_translators(path)
    translate, back = translators["serving_default"], translators.get("b_to_a")
    classifier = features_lib.digits_classifier()
    results = digits_rot90_scores(translate, held_out_from, translate_back=back, classifier=classifier)
    if held_out_from:
        train = digits_rot90_scores(translate, 0, held_out_from, translate_back=back, classifier=classifier)
        results.update({f"train_{k}": v for k, v in train.items()})
    return results
