r"""Mode collapse of a plain GAN on `grid` against a Lipschitz recipe, over training.

    python tools/demos/mode_collapse.py --recipes=gan_grid,sngan_grid --run_seed=1 --out=docs/figures/mode_collapse.png

Each recipe is `tfgan.recipes.load(NAME_OR_PATH, seed=..., train_steps=...)`, built by
`tfgan.recipes.build` (so the figure shows the recipes as they are: nets, loss, optimizers, tricks and
the compiled step of `tools/train.py`) and trained in this process; samples from fixed noise, drawn with
`model.sample` (the EMA weights when the recipe keeps them), are scored with
`tfgan.metrics.mode_coverage` at `--snapshots` fractions of the run. One row per recipe, one column per
snapshot (orange: 2,500 samples, blue: data). Prints the scores (and each run's seed) as JSON.
"""

import json
import math
import os
import sys

from absl import app, flags

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, ROOT)

from tfgan import console, recipes  # noqa: E402  (pure Python: TensorFlow is imported only to train)

flags.DEFINE_list("recipes", ["gan_grid", "sngan_grid"], "Recipes to compare: NAME for flags/NAME.flags, or a "
                                                           "path ending in .flags.")
flags.DEFINE_list("snapshots", ["0.05", "0.15", "0.4", "1.0"], "Fractions of each run at which to plot.")
flags.DEFINE_integer("run_seed", None, "Seed of every recipe's run (default: each flagfile's --seed).")
flags.DEFINE_float("step_scale", 1.0, "Multiplies each recipe's --train_steps and --lr_decay_steps (e.g. 0.01 for "
                                      "a smoke run).")
flags.DEFINE_string("out", "docs/figures/mode_collapse.png", "Where the PNG goes.")
FLAGS = flags.FLAGS
NUM_SAMPLES = 2500
MIXTURES = ("ring", "grid")  # the data sets with modes to count


def load_recipe(name):
    """The recipe `name` with --run_seed and --step_scale applied (pure Python)."""
    try:
        recipe = recipes.load(name)
        overrides = {"train_steps": max(1, round(recipe.train_steps * FLAGS.step_scale))}
        if recipe.lr_decay_steps:  # the schedule keeps its shape over the scaled run
            overrides["lr_decay_steps"] = max(1, round(recipe.lr_decay_steps * FLAGS.step_scale))
        if FLAGS.run_seed is not None:
            overrides["seed"] = FLAGS.run_seed
        recipe = recipes.load(name, **overrides)
    except recipes.RecipeError as error:
        raise console.UsageError(f"--recipes={name}: {error.reason if error.setting == 'flagfile' else error.flag}") from None
    if recipe.dataset not in MIXTURES:
        raise console.UsageError(f"--recipes={name}: trains on {recipe.dataset}, which has no modes to count; use a "
                         f"{' or '.join(MIXTURES)} recipe.")
    return recipe


def snapshot_steps(train_steps):
    try:
        fractions = [float(f) for f in FLAGS.snapshots]
    except ValueError:
        fractions = []
    if not fractions or not all(0.0 < f <= 1.0 for f in fractions):
        raise console.UsageError(f"--snapshots={','.join(FLAGS.snapshots)}: expected fractions in (0, 1], e.g. 0.5,1.0.")
    return sorted({max(1, round(f * train_steps)) for f in fractions})


def planned_runs():
    """`{name: recipe}`, every recipe checked before anything is trained."""
    if not FLAGS.recipes:
        raise console.UsageError("--recipes is empty: name at least one recipe, e.g. gan_grid,sngan_grid.")
    if not FLAGS.step_scale > 0:
        raise console.UsageError(f"--step_scale={FLAGS.step_scale}: must be a positive number.")
    planned = {name: load_recipe(name) for name in FLAGS.recipes}
    for recipe in planned.values():
        snapshot_steps(recipe.train_steps)
    return planned


def run(recipe):
    """Trains `recipe` in this process; returns its data info and `[(step, samples, scores)]`."""
    import keras

    import tfgan

    class Snapshots(keras.callbacks.Callback):
        """Scores samples from fixed noise at the given steps (at execution boundaries)."""

        def __init__(self, steps, info):
            super().__init__()
            self.steps, self.info, self.taken = set(steps), info, []

        def on_train_batch_end(self, batch, logs=None):
            step = int(self.model.step_counter.numpy())
            if step in self.steps:
                samples = self.model.sample(self.model.fixed_noise(NUM_SAMPLES, seed=1234),
                                            self.model.balanced_labels(NUM_SAMPLES))  # every class, if any
                scores = tfgan.metrics.mode_coverage(samples, self.info.modes, self.info.mode_std)
                self.taken.append((step, samples, scores))

    built = tfgan.recipes.build(recipe)
    model, dataset, callbacks = built
    steps = snapshot_steps(recipe.train_steps)
    # Batch-level callbacks run once per execution: each snapshot step must end one.
    model.steps_per_execution = math.gcd(model.steps_per_execution, recipe.train_steps, *steps)
    snapshots = Snapshots(steps, built.info)
    model.fit(dataset, steps_per_epoch=recipe.train_steps, epochs=1, verbose=0, shuffle=False,
              callbacks=list(callbacks) + [snapshots])
    return built.info, snapshots.taken


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        planned = planned_runs()
    except console.UsageError as error:
        console.fail(error)
    console.quiet(verbose=FLAGS["verbosity"].present)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    results = {name: run(recipe) for name, recipe in planned.items()}
    columns = max(len(taken) for _, taken in results.values())
    figure, axes = plt.subplots(len(results), columns, figsize=(2.6 * columns, 2.8 * len(results)), squeeze=False)
    report = {}
    for row, (name, (info, taken)) in enumerate(results.items()):
        seed = planned[name].seed
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
    app.run(main, flags_parser=console.flags_parser(FLAGS))
