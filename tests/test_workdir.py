"""The workdir's promises (docs/reliability.md), each fault injected into real tools/train.py runs:
one writer, a configuration guard, fallback to an intact checkpoint, exact resume, disk faults."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

from conftest import ROOT, run_train

TRAIN = os.path.join(ROOT, "tools", "train.py")
TINY = ["--dataset=ring", "--latent_dim=4", "--g_hidden=16", "--d_hidden=16", "--batch_size=16", "--log_every=5",
        "--sample_every=10", "--checkpoint_every=10", "--steps_per_epoch=10", "--nojit_compile", "--nomonitor"]


def strict_records(workdir):
    """metrics.jsonl parsed by a strict parser: NaN / Infinity tokens are an error."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return [json.loads(line, parse_constant=refuse) for line in open(os.path.join(workdir, "metrics.jsonl"))]


def logged_steps(workdir):
    return [r["step"] for r in strict_records(workdir) if "nan_steps" in r]


def test_a_second_writer_exits_at_once_naming_the_owner_and_every_step_is_logged_once(tmp_path):
    workdir = tmp_path / "run"
    first = subprocess.Popen([sys.executable, TRAIN, *TINY, f"--workdir={workdir}", "--train_steps=400"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lock = workdir / ".lock"
    deadline = time.time() + 120
    while not (lock.exists() and lock.read_text().startswith("pid")) and time.time() < deadline:
        time.sleep(0.2)
    second = run_train(*TINY, f"--workdir={workdir}", "--train_steps=400", check=False)
    _, errors = first.communicate(timeout=300)
    assert first.returncode == 0, errors[-2000:]
    assert second.returncode == 1 and second.stderr.strip().splitlines() == [
        f"error: --workdir={workdir}: is in use by pid {first.pid} on {os.uname().nodename} since "
        f"{second.stderr.split(' since ')[1].split(';')[0]}; wait for it to end, or use another --workdir."]
    assert logged_steps(workdir) == list(range(5, 401, 5))
    assert lock.read_text() == ""  # released on exit


@pytest.fixture(scope="module")
def trained_workdir(tmp_path_factory):
    """A workdir trained 10 steps, shared by the refusals (which change nothing in it)."""
    workdir = tmp_path_factory.mktemp("trained") / "run"
    run_train(*TINY, f"--workdir={workdir}", "--train_steps=10")
    return workdir


@pytest.mark.parametrize("args,named", [
    (["--loss=least_squares"], "--loss=non_saturating in the workdir, least_squares now"),
    (["--dataset=grid"], "--dataset=ring in the workdir, grid now"),
    (["--batch_size=64"], "--batch_size=16 in the workdir, 64 now"),
    (["--latent_dim=8", "--g_hidden=32"], "--g_hidden=16 in the workdir, 32 now; --latent_dim=4 in the workdir, 8 now"),
])
def test_a_resume_that_changes_the_model_is_refused_naming_each_setting(trained_workdir, args, named):
    workdir = trained_workdir
    before = {p.name: p.read_bytes() for p in (workdir / "checkpoints").iterdir()}
    result = run_train(*TINY, f"--workdir={workdir}", "--train_steps=20", *args, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: --workdir={workdir}: was trained with other settings: {named}." in result.stderr
    assert "--allow_config_change" in result.stderr
    assert {p.name: p.read_bytes() for p in (workdir / "checkpoints").iterdir()} == before
    assert logged_steps(workdir) == [5, 10]


def test_longer_training_and_other_cadences_are_accepted_and_a_change_can_be_forced(tmp_path):
    workdir = tmp_path / "run"
    run_train(*TINY, f"--workdir={workdir}", "--train_steps=10")
    run_train(*TINY, f"--workdir={workdir}", "--train_steps=20", "--sample_every=20", "--log_every=10")
    assert logged_steps(workdir) == [5, 10, 20]
    forced = run_train(*TINY, f"--workdir={workdir}", "--train_steps=30", "--loss=least_squares",
                       "--allow_config_change")
    assert "Resumed from" in forced.stderr
    assert json.load(open(workdir / "config.json"))["recipe"]["loss"] == "least_squares"


def test_without_the_state_file_the_newest_checkpoint_is_found_and_nothing_is_rewritten(tmp_path):
    workdir = tmp_path / "run"
    run_train(*TINY, f"--workdir={workdir}", "--train_steps=30")
    os.remove(workdir / "checkpoints" / "checkpoint")
    kept = {name: (workdir / "checkpoints" / name).read_bytes() for name in os.listdir(workdir / "checkpoints")}
    result = run_train(*TINY, f"--workdir={workdir}", "--train_steps=40")
    assert f"Resumed from {workdir}/checkpoints/ckpt-30 (step 30)." in result.stderr
    assert logged_steps(workdir) == list(range(5, 41, 5))
    for name, data in kept.items():  # ckpt-10 went when ckpt-40 came (3 kept); the others are untouched
        assert name.startswith("ckpt-10") or (workdir / "checkpoints" / name).read_bytes() == data
    assert sorted(n for n in os.listdir(workdir / "checkpoints") if n.endswith(".index")) == [
        "ckpt-20.index", "ckpt-30.index", "ckpt-40.index"]


def test_a_truncated_newest_checkpoint_is_set_aside_and_the_one_before_restored(tmp_path):
    workdir = tmp_path / "run"
    run_train(*TINY, f"--workdir={workdir}", "--train_steps=30")
    data = workdir / "checkpoints" / "ckpt-30.data-00000-of-00001"
    damaged = data.read_bytes()[:len(data.read_bytes()) // 3]
    data.write_bytes(damaged)
    (workdir / "checkpoints" / "ckpt-40_temp").mkdir()  # what a save cut short leaves
    result = run_train(*TINY, f"--workdir={workdir}", "--train_steps=40")
    assert "ckpt-30 is damaged" in result.stderr and "set aside as damaged-ckpt-30" in result.stderr
    assert f"Resumed from {workdir}/checkpoints/ckpt-20 (step 20)." in result.stderr
    assert (workdir / "checkpoints" / "damaged-ckpt-30.data-00000-of-00001").read_bytes() == damaged
    assert not (workdir / "checkpoints" / "ckpt-40_temp").exists()
    assert logged_steps(workdir) == list(range(5, 41, 5))


def test_a_killed_deterministic_run_resumes_to_exactly_the_uninterrupted_run(tmp_path):
    common = [*TINY, "--train_steps=60", "--deterministic", "--label_smoothing=0.9", "--instance_noise=0.1",
              "--replay_size=32", "--ema_decay=0.9"]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    run_train(*common, f"--workdir={straight}")
    job = subprocess.Popen([sys.executable, TRAIN, *common, f"--workdir={killed}", "--steps_per_epoch=10"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "ckpt-30.index").exists() and time.time() < deadline:
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not (killed / "generator").exists()
    run_train(*common, f"--workdir={killed}")
    assert (killed / "metrics.jsonl").read_text() == (straight / "metrics.jsonl").read_text()
    import tensorflow as tf

    z = tf.constant(np.random.default_rng(0).normal(size=(8, 4)), tf.float32)
    outputs = [tf.saved_model.load(str(w / "generator")).signatures["serving_default"](z=z)["samples"].numpy()
               for w in (straight, killed)]
    np.testing.assert_array_equal(*outputs)


def test_non_finite_values_are_strict_json_nulls_counted_in_nan_steps(tmp_path):
    workdir = tmp_path / "run"
    common = ["--dataset=toy1d", "--latent_dim=4", "--g_hidden=16", "--d_hidden=16", "--batch_size=16",
              f"--workdir={workdir}", "--checkpoint_every=2", "--log_every=1", "--max_nan_steps=3", "--nojit_compile"]
    run_train(*common, "--train_steps=2")
    # Data that overflows float32 in D: every step is non-finite.
    run_train(*common, "--train_steps=50", "--toy_mean=1e38", "--allow_config_change", check=False)
    records = [r for r in strict_records(workdir) if "nan_steps" in r]
    assert [r["nan_steps"] for r in records] == [0, 0, 1, 2, 3]
    assert records[-1]["d_loss"] is None


def test_a_metrics_path_that_is_a_directory_is_one_line(tmp_path):
    workdir = tmp_path / "run"
    (workdir / "metrics.jsonl").mkdir(parents=True)
    result = run_train(*TINY, f"--workdir={workdir}", "--train_steps=10", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (f"error: --workdir={workdir}: {workdir}/metrics.jsonl must be "
                                                      f"a file; move it away.")


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)
    shutil.rmtree(mount, ignore_errors=True)


def test_a_disk_that_fills_stops_with_one_line_and_the_last_checkpoint_readable(tiny_disk):
    workdir = tiny_disk / "run"
    result = run_train(*TINY, f"--workdir={workdir}", "--train_steps=5000", "--checkpoint_every=20",
                       "--sample_every=20", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: --workdir={workdir}: writing ") and "No space left on device" in line
    last = line.split("the last good checkpoint is ")[1].split(";")[0]
    import tensorflow as tf

    assert tf.train.load_checkpoint(last).get_variable_to_shape_map()  # readable
    assert last.endswith(f"ckpt-{max(int(n[5:-6]) for n in os.listdir(workdir / 'checkpoints') if n.endswith('.index'))}")
