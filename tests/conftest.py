import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tfgan import console  # noqa: E402

console.import_tensorflow()  # without TensorFlow's C++ start-up lines in the test output

import keras  # noqa: E402
import pytest  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)
    yield
    # `tfgan.recipes.train(..., deterministic=True)` turns op determinism on for the process (and with it
    # Keras's XLA off): the next test in this worker starts without it.
    from tensorflow.python.framework import config  # TensorFlow exports the switch on, not the switch off

    if config.is_op_determinism_enabled():
        config.disable_op_determinism()


def run_train(*args, check=True, xla=False):
    """tools/train.py in a subprocess, as a user runs it. XLA is off unless `xla` (its compile costs a
    few seconds per run; tests/test_execution.py and tests/test_recipes.py cover it)."""
    import subprocess

    command = [sys.executable, os.path.join(ROOT, "tools", "train.py"), *args]
    if not xla and not any(a.startswith(("--jit_compile", "--nojit_compile")) for a in args):
        command.append("--nojit_compile")
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(result.stderr[-3000:])
    return result
