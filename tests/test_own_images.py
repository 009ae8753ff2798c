"""docs/own_images.md, run as written on images this test writes: a flat folder, a folder of classes
(--model=cgan), tensorflow-datasets offline, and the Python way."""

import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import ROOT, run_train

DOC = os.path.join(ROOT, "docs", "own_images.md")


def doc_commands():
    return [line.split("#")[0].split() for line in open(DOC) if line.startswith("python tools/train.py")]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    (root / "my_images").mkdir()
    for i in range(12):  # odd sizes and grey files: cropped, resized and made RGB
        Image.fromarray(rng.integers(0, 255, (40, 30), dtype=np.uint8)).save(root / "my_images" / f"{i:04d}.png")
    for name in ("cats", "dogs"):
        (root / "my_classes" / name).mkdir(parents=True, exist_ok=True)
        for i in range(8):
            colour = rng.integers(0, 255, (36, 36, 3), dtype=np.uint8)
            Image.fromarray(colour).save(root / "my_classes" / name / f"{i:04d}.jpg")
    return root


def run_doc_command(args, root, workdir):
    args = [a.replace("folder:my_images", f"folder:{root / 'my_images'}")
             .replace("folder:my_classes", f"folder:{root / 'my_classes'}") for a in args[2:]]
    args = [a for a in args if not a.startswith("--workdir=")] + [f"--workdir={workdir}", "--train_steps=2"]
    return run_train(*args, check=False)


def test_the_docs_commands_train_a_flat_folder_and_a_folder_of_classes(images, tmp_path):
    flat, classes = [c for c in doc_commands() if "--dataset=folder:my_images" in c or "--dataset=folder:my_classes" in c]
    for command, name in ((flat, "flat"), (classes, "classes")):
        result = run_doc_command(command, images, tmp_path / name)
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout)["step"] == 2
        served = tf.saved_model.load(str(tmp_path / name / "generator"))
        inputs = served.signatures["serving_default"].structured_input_signature[1]
        assert ("labels" in inputs) == (name == "classes")
        out = served.signatures["sample"](n=tf.constant(2), seed=tf.constant(0),
                                         **({"labels": tf.constant([0, 1])} if name == "classes" else {}))
        assert out["images"].shape == (2, 32, 32, 3) and out["images"].dtype == tf.uint8
        assert os.listdir(tmp_path / name / "samples") == ["step_000002.png"]


def test_a_flat_folder_has_no_classes_for_a_conditional_model(images, tmp_path):
    flat = [c for c in doc_commands() if "--dataset=folder:my_images" in c][0]
    result = run_doc_command(flat + ["--model=cgan"], images, tmp_path / "w")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: --model=cgan: needs labelled data")


def test_tfds_offline_is_one_line_naming_tfds_build_and_leaves_no_workdir(tmp_path):
    command = [c for c in doc_commands() if "--dataset=tfds:mnist" in c][0]
    result = run_train(*command[2:-1], f"--workdir={tmp_path / 'mnist'}", f"--data_dir={tmp_path / 'no_data'}",
                       "--eval_every=10", "--eval_metrics=fid", check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: --dataset=tfds:mnist: TFDS dataset `mnist` (split 'train') is not on disk")
    assert "tfds build mnist --data_dir=DIR" in lines[0] and "--data_dir=DIR" in lines[0]
    assert not (tmp_path / "mnist").exists()


def test_the_python_way_on_the_page_runs(images, tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", open(DOC).read(), re.S).group(1)
    code = code.replace('"folder:my_images", image_size=32)', f'"folder:{images / "my_images"}", image_size=32, '
                                                               f'train_steps=2, jit_compile=False)')
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(code, scope)  # noqa: S102  (the documentation's own example)
    assert scope["images"].shape == (16, 32, 32, 3) and np.abs(scope["images"]).max() <= 1.0
    assert int(scope["model"].step_counter.numpy()) == 2 and (tmp_path / "runs" / "mine" / "generator").is_dir()
