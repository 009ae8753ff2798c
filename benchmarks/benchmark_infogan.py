r"""InfoGAN on digits: does the categorical code find the digit classes, unsupervised, on every seed?

    python benchmarks/benchmark_infogan.py --seeds=0,1,2 --outdir=runs/infogan_digits

Each run is `tools/train.py --flagfile=flags/infogan_digits.flags --seed=S` in its own workdir (finished runs
are reused). Its exported generator is then asked, for each of the 10 values of the categorical code, for
300 samples (noise and continuous codes drawn from a fixed seed), which the shipped digits classifier
labels (`tfgan.evaluation.code_purity`). A run passes when the 10 values have at least 9 different
majority classes and the mean purity (the fraction of a value's samples in its majority class) is at
least 0.8. Writes `results.json` and `table.md` to --outdir, and prints the table.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from absl import app, flags  # noqa: E402

from benchmarks import runs  # noqa: E402
from tfgan import console  # noqa: E402

MIN_DISTINCT = 9
MIN_PURITY = 0.8

flags.DEFINE_string("recipe", "infogan_digits", "Recipe (flags/<recipe>.flags).")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_string("outdir", "runs/infogan_digits", "Where runs and results go.")
flags.DEFINE_integer("per_value", 300, "Samples per value of the categorical code.")
flags.DEFINE_integer("train_steps", 0, "Override the recipe's --train_steps (0: keep it).")
FLAGS = flags.FLAGS


def passes(result):
    return result["distinct"] >= MIN_DISTINCT and result["mean_purity"] >= MIN_PURITY


def table(results):
    lines = ["| seed | majority class of each code value | purity per value | mean purity | distinct | passes |",
             "|---|---|---|---|---|---|"]
    for seed, r in sorted(results.items(), key=lambda item: int(item[0])):
        lines.append(f"| {seed} | {' '.join(map(str, r['majority']))} | "
                     f"{' '.join(f'{p:.2f}' for p in r['purity'])} | {r['mean_purity']:.3f} | {r['distinct']} | "
                     f"{'yes' if passes(r) else 'no'} |")
    return "\n".join(lines)


def main(argv):
    del argv
    seeds = runs.seeds(FLAGS.seeds)
    if not os.path.exists(os.path.join(runs.ROOT, "flags", f"{FLAGS.recipe}.flags")):
        console.fail(f"--recipe={FLAGS.recipe}: no such file flags/{FLAGS.recipe}.flags.")
    console.quiet(verbose=FLAGS["verbosity"].present)
    from tfgan import evaluation, features

    os.makedirs(FLAGS.outdir, exist_ok=True)
    classifier = features.digits_classifier()
    results = {}
    for seed in seeds:
        workdir = os.path.join(FLAGS.outdir, f"{FLAGS.recipe}_s{seed}")
        minutes = runs.train(FLAGS.recipe, seed, workdir, FLAGS.train_steps)
        result = evaluation.code_purity(os.path.join(workdir, "generator"), classifier, FLAGS.per_value, seed=1234)
        result["cpu_minutes"] = round(minutes, 2)
        results[str(seed)] = result
        print(f"seed {seed}: distinct {result['distinct']}, mean purity {result['mean_purity']:.3f}, "
              f"{minutes:.1f} CPU min", flush=True)
    runs.save(FLAGS.outdir, results, table(results))


if __name__ == "__main__":
    app.run(main)
