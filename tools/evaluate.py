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

    python tools/evaluate.py --generator=runs/pix2pix_digits_rot90/generator --dataset=digits_rot90 --max_examples=1500

For an image-to-image export (pix2pix, cyclegan) on `digits_rot90` it translates the embedded digits from
--max_examples on (those a run with that --max_examples never saw; all of them for 0) and prints
`mae` (against the true rotated digits, pixels in [-1, 1]), `class_kept` (outputs rotated back by -90
degrees, classified by the shipped digits classifier, against the input's class), `swaps` (the most
frequent wrong classes), for a cyclegan also `cycle_error` (mean |F(G(a)) - a|) and the B-to-A numbers; and the same on the
digits before --max_examples as `train_*` (tfgan.evaluation.evaluate_translator). See docs/translation.md.

The flags are checked before TensorFlow is imported; bad input is one line (`error: --name=value: ...`)
with exit code 1. `--verbosity=0` shows TensorFlow's and absl's own log lines, `--verbosity=1` also the
traceback of an error.
"""

import json
import math
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tfgan import console, dataset_names  # noqa: E402  (pure Python: TensorFlow is imported after the checks)

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
flags.DEFINE_integer("max_examples", 0, "digits_rot90: the --max_examples the translation model was trained with; the "
                                        "digits after them are scored as held out.")


def check_flags():
    """Everything about the flags that needs no TensorFlow; `console.UsageError` naming the first bad one."""
    if not FLAGS.generator:
        raise console.UsageError("--generator is required: the SavedModel directory tools/train.py exports "
                         "(WORKDIR/generator).")
    if not FLAGS.dataset:
        raise console.UsageError("--dataset is required: the data the generator was trained on, e.g. ring or digits.")
    try:
        kind, path, _ = dataset_names.parse(FLAGS.dataset)
    except ValueError as error:
        raise console.UsageError(f"--dataset={FLAGS.dataset}: {error}") from None
    if kind == "folder" and not os.path.isdir(path):
        raise console.UsageError(f"--dataset={FLAGS.dataset}: {path} is not a directory (expected a folder of images).")
    if FLAGS.num_samples is not None and FLAGS.num_samples < 2:
        raise console.UsageError(f"--num_samples={FLAGS.num_samples}: must be an integer >= 2.")
    if FLAGS.metrics is not None and not FLAGS.metrics:
        raise console.UsageError("--metrics is empty: name at least one metric, or leave it out for all of them.")
    for name in ("toy_mean", "toy_std"):
        if not math.isfinite(FLAGS[name].value):
            raise console.UsageError(f"--{name}={FLAGS[name].value}: must be a finite number.")
    if FLAGS.max_examples < 0:
        raise console.UsageError(f"--max_examples={FLAGS.max_examples}: must be a non-negative integer.")
    if dataset_names.is_paired(FLAGS.dataset) and FLAGS.dataset != "digits_rot90":
        raise console.UsageError(f"--dataset={FLAGS.dataset}: translation exports are scored on digits_rot90 only.")
    if FLAGS.dataset == "toy1d" and FLAGS.toy_std <= 0:
        raise console.UsageError(f"--toy_std={FLAGS.toy_std}: the toy data's standard deviation must be positive.")
    if not os.path.isfile(os.path.join(FLAGS.generator, "saved_model.pb")):
        what = "no such directory" if not os.path.exists(FLAGS.generator) else \
            "is not a SavedModel directory (no saved_model.pb in it)"
        raise console.UsageError(f"--generator={FLAGS.generator}: {what}; expected tools/train.py's WORKDIR/generator.")


def make_evaluator():
    """The Evaluator for the flags; fails at once on a bad metric name or a missing Inception weights file."""
    from tfgan import evaluation, features

    try:
        evaluation.resolve_metrics(FLAGS.dataset, FLAGS.metrics)
    except ValueError as error:
        raise console.UsageError(f"--metrics={','.join(FLAGS.metrics or [])}: {error}") from None
    try:
        return evaluation.Evaluator(FLAGS.dataset, FLAGS.metrics, toy_mean=FLAGS.toy_mean, toy_std=FLAGS.toy_std,
                                    inception_weights=FLAGS.inception_weights, data_dir=FLAGS.data_dir)
    except FileNotFoundError as error:
        weights = FLAGS.inception_weights or features.default_inception_weights()
        raise console.UsageError(f"--inception_weights={weights}: {error}") from None
    except ValueError as error:
        raise console.UsageError(f"--dataset={FLAGS.dataset}: {error}") from None


def evaluate():
    """Everything the command does after `check_flags`, as a dict; raises console.UsageError on bad input before
    any sample is drawn. Imports TensorFlow."""
    import numpy as np

    from tfgan import evaluation

    if FLAGS.dataset == "digits_rot90":
        try:
            return {"dataset": FLAGS.dataset, **evaluation.evaluate_translator(FLAGS.generator, FLAGS.max_examples)}
        except ValueError as error:
            raise console.UsageError(f"--generator={FLAGS.generator} (--dataset={FLAGS.dataset}): {error}") from None
    num_samples = FLAGS.num_samples
    if num_samples is None:
        num_samples = evaluation.default_num_samples(FLAGS.dataset)
    evaluator = make_evaluator()
    try:
        sample, shape = evaluation.load_sampler(FLAGS.generator)
        evaluator.check_samples(shape)
    except ValueError as error:
        raise console.UsageError(f"--generator={FLAGS.generator} (--dataset={FLAGS.dataset}): {error}") from None
    results = evaluator(sample(num_samples, FLAGS.seed))
    return {"dataset": FLAGS.dataset, "num_samples": num_samples,
            **{k: (v if np.isfinite(v) else None) for k, v in results.items()}}


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        check_flags()
    except console.UsageError as error:
        console.fail(error)
    console.quiet(verbose=FLAGS["verbosity"].present)
    try:
        results = evaluate()
    except console.UsageError as error:
        console.fail(error)
    print(json.dumps(results))


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS))
