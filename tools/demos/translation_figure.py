r"""The picture of a translation export on held-out `digits_rot90` pairs: inputs, outputs and targets.

    python tools/demos/translation_figure.py --generator=runs/pix2pix_digits_rot90/generator \
        --out=docs/figures/pix2pix_digits_rot90.png

One row each of inputs (digits `--offset` on: with the recipes' `--max_examples=1500`, digits no run
trained on), outputs (the export's `serving_default`, A to B), targets (the inputs rotated by 90
degrees) and, for a CycleGAN export (one with `b_to_a`), the cycle F(G(a)) back to the inputs; one
column per digit. Prints the path written as JSON.
"""

import json
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from tfgan import console  # noqa: E402

flags.DEFINE_string("generator", None, "A pix2pix or cyclegan export (tools/train.py's WORKDIR/generator).")
flags.DEFINE_string("out", None, "Where the PNG goes.")
flags.DEFINE_integer("offset", 1500, "First digit shown (the recipes train on the digits before 1,500).")
flags.DEFINE_integer("count", 16, "Digits shown (columns).")
FLAGS = flags.FLAGS


def figure_rows(translators, a, b):
    """`[(name, images in [-1, 1]), ...]`: inputs, outputs, targets and, with `b_to_a`, the cycle."""
    outputs = translators["serving_default"](a)
    rows = [("input", a), ("output", outputs), ("target", b)]
    if "b_to_a" in translators:
        rows.append(("cycle", translators["b_to_a"](outputs)))
    return rows


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    if not FLAGS.generator or not FLAGS.out:
        console.fail("--generator and --out are required.")
    if FLAGS.offset < 0 or FLAGS.count < 1:
        console.fail(f"--offset={FLAGS.offset}, --count={FLAGS.count}: need offset >= 0 and count >= 1.")
    console.quiet(verbose=FLAGS["verbosity"].present)
    import tensorflow as tf

    from tfgan import callbacks, data, evaluation

    try:
        translators = evaluation.load_translators(FLAGS.generator)
    except ValueError as error:
        console.fail(f"--generator={FLAGS.generator}: {error}")
    a, b = data.translation_examples("digits_rot90", FLAGS.count, offset=FLAGS.offset)
    grid = callbacks.translation_grid(figure_rows(translators, a, b))
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.out)), exist_ok=True)
    tf.io.write_file(FLAGS.out, tf.io.encode_png(grid))
    print(json.dumps({"written": FLAGS.out}))


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS))
