"""The translation recipes through `tfgan.recipes.train` (workdir, samples, resume, export) and the tools
on their exports: tools/sample.py translating a folder, tools/evaluate.py and the figure script scoring
and drawing `digits_rot90`."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf
from PIL import Image

import tfgan
from conftest import ROOT
from tfgan import recipes
from tfgan.recipes import training

SMALL = dict(train_steps=4, base_filters=8, batch_size=16, sample_every=2, checkpoint_every=2, log_every=2, restarts=1,
             restart_steps=0, steps_per_epoch=2, jit_compile=False, verbose=0)


def steps_logged(workdir):
    return [json.loads(line)["step"] for line in open(os.path.join(workdir, "metrics.jsonl"))]


def tool(*args):
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name,signatures", [("pix2pix_digits_rot90", ["serving_default"]),
                                             ("cyclegan_digits_rot90", ["b_to_a", "serving_default"])])
def test_recipe_trains_resumes_and_exports(tmp_path, name, signatures):
    workdir = str(tmp_path / "run")
    model = recipes.train(recipes.load(name, **{**SMALL, "train_steps": 2}), workdir)
    assert int(model.step_counter.numpy()) == 2
    model = recipes.train(recipes.load(name, **SMALL), workdir)  # resumes at step 2
    assert int(model.step_counter.numpy()) == 4 and steps_logged(workdir) == [2, 4]
    assert sorted(os.listdir(os.path.join(workdir, "samples"))) == ["step_000002.png", "step_000004.png"]
    rows = 3 if name.startswith("pix2pix") else 4  # input, output, target (+ b_to_a for cyclegan)
    grid = tf.io.decode_png(tf.io.read_file(os.path.join(workdir, "samples", "step_000004.png")))
    assert grid.shape[0] > 0 and grid.shape[1] / grid.shape[0] == pytest.approx(16 / rows, rel=0.1)
    export = tf.saved_model.load(os.path.join(workdir, "generator"))
    assert sorted(export.signatures) == signatures
    if name.startswith("cyclegan"):  # the pool of 50 resumed with 32 fakes, then filled: restored, not restarted
        assert int(model.pools()["a"].count.numpy()) == 50


def pixel_frechet_distance(x, y):
    """Squared Frechet distance of Gaussians fitted to two sets of flattened images (numpy / scipy)."""
    x, y = x.reshape(len(x), -1).astype(np.float64), y.reshape(len(y), -1).astype(np.float64)
    cx, cy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = scipy.linalg.sqrtm(cx @ cy)
    if not np.isfinite(root).all():
        offset = 1e-6 * np.eye(len(cx))
        root = scipy.linalg.sqrtm((cx + offset) @ (cy + offset))
    return float(((x.mean(0) - y.mean(0)) ** 2).sum() + np.trace(cx + cy - 2 * root.real))


def restart_distance(workdir, seed):
    """The translation distance of the restart from `seed`, recomputed with numpy / scipy from its export."""
    batches = tfgan.data.load_translation("digits_rot90", SMALL["batch_size"], paired=False, seed=seed,
                                          max_examples=1500)[0].take(1024 // SMALL["batch_size"])
    a, b = (np.concatenate(parts) for parts in zip(*[(x.numpy(), y.numpy()) for x, y in batches]))
    export = tfgan.evaluation.load_translators(os.path.join(workdir, "restarts", f"seed-{seed}", "generator"))
    return pixel_frechet_distance(export["serving_default"](a), b) + pixel_frechet_distance(export["b_to_a"](b), a)


@pytest.mark.slow  # eight short trainings
def test_restarts_halve_to_the_seed_whose_translations_are_closest(tmp_path):
    workdir = str(tmp_path / "run")
    recipe = recipes.load("cyclegan_digits_rot90", **{**SMALL, "train_steps": 8, "restarts": 3, "deterministic": True})
    model = recipes.train(recipe, workdir)
    record = json.load(open(os.path.join(workdir, "restarts.json")))
    first, last = record["rounds"]  # 3 restarts at 2 steps, the closer 2 at 4, the closer one on to 8
    assert (first["steps"], last["steps"]) == (2, 4) and sorted(first["distances"]) == ["0", "1", "2"]
    survivors = sorted(first["distances"], key=first["distances"].get)[:2]
    assert sorted(last["distances"]) == sorted(survivors)
    assert str(record["chosen"]) == min(last["distances"], key=last["distances"].get)
    for seed, distance in {**first["distances"], **last["distances"]}.items():  # each from its latest export
        assert distance == pytest.approx(restart_distance(workdir, int(seed)), rel=0.02)
    assert int(model.step_counter.numpy()) == 8 and steps_logged(workdir) == [2, 4, 6, 8]
    assert json.load(open(os.path.join(workdir, "config.json")))["recipe"]["seed"] == record["chosen"]
    # The run is the one its seed makes uninterrupted: the same metrics and translator.
    alone = str(tmp_path / "alone")
    single = recipes.train(recipe.replace(restarts=1, seed=record["chosen"]), alone)
    assert open(os.path.join(alone, "metrics.jsonl")).read() == open(os.path.join(workdir, "metrics.jsonl")).read()
    for w, v in zip(model.generator.weights, single.generator.weights):
        np.testing.assert_array_equal(w.numpy(), v.numpy())
    with pytest.raises(training.WorkdirError, match="not --seed=7; use --seed=0"):
        recipes.train(recipe.replace(seed=7), workdir)
    with pytest.raises(training.WorkdirError, match="holds a run made without --restarts=3"):
        recipes.train(recipe, alone)


def test_restarts_killed_between_rounds_go_on_from_the_recorded_round(tmp_path):
    workdir = tmp_path / "run"
    recipe = recipes.load("cyclegan_digits_rot90", **{**SMALL, "train_steps": 8, "restarts": 3})
    workdir.mkdir()  # as a job killed after the first round left it: seeds 0 and 2 the closer two
    first = {"steps": 2, "distances": {"0": 1.0, "1": 3.0, "2": 2.0}}
    (workdir / "restarts.json").write_text(json.dumps({"seed": 0, "rounds": [first]}))
    record = {"seed": 0, "rounds": [dict(first)]}
    training._halve(recipe, training.Workdir(str(workdir)), record, progress=False)
    assert record["rounds"][0] == first and sorted(record["rounds"][1]["distances"]) == ["0", "2"]
    assert record["chosen"] in (0, 2) and not (workdir / "restarts" / "seed-1").exists()
    assert json.load(open(workdir / "restarts.json")) == record


@pytest.mark.slow
def test_tools_translate_a_folder_score_and_draw_an_export(tmp_path):
    model = tfgan.CycleGAN(*(tfgan.nets.unet_generator(8, 1, base_filters=4, dropout=0.0) for _ in range(2)),
                           *(tfgan.nets.patch_discriminator(8, 1, base_filters=4) for _ in range(2)))
    export = model.export(str(tmp_path / "generator"))
    inputs = tmp_path / "in"
    inputs.mkdir()
    for k in range(3):
        Image.fromarray(np.full((16, 16), 60 * k, np.uint8)).save(inputs / f"{k}.png")
    got = tool("tools/sample.py", f"--generator={export}", f"--input_dir={inputs}", f"--output_dir={tmp_path / 'out'}",
               "--direction=b_to_a")
    assert got["translated"] == 3 and sorted(os.listdir(tmp_path / "out")) == ["0.png", "1.png", "2.png"]
    x = np.full((1, 8, 8, 1), 60 / 127.5 - 1, np.float32)  # 16x16 files are resized to the export's 8x8
    want = tfgan.data.to_uint8(model.generator_ba(x)).numpy()[0]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "1.png"))[..., None], want)

    scores = tool("tools/evaluate.py", f"--generator={export}", "--dataset=digits_rot90", "--max_examples=1700")
    assert scores["examples"] == 97 and scores["train_examples"] == 1700
    assert {"mae", "class_kept", "swaps", "cycle_error", "b_to_a_mae", "b_to_a_class_kept"} <= set(scores)

    drawn = tool("tools/demos/translation_figure.py", f"--generator={export}", f"--out={tmp_path / 'fig.png'}",
                 "--count=5")
    picture = tf.io.decode_png(tf.io.read_file(drawn["written"]))
    assert picture.shape[1] / picture.shape[0] == pytest.approx(5 / 4, rel=0.1)  # input, output, target, cycle


def test_translation_scores_against_a_direct_computation():
    a, b, labels = tfgan.data.digits_rot90_arrays()
    a, b = (x[:40].astype(np.float32) / 127.5 - 1 for x in (a, b))
    classifier = tfgan.features.digits_classifier()
    perfect = tfgan.evaluation.digits_rot90_scores(lambda x: np.rot90(x, k=1, axes=(1, 2)), 0, 40,
                                                   translate_back=lambda x: np.rot90(x, k=-1, axes=(1, 2)),
                                                   classifier=classifier)
    assert perfect["mae"] == 0 and perfect["cycle_error"] == 0 and perfect["b_to_a_mae"] == 0
    assert perfect["class_kept"] == perfect["reference_accuracy"]
    # The identity: outputs are the inputs, so the error is |a - rot90(a)| and the class is read off rot(a, -90).
    same = tfgan.evaluation.digits_rot90_scores(lambda x: x, 0, 40, classifier=classifier)
    assert same["mae"] == pytest.approx(np.abs(a - b).mean(), rel=1e-6)
    predicted = classifier.predict(np.rot90(a, k=-1, axes=(1, 2))).argmax(axis=1)
    assert same["class_kept"] == pytest.approx(np.mean(predicted == labels[:40]))
    assert sum(same["swaps"].values()) <= 40 - round(40 * same["class_kept"])
