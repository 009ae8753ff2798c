"""Trains the `digits` evaluation classifier and writes it to tfgan/assets/.

    python tools/train_classifier.py [--seed=0] [--epochs=60]

Trains `tfgan.features.build_digits_classifier()` on a seeded split of the 1,797 embedded digits
(images scaled to [-1, 1], as the generators output them), reports the held-out accuracy, and
writes `digits_classifier.weights.h5` and `digits_classifier.json` (accuracy, split seed, command)
to --output_dir. Fails without writing anything if the accuracy is below --min_accuracy.

The flags are checked before TensorFlow is imported; bad input is one line (`error: --name=value: ...`)
with exit code 1.
"""

import json
import math
import os
import sys
import tempfile

from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tfgan  # noqa: E402  (lazy: nothing of TensorFlow is imported until the flags are checked)
from tfgan import console  # noqa: E402

ASSETS = os.path.join(os.path.dirname(os.path.abspath(tfgan.__file__)), "assets")  # tfgan.features.ASSETS

FLAGS = flags.FLAGS
flags.DEFINE_integer("seed", 0, "Seed of the train / held-out split and of the weight initialisation.")
flags.DEFINE_float("test_fraction", 0.2, "Fraction of the digits held out for the reported accuracy.")
flags.DEFINE_integer("epochs", 60, "Training epochs.")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
flags.DEFINE_float("min_accuracy", 0.97, "Held-out accuracy below which nothing is written.")
flags.DEFINE_string("output_dir", ASSETS, "Where the weights and the JSON record go.")


def _writable_directory(path):
    """Whether `path` is, or can be made as, a directory this process can write into: a file can be
    made in it or in its nearest existing parent (and is removed at once)."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        return False
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def check_flags():
    """Everything about the flags, before TensorFlow; `console.UsageError` naming the first bad one."""
    if FLAGS.seed < 0:
        raise console.UsageError(f"--seed={FLAGS.seed}: must be a non-negative integer.")
    for name in ("epochs", "batch_size"):
        if FLAGS[name].value < 1:
            raise console.UsageError(f"--{name}={FLAGS[name].value}: must be a positive integer.")
    if not 0.0 < FLAGS.test_fraction < 1.0:
        raise console.UsageError(f"--test_fraction={FLAGS.test_fraction}: must be in (0, 1).")
    if not (math.isfinite(FLAGS.learning_rate) and FLAGS.learning_rate > 0):
        raise console.UsageError(f"--learning_rate={FLAGS.learning_rate}: must be a positive number.")
    if not 0.0 <= FLAGS.min_accuracy <= 1.0:
        raise console.UsageError(f"--min_accuracy={FLAGS.min_accuracy}: must be in [0, 1].")
    if not FLAGS.output_dir or not _writable_directory(FLAGS.output_dir):
        raise console.UsageError(f"--output_dir={FLAGS.output_dir}: cannot write a directory there.")


def train():
    """Trains, checks the held-out accuracy and writes the weights and the record; returns the record."""
    import keras
    import numpy as np

    from tfgan import data, features

    keras.utils.set_random_seed(FLAGS.seed)
    images, labels = data.digits_arrays()
    x = images.astype(np.float32) / 127.5 - 1.0
    y = labels.astype(np.int32)
    train_rows, test_rows = features.digits_split(FLAGS.seed, FLAGS.test_fraction)

    model = features.build_digits_classifier()
    model.compile(optimizer=keras.optimizers.Adam(FLAGS.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[train_rows], y[train_rows], batch_size=FLAGS.batch_size, epochs=FLAGS.epochs, verbose=2)
    accuracy = float(np.mean(model.predict(x[test_rows], verbose=0).argmax(axis=1) == y[test_rows]))
    print(f"held-out accuracy: {accuracy:.4f} on {len(test_rows)} digits (split seed {FLAGS.seed})")
    if accuracy < FLAGS.min_accuracy:
        raise console.UsageError(f"held-out accuracy {accuracy:.4f} < --min_accuracy={FLAGS.min_accuracy}; nothing written.")

    os.makedirs(FLAGS.output_dir, exist_ok=True)
    shipped = features.build_digits_classifier()  # uncompiled, so no optimizer state is saved
    shipped.set_weights(model.get_weights())
    shipped.save_weights(os.path.join(FLAGS.output_dir, os.path.basename(features.DIGITS_WEIGHTS)))
    record = dict(held_out_accuracy=accuracy, split_seed=FLAGS.seed, test_fraction=FLAGS.test_fraction,
                  num_train=len(train_rows), num_test=len(test_rows), epochs=FLAGS.epochs,
                  command="python tools/train_classifier.py " + " ".join(
                      f"--{name}={getattr(FLAGS, name)}" for name in ("seed", "test_fraction", "epochs")))
    with open(os.path.join(FLAGS.output_dir, os.path.basename(features.DIGITS_RECORD)), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return record


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        check_flags()
    except console.UsageError as error:
        console.fail(error)
    console.quiet(verbose=FLAGS["verbosity"].present)
    try:
        train()
    except console.UsageError as error:
        console.fail(error)


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS))
