"""tools/train.py's Lipschitz flags: bad values fail in one line naming the flag."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT

TRAIN = os.path.join(ROOT, "tools", "train.py")


@pytest.mark.parametrize("flag,message", [
    ("--clip=-0.01", "--clip=-0.01: must be >= 0."),
    ("--penalty_weight=-1", "--penalty_weight=-1.0: must be >= 0."),
    ("--d_fourier_features=7", "--d_fourier_features=7: must be 0 (off) or a positive even number."),
])
def test_negative_clip_or_penalty_weight_is_a_usage_error(tmp_path, flag, message):
    result = subprocess.run([sys.executable, TRAIN, "--dataset=ring", f"--workdir={tmp_path}", "--penalty=gp", flag],
                            capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"error: {message}"
    assert "Traceback" not in result.stderr
