"""Trains the `digits` evaluation classifier and writes it to tfgan/assets/.

    python tools/train_classifier.py [--seed=0] [--epochs=60]

Trains `tfgan.features.build_digits_classifier()` on a seeded split of the 1,797 embedded digits
(images scaled to [-1, 1], as the generators output them), reports the held-out accuracy, and
writes `digits_classifier.weights.h5` and `digits_classifier.json` (accuracy, split seed, command)
to --output_dir. Fails without writing anything if the accuracy is below --min_accuracy.
"""

import json
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfgan import data, features  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("seed", 0, "Seed of the train / held-out split and of the weight initialisation.")
flags.DEFINE_float("test_fraction", 0.2, "Fraction of the digits held out for the reported accuracy.")
flags.DEFINE_integer("epochs", 60, "Training epochs.")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
flags.DEFINE_float("min_accuracy", 0.97, "Held-out accuracy below which nothing is written.")
flags.DEFINE_string("output_dir", features.ASSETS, "Where the weights and the JSON record go.")


def main(argv):
    del argv
    keras.utils.set_random_seed(FLAGS.seed)
    images, labels = data.digits_arrays()
    x = images.astype(np.float32) / 127.5 - 1.0
    y = labels.astype(np.int32)
    train, test = features.digits_split(FLAGS.seed, FLAGS.test_fraction)

    model = features.build_digits_classifier()
    model.compile(optimizer=keras.optimizers.Adam(FLAGS.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[train], y[train], batch_size=FLAGS.batch_size, epochs=FLAGS.epochs, verbose=2)
    accuracy = float(np.mean(model.predict(x[test], verbose=0).argmax(axis=1) == y[test]))
    print(f"held-out accuracy: {accuracy:.4f} on {len(test)} digits (split seed {FLAGS.seed})")
    if accuracy < FLAGS.min_accuracy:
        raise SystemExit(f"Held-out accuracy {accuracy:.4f} < --min_accuracy={FLAGS.min_accuracy}; nothing written.")

    os.makedirs(FLAGS.output_dir, exist_ok=True)
    shipped = features.build_digits_classifier()  # uncompiled, so no optimizer state is saved
    shipped.set_weights(model.get_weights())
    shipped.save_weights(os.path.join(FLAGS.output_dir, os.path.basename(features.DIGITS_WEIGHTS)))
    record = dict(held_out_accuracy=accuracy, split_seed=FLAGS.seed, test_fraction=FLAGS.test_fraction,
                  num_train=len(train), num_test=len(test), epochs=FLAGS.epochs,
                  command="python tools/train_classifier.py " + " ".join(
                      f"--{name}={getattr(FLAGS, name)}" for name in ("seed", "test_fraction", "epochs")))
    with open(os.path.join(FLAGS.output_dir, os.path.basename(features.DIGITS_RECORD)), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    app.run(main)
