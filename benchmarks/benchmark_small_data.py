r"""Data-efficient GAN training on 200 digits: classifier-FD with and without ADA, bCR, DiffAugment (and LeCam).

    python benchmarks/benchmark_small_data.py --cells=none,ada,bcr,diffaugment --seeds=0,1,2 \
        --outdir=runs/small_data

Every cell trains the DCGAN of `flags/dcgan_digits.flags` on the first 200 of the 1,797 digits
(`--max_examples=200`), for the recipe's 3,000 steps, with one change:

| cell | command (tools/train.py, plus `--seed=S --workdir=...`) |
|---|---|
| none | `--flagfile=flags/dcgan_digits.flags --max_examples=200` |
| ada | `--flagfile=flags/dcgan_ada_digits.flags` (`--max_examples=200 --ada_target=0.6 ...`) |
| bcr | `--flagfile=flags/dcgan_bcr_digits.flags` (`--max_examples=200 --penalty=bcr ...`) |
| diffaugment | `--flagfile=flags/dcgan_digits.flags --max_examples=200 --diffaugment=color,translation,cutout` |
| lecam | `--flagfile=flags/dcgan_digits.flags --max_examples=200 --lecam=0.3` |
| ada_lecam | `--flagfile=flags/dcgan_ada_digits.flags --lecam=0.3` |
| all | `--flagfile=flags/dcgan_digits.flags` (all 1,797 digits, for reference) |

Each run is scored as `tools/evaluate.py --dataset=digits` scores it: classifier FD (and KID, precision,
recall, classes) of 2,500 samples of its exported generator against all 1,797 digits, so the FD measures
how well 200 examples were generalised from. Finished runs are reused; writes `results.json` and
`table.md` (mean +- std over the seeds) to --outdir and prints the table.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from benchmarks import runs  # noqa: E402
from tfgan import console  # noqa: E402

SMALL = "--max_examples=200"
CELLS = {
    "none": ("dcgan_digits", [SMALL]),
    "ada": ("dcgan_ada_digits", []),
    "bcr": ("dcgan_bcr_digits", []),
    "diffaugment": ("dcgan_digits", [SMALL, "--diffaugment=color,translation,cutout"]),
    "lecam": ("dcgan_digits", [SMALL, "--lecam=0.3"]),
    "ada_lecam": ("dcgan_ada_digits", ["--lecam=0.3"]),
    "all": ("dcgan_digits", []),
}
COLUMNS = (("fd", "classifier FD", 2), ("kid", "KID", 3), ("precision", "precision", 2), ("recall", "recall", 2),
           ("classes_covered", "classes covered", 1))

flags.DEFINE_list("cells", ["none", "ada", "bcr", "diffaugment"], f"Cells, of {', '.join(CELLS)}.")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_string("outdir", "runs/small_data", "Where runs and results go.")
flags.DEFINE_integer("num_samples", 2500, "Samples evaluated per run.")
flags.DEFINE_bool("summarize", False, "Only tabulate the finished runs in --outdir.")
FLAGS = flags.FLAGS


def command(cell, seed, workdir):
    recipe, extra = CELLS[cell]
    return " ".join(["python tools/train.py", f"--flagfile=flags/{recipe}.flags", *extra, f"--seed={seed}",
                     f"--workdir={workdir}"])


def table(results):
    header = "| cell | seeds | " + " | ".join(f"{title} (per seed)" for _, title, _ in COLUMNS[:1]) + " | " + \
        " | ".join(title for _, title, _ in COLUMNS) + " | CPU min / run |"
    lines = [header, "|" + "---|" * (4 + len(COLUMNS))]
    for cell in [c for c in CELLS if c in results]:
        rows = [results[cell][s] for s in sorted(results[cell], key=int)]
        cells = [f"{cell}", str(len(rows)), ", ".join(f"{r['fd']:.2f}" for r in rows)]
        for key, _, digits in COLUMNS:
            values = np.array([r[key] for r in rows], np.float64)
            cells.append(f"{values.mean():.{digits}f} ± {values.std():.{digits}f}")
        cells.append(f"{np.mean([r['cpu_minutes'] for r in rows]):.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv):
    del argv
    unknown = [c for c in FLAGS.cells if c not in CELLS]
    if unknown or not FLAGS.cells:
        console.fail(f"--cells={','.join(FLAGS.cells)}: expected names from {', '.join(CELLS)}.")
    seeds = runs.seeds(FLAGS.seeds)
    console.quiet(verbose=FLAGS["verbosity"].present)
    from tfgan import evaluation

    os.makedirs(FLAGS.outdir, exist_ok=True)
    path = os.path.join(FLAGS.outdir, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    evaluator = None
    for cell in FLAGS.cells:
        for seed in seeds:
            workdir = os.path.join(FLAGS.outdir, f"{cell}_s{seed}")
            if str(seed) in results.get(cell, {}) or FLAGS.summarize:
                continue
            print(command(cell, seed, workdir), flush=True)
            recipe, extra = CELLS[cell]
            minutes = runs.train(recipe, seed, workdir, extra_flags=extra)
            evaluator = evaluator or evaluation.Evaluator("digits")
            scores = evaluation.evaluate_generator(os.path.join(workdir, "generator"), evaluator, FLAGS.num_samples)
            scores = {k: float(v) for k, v in scores.items()}
            scores.update(cpu_minutes=round(minutes, 2), command=command(cell, seed, workdir))
            results.setdefault(cell, {})[str(seed)] = scores
            with open(path, "w") as f:
                json.dump(results, f, indent=1)
            print(f"  fd {scores['fd']:.2f}  ({minutes:.1f} CPU min)", flush=True)
    runs.save(FLAGS.outdir, results, table(results))


if __name__ == "__main__":
    app.run(main)
