r"""Trains a GAN recipe and leaves checkpoints, samples, logs, metrics and the exported generator.

    python tools/train.py --flagfile=flags/dcgan_digits.flags --workdir=runs/dcgan_digits

WORKDIR gets `checkpoints/`, `samples/*.png`, `logs/` (TensorBoard), `metrics.jsonl` and
`generator/` (SavedModel). Running the command again on the same WORKDIR resumes from the last
checkpoint; a larger `--train_steps` trains on. Every flag is a setting of `tfgan.recipes.Recipe`
(`--helpfull` lists them); the flags are checked before TensorFlow is imported, and bad input is
one line (`error: --name=value: ...`) with exit code 1. `--verbosity=0` shows TensorFlow's and
absl's own log lines, `--verbosity=1` also the traceback of an error.
"""

import json
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tfgan import console, recipes  # noqa: E402  (pure Python: TensorFlow is imported only to train)
from tfgan.recipes.workdir import Workdir, WorkdirError  # noqa: E402

recipes.define_flags()
flags.DEFINE_string("workdir", None, "Directory for checkpoints, samples, logs, metrics and the export.")
flags.DEFINE_bool("allow_config_change", False, "Resume a workdir with settings that change the model, data, loss or "
                  "batch it was trained with (otherwise refused, naming each setting).")
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        console.fail(f"Unexpected arguments: {' '.join(argv[1:])}")
    try:
        recipe = recipes.from_flags(FLAGS)
    except recipes.RecipeError as error:
        console.fail(error)
    if not FLAGS.workdir:
        console.fail("--workdir is required: the directory for checkpoints, samples, logs, metrics and the export.")
    workdir = Workdir(FLAGS.workdir)
    if os.path.isdir(workdir.path):  # a workdir in use or trained with other settings is refused at once
        try:
            if "TF_CONFIG" not in os.environ:  # a multi-worker job's chief locks once it knows it is the chief
                workdir.lock()
            workdir.check_config(recipe, FLAGS.allow_config_change, save=False)
        except WorkdirError as error:
            console.fail(str(error))
    console.quiet(verbose=FLAGS["verbosity"].present)
    from tfgan.recipes import training  # imports TensorFlow

    try:
        model = training.train(recipe, workdir, allow_config_change=FLAGS.allow_config_change)
    except recipes.RecipeError as error:
        console.fail(error)
    except (WorkdirError, training.TrainingStopped) as error:
        console.fail(str(error))
    workdir = os.path.abspath(FLAGS.workdir)
    print(json.dumps({"step": int(model.step_counter.numpy()), "generator": os.path.join(workdir, "generator"),
                      "samples": os.path.join(workdir, "samples")}))


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS, expand=recipes.expand_flagfiles))
