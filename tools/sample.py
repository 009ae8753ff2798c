r"""Draws samples from an exported generator (tools/train.py's WORKDIR/generator), from the SavedModel alone.

    python tools/sample.py --generator=runs/cgan_grid/generator --output=runs/cgan_grid/classes.png

For a conditional generator (one whose signatures take `labels`) it writes a class grid: one row of
`--per_class` samples for each class (2-D samples: a scatter coloured by class). With `--dataset` it
also prints how often the samples land on the class asked for: within 3 std of the mode for
`ring` / `grid`, the shipped classifier's prediction for `digits`.
"""

import json
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfgan  # noqa: E402

FLAGS = flags.FLAGS

flags.DEFINE_string("generator", None, "An exported generator (SavedModel directory).")
flags.DEFINE_string("output", None, "PNG to write (default: GENERATOR/../class_grid.png).")
flags.DEFINE_integer("per_class", 8, "Samples per class.")
flags.DEFINE_integer("seed", 0, "Seed of the noise (the same seed gives the same grid).")
flags.DEFINE_enum("dataset", None, ["ring", "grid", "digits"],
                  "Also score the samples against this data's classes (prints JSON).")


def is_conditional(generator):
    return "labels" in generator.signatures["serving_default"].structured_input_signature[1]


def class_grid(generator, per_class=8, seed=0, min_pixels=32):
    """Samples of every class from a loaded conditional SavedModel, through its `sample` signature.

    Returns `(picture, outputs, labels)`: `picture` a uint8 `[H, W, C]` grid with one row per class
    for image generators, or a matplotlib scatter coloured by class for 2-D ones; `outputs` the raw
    samples (uint8 images or float points) and `labels` their classes, class by class.
    """
    num_classes = int(generator.num_classes.numpy())
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), per_class)
    outputs = generator.signatures["sample"](n=tf.constant(len(labels)), seed=tf.constant(seed),
                                             labels=tf.constant(labels))
    if "images" in outputs:
        images = outputs["images"].numpy()
        return tfgan.callbacks.image_grid(images, min_pixels, cols=per_class), images, labels
    samples = outputs["samples"].numpy()
    return tfgan.callbacks.plot_points_2d(samples, labels=labels), samples, labels


def score(outputs, labels, dataset):
    """How often the samples land on the class asked for (see the module docstring)."""
    if dataset == "digits":
        probabilities = tfgan.features.digits_classifier().predict(outputs)
        return {"class_accuracy": tfgan.metrics.conditional_class_accuracy(probabilities, labels)}
    info = tfgan.data.info(dataset)
    return {"mode_accuracy": tfgan.metrics.conditional_mode_accuracy(outputs, labels, info.modes, info.mode_std)}


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.per_class < 1:
        sys.exit(f"error: --per_class={FLAGS.per_class}: must be a positive integer.")
    try:
        generator = tfgan.export.load_generator(FLAGS.generator)
    except (ValueError, OSError) as error:
        sys.exit(f"error: {error}")
    if not is_conditional(generator):
        sys.exit(f"error: --generator={FLAGS.generator} is unconditional (no `labels` input); class grids need a "
                 f"generator trained with --model=cgan or --model=acgan.")
    output = FLAGS.output or os.path.join(os.path.dirname(os.path.abspath(FLAGS.generator)), "class_grid.png")
    picture, outputs, labels = class_grid(generator, FLAGS.per_class, FLAGS.seed)
    if isinstance(picture, np.ndarray):
        tf.io.write_file(output, tf.io.encode_png(picture))
    else:
        picture.savefig(output, dpi=80)
    summary = {"output": output, "num_classes": int(labels.max()) + 1, "per_class": FLAGS.per_class}
    if FLAGS.dataset:
        summary.update(score(outputs, labels, FLAGS.dataset))
    print(json.dumps(summary))


if __name__ == "__main__":
    flags.mark_flag_as_required("generator")
    app.run(main)
