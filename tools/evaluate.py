r"""Evaluates an exported generator and prints one JSON object with the metrics for its data.

    python tools/evaluate.py --generator=runs/nsgan_ring/generator --dataset=ring
    python tools/evaluate.py --generator=runs/dcgan_digits/generator --dataset=digits --metrics=fd,kid

Loads the SavedModel that tools/train.py exports (WORKDIR/generator), draws --num_samples samples
with its `sample(n, seed)` signature and prints, for `ring` / `grid`: `modes`, `high_quality`, `kl`;
for `toy1d`: `mean`, `std`, `wasserstein`; for `digits`: `fd`, `kid`, `kid_std`, `precision`, `recall`,
`classes_covered`, `class_kl` (on the shipped digits classifier); for `stacked_digits`: `modes` (of 1,000),
`kl`, `channel_accuracy` (each channel classified by the same classifier; 26,000 samples by default, as in
PacGAN and VEEGAN); `fid` on InceptionV3 features when
asked for (--metrics=...,fid) with the weights file at --inception_weights. See docs/evaluation.md.
"""

import json
import os
import sys

from absl import app, flags, logging

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from tfgan import evaluation, features  # noqa: E402

FLAGS = flags.FLAGS

flags.DEFINE_string("generator", None, "SavedModel directory written by tools/train.py (WORKDIR/generator).")
flags.DEFINE_string("dataset", None, "The data the generator was trained on: toy1d, ring, grid, digits, "
                                     "stacked_digits, tfds:..., folder:...")
flags.DEFINE_integer("num_samples", None, "Generated samples to evaluate (default: 26,000 for stacked_digits, "
                                          "2,500 for the others).")
flags.DEFINE_list("metrics", None, "Metrics to compute (default: all offline metrics of the data), e.g. fd,kid,fid.")
flags.DEFINE_string("inception_weights", None, "InceptionV3 no-top weights file for fid (default: Keras's cache, "
                                               "~/.keras/models/).")
flags.DEFINE_integer("seed", 0, "Seed of the generator's noise.")
flags.DEFINE_float("toy_mean", 5.0, "Mean of the toy1d data N(mean, std).")
flags.DEFINE_float("toy_std", 1.0, "Std of the toy1d data.")
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory (for tfds: data sets).")


class UsageError(ValueError):
    """Bad input: reported as one line, exit code 1."""


def make_evaluator():
    """The Evaluator for the flags; fails at once on a bad name or a missing Inception weights file."""
    try:
        evaluation.available_metrics(FLAGS.dataset)
    except ValueError as error:
        raise UsageError(f"--dataset={FLAGS.dataset}: {error}") from None
    try:
        evaluation.resolve_metrics(FLAGS.dataset, FLAGS.metrics)
    except ValueError as error:
        raise UsageError(f"--metrics={','.join(FLAGS.metrics or [])}: {error}") from None
    try:
        return evaluation.Evaluator(FLAGS.dataset, FLAGS.metrics, toy_mean=FLAGS.toy_mean, toy_std=FLAGS.toy_std,
                                    inception_weights=FLAGS.inception_weights, data_dir=FLAGS.data_dir)
    except FileNotFoundError as error:
        weights = FLAGS.inception_weights or features.default_inception_weights()
        raise UsageError(f"--inception_weights={weights}: {error}") from None
    except ValueError as error:
        raise UsageError(f"--dataset={FLAGS.dataset}: {error}") from None


def evaluate():
    """Everything the command does, as a dict; raises UsageError on bad input before any sample is drawn."""
    for name in ("generator", "dataset"):
        if not getattr(FLAGS, name):
            raise UsageError(f"--{name} is required.")
    num_samples = FLAGS.num_samples
    if num_samples is None:
        num_samples = evaluation.default_num_samples(FLAGS.dataset)
    if num_samples < 2:
        raise UsageError(f"--num_samples={num_samples}: must be an integer >= 2.")
    if not os.path.isfile(os.path.join(FLAGS.generator, "saved_model.pb")):
        raise UsageError(f"--generator={FLAGS.generator}: not a SavedModel directory (expected tools/train.py's "
                         f"WORKDIR/generator, holding saved_model.pb).")
    evaluator = make_evaluator()
    try:
        sample, shape = evaluation.load_sampler(FLAGS.generator)
        evaluator.check_samples(shape)
    except ValueError as error:
        raise UsageError(f"--generator={FLAGS.generator} (--dataset={FLAGS.dataset}): {error}") from None
    results = evaluator(sample(num_samples, FLAGS.seed))
    return {"dataset": FLAGS.dataset, "num_samples": num_samples,
            **{k: (v if np.isfinite(v) else None) for k, v in results.items()}}


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    try:
        results = evaluate()
    except UsageError as error:
        logging.debug("Usage error", exc_info=True)
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(results))


if __name__ == "__main__":
    app.run(main)
