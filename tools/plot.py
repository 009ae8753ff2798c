r"""Draws a training run's curves and samples as PNGs.

    python tools/plot.py --workdir=runs/nsgan_ring

Reads WORKDIR/metrics.jsonl and WORKDIR/samples/ (as tools/train.py writes them) and writes to
--output (default WORKDIR/plots):
- `losses.png`: D and G losses, and D's mean output on real and fake samples, over the steps, with
  the TrainingMonitor's warnings marked where they were raised;
- `metrics.png`: the --eval_every evaluation metrics over the steps (when there are any);
- `samples.png`: a panel of up to --panels sample plots spread over training: scatter plots over the
  real data for 2-D runs, histograms with D's curve for the 1-D toy, image grids for images.
Prints the paths written as one JSON object.

Pure Python and matplotlib (no TensorFlow). The flags are checked before matplotlib is imported; bad
input is one line (`error: --name=value: ...`) with exit code 1.
"""

import json
import math
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tfgan import console  # noqa: E402  (pure Python; this tool never imports TensorFlow)

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "A tools/train.py working directory (holding metrics.jsonl, samples/).")
flags.DEFINE_string("output", None, "Where the PNGs go (default: WORKDIR/plots).")
flags.DEFINE_integer("panels", 6, "Sample plots in the samples panel, spread evenly over training.")

TRAINING_KEYS = (("d_loss", "g_loss"), ("d_real", "d_fake"))


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend, imported when the first plot is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_records(path):
    """The lines of metrics.jsonl split into training logs, evaluations and warnings (lines cut short skipped)."""
    training, evaluations, warnings = [], [], []
    with open(path) as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "warning" in record:
                warnings.append(record)
            elif "d_loss" in record or "g_loss" in record:
                training.append(record)
            else:
                evaluations.append(record)
    return training, evaluations, warnings


def plot_training(training, warnings, path):
    plt = pyplot()
    figure, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for ax, keys, label in zip(axes, TRAINING_KEYS, ("loss", "D output (mean)")):
        for key in keys:
            points = [(r["step"], r[key]) for r in training if isinstance(r.get(key), (int, float))]
            if points:
                ax.plot(*zip(*points), label=key, linewidth=1)
        for w in warnings:
            ax.axvline(w["step"], color="tab:red", alpha=0.4, linestyle="--")
        ax.set_ylabel(label)
        ax.legend(loc="upper right")
    for w in warnings:
        axes[0].annotate(w["warning"], (w["step"], 1.0), xycoords=("data", "axes fraction"), rotation=90,
                         va="top", ha="right", fontsize=7, color="tab:red")
    axes[-1].set_xlabel("step")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def plot_evaluations(evaluations, path):
    plt = pyplot()
    keys = [k for k in evaluations[0] if k != "step" and isinstance(evaluations[0][k], (int, float))]
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, key in zip(axes.ravel(), keys):
        points = [(r["step"], r[key]) for r in evaluations if isinstance(r.get(key), (int, float))]
        ax.plot(*zip(*points), marker="o", markersize=3)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_title(key)
        ax.set_xlabel("step")
    for ax in axes.ravel()[len(keys):]:
        ax.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def plot_samples(directory, panels, path):
    """A panel of the sample PNGs SampleGrid wrote, `panels` of them evenly spread over the steps."""
    plt = pyplot()
    names = sorted(n for n in os.listdir(directory) if n.startswith("step_") and n.endswith(".png"))
    if not names:
        return False
    count = min(panels, len(names))
    chosen = [names[round(i * (len(names) - 1) / max(1, count - 1))] for i in range(count)]
    cols = min(3, len(chosen))
    rows = math.ceil(len(chosen) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), chosen):
        image = plt.imread(os.path.join(directory, name))
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_title(f"step {int(name[5:-4])}")
    for ax in axes.ravel():
        ax.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return True


def check(workdir, output, panels):
    """`console.UsageError` naming the first bad argument; creates `output`."""
    if not workdir:
        raise console.UsageError("--workdir is required: a tools/train.py working directory.")
    if not os.path.isdir(workdir):
        raise console.UsageError(f"--workdir={workdir}: no such directory.")
    if not os.path.isfile(os.path.join(workdir, "metrics.jsonl")):
        raise console.UsageError(f"--workdir={workdir}: no metrics.jsonl there (expected a tools/train.py working directory).")
    if panels < 1:
        raise console.UsageError(f"--panels={panels}: must be a positive integer.")
    try:
        os.makedirs(output, exist_ok=True)
    except OSError as error:
        raise console.UsageError(f"--output={output}: cannot write there ({error.strerror}).") from None


def plot(workdir, output, panels):
    """Writes the PNGs of a run; returns {name: path}."""
    check(workdir, output, panels)
    metrics_path = os.path.join(workdir, "metrics.jsonl")
    training, evaluations, warnings = read_records(metrics_path)
    written = {}
    if training:
        written["losses"] = os.path.join(output, "losses.png")
        plot_training(training, warnings, written["losses"])
    if evaluations:
        written["metrics"] = os.path.join(output, "metrics.png")
        plot_evaluations(evaluations, written["metrics"])
    samples = os.path.join(workdir, "samples")
    if os.path.isdir(samples) and plot_samples(samples, panels, os.path.join(output, "samples.png")):
        written["samples"] = os.path.join(output, "samples.png")
    return written


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        written = plot(FLAGS.workdir, FLAGS.output or os.path.join(FLAGS.workdir or ".", "plots"), FLAGS.panels)
    except console.UsageError as error:
        console.fail(error)
    print(json.dumps(written))


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS))
