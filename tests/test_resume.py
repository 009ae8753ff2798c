"""A training job killed with SIGKILL resumes from its last checkpoint (tools/train.py, subprocesses)."""

import json
import os
import signal
import subprocess
import sys
import time

import tensorflow as tf

from conftest import ROOT

TRAIN = os.path.join(ROOT, "tools", "train.py")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def test_sigkill_after_first_checkpoint_then_rerun_finishes_with_each_step_once(tmp_path):
    workdir = str(tmp_path / "run")
    args = [sys.executable, TRAIN, "--dataset=ring", "--latent_dim=4", "--g_hidden=16", "--d_hidden=16",
            "--batch_size=16", f"--workdir={workdir}", "--train_steps=120", "--checkpoint_every=10",
            "--log_every=1", "--sample_every=40", "--steps_per_epoch=40", "--verbose=0"]
    job = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    index = os.path.join(workdir, "checkpoints", "checkpoint")
    deadline = time.time() + 300
    while not os.path.exists(index) and job.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    job.send_signal(signal.SIGKILL)
    job.communicate()
    assert job.returncode == -signal.SIGKILL  # killed mid-run, not finished
    killed_at = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    resumed_step = int(killed_at.rsplit("-", 1)[1])
    assert 10 <= resumed_step < 120

    rerun = subprocess.run(args, capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"(step {resumed_step})" in rerun.stderr
    assert json.loads(rerun.stdout.strip().splitlines()[-1])["step"] == 120
    steps = [json.loads(line)["step"] for line in open(os.path.join(workdir, "metrics.jsonl"))]
    assert steps == list(range(1, 121))  # lines the killed run wrote past its checkpoint were dropped
    final = tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")))
    iterations = {k: final.get_tensor(k) for k in final.get_variable_to_shape_map()
                  if k.endswith("iterations/.ATTRIBUTES/VARIABLE_VALUE")}
    # One D and one G update a step, counted from the checkpoint on, not from 0 again.
    assert sorted(iterations) == ["d_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE",
                                  "g_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"]
    assert all(int(v) == 120 for v in iterations.values())
