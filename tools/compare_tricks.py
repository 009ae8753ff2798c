r"""Trains a recipe with and without tricks over several seeds and scores mode coverage.

    python tools/compare_tricks.py --flagfile_recipe=flags/nsgan_grid.flags --train_steps=3000 \
        --seeds=0,1,2 --config=baseline: --config=instance_noise:--instance_noise=0.1 \
        --outdir=runs/tricks_grid

Each `--config=NAME:FLAGS` (flags separated by spaces) runs `tools/train.py` once per seed in
`OUTDIR/NAME_sSEED`, then scores 2,500 samples of the exported generator (its `sample` signature,
seed 1234) with `tfgan.metrics.mode_coverage`. Prints one JSON line per run, appends it to
`OUTDIR/results.jsonl`, and writes `OUTDIR/NAME_sSEED.png` (a scatter over the real data).
Runs already scored in results.jsonl are skipped, so the command resumes.
"""

import json
import os
import subprocess
import sys

from absl import app, flags

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

FLAGS = flags.FLAGS
flags.DEFINE_string("flagfile_recipe", "flags/nsgan_grid.flags", "Recipe flagfile passed to tools/train.py.")
flags.DEFINE_integer("train_steps", 3000, "Training steps of every run.")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_multi_string("config", ["baseline:"], "NAME:EXTRA FLAGS (space separated).")
flags.DEFINE_string("outdir", "runs/tricks_grid", "Where runs and results go.")
flags.DEFINE_integer("num_samples", 2500, "Samples scored per run.")


def score(workdir, dataset, png):
    import numpy as np
    import tensorflow as tf

    import tfgan

    info = tfgan.data.info(dataset)
    generator = tf.saved_model.load(os.path.join(workdir, "generator"))
    samples = generator.sample(n=tf.constant(FLAGS.num_samples), seed=tf.constant(1234))["samples"].numpy()
    result = tfgan.metrics.mode_coverage(samples, info.modes, info.mode_std)
    real = tfgan.data.mixture_samples(dataset, 2000, seed=1)[0]
    figure = tfgan.callbacks.plot_points_2d(samples[:1000], real, None)
    figure.axes[0].set_title(os.path.basename(png)[:-4])
    figure.savefig(png, dpi=60)
    return {k: float(np.asarray(v)) for k, v in result.items()}


def main(argv):
    del argv
    os.makedirs(FLAGS.outdir, exist_ok=True)
    results_path = os.path.join(FLAGS.outdir, "results.jsonl")
    done = set()
    if os.path.exists(results_path):
        with open(results_path) as f:
            done = {(r["config"], r["seed"]) for r in map(json.loads, f)}
    dataset = next(line.split("=", 1)[1].strip() for line in open(os.path.join(ROOT, FLAGS.flagfile_recipe))
                   if line.startswith("--dataset="))
    for config in FLAGS.config:
        name, _, extra = config.partition(":")
        for seed in map(int, FLAGS.seeds):
            if (name, seed) in done:
                continue
            workdir = os.path.join(FLAGS.outdir, f"{name}_s{seed}")
            command = [sys.executable, os.path.join(ROOT, "tools", "train.py"),
                       f"--flagfile={os.path.join(ROOT, FLAGS.flagfile_recipe)}", f"--workdir={workdir}",
                       f"--train_steps={FLAGS.train_steps}", f"--seed={seed}", "--verbose=0",
                       f"--sample_every={FLAGS.train_steps}", f"--checkpoint_every={FLAGS.train_steps}",
                       *extra.split()]
            subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": ROOT})
            record = {"config": name, "seed": seed, "flags": extra,
                      **score(workdir, dataset, os.path.join(FLAGS.outdir, f"{name}_s{seed}.png"))}
            print(json.dumps(record), flush=True)
            with open(results_path, "a") as f:
                f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    app.run(main)
