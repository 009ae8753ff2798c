r"""Mode collapse of a plain GAN on `grid` against a Lipschitz recipe, over training.

    python tools/demos/mode_collapse.py --recipes=gan_grid,sngan_grid --run_seed=1 --out=docs/figures/mode_collapse.png

Each recipe is built from its flagfile by `tools/train.py`'s own `build_model` (so the figure shows the
recipes as they are) and trained in this process; samples from fixed noise are scored with
`tfgan.metrics.mode_coverage` at `--snapshots` fractions of the run. One row per recipe, one column per
snapshot (orange: 2,500 samples, blue: data). Prints the scores (and each run's seed) as JSON.
"""

import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tools"))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

import tfgan  # noqa: E402
import train  # noqa: E402  (defines the recipe flags this demo sets from each flagfile)

TRAIN_FLAGS = list(flags.FLAGS)

flags.DEFINE_list("recipes", ["gan_grid", "sngan_grid"], "Recipes to compare: NAME for flags/NAME.flags, or a "
                                                           "path ending in .flags.")
flags.DEFINE_list("snapshots", ["0.05", "0.15", "0.4", "1.0"], "Fractions of each run at which to plot.")
flags.DEFINE_integer("run_seed", None, "Seed of every recipe's run (default: each flagfile's --seed).")
flags.DEFINE_float("step_scale", 1.0, "Multiplies each recipe's --train_steps (e.g. 0.01 for a smoke run).")
flags.DEFINE_string("out", "docs/figures/mode_collapse.png", "Where the PNG goes.")
FLAGS = flags.FLAGS
NUM_SAMPLES = 2500


def load_recipe(name):
    path = name if name.endswith(".flags") else os.path.join(ROOT, "flags", f"{name}.flags")
    if not os.path.exists(path):
        raise app.UsageError(f"--recipes={name}: no flagfile {path}.")
    for flag in TRAIN_FLAGS:
        FLAGS[flag].unparse()
    FLAGS([sys.argv[0], f"--flagfile={path}"], known_only=True)
    FLAGS.train_steps = max(1, round(FLAGS.train_steps * FLAGS.step_scale))
    if FLAGS.run_seed is not None:
        FLAGS.seed = FLAGS.run_seed


class Snapshots(keras.callbacks.Callback):
    """Scores samples from fixed noise at the given steps."""

    def __init__(self, steps, info):
        super().__init__()
        self.steps, self.info, self.taken = set(steps), info, []

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.step_counter.numpy())
        if step in self.steps:
            samples = self.model.generate(self.model.fixed_noise(NUM_SAMPLES, seed=1234)).numpy()
            scores = tfgan.metrics.mode_coverage(samples, self.info.modes, self.info.mode_std)
            self.taken.append((step, samples, scores))


def run(name):
    load_recipe(name)
    keras.utils.set_random_seed(FLAGS.seed)
    info = train.data_info()
    if info.modes is None:
        raise app.UsageError(f"--recipes={name}: trains on {FLAGS.dataset}, which has no modes to count.")
    model = train.build_model(info)
    dataset, _ = tfgan.data.load(FLAGS.dataset, FLAGS.batch_size, d_steps=FLAGS.d_steps, seed=FLAGS.seed)
    steps = sorted({max(1, round(float(f) * FLAGS.train_steps)) for f in FLAGS.snapshots})
    snapshots = Snapshots(steps, info)
    model.fit(dataset, steps_per_epoch=FLAGS.train_steps, epochs=1, verbose=0,
              callbacks=train.TRICKS + train.lipschitz_callbacks() + [snapshots])
    return info, FLAGS.seed, snapshots.taken


def main(argv):
    del argv
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recipes = list(FLAGS.recipes)
    results = {name: run(name) for name in recipes}
    columns = max(len(taken) for _, _, taken in results.values())
    figure, axes = plt.subplots(len(recipes), columns, figsize=(2.6 * columns, 2.8 * len(recipes)), squeeze=False)
    report = {}
    for row, name in enumerate(recipes):
        info, seed, taken = results[name]
        name = os.path.basename(name).removesuffix(".flags")
        real = np.asarray(info.modes)
        lim = float(np.abs(real).max()) * 1.4
        report[name] = []
        for col, (step, samples, scores) in enumerate(taken):
            ax = axes[row][col]
            ax.scatter(samples[:, 0], samples[:, 1], s=1, c="tab:orange", alpha=0.4)
            ax.scatter(real[:, 0], real[:, 1], s=8, c="tab:blue", marker="x")
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name} step {step}\n{scores['modes']}/{len(real)} modes, "
                         f"{100 * scores['high_quality']:.0f}% HQ", fontsize=8)
            report[name].append({"step": step, "seed": seed, **{k: float(v) for k, v in scores.items()}})
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.out)), exist_ok=True)
    figure.savefig(FLAGS.out, dpi=80)
    print(json.dumps(report))


if __name__ == "__main__":
    app.run(main)
