"""Runs a recipe's flagfile through tools/train.py in its own workdir, once: the benchmark tables' runner.

Each run is a subprocess of the tool, as a user runs it, so the tables (benchmarks/benchmark_2d.py,
benchmarks/benchmark_digits.py) measure the tool, its CPU time included."""

import json
import os
import resource
import subprocess
import sys

from tfgan import console

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seeds(values):
    """A `--seeds` list as non-negative integers; anything else is one error line (`console.fail`)."""
    try:
        parsed = [int(s) for s in values]
    except ValueError:
        parsed = []
    if not parsed or min(parsed) < 0:
        console.fail(f"--seeds={','.join(values)}: expected non-negative integers, e.g. 0,1,2.")
    return parsed


def finished(workdir):
    """Whether `workdir` holds a run that `train` finished."""
    return os.path.exists(os.path.join(os.path.abspath(workdir), "cpu_minutes.json"))


def train(recipe, seed, workdir, train_steps=0, extra_flags=()):
    """Trains `flags/<recipe>.flags` with `--seed` (and `extra_flags`, e.g. `["--max_examples=200"]`) into
    `workdir` and returns the CPU minutes it took.

    A workdir that already holds a finished run (its `cpu_minutes.json`) is reused as it is, so a table
    can be extended seed by seed; a killed run resumes from its last checkpoint.
    """
    workdir = os.path.abspath(workdir)
    done = os.path.join(workdir, "cpu_minutes.json")
    if finished(workdir):
        with open(done) as f:
            return json.load(f)["cpu_minutes"]
    args = [sys.executable, os.path.join(ROOT, "tools", "train.py"), f"--flagfile=flags/{recipe}.flags",
            f"--workdir={workdir}", f"--seed={seed}", "--verbose=0"]
    if train_steps:
        args.append(f"--train_steps={train_steps}")
    args += list(extra_flags)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(args, cwd=ROOT, capture_output=True, text=True,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if completed.returncode:
        raise RuntimeError(f"{recipe} (seed {seed}) failed:\n{completed.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    minutes = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / 60
    with open(done, "w") as f:
        json.dump({"cpu_minutes": minutes}, f)
    return minutes


def save(outdir, results, text):
    """Writes a table's `results` to `outdir/results.json` and its markdown `text` to `outdir/table.md`,
    and prints the table."""
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write(text + "\n")
    print(text)
