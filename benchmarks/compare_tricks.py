r"""Trains the nsgan_grid recipe with and without the anti-collapse tricks and scores mode coverage.

    python benchmarks/compare_tricks.py --train_steps=6000 --seeds=0,1,2 --outdir=runs/tricks_grid

Every run is `tfgan.recipes.load("nsgan_grid")` (MLPs 256x3, latent 2, Adam(1e-3, beta1=0.5) decaying
linearly to 0 over the run, batch 256, non-saturating loss) with `--train_steps`, `--seed` and the
overrides of its `--configs` entry (`CONFIGS`: e.g. `replay` is `replay_size=2560`), built with
`tfgan.recipes.build` and trained in this process (no checkpoints, exports or sample grids, to keep runs
short on a shared CPU). A generator EMA (`ema_decay=--ema_decay`) rides along on every run: it never
changes training, so each run is scored twice, with the training weights and with their average
(`+ema` rows; none with `--ema_decay=0`).

Scores: `tfgan.metrics.mode_coverage` of 2,500 samples (noise seed 1234). Prints one JSON line per
score, appends it to `OUTDIR/results.jsonl`, and writes the scatter `OUTDIR/CONFIG_sSEED.png`. Then (or
alone, with `--summarize`, after runs split over several processes) it writes `OUTDIR/table.md`, the
per-configuration table of every score in `results.jsonl`, and `OUTDIR/scatter.png`, the scatters with one
row per configuration and one column per seed.
"""

import json
import math
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from tfgan import console, recipes  # noqa: E402  (pure Python: TensorFlow is imported only to train)

RECIPE = "nsgan_grid"
# Each configuration: the recipe settings it overrides (docs/tricks.md).
CONFIGS = {
    "baseline": {},
    "instance_noise": {"instance_noise": 0.1},  # decays linearly to 0 over the run (the recipe's default decay)
    "minibatch_stddev": {"minibatch": "stddev"},
    "minibatch_discrimination": {"minibatch": "discrimination"},
    "replay": {"replay_size": 2560, "replay_prob": 0.5},
}

FLAGS = flags.FLAGS
flags.DEFINE_integer("train_steps", 6000, "Training steps of every run (the learning rate decays to 0 over them).")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_list("configs", list(CONFIGS), f"Configurations, from {', '.join(CONFIGS)}.")
flags.DEFINE_float("ema_decay", 0.999, "Decay of the generator EMA scored alongside every run (0: none).")
flags.DEFINE_string("outdir", "runs/tricks_grid", "Where results and scatter plots go.")
flags.DEFINE_integer("num_samples", 2500, "Samples scored per run.")
flags.DEFINE_bool("summarize", False, "Only write table.md and scatter.png from OUTDIR/results.jsonl.")


def config_recipe(name, seed, train_steps, ema_decay):
    """The recipe of configuration `name` (a `RecipeError` names a bad setting)."""
    return recipes.load(RECIPE, seed=seed, train_steps=train_steps, lr_decay_steps=train_steps, ema_decay=ema_decay,
                        **CONFIGS[name])


def planned_runs():
    """`[(config, seed, recipe)]` for the flags, all checked before anything is trained."""
    unknown = [name for name in FLAGS.configs if name not in CONFIGS]
    if unknown or not FLAGS.configs:
        raise console.UsageError(f"--configs={','.join(FLAGS.configs)}: expected some of {', '.join(CONFIGS)}.")
    try:
        seeds = [int(s) for s in FLAGS.seeds]
    except ValueError:
        seeds = None
    if not seeds or min(seeds) < 0:
        raise console.UsageError(f"--seeds={','.join(FLAGS.seeds)}: expected non-negative integers, e.g. 0,1,2.")
    if FLAGS.num_samples < 1:
        raise console.UsageError(f"--num_samples={FLAGS.num_samples}: must be a positive integer.")
    try:
        return [(name, seed, config_recipe(name, seed, FLAGS.train_steps, FLAGS.ema_decay))
                for seed in seeds for name in FLAGS.configs]
    except recipes.RecipeError as error:
        raise console.UsageError(error.flag) from None


