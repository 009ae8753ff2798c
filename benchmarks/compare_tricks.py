r"""Trains the nsgan_grid recipe with and without the anti-collapse tricks and scores mode coverage.

    python tools/compare_tricks.py --train_steps=6000 --seeds=0,1,2 --outdir=runs/tricks_grid

The networks, loss, optimizers and batch are those of `flags/nsgan_grid.flags` (MLPs 256x3, latent 2,
Adam(1e-3, beta1=0.5) decaying linearly to 0 over the run, batch 256, non-saturating loss). Each
`--configs` entry is one training run per seed, in this process (no checkpoints, exports or sample
grids, to keep runs short on a shared CPU). A `GeneratorEMA(--ema_decay)` rides along on every run: it
never changes training, so each run is scored twice, with the training weights and with their average
(`+ema` rows).

Scores: `tfgan.metrics.mode_coverage` of 2,500 samples (noise seed 1234). Prints one JSON line per
score, appends it to `OUTDIR/results.jsonl`, and writes the scatter `OUTDIR/CONFIG_sSEED.png`. Then (or
alone, with `--summarize`, after runs split over several processes) it writes `OUTDIR/table.md`, the
per-configuration table of every score in `results.jsonl`, and `OUTDIR/scatter.png`, the scatters with one
row per configuration and one column per seed.
"""

import json
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tfgan  # noqa: E402
from tfgan import callbacks  # noqa: E402

CONFIGS = {
    "baseline": lambda: ({}, []),
    "instance_noise": lambda: ({}, [callbacks.InstanceNoise(0.1, decay="linear", decay_steps=FLAGS.train_steps)]),
    "minibatch_stddev": lambda: ({"minibatch": "stddev"}, []),
    "minibatch_discrimination": lambda: ({"minibatch": "discrimination"}, []),
    "replay": lambda: ({}, [callbacks.ExperienceReplay(size=2560, probability=0.5)]),
}

LATENT_DIM = 2

FLAGS = flags.FLAGS
flags.DEFINE_integer("train_steps", 6000, "Training steps of every run.")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_list("configs", list(CONFIGS), f"Configurations, from {sorted(CONFIGS)}.")
flags.DEFINE_float("ema_decay", 0.999, "Decay of the GeneratorEMA scored alongside every run.")
flags.DEFINE_string("outdir", "runs/tricks_grid", "Where results and scatter plots go.")
flags.DEFINE_integer("num_samples", 2500, "Samples scored per run.")
flags.DEFINE_bool("summarize", False, "Only write table.md and scatter.png from OUTDIR/results.jsonl.")


def run(name, seed, dataset, info):
    keras.utils.set_random_seed(seed)
    d_options, tricks = CONFIGS[name]()
    generator = tfgan.nets.mlp_generator(2, LATENT_DIM, (256, 256, 256))
    discriminator = tfgan.nets.mlp_discriminator(2, (256, 256, 256), **d_options)
    gan = tfgan.GAN(generator, discriminator, LATENT_DIM, loss="non_saturating", seed=seed)

    def adam():
        return keras.optimizers.Adam(
            keras.optimizers.schedules.PolynomialDecay(1e-3, FLAGS.train_steps, end_learning_rate=0.0), beta_1=0.5)

    gan.compile(d_optimizer=adam(), g_optimizer=adam())
    ema = callbacks.GeneratorEMA(FLAGS.ema_decay)
    history = gan.fit(dataset, steps_per_epoch=FLAGS.train_steps, epochs=1, verbose=0,
                      callbacks=tricks + [ema]).history
    z = np.random.default_rng(1234).normal(size=(FLAGS.num_samples, LATENT_DIM)).astype(np.float32)
    real = tfgan.data.mixture_samples("grid", 2000, seed=1)[0]
    records = []
    for suffix, weights in (("", None), ("+ema", ema)):
        gan.generator_ema = weights
        with tfgan.tricks.sampling_weights(gan):
            samples = gan.generator.predict(z, batch_size=2500, verbose=0)
        scores = tfgan.metrics.mode_coverage(samples, info.modes, info.mode_std)
        label = f"{name}{suffix}"
        figure = callbacks.plot_points_2d(samples[:1000], real, None)
        figure.axes[0].set_title(f"{label}, seed {seed}: {scores['modes']} modes, "
                                 f"{100 * scores['high_quality']:.0f}% HQ", fontsize=9)
        figure.savefig(os.path.join(FLAGS.outdir, f"{label}_s{seed}.png"), dpi=60)
        records.append({"config": label, "seed": seed, "steps": FLAGS.train_steps,
                        "d_loss": float(history["d_loss"][-1]), **{k: float(v) for k, v in scores.items()}})
    return records


def summarize():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = {}
    for line in open(os.path.join(FLAGS.outdir, "results.jsonl")):
        record = json.loads(line)
        records.setdefault(record["config"], {})[record["seed"]] = record  # a rerun replaces its seed
    lines = ["| configuration | seeds | modes (of 25), per seed | mean modes | high-quality %, per seed | mean HQ % "
             "| KL, mean |", "|---|---|---|---|---|---|---|"]
    for config, by_seed in records.items():
        runs = [by_seed[seed] for seed in sorted(by_seed)]
        modes = [int(r["modes"]) for r in runs]
        quality = [100 * r["high_quality"] for r in runs]
        lines.append(f"| {config} | {len(runs)} | {', '.join(map(str, modes))} | {np.mean(modes):.1f} | "
                     f"{', '.join(f'{q:.1f}' for q in quality)} | {np.mean(quality):.1f} | "
                     f"{np.mean([r['kl'] for r in runs]):.3f} |")
    open(os.path.join(FLAGS.outdir, "table.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    seeds = sorted({seed for by_seed in records.values() for seed in by_seed})
    figure, axes = plt.subplots(len(records), len(seeds), figsize=(2.4 * len(seeds), 2.4 * len(records)),
                                squeeze=False)
    for row, (config, by_seed) in enumerate(records.items()):
        for col, seed in enumerate(seeds):
            ax = axes[row][col]
            ax.axis("off")
            path = os.path.join(FLAGS.outdir, f"{config}_s{seed}.png")
            if seed in by_seed and os.path.exists(path):
                ax.imshow(plt.imread(path))
    figure.tight_layout()
    figure.savefig(os.path.join(FLAGS.outdir, "scatter.png"), dpi=80)


def main(argv):
    del argv
    os.makedirs(FLAGS.outdir, exist_ok=True)
    if FLAGS.summarize:
        summarize()
        return
    for name in FLAGS.configs:
        if name not in CONFIGS:
            print(f"error: --configs={name}: expected one of {sorted(CONFIGS)}.", file=sys.stderr)
            sys.exit(1)
    info = tfgan.data.info("grid")
    for seed in map(int, FLAGS.seeds):
        dataset, _ = tfgan.data.load("grid", 256, seed=seed)
        for name in FLAGS.configs:
            for record in run(name, seed, dataset, info):
                print(json.dumps(record), flush=True)
                with open(os.path.join(FLAGS.outdir, "results.jsonl"), "a") as f:
                    f.write(json.dumps(record) + "\n")
    summarize()


if __name__ == "__main__":
    app.run(main)
