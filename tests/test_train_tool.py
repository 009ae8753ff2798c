"""tools/train.py end to end, in subprocesses, as a user runs it."""

import json
import os

import pytest

from conftest import ROOT, run_train

TRAIN = os.path.join(ROOT, "tools", "train.py")


def steps_logged(workdir):
    return [json.loads(line)["step"] for line in open(os.path.join(workdir, "metrics.jsonl"))]


def test_train_then_resume_and_train_on(tmp_path):
    workdir = str(tmp_path / "run")
    common = ["--dataset=ring", "--latent_dim=4", "--g_hidden=16", "--d_hidden=16", "--batch_size=16",
              f"--workdir={workdir}", "--sample_every=10", "--checkpoint_every=10", "--log_every=5",
              "--steps_per_epoch=10", "--verbose=0"]
    first = run_train(*common, "--train_steps=20")
    assert json.loads(first.stdout.strip().splitlines()[-1])["step"] == 20
    for name in ("checkpoints", "samples", "logs", "metrics.jsonl", "generator"):
        assert os.path.exists(os.path.join(workdir, name)), name
    assert sorted(os.listdir(os.path.join(workdir, "samples"))) == ["step_000010.png", "step_000020.png"]
    assert os.path.exists(os.path.join(workdir, "generator", "saved_model.pb"))
    assert steps_logged(workdir) == [5, 10, 15, 20]

    second = run_train(*common, "--train_steps=30")
    assert "Resumed from" in second.stderr and "step 20" in second.stderr
    assert json.loads(second.stdout.strip().splitlines()[-1])["step"] == 30
    assert steps_logged(workdir) == [5, 10, 15, 20, 25, 30]  # nothing lost, nothing twice
    assert "step_000030.png" in os.listdir(os.path.join(workdir, "samples"))

    again = run_train(*common, "--train_steps=30")  # already done: nothing trained, still exported
    assert json.loads(again.stdout.strip().splitlines()[-1])["step"] == 30
    assert steps_logged(workdir) == [5, 10, 15, 20, 25, 30]


def test_recipe_flagfile_runs_on_digits(tmp_path):
    workdir = str(tmp_path / "digits")
    run_train("--flagfile=flags/dcgan_digits.flags", f"--workdir={workdir}", "--train_steps=4",
              "--base_filters=8", "--batch_size=8", "--sample_every=4", "--verbose=0")
    assert os.listdir(os.path.join(workdir, "samples")) == ["step_000004.png"]


@pytest.mark.parametrize("args,message", [
    (["--loss=foo"], "--loss=foo"),
    (["--dataset=mnist"], "--dataset=mnist"),
    (["--dataset=folder:/nonexistent/dir"], "folder:/nonexistent/dir"),
    (["--train_steps=0"], "--train_steps=0"),
    (["--batch_size=-3"], "--batch_size=-3"),
    (["--dataset=ring", "--architecture=dcgan"], "--architecture=dcgan"),
    (["--dataset=digits", "--image_size=9"], "image_size=9"),
    (["--flagfile=flags/no_such_recipe.flags"], "no_such_recipe.flags"),
])
def test_bad_input_gives_one_clear_line_and_exits_non_zero(tmp_path, args, message):
    result = run_train(f"--workdir={tmp_path / 'w'}", *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_folder_is_rejected(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_train(f"--workdir={tmp_path / 'w'}", f"--dataset=folder:{empty}", check=False)
    assert result.returncode != 0 and "contains no images" in result.stderr and "Traceback" not in result.stderr


def test_checkpoint_of_another_model_is_not_overwritten(tmp_path):
    """A workdir of an earlier version (no config.json) whose checkpoint another model cannot restore."""
    workdir = str(tmp_path / "run")
    common = ["--dataset=ring", "--latent_dim=4", "--batch_size=8", f"--workdir={workdir}", "--verbose=0",
              "--train_steps=2", "--checkpoint_every=2", "--nojit_compile"]
    run_train(*common, "--g_hidden=16", "--d_hidden=16")
    os.remove(os.path.join(workdir, "config.json"))
    before = sorted(os.listdir(os.path.join(workdir, "checkpoints")))
    result = run_train(*common, "--g_hidden=32", "--d_hidden=16", check=False)
    assert result.returncode != 0 and "different model" in result.stderr and "Traceback" not in result.stderr
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == before