def run(name, seed, recipe):
    """Trains one configuration and returns its score records (training weights, then the EMA's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import tfgan
    from tfgan import callbacks

    model, dataset, made = tfgan.recipes.build(recipe)
    # Keras runs whole executions: the steps of one must divide the run.
    model.steps_per_execution = math.gcd(model.steps_per_execution, recipe.train_steps)
    history = model.fit(dataset, steps_per_epoch=recipe.train_steps, epochs=1, verbose=0, shuffle=False,
                        callbacks=made).history
    z = model.fixed_noise(FLAGS.num_samples, seed=1234)
    scored = [("", np.asarray(model.generate(z)))]  # the training weights
    if recipe.ema_decay:
        scored.append(("+ema", model.sample(z)))  # the sampling weights: the EMA's
    info = tfgan.data.info("grid")
    real = tfgan.data.mixture_samples("grid", 2000, seed=1)[0]
    records = []
    for suffix, samples in scored:
        scores = tfgan.metrics.mode_coverage(samples, info.modes, info.mode_std)
        label = f"{name}{suffix}"
        figure = callbacks.plot_points_2d(samples[:1000], real, None)
        figure.axes[0].set_title(f"{label}, seed {seed}: {scores['modes']} modes, "
                                 f"{100 * scores['high_quality']:.0f}% HQ", fontsize=9)
        figure.savefig(os.path.join(FLAGS.outdir, f"{label}_s{seed}.png"), dpi=60)
        plt.close(figure)
        records.append({"config": label, "seed": seed, "steps": recipe.train_steps,
                        "d_loss": float(history["d_loss"][-1]), **{k: float(v) for k, v in scores.items()}})
    return records


def summarize():
    """Writes table.md and scatter.png from OUTDIR/results.jsonl (no TensorFlow)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = os.path.join(FLAGS.outdir, "results.jsonl")
    if not os.path.isfile(path):
        raise console.UsageError(f"--outdir={FLAGS.outdir}: no results.jsonl there to summarize.")
    records = {}
    for line in open(path):
        record = json.loads(line)
        records.setdefault(record["config"], {})[record["seed"]] = record  # a rerun replaces its seed
    lines = ["| configuration | seeds | modes (of 25), per seed | mean modes | high-quality %, per seed | mean HQ % "
             "| KL, mean |", "|---|---|---|---|---|---|---|"]
    for config, by_seed in records.items():
        rows = [by_seed[seed] for seed in sorted(by_seed)]
        modes = [int(r["modes"]) for r in rows]
        quality = [100 * r["high_quality"] for r in rows]
        lines.append(f"| {config} | {len(rows)} | {', '.join(map(str, modes))} | {np.mean(modes):.1f} | "
                     f"{', '.join(f'{q:.1f}' for q in quality)} | {np.mean(quality):.1f} | "
                     f"{np.mean([r['kl'] for r in rows]):.3f} |")
    open(os.path.join(FLAGS.outdir, "table.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    seeds = sorted({seed for by_seed in records.values() for seed in by_seed})
    figure, axes = plt.subplots(len(records), len(seeds), figsize=(2.4 * len(seeds), 2.4 * len(records)),
                                squeeze=False)
    for row, (config, by_seed) in enumerate(records.items()):
        for col, seed in enumerate(seeds):
            ax = axes[row][col]
            ax.axis("off")
            image = os.path.join(FLAGS.outdir, f"{config}_s{seed}.png")
            if seed in by_seed and os.path.exists(image):
                ax.imshow(plt.imread(image))
    figure.tight_layout()
    figure.savefig(os.path.join(FLAGS.outdir, "scatter.png"), dpi=80)


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        if FLAGS.summarize:
            summarize()
            return
        planned = planned_runs()
    except console.UsageError as error:
        console.fail(error)
    try:
        os.makedirs(FLAGS.outdir, exist_ok=True)
    except OSError as error:
        console.fail(f"--outdir={FLAGS.outdir}: cannot write there ({error.strerror}).")
    console.quiet(verbose=FLAGS["verbosity"].present)
    for name, seed, recipe in planned:
        for record in run(name, seed, recipe):
            print(json.dumps(record), flush=True)
            with open(os.path.join(FLAGS.outdir, "results.jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
    summarize()


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS))
