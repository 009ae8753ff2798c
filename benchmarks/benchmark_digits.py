r"""The digits table: image recipes over several seeds, scored on the shipped digits classifier.

    python benchmarks/benchmark_digits.py --recipes=dcgan,lsgan,wgan_gp,sngan,r1gan,acgan --seeds=0,1,2 \
        --outdir=runs/benchmark_digits

Each run is `tools/train.py --flagfile=flags/<recipe>_digits.flags --seed=S` in its own workdir (finished
runs are reused), evaluated on 2,500 samples from its exported generator with `tfgan.evaluation.Evaluator`
("digits": classifier FD, KID, precision / recall, classes covered and the KL of the class histogram).
Writes `results.json`, `table.md` (mean +- std over the seeds, with CPU minutes) and `samples.png` (64 samples
of each recipe's seed-0 generator). Recipes whose flagfile is missing are skipped with a note.
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
COLUMNS = (("fd", "classifier FD", 2), ("kid", "KID", 3), ("precision", "precision", 2), ("recall", "recall", 2),
           ("classes_covered", "classes covered", 1), ("class_kl", "class KL", 3))

flags.DEFINE_list("recipes", ["dcgan", "lsgan", "wgan_gp", "sngan", "r1gan", "acgan"], "Recipes (`<recipe>_digits`).")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_string("outdir", "runs/benchmark_digits", "Where runs and results go.")
flags.DEFINE_integer("num_samples", 2500, "Samples evaluated per run.")
flags.DEFINE_integer("train_steps", 0, "Override the recipes' --train_steps (0: keep them).")
FLAGS = flags.FLAGS


def fail(message):
    """Bad input in one line, exit code 1."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def check_flags():
    """Bad flags in one line, before TensorFlow is imported (a missing recipe file is skipped with a note)."""
    try:
        seeds = [int(s) for s in FLAGS.seeds]
    except ValueError:
        seeds = None
    if not seeds or min(seeds) < 0:
        fail(f"--seeds={','.join(FLAGS.seeds)}: expected non-negative integers, e.g. 0,1,2.")
    if FLAGS.num_samples < 2:
        fail(f"--num_samples={FLAGS.num_samples}: must be an integer >= 2.")
    if FLAGS.train_steps < 0:
        fail(f"--train_steps={FLAGS.train_steps}: must be 0 (the recipes' own) or a positive integer.")


def main(argv):
    del argv
    check_flags()
    console.quiet(verbose=FLAGS["verbosity"].present)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tfgan import callbacks, evaluation

    os.makedirs(FLAGS.outdir, exist_ok=True)
    evaluator = evaluation.Evaluator("digits")
    results, grids, skipped = {}, {}, []
    for recipe in FLAGS.recipes:
        if not os.path.exists(os.path.join(ROOT, "flags", f"{recipe}_digits.flags")):
            skipped.append(f"{recipe}_digits")
            continue
        rows = []
        for seed in (int(s) for s in FLAGS.seeds):
            workdir = os.path.join(FLAGS.outdir, f"{recipe}_digits_s{seed}")
            start = time.time()
            minutes = runs.train(f"{recipe}_digits", seed, workdir, FLAGS.train_steps)
            sample, _ = evaluation.load_sampler(os.path.join(workdir, "generator"))
            images = sample(FLAGS.num_samples, seed)
            rows.append({"seed": seed, "cpu_minutes": minutes,
                         **{k: float(v) for k, v in evaluator(images).items()}})
            grids.setdefault(recipe, images[:64])
            print(json.dumps({"recipe": recipe, **rows[-1], "wall_seconds": round(time.time() - start, 1)}),
                  flush=True)
        results[recipe] = rows
    with open(os.path.join(FLAGS.outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    lines = ["| recipe | seeds | " + " | ".join(title for _, title, _ in COLUMNS) + " | CPU min / run |",
             "|---|---|" + "---|" * len(COLUMNS) + "---|"]
    for recipe, rows in results.items():
        cells = []
        for key, _, digits in COLUMNS:
            values = [r[key] for r in rows]
            cells.append(f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}")
        lines.append(f"| `{recipe}_digits` | {len(rows)} | " + " | ".join(cells) +
                     f" | {np.mean([r['cpu_minutes'] for r in rows]):.1f} |")
    if skipped:
        lines.append(f"\nSkipped (no flagfile): {', '.join(skipped)}")
    with open(os.path.join(FLAGS.outdir, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    if grids:
        figure, axes = plt.subplots(1, len(grids), figsize=(2.6 * len(grids), 2.9), squeeze=False)
        for ax, (recipe, images) in zip(axes[0], grids.items()):
            # The export's `sample` signature gives uint8 images, as the data is stored.
            ax.imshow(callbacks.image_grid(images, min_pixels=16)[..., 0], cmap="gray", vmin=0, vmax=255)
            ax.set_axis_off()
            ax.set_title(f"{recipe}_digits", fontsize=9)
        figure.tight_layout()
        figure.savefig(os.path.join(FLAGS.outdir, "samples.png"), dpi=80)


if __name__ == "__main__":
    app.run(main)
