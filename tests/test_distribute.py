"""tf.distribute: strategies by name, and N replicas computing what one replica computes."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import tfgan
from conftest import ROOT

ENV = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_script(name, env=ENV):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tests", name)], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def replicas():
    """One fresh process (2 logical CPUs must be set before TF initialises) runs all the comparisons."""
    return run_script("replica_checks.py")


@pytest.mark.parametrize("case", ["non_saturating", "wgan_gp", "sync_batchnorm"])
def test_one_step_on_two_replicas_equals_one_replica(replicas, case):
    got = replicas[case]
    assert replicas["replicas"] == 2
    assert got["moved"] > 1e-3  # the step changed the weights ...
    assert got["weights"] < 1e-5  # ... identically on 1 and 2 replicas


@pytest.mark.parametrize("case", ["non_saturating", "wgan_gp", "sync_batchnorm"])
def test_logged_losses_on_two_replicas_equal_one_replica(replicas, case):
    logs1, logs2 = replicas[case]["logs1"], replicas[case]["logs2"]
    # Gradient norms are each replica's share of the gradient (docs/scaling.md); every other value is
    # reduced over the global batch.
    names = [k for k in logs1 if not k.endswith("grad_norm")]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(names)
    for name in names:
        np.testing.assert_allclose(logs2[name], logs1[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_batchnorm_without_sync_differs_across_replica_counts(replicas):
    # Per-replica batch statistics: the case sync_batchnorm fixes.
    assert replicas["batchnorm"]["weights"] > 1e-3
    assert abs(replicas["batchnorm"]["logs1"]["d_loss"] - replicas["batchnorm"]["logs2"]["d_loss"]) > 1e-4


def test_each_replica_draws_its_own_noise(replicas):
    assert replicas["noise"]["halves_differ"]
    assert replicas["noise"]["concat_equals_one_replica"] == 0.0


def test_unknown_strategy_and_missing_tf_config_are_named(monkeypatch):
    with pytest.raises(ValueError, match="Received: `strategy='nccl'`"):
        tfgan.distribute.get_strategy("nccl")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the TF_CONFIG"):
        tfgan.distribute.get_strategy("multi_worker_mirrored")
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["127.0.0.1:1"]},
                                                "task": {"type": "worker", "index": 3}}))
    with pytest.raises(ValueError, match="task worker:3 is not in its cluster"):
        tfgan.distribute.get_strategy("multi_worker_mirrored")


def test_one_device_strategy_and_chief():
    strategy = tfgan.distribute.get_strategy("one_device")
    assert strategy.num_replicas_in_sync == 1 and strategy.extended.worker_devices[0].endswith("CPU:0")
    assert tfgan.distribute.is_chief(strategy)


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_mirrored_two_local_workers_end_identical():
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    script = os.path.join(ROOT, "tests", "multi_worker_checks.py")
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env={**ENV, "TF_CONFIG": tf_config}))
    outs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr[-3000:]
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    assert [o["replicas"] for o in outs] == [2, 2] and [o["chief"] for o in outs] == [True, False]
    assert [o["step"] for o in outs] == [3, 3] and outs[0]["moved"] > 1e-3
    for a, b in zip(outs[0]["weights"], outs[1]["weights"]):
        np.testing.assert_array_equal(a, b)
