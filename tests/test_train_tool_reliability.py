"""tools/train.py on bad input, on a run that goes non-finite, and with --deterministic (subprocesses).

The rows of docs/reliability.md not covered in test_train_tool.py are here, one test each.
"""

import json

import numpy as np
import pytest
import tensorflow as tf

from conftest import run_train

TINY = ["--dataset=ring", "--latent_dim=4", "--g_hidden=16", "--d_hidden=16", "--batch_size=16", "--verbose=0"]


def write_bad_images(folder):
    folder.mkdir()
    (folder / "a.png").write_text("not an image")
    (folder / "b.jpg").write_bytes(b"")
    return folder


@pytest.mark.parametrize("args,message", [
    (["--max_nan_steps=-1"], "--max_nan_steps=-1: must be a non-negative integer"),
    (["--seed=-1"], "--seed=-1: must be a non-negative integer"),
    (["--d_lr=nan"], "--d_lr=nan: must be a finite number"),
    (["--g_beta1=1.5"], "--g_beta1=1.5: must be in [0, 1)"),
    (["--dataset=toy1d", "--toy_std=0"], "--toy_std=0.0: the toy data's standard deviation must be positive"),
    (["--g_hidden=16,abc"], "--g_hidden=16,abc: expected positive integers"),
    (["--dataset=toy1d", "--architecture=toy_shift", "--latent_dim=4"], "--latent_dim=1 (got toy1d, 4)"),
    (["--noise=cauchy"], "--noise=cauchy: must be one of normal, uniform"),
    (["--d_steps=0"], "--d_steps=0: must be a positive integer"),
    (["unexpected_positional"], "Unexpected arguments: unexpected_positional"),
])
def test_bad_flag_values_give_one_line_naming_them(tmp_path, args, message):
    result = run_train(f"--workdir={tmp_path / 'w'}", *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_workdir_that_is_a_file_is_rejected(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    result = run_train(f"--workdir={path}", check=False)
    assert result.returncode != 0 and f"--workdir={path}: cannot write there" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_folder_of_unreadable_images_is_rejected_naming_them(tmp_path):
    folder = write_bad_images(tmp_path / "bad")
    result = run_train(f"--workdir={tmp_path / 'w'}", f"--dataset=folder:{folder}", check=False)
    assert result.returncode != 0
    assert f"--dataset=folder:{folder}: `dataset=folder:{folder}`: none of its 2 image files can be read" in result.stderr
    assert "a.png" in result.stderr and "Traceback" not in result.stderr


def test_verbosity_shows_the_traceback_of_a_usage_error(tmp_path):
    result = run_train(f"--workdir={tmp_path / 'w'}", "--seed=-1", "--verbosity=1", check=False)
    assert result.returncode != 0 and "error: --seed=-1" in result.stderr
    assert "Traceback" in result.stderr and "RecipeError: `seed=-1`" in result.stderr


def test_a_run_that_stays_non_finite_stops_and_names_the_last_good_checkpoint(tmp_path):
    """Resumed on data that overflows float32 in D (toy1d with mean 1e38), every step is non-finite."""
    workdir = tmp_path / "run"
    common = ["--dataset=toy1d", "--latent_dim=4", "--g_hidden=16", "--d_hidden=16", "--batch_size=16",
              "--verbose=0", f"--workdir={workdir}", "--checkpoint_every=2", "--log_every=1", "--max_nan_steps=3"]
    run_train(*common, "--train_steps=2")
    result = run_train(*common, "--train_steps=50", "--toy_mean=1e38", "--allow_config_change", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    records = [json.loads(line) for line in open(workdir / "metrics.jsonl")]
    lines = [r for r in records if "warning" not in r]
    assert [(r["step"], r["nan_steps"]) for r in lines] == [(1, 0), (2, 0), (3, 1), (4, 2), (5, 3)]
    assert [r["step"] for r in records if r.get("warning") == "non_finite"] == [3]  # TrainingMonitor names it
    assert (f"error: stopped at step 5 after 3 steps in a row with a non-finite loss or gradient "
            f"(max_nan_steps=3); the last good checkpoint is {workdir}/checkpoints/ckpt-2.") in result.stderr
    assert tf.train.latest_checkpoint(str(workdir / "checkpoints")).endswith("ckpt-2")  # none at 4 or 5


def test_deterministic_runs_give_identical_metrics_and_samples(tmp_path):
    """A DCGAN with BatchNorm on the digits pipeline (parallel decode and resize), twice."""
    runs = []
    for name in ("a", "b"):
        workdir = tmp_path / name
        run_train("--dataset=digits", "--architecture=dcgan", "--base_filters=4", "--latent_dim=8",
                  "--batch_size=8", "--verbose=0", f"--workdir={workdir}", "--train_steps=6", "--log_every=2",
                  "--sample_every=6", "--checkpoint_every=6", "--seed=3", "--deterministic")
        sample = tf.saved_model.load(str(workdir / "generator")).signatures["sample"]
        runs.append((open(workdir / "metrics.jsonl").read(),
                     sample(n=tf.constant(16), seed=tf.constant(7))["images"].numpy()))
    (metrics_a, samples_a), (metrics_b, samples_b) = runs
    assert [json.loads(line)["step"] for line in metrics_a.splitlines()] == [2, 4, 6]
    assert metrics_a == metrics_b  # every logged value, to the last digit
    np.testing.assert_array_equal(samples_a, samples_b)
    assert np.isfinite(samples_a).all() and samples_a.std() > 0
