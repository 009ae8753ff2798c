r"""Mode coverage of an exported 2-D generator, as DESIGN.md defines it (2,500 samples).

    python benchmarks/mode_coverage.py --generator=WORKDIR/generator --dataset=grid

Prints one JSON object: `modes`, `high_quality`, `kl` (`tfgan.metrics.mode_coverage`).
"""

import json
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import tfgan  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("generator", None, "SavedModel directory written by tools/train.py (WORKDIR/generator).")
flags.DEFINE_enum("dataset", "grid", ["ring", "grid"], "The 2-D mixture the generator was trained on.")
flags.DEFINE_integer("num_samples", 2500, "Samples drawn.")
flags.DEFINE_integer("seed", 0, "Seed of the `sample` signature.")


def main(argv):
    del argv
    generator = tfgan.export.load_generator(FLAGS.generator)
    samples = generator.sample(n=FLAGS.num_samples, seed=FLAGS.seed)
    samples = samples["samples"] if isinstance(samples, dict) else samples
    info = tfgan.data.info(FLAGS.dataset)
    print(json.dumps(tfgan.metrics.mode_coverage(samples.numpy(), info.modes, info.mode_std)))


if __name__ == "__main__":
    flags.mark_flag_as_required("generator")
    app.run(main)
