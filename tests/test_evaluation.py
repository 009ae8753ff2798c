"""tfgan.evaluation (Evaluator, Evaluation callback) and tools/evaluate.py."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

import tfgan
from tfgan import evaluation, export, features

from conftest import ROOT

EVALUATE = os.path.join(ROOT, "tools", "evaluate.py")
TRAIN_CLASSIFIER = os.path.join(ROOT, "tools", "train_classifier.py")
ENV = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user runs it
# Runs a script as `python SCRIPT ARGS` does, then says on stderr's last line whether TensorFlow was imported.
PROBE = ("import runpy, sys\n"
         "sys.argv = sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
         "finally:\n"
         "    print(f'tensorflow imported: {\"tensorflow\" in sys.modules}', file=sys.stderr)\n")


def test_toy1d_metrics_match_numpy_and_the_closed_form_wasserstein():
    evaluator = evaluation.Evaluator("toy1d")
    x = np.random.default_rng(3).normal(7.0, 1.0, (4000, 1))
    result = evaluator(x)
    assert result["mean"] == pytest.approx(x.mean()) and result["std"] == pytest.approx(x.std())
    # W1 between N(7, 1) and the data N(5, 1) is the shift, 2.
    assert result["wasserstein"] == pytest.approx(2.0, abs=0.08)
    ref = np.random.default_rng(12345).normal(5.0, 1.0, tfgan.data.NUM_POINTS)
    assert result["wasserstein"] == pytest.approx(scipy.stats.wasserstein_distance(x.ravel(), ref))


def test_mixture_metrics_count_the_modes_of_known_samples():
    evaluator = evaluation.Evaluator("ring")
    x, modes = tfgan.data.mixture_samples("ring", 2500, seed=0)
    assert evaluator(x)["modes"] == 8
    half = x[modes < 4]  # four of the eight modes, equally often: KL from uniform is log 2
    result = evaluator(half)
    assert result["modes"] == 4 and result["kl"] == pytest.approx(np.log(2), abs=0.01)
    assert list(result) == ["modes", "high_quality", "kl"]


@pytest.fixture(scope="module")
def digits_evaluator():
    return evaluation.Evaluator("digits")


def test_digits_metrics_on_real_digits_and_on_one_repeated_digit(digits_evaluator):
    evaluator = digits_evaluator
    images, labels = tfgan.data.digits_arrays()
    real = evaluator(images)
    assert real["fd"] == pytest.approx(0.0, abs=1e-6)  # the reference set itself
    assert real["precision"] == 1.0 and real["recall"] == 1.0 and real["classes_covered"] == 10
    one = evaluator(np.repeat(images[labels == 3][:1], 200, axis=0))
    assert one["classes_covered"] == 1 and one["class_kl"] == pytest.approx(np.log(10))
    assert one["fd"] > 10 * abs(real["fd"]) + 1.0 and one["kid"] > 0 and one["recall"] < 0.05
    assert list(one) == ["fd", "kid", "kid_std", "precision", "recall", "classes_covered", "class_kl"]


def test_evaluator_rejects_unknown_metrics_and_missing_inception_weights(tmp_path):
    with pytest.raises(ValueError, match="metrics=fd"):
        evaluation.Evaluator("ring", ["fd"])
    with pytest.raises(FileNotFoundError, match="inception_v3_weights"):
        evaluation.Evaluator("digits", ["fid"], inception_weights=str(tmp_path / "none.h5"))
    with pytest.raises(ValueError, match="are 16x16x1"):  # the digits classifier takes 8x8 images only
        evaluation.Evaluator("digits", image_size=16)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        evaluation.Evaluator("toy1d")(np.zeros((10, 2)))


def small_gan(dataset, latent_dim=4):
    info = tfgan.data.info(dataset)
    if info.kind == "image":
        g, d = tfgan.nets.dcgan_generator(8, 1, latent_dim, 8), tfgan.nets.dcgan_discriminator(8, 1, 8)
    else:
        g, d = tfgan.nets.mlp_generator(info.shape, latent_dim, [16]), tfgan.nets.mlp_discriminator(info.shape, [16])
    gan = tfgan.GAN(g, d, latent_dim, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


@pytest.mark.parametrize("dataset", ["ring", "grid", "toy1d", "digits"])
def test_evaluate_generator_on_an_exported_generator(tmp_path, dataset, digits_evaluator):
    gan = small_gan(dataset)
    gan.fit(tfgan.data.load(dataset, 16)[0], steps_per_epoch=2, epochs=1, verbose=0)
    path = export.export_generator(gan, str(tmp_path / "generator"))  # what tools/train.py writes
    evaluator = digits_evaluator if dataset == "digits" else evaluation.Evaluator(dataset)
    result = evaluation.evaluate_generator(path, evaluator, num_samples=300, seed=1)
    assert list(result) == list(evaluator.outputs)
    # The same numbers from the SavedModel's own samples for that seed.
    samples = tf.saved_model.load(path).signatures["sample"](n=tf.constant(300), seed=tf.constant(1))
    expected = evaluator(next(iter(samples.values())).numpy())
    assert result == pytest.approx(expected)


def test_a_conditional_generator_is_sampled_with_every_class_in_turn(tmp_path):
    classes = 3
    gan = tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 4, classes, (8,)),
                               tfgan.nets.conditional_mlp_discriminator(2, classes, (8,)), latent_dim=4,
                               num_classes=classes, seed=0)
    path = export.export_generator(gan, str(tmp_path / "generator"))
    sample, shape = evaluation.load_sampler(path)
    labels = np.arange(7) % classes
    expected = tf.saved_model.load(path).signatures["sample"](
        n=tf.constant(7), seed=tf.constant(2), labels=tf.constant(labels, tf.int32))["samples"].numpy()
    assert shape == (2,)
    np.testing.assert_allclose(sample(7, 2), expected)
    # The labels matter: asking for class 0 throughout gives other samples.
    other = tf.saved_model.load(path).signatures["sample"](
        n=tf.constant(7), seed=tf.constant(2), labels=tf.zeros([7], tf.int32))["samples"].numpy()
    assert not np.allclose(other, expected)


class Scripted(evaluation.Evaluator):
    """A ring Evaluator whose `kl` follows a script, recording the samples each call saw."""

    def __init__(self, values):
        super().__init__("ring")
        self.values = list(values)
        self.seen = []

    def __call__(self, samples):
        self.seen.append(np.array(samples))
        return {"modes": 8, "high_quality": 1.0, "kl": self.values.pop(0)}


def test_evaluation_logs_metrics_and_keeps_the_best_generator(tmp_path):
    gan = small_gan("ring")
    path, best_dir, export_dir = (str(tmp_path / n) for n in ("metrics.jsonl", "best", "generator_best"))
    scripted = Scripted([2.0, 1.0, 1.5])
    callback = tfgan.callbacks.Evaluation(scripted, every=5, num_samples=50, metrics_path=path,
                                     log_dir=str(tmp_path / "logs"), best_metric="kl", best_directory=best_dir,
                                     export_directory=export_dir)
    gan.fit(tfgan.data.load("ring", 16)[0], steps_per_epoch=15, epochs=1, verbose=0, callbacks=[callback])
    lines = [json.loads(line) for line in open(path)]
    assert [(r["step"], r["kl"]) for r in lines] == [(5, 2.0), (10, 1.0), (15, 1.5)]
    assert json.load(open(os.path.join(best_dir, "best.json"))) == {"step": 10, "metric": "kl", "value": 1.0}
    assert tf.train.latest_checkpoint(best_dir).endswith("ckpt-10")
    # The export is the step-10 generator: it maps the fixed noise to what was evaluated at step 10.
    z = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)  # the callback's fixed noise (seed 0)
    exported = tf.saved_model.load(export_dir).signatures["serving_default"](z=tf.constant(z))["samples"]
    np.testing.assert_allclose(exported.numpy(), scripted.seen[1], rtol=1e-5, atol=1e-6)
    assert not np.allclose(scripted.seen[1], scripted.seen[2])
    assert os.listdir(tmp_path / "logs" / "eval")

    # A resumed run only replaces the best with a better one.
    again = tfgan.callbacks.Evaluation(Scripted([1.2, 0.5]), every=5, num_samples=50, metrics_path=path,
                                  best_metric="kl", best_directory=best_dir)
    gan.fit(tfgan.data.load("ring", 16)[0], steps_per_epoch=5, epochs=1, verbose=0, callbacks=[again])
    assert json.load(open(os.path.join(best_dir, "best.json")))["step"] == 10
    gan.fit(tfgan.data.load("ring", 16)[0], steps_per_epoch=5, epochs=1, verbose=0, callbacks=[again])
    assert json.load(open(os.path.join(best_dir, "best.json"))) == {"step": 25, "metric": "kl", "value": 0.5}


def test_evaluation_rejects_a_metric_it_does_not_compute(tmp_path):
    with pytest.raises(ValueError, match="best_metric='fd'"):
        tfgan.callbacks.Evaluation("ring", best_metric="fd", best_directory=str(tmp_path))
    with pytest.raises(ValueError, match="num_samples=1"):
        tfgan.callbacks.Evaluation("ring", num_samples=1)


def run_evaluate(*args):
    return subprocess.run([sys.executable, EVALUATE, *args], capture_output=True, text=True, cwd=ROOT, env=ENV,
                          timeout=300)


def usage_error(script, *args):
    """The one `error: ...` line `script` prints for `args`, checking the exit code, that nothing else was
    printed and that TensorFlow was never imported."""
    result = subprocess.run([sys.executable, "-c", PROBE, script, *args], capture_output=True, text=True, cwd=ROOT,
                            env=ENV, timeout=60)
    *lines, probe = result.stderr.strip().splitlines()
    assert result.returncode == 1 and result.stdout == "", result.stderr[-2000:]
    assert probe == "tensorflow imported: False"
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    return lines[0]


@pytest.fixture(scope="module")
def ring_generator(tmp_path_factory):
    gan = small_gan("ring")
    return export.export_generator(gan, str(tmp_path_factory.mktemp("ring") / "generator"))


def test_evaluate_tool_prints_one_json_object(ring_generator):
    result = run_evaluate(f"--generator={ring_generator}", "--dataset=ring", "--num_samples=500")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""  # no TensorFlow start-up lines, no absl INFO
    printed = json.loads(result.stdout)
    assert (printed.pop("dataset"), printed.pop("num_samples")) == ("ring", 500)
    expected = evaluation.evaluate_generator(ring_generator, evaluation.Evaluator("ring"), 500, seed=0)
    assert printed == pytest.approx(expected)


@pytest.mark.parametrize("args,message", [
    (["--dataset=digits", "--metrics=fid", "--inception_weights=/nonexistent/inception.h5"],
     "--inception_weights=/nonexistent/inception.h5: InceptionV3 weights not found"),
    (["--dataset=digits"], "makes samples of shape (2,), but dataset 'digits' has samples of shape (8, 8, 1)"),
])
def test_evaluate_tool_bad_input_gives_one_clear_line(ring_generator, args, message):
    result = run_evaluate(f"--generator={ring_generator}", *args)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert features.INCEPTION_WEIGHTS_URL in result.stderr or "fid" not in " ".join(args)


@pytest.mark.parametrize("args,message", [
    ([], "--generator is required"),
    (["--generator={gen}"], "--dataset is required"),
    (["--generator={gen}", "--dataset=moons"], "--dataset=moons: Unknown dataset: `dataset='moons'`. Expected one of"),
    (["--generator={gen}", "--dataset=folder:{tmp}/none"], "--dataset=folder:{tmp}/none: {tmp}/none is not a "
                                                           "directory"),
    (["--generator={gen}", "--dataset=ring", "--num_samples=1"], "--num_samples=1: must be an integer >= 2."),
    (["--generator={gen}", "--dataset=ring", "--num_samples=lots"], "flag --num_samples=lots: invalid literal"),
    (["--generator={gen}", "--dataset=toy1d", "--toy_std=0"], "--toy_std=0.0: the toy data's standard deviation"),
    (["--generator={tmp}/none", "--dataset=ring"], "--generator={tmp}/none: no such directory; expected "
                                                   "tools/train.py's WORKDIR/generator."),
    (["--generator={tmp}", "--dataset=ring"], "--generator={tmp}: is not a SavedModel directory"),
])
def test_evaluate_tool_bad_flags_are_one_line_before_tensorflow(ring_generator, tmp_path, args, message):
    fill = dict(gen=ring_generator, tmp=tmp_path)
    assert message.format(**fill) in usage_error(EVALUATE, *(a.format(**fill) for a in args))


@pytest.mark.parametrize("args,message", [
    (["--epochs=0"], "--epochs=0: must be a positive integer."),
    (["--test_fraction=1"], "--test_fraction=1.0: must be in (0, 1)."),
    (["--learning_rate=nan"], "--learning_rate=nan: must be a positive number."),
    (["--min_accuracy=97"], "--min_accuracy=97.0: must be in [0, 1]."),
    (["--output_dir={file}/assets"], "--output_dir={file}/assets: cannot write a directory there."),
    (["--batch_size=big"], "flag --batch_size=big: invalid literal for int()"),
])
def test_train_classifier_tool_bad_flags_are_one_line_before_tensorflow(tmp_path, args, message):
    (tmp_path / "file").write_text("not a directory")
    fill = dict(file=tmp_path / "file")
    assert message.format(**fill) in usage_error(TRAIN_CLASSIFIER, *(a.format(**fill) for a in args))


def test_train_classifier_tool_writes_weights_that_score_the_recorded_accuracy(tmp_path):
    out = tmp_path / "assets"
    result = subprocess.run([sys.executable, TRAIN_CLASSIFIER, "--epochs=1", "--min_accuracy=0", "--seed=2",
                             f"--output_dir={out}"], capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(os.listdir(out)) == ["digits_classifier.json", "digits_classifier.weights.h5"]
    record = json.load(open(out / "digits_classifier.json"))
    train, test = features.digits_split(2, 0.2)
    assert (record["split_seed"], record["epochs"], record["num_train"], record["num_test"]) == (2, 1, len(train),
                                                                                                 len(test))
    assert f"held-out accuracy: {record['held_out_accuracy']:.4f} on {len(test)} digits" in result.stdout
    # The written weights are the network that scored the recorded accuracy on the held-out digits.
    images, labels = tfgan.data.digits_arrays()
    probabilities = features.digits_classifier(str(out / "digits_classifier.weights.h5")).predict(images[test])
    assert np.mean(probabilities.argmax(axis=1) == labels[test]) == pytest.approx(record["held_out_accuracy"])
    assert record["held_out_accuracy"] > 0.3  # one epoch already learns (chance: 0.1)


@pytest.mark.slow
@pytest.mark.parametrize("dataset,extra", [
    ("ring", ["--latent_dim=4", "--g_hidden=16", "--d_hidden=16"]),
    ("grid", ["--latent_dim=4", "--g_hidden=16", "--d_hidden=16"]),
    ("toy1d", ["--flagfile=flags/gan_toy1d.flags"]),
    ("digits", ["--flagfile=flags/dcgan_digits.flags", "--base_filters=8"]),
])
def test_train_tool_then_evaluate_tool(tmp_path, dataset, extra):
    """Acceptance: tools/evaluate.py on generators tools/train.py exported (with --eval_every and the monitor on)."""
    workdir = str(tmp_path / dataset)
    train = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "train.py"), *extra, f"--dataset={dataset}",
                            f"--workdir={workdir}", "--train_steps=20", "--batch_size=16", "--eval_every=10",
                            "--eval_samples=200", "--verbose=0"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    logged = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    evaluator = evaluation.Evaluator(dataset)
    assert [r["step"] for r in logged if evaluator.outputs[0] in r] == [10, 20]
    result = run_evaluate(f"--generator={workdir}/generator", f"--dataset={dataset}", "--num_samples=300")
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout)
    assert list(printed)[2:] == list(evaluator.outputs)


# ---- stacked_digits ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stacked_evaluator():
    return evaluation.Evaluator("stacked_digits")


def test_stacked_digits_evaluator_on_real_samples_covers_every_mode(stacked_evaluator):
    evaluator = stacked_evaluator
    assert evaluator.outputs == ("modes", "kl", "channel_accuracy")
    assert evaluation.default_num_samples("stacked_digits") == 26_000
    assert evaluation.default_num_samples("ring") == evaluation.default_num_samples("digits") == 2500
    x, labels = next(iter(tfgan.data.load("stacked_digits", 26_000, labels=True, seed=1)[0]))
    result = evaluator(x.numpy())
    # 26 samples a mode on average: every mode is hit (P(a miss) ~ 1000 e^-26), and the KL of a
    # multinomial histogram from uniform is about (K - 1) / 2N = 0.019 (plus the classifier's errors).
    assert result["modes"] >= 995
    assert 0.01 < result["kl"] < 0.05
    assert len(evaluator.channel_accuracies) == 3 and min(evaluator.channel_accuracies) > 0.98
    assert result["channel_accuracy"] == pytest.approx(np.mean(evaluator.channel_accuracies))
    truth = tfgan.metrics.stacked_mode_coverage(tfgan.metrics.stacked_mode_digits(labels.numpy()))
    assert abs(result["kl"] - truth["kl"]) < 0.01  # the classifier barely moves the true labels' KL
    some = x.numpy()[:2000]  # uint8 samples, as the SavedModel returns, score as their [-1, 1] floats
    assert stacked_evaluator(tfgan.data.to_uint8(some).numpy()) == stacked_evaluator(some)


def test_stacked_digits_evaluator_on_one_repeated_sample(stacked_evaluator):
    x = next(iter(tfgan.data.load("stacked_digits", 1, seed=0)[0])).numpy()
    result = stacked_evaluator(np.repeat(x, 300, axis=0))
    assert result["modes"] == 1 and result["kl"] == pytest.approx(np.log(1000))


def test_stacked_digits_evaluator_checks_its_images():
    with pytest.raises(ValueError, match="are 16x16x3"):
        evaluation.Evaluator("stacked_digits", image_size=16)
    with pytest.raises(ValueError, match="metrics=classes"):
        evaluation.Evaluator("stacked_digits", ["classes"])


def test_evaluate_tool_on_stacked_digits_draws_26000_samples(tmp_path, stacked_evaluator):
    latent_dim = 4
    gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 3, latent_dim, 8), tfgan.nets.dcgan_discriminator(8, 3, 8),
                    latent_dim, seed=0)
    path = export.export_generator(gan, str(tmp_path / "generator"))
    result = run_evaluate(f"--generator={path}", "--dataset=stacked_digits")
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout)
    assert list(printed) == ["dataset", "num_samples", "modes", "kl", "channel_accuracy"]
    assert printed["num_samples"] == 26_000
    assert 1 <= printed["modes"] <= 1000 and 0.0 <= printed["kl"] <= np.log(1000) + 1e-9
    assert printed["channel_accuracy"] == pytest.approx(np.mean(stacked_evaluator.channel_accuracies))


def test_the_evaluation_callback_counts_stacked_digit_modes_in_training(tmp_path):
    gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 3, 8, 8), tfgan.nets.dcgan_discriminator(8, 3, 8), 8, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    path = str(tmp_path / "metrics.jsonl")
    callback = tfgan.callbacks.Evaluation("stacked_digits", every=2, num_samples=300, metrics_path=path)
    gan.fit(tfgan.data.load("stacked_digits", 16, seed=0)[0], steps_per_epoch=4, epochs=1, verbose=0,
            callbacks=[callback])
    assert [r["step"] for r in callback.history] == [2, 4]
    last = callback.history[-1]
    # 300 samples: at most 300 modes; the count is the one tfgan.metrics gives for the same samples.
    samples = gan.sample(gan.fixed_noise(300, 0))
    assert last == {"step": 4, **callback.evaluator(samples)} and 1 <= last["modes"] <= 300
    assert [json.loads(line)["modes"] for line in open(path)] == [r["modes"] for r in callback.history]
