r"""The 2-D table: recipes on `ring` and `grid` over several seeds, next to the published numbers.

    python benchmarks/benchmark_2d.py --recipes=gan,nsgan,lsgan,wgan,wgan_gp,sngan,r1gan --datasets=ring,grid \
        --seeds=0,1,2,3,4 --outdir=runs/benchmark_2d

Each run is `tools/train.py --flagfile=flags/<recipe>_<dataset>.flags --seed=S` in its own workdir
(existing finished runs are reused), evaluated on 2,500 samples from its exported generator with
`tfgan.metrics.mode_coverage` (as docs/evaluation.md defines it). Writes `results.json`, `table.md` (modes /
high-quality % / KL as mean +- std and per seed, with CPU minutes, next to PacGAN's and VEEGAN's Table 1)
and `scatter.png` (one panel per recipe and data set, seed 0). Recipes whose flagfile is missing are
skipped with a note.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from benchmarks import runs  # noqa: E402
from tfgan import console  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Modes / high-quality % on 2,500 samples, quoted (not rerun): Lin et al. 2018 (PacGAN), Table 1, and
# Srivastava et al. 2017 (VEEGAN), Table 1, whose runs use other nets and budgets than PacGAN's.
PUBLISHED = {
    ("ring", "GAN (PacGAN Table 1)"): (6.3, 98.2),
    ("ring", "PacGAN4 (PacGAN Table 1)"): (7.8, 95.9),
    ("ring", "GAN (VEEGAN Table 1)"): (1.0, 99.3),
    ("ring", "ALI (VEEGAN Table 1)"): (2.8, 0.13),
    ("ring", "Unrolled GAN (VEEGAN Table 1)"): (7.6, 35.6),
    ("ring", "VEEGAN (VEEGAN Table 1)"): (8.0, 52.9),
    ("grid", "GAN (PacGAN Table 1)"): (17.3, 94.8),
    ("grid", "PacGAN4 (PacGAN Table 1)"): (24.8, 93.6),
    ("grid", "GAN (VEEGAN Table 1)"): (3.3, 0.5),
    ("grid", "ALI (VEEGAN Table 1)"): (15.8, 1.6),
    ("grid", "Unrolled GAN (VEEGAN Table 1)"): (23.6, 16.0),
    ("grid", "VEEGAN (VEEGAN Table 1)"): (24.6, 40.0),
}

flags.DEFINE_list("recipes", ["gan", "nsgan", "lsgan", "wgan", "wgan_gp", "sngan", "r1gan"], "Recipes.")
DATASETS = ("ring", "grid")
flags.DEFINE_list("datasets", list(DATASETS), "ring and/or grid.")
flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "Seeds.")
flags.DEFINE_string("outdir", "runs/benchmark_2d", "Where runs and results go.")
flags.DEFINE_integer("num_samples", 2500, "Samples evaluated per run.")
flags.DEFINE_integer("train_steps", 0, "Override the recipes' --train_steps (0: keep them).")
flags.DEFINE_bool("train_missing", True, "Train runs not yet finished in --outdir; with --notrain_missing, "
                  "tabulate the finished ones only (recipes may then have different numbers of seeds).")
FLAGS = flags.FLAGS


def evaluate(workdir, dataset, seed):
    import tfgan

    sample, _ = tfgan.evaluation.load_sampler(os.path.join(workdir, "generator"))
    samples = sample(FLAGS.num_samples, seed)
    info = tfgan.data.info(dataset)
    return samples, tfgan.metrics.mode_coverage(samples, info.modes, info.mode_std)


def mean_std(values):
    return f"{np.mean(values):.1f} ± {np.std(values):.1f}"


def check_flags(datasets):
    """Bad flags in one line, before TensorFlow is imported (a missing recipe file is skipped with a note)."""
    try:
        seeds = [int(s) for s in FLAGS.seeds]
    except ValueError:
        seeds = None
    if not seeds or min(seeds) < 0:
        console.fail(f"--seeds={','.join(FLAGS.seeds)}: expected non-negative integers, e.g. 0,1,2.")
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown or not datasets:
        console.fail(f"--datasets={','.join(datasets)}: expected some of {', '.join(DATASETS)}.")
    if FLAGS.num_samples < 2:
        console.fail(f"--num_samples={FLAGS.num_samples}: must be an integer >= 2.")
    if FLAGS.train_steps < 0:
        console.fail(f"--train_steps={FLAGS.train_steps}: must be 0 (the recipes' own) or a positive integer.")


def main(argv):
    del argv
    check_flags(FLAGS.datasets)
    console.quiet(verbose=FLAGS["verbosity"].present)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import tfgan

    os.makedirs(FLAGS.outdir, exist_ok=True)
    results, scatters, skipped = {}, {}, []
    for dataset in FLAGS.datasets:
        for recipe in FLAGS.recipes:
            if not os.path.exists(os.path.join(ROOT, "flags", f"{recipe}_{dataset}.flags")):
                skipped.append(f"{recipe}_{dataset}")
                continue
            rows = []
            for seed in (int(s) for s in FLAGS.seeds):
                workdir = os.path.join(FLAGS.outdir, f"{recipe}_{dataset}_s{seed}")
                if not FLAGS.train_missing and not runs.finished(workdir):
                    continue
                start = time.time()
                minutes = runs.train(f"{recipe}_{dataset}", seed, workdir, FLAGS.train_steps)
                samples, scores = evaluate(workdir, dataset, seed)
                rows.append({"seed": seed, "cpu_minutes": minutes, **scores})
                scatters.setdefault((recipe, dataset), samples)
                print(json.dumps({"recipe": recipe, "dataset": dataset, "seed": seed, **rows[-1],
                                  "wall_seconds": round(time.time() - start, 1)}), flush=True)
            if rows:
                results[f"{recipe}_{dataset}"] = rows
    json.dump(results, open(os.path.join(FLAGS.outdir, "results.json"), "w"), indent=1)

    lines = ["| data | recipe | seeds | modes | high-quality % | KL | all seeds 100% modes and >= 90% HQ | "
             "per seed (modes / HQ %) | CPU min / run |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, rows in results.items():
        recipe, dataset = key.rsplit("_", 1)
        total = len(tfgan.data.info(dataset).modes)
        good = all(r["modes"] == total and r["high_quality"] >= 0.9 for r in rows)
        per_seed = ", ".join(f"{r['modes']} / {100 * r['high_quality']:.1f}" for r in rows)
        lines.append(f"| {dataset} | {recipe} | {len(rows)} | {mean_std([r['modes'] for r in rows])} / {total} | "
                     f"{mean_std([100 * r['high_quality'] for r in rows])} | "
                     f"{np.mean([r['kl'] for r in rows]):.3f} ± {np.std([r['kl'] for r in rows]):.3f} | "
                     f"{'yes' if good else 'no'} | {per_seed} | {np.mean([r['cpu_minutes'] for r in rows]):.1f} |")
    for (dataset, name), (modes, hq) in PUBLISHED.items():
        if dataset in FLAGS.datasets:
            lines.append(f"| {dataset} | {name} | | {modes} | {hq} | | | | |")
    if skipped:
        lines.append(f"\nSkipped (no flagfile): {', '.join(skipped)}")
    open(os.path.join(FLAGS.outdir, "table.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))

    if scatters:
        cols = len(FLAGS.recipes)
        figure, axes = plt.subplots(len(FLAGS.datasets), cols, figsize=(2.6 * cols, 2.6 * len(FLAGS.datasets)),
                                    squeeze=False)
        for row, dataset in enumerate(FLAGS.datasets):
            real = tfgan.data.mixture_samples(dataset, 2500, seed=1)[0]
            for col, recipe in enumerate(FLAGS.recipes):
                ax = axes[row][col]
                ax.scatter(real[:, 0], real[:, 1], s=1, c="tab:blue", alpha=0.3)
                if (recipe, dataset) in scatters:
                    s = scatters[(recipe, dataset)]
                    ax.scatter(s[:, 0], s[:, 1], s=1, c="tab:orange", alpha=0.5)
                lim = 1.5 if dataset == "ring" else 5.5
                ax.set_xlim(-lim, lim)
                ax.set_ylim(-lim, lim)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"{recipe} {dataset}", fontsize=9)
        figure.tight_layout()
        figure.savefig(os.path.join(FLAGS.outdir, "scatter.png"), dpi=80)


if __name__ == "__main__":
    app.run(main)
