"""Serving the exported generator: saved_model_cli sees the signatures; tools/sample.py works from it alone."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tfgan
from conftest import ROOT

SAMPLE = os.path.join(ROOT, "tools", "sample.py")
ENV = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user runs it
# Runs a script as `python SCRIPT ARGS` does, then says on stderr's last line whether TensorFlow was imported.
PROBE = ("import runpy, sys\n"
         "sys.argv = sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
         "finally:\n"
         "    print(f'tensorflow imported: {\"tensorflow\" in sys.modules}', file=sys.stderr)\n")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 1, 6, 8), tfgan.nets.dcgan_discriminator(8, 1, 8), 6)
    path = tfgan.export.export_generator(gan, str(tmp_path_factory.mktemp("export") / "generator"))
    return gan, path


def test_saved_model_cli_lists_both_signatures(exported):
    _, path = exported
    out = subprocess.run(["saved_model_cli", "show", "--dir", path, "--all"], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, check=True).stdout
    serving = out.split("signature_def['serving_default']")[1].split("signature_def[")[0]
    sample = out.split("signature_def['sample']")[1].split("signature_def[")[0]
    assert "inputs['z'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 6)" in serving
    assert "outputs['images'] tensor_info:\n        dtype: DT_UINT8\n        shape: (-1, 8, 8, 1)" in serving
    assert "inputs['n'] tensor_info:\n        dtype: DT_INT32\n        shape: ()" in sample
    assert "inputs['seed'] tensor_info:\n        dtype: DT_INT32\n        shape: ()" in sample


def test_sample_tool_writes_grid_interpolations_and_arrays(exported, tmp_path):
    gan, path = exported
    out_dir = str(tmp_path / "sampled")
    result = subprocess.run([sys.executable, SAMPLE, f"--generator={path}", f"--output_dir={out_dir}",
                             "--num_samples=9", "--interpolation_steps=5"], capture_output=True, text=True, env=ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""  # no TensorFlow start-up lines, no absl INFO
    assert sorted(os.listdir(out_dir)) == ["grid.png", "interpolation_linear.png", "interpolation_slerp.png",
                                           "samples.npz"]
    arrays = np.load(os.path.join(out_dir, "samples.npz"))
    assert arrays["z"].shape == (9, 6) and arrays["outputs"].shape == (9, 8, 8, 1)
    assert arrays["outputs"].dtype == np.uint8
    # The outputs are the generator's for the saved noise.
    want = tfgan.data.to_uint8(gan.generator(arrays["slerp_z"], training=False)).numpy()
    np.testing.assert_array_equal(arrays["slerp_outputs"], want)
    slerp, linear = arrays["slerp_z"], arrays["linear_z"]
    np.testing.assert_allclose(slerp[[0, -1]], linear[[0, -1]], rtol=1e-6)  # same two ends
    # Linear: equal steps in space. Slerp's midpoint in closed form: sin(W/2)/sin(W) = 1/(2 cos(W/2)), W the
    # angle between the ends; it keeps the norm that the straight midpoint loses.
    np.testing.assert_allclose(np.diff(linear, axis=0), np.diff(linear, axis=0)[:1].repeat(4, 0), atol=1e-5)
    a, b = slerp[0], slerp[-1]
    omega = np.arccos(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))
    np.testing.assert_allclose(slerp[2], (a + b) / (2 * np.cos(omega / 2)), rtol=1e-4, atol=1e-5)
    assert np.linalg.norm(slerp[2]) > np.linalg.norm(linear[2])


@pytest.mark.parametrize("args,message", [
    ([], "--generator is required"),
    (["--generator={tmp}/none"], "--generator={tmp}/none: no such directory; expected tools/train.py's"),
    (["--generator={tmp}"], "--generator={tmp}: is not a SavedModel directory (no saved_model.pb in it)"),
    (["--generator={export}", "--num_samples=0"], "--num_samples=0: must be at least 1."),
    (["--generator={export}", "--interpolation_steps=1"], "--interpolation_steps=1: must be at least 2."),
    (["--generator={export}", "--per_class=x"], "flag --per_class=x: invalid literal for int()"),
    (["--generator={export}", "--dataset=moons"], "flag --dataset=moons: value should be one of <ring|grid|digits>"),
    (["--generator={export}", "--output={tmp}/none/classes.png"], "--output={tmp}/none/classes.png: its directory"),
])
def test_sample_tool_bad_input_is_one_line_before_tensorflow(exported, tmp_path, args, message):
    _, path = exported
    fill = dict(tmp=tmp_path, export=path)
    result = subprocess.run([sys.executable, "-c", PROBE, SAMPLE, *(a.format(**fill) for a in args)],
                            capture_output=True, text=True, env=ENV, timeout=60)
    *lines, probe = result.stderr.strip().splitlines()
    assert result.returncode == 1 and result.stdout == ""
    assert len(lines) == 1 and lines[0].startswith("error: ") and message.format(**fill) in lines[0], result.stderr
    assert probe == "tensorflow imported: False"
