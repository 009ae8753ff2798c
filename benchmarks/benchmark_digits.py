r"""The digits tables: image recipes over several seeds, scored on the shipped digits classifier.

    python benchmarks/benchmark_digits.py --recipes=dcgan,lsgan,wgan_gp,sngan,r1gan,acgan --seeds=0,1,2 \
        --outdir=runs/benchmark_digits
    python benchmarks/benchmark_digits.py --dataset=stacked_digits --recipes=dcgan,pacgan --seeds=0,1,2 \
        --outdir=runs/benchmark_stacked

Each run is `tools/train.py --flagfile=flags/<recipe>_<dataset>.flags --seed=S` in its own workdir
(finished runs are reused), evaluated on samples from its exported generator with
`tfgan.evaluation.Evaluator`: for `digits`, 2,500 samples (classifier FD, KID, precision / recall,
classes covered and the KL of the class histogram); for `stacked_digits`, 26,000 (the modes of the
1,000 covered and the KL of the mode histogram, as VEEGAN / PacGAN count them, beside their published
rows). Writes `results.json`, `table.md` (mean +- std over the seeds, with CPU minutes) and `samples.png`
(64 samples of each recipe's seed-0 generator). Recipes whose flagfile is missing are skipped with a note.
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
COLUMNS = {"digits": (("fd", "classifier FD", 2), ("kid", "KID", 3), ("precision", "precision", 2),
                      ("recall", "recall", 2), ("classes_covered", "classes covered", 1), ("class_kl", "class KL", 3)),
           "stacked_digits": (("modes", "modes (of 1,000)", 1), ("kl", "KL", 3))}
# Stacked MNIST, 26,000 samples (VEEGAN Table 2, PacGAN Table 3): modes, KL.
PUBLISHED = {"stacked_digits": (("DCGAN", 99, 3.40), ("ALI", 16, 5.40), ("Unrolled GAN", 48.7, 4.32),
                                ("VEEGAN", 150, 2.95), ("PacDCGAN2", 1000, 0.06), ("PacDCGAN4", 1000, 0.07))}

flags.DEFINE_enum("dataset", "digits", list(COLUMNS), "The data: recipes are `<recipe>_<dataset>`.")
flags.DEFINE_list("recipes", ["dcgan", "lsgan", "wgan_gp", "sngan", "r1gan", "acgan"], "Recipes (`<recipe>_<dataset>`).")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_string("outdir", "runs/benchmark_digits", "Where runs and results go.")
flags.DEFINE_integer("num_samples", 0, "Samples evaluated per run (0: 2,500 for digits, 26,000 for stacked_digits).")
flags.DEFINE_integer("train_steps", 0, "Override the recipes' --train_steps (0: keep them).")
FLAGS = flags.FLAGS


def check_flags():
    """Bad flags in one line, before TensorFlow is imported (a missing recipe file is skipped with a note)."""
    try:
        seeds = [int(s) for s in FLAGS.seeds]
    except ValueError:
        seeds = None
    if not seeds or min(seeds) < 0:
        console.fail(f"--seeds={','.join(FLAGS.seeds)}: expected non-negative integers, e.g. 0,1,2.")
    if FLAGS.num_samples == 1 or FLAGS.num_samples < 0:
        console.fail(f"--num_samples={FLAGS.num_samples}: must be 0 (the data's default) or an integer >= 2.")
    if FLAGS.train_steps < 0:
        console.fail(f"--train_steps={FLAGS.train_steps}: must be 0 (the recipes' own) or a positive integer.")


def main(argv):
    del argv
    check_flags()
    console.quiet(verbose=FLAGS["verbosity"].present)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tfgan import callbacks, evaluation

    os.makedirs(FLAGS.outdir, exist_ok=True)
    dataset, columns = FLAGS.dataset, COLUMNS[FLAGS.dataset]
    evaluator = evaluation.Evaluator(dataset, [key for key, _, _ in columns if key != "class_kl"]
                                     if dataset == "stacked_digits" else None)
    num_samples = FLAGS.num_samples or evaluation.default_num_samples(dataset)
    results, grids, skipped = {}, {}, []
    for recipe in FLAGS.recipes:
        name = f"{recipe}_{dataset}"
        if not os.path.exists(os.path.join(ROOT, "flags", f"{name}.flags")):
            skipped.append(name)
            continue
        rows = []
        for seed in (int(s) for s in FLAGS.seeds):
            workdir = os.path.join(FLAGS.outdir, f"{name}_s{seed}")
            start = time.time()
            minutes = runs.train(name, seed, workdir, FLAGS.train_steps)
            sample, _ = evaluation.load_sampler(os.path.join(workdir, "generator"))
            images = sample(num_samples, seed)
            rows.append({"seed": seed, "cpu_minutes": minutes,
                         **{k: float(v) for k, v in evaluator(images).items()}})
            grids.setdefault(recipe, images[:64])
            print(json.dumps({"recipe": recipe, **rows[-1], "wall_seconds": round(time.time() - start, 1)}),
                  flush=True)
        results[recipe] = rows
    with open(os.path.join(FLAGS.outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    lines = ["| recipe | seeds | " + " | ".join(title for _, title, _ in columns) + " | per seed | CPU min / run |",
             "|---|---|" + "---|" * len(columns) + "---|---|"]
    for recipe, rows in results.items():
        cells = []
        for key, _, digits in columns:
            values = [r[key] for r in rows]
            cells.append(f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}")
        per_seed = "; ".join(" / ".join(f"{r[key]:.{digits}f}" for key, _, digits in columns) for r in rows)
        lines.append(f"| `{recipe}_{dataset}` | {len(rows)} | " + " | ".join(cells) +
                     f" | {per_seed} | {np.mean([r['cpu_minutes'] for r in rows]):.1f} |")
    for method, *values in PUBLISHED.get(dataset, ()):
        lines.append(f"| {method} (published) | | " + " | ".join(str(v) for v in values) + " | | |")
    if skipped:
        lines.append(f"\nSkipped (no flagfile): {', '.join(skipped)}")
    with open(os.path.join(FLAGS.outdir, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    if grids:
        figure, axes = plt.subplots(1, len(grids), figsize=(2.6 * len(grids), 2.9), squeeze=False)
        for ax, (recipe, images) in zip(axes[0], grids.items()):
            # The export's `sample` signature gives uint8 images, as the data is stored.
            grid = callbacks.image_grid(images, min_pixels=16)
            ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255)
            ax.set_axis_off()
            ax.set_title(f"{recipe}_{dataset}", fontsize=9)
        figure.tight_layout()
        figure.savefig(os.path.join(FLAGS.outdir, "samples.png"), dpi=80)


if __name__ == "__main__":
    app.run(main)
