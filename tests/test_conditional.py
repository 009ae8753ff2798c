import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from conftest import ROOT, run_train

C = 4


def leaky(x, slope=0.2):
    return np.where(x > 0, x, slope * x)


def log_softmax(logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def dense(model, name):
    kernel, bias = model.get_layer(name).get_weights()
    return lambda x: x @ kernel + bias


def tiny_cgan(conditioning="projection", **kwargs):
    return tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 3, C, (8,)),
                                tfgan.nets.conditional_mlp_discriminator(2, C, (8,), conditioning=conditioning),
                                latent_dim=3, num_classes=C, **kwargs)


def tiny_acgan(**kwargs):
    return tfgan.ACGAN(tfgan.nets.conditional_mlp_generator(2, 3, C, (8,)),
                       tfgan.nets.acgan_mlp_discriminator(2, C, (8,)), latent_dim=3, num_classes=C, **kwargs)


def compiled(model, lr=1e-3):
    model.compile(d_optimizer=keras.optimizers.SGD(lr), g_optimizer=keras.optimizers.SGD(lr))
    return model


# ---------------------------------------------------------------- nets


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_mlp_discriminator_matches_a_direct_computation(conditioning):
    d = tfgan.nets.conditional_mlp_discriminator(3, C, (5, 6), conditioning=conditioning)
    x = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 3, 2, 1], np.int32)
    body = d.get_layer(f"{d.name}_base_body")
    inputs = x if conditioning == "projection" else np.concatenate([x, np.eye(C)[y]], axis=1)
    h = leaky(dense(body, "dense_1")(leaky(dense(body, "dense_0")(inputs))))
    want = dense(d, "logit")(h)[:, 0]
    if conditioning == "projection":
        # Miyato & Koyama 2018, eq. 3: psi(phi(x)) + embed(y)^T phi(x).
        want = want + np.sum(d.get_layer("projection_embedding").get_weights()[0][y] * h, axis=1)
    np.testing.assert_allclose(d([x, y]).numpy()[:, 0], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_dcgan_discriminator_depends_on_the_label(conditioning):
    d = tfgan.nets.conditional_dcgan_discriminator(8, 1, 10, base_filters=4, conditioning=conditioning)
    x = np.random.default_rng(0).uniform(-1, 1, (10, 8, 8, 1)).astype(np.float32)
    same_x = np.repeat(x[:1], 10, axis=0)
    logits = d([same_x, np.arange(10, dtype=np.int32)]).numpy()[:, 0]
    assert logits.shape == (10,) and np.unique(np.round(logits, 6)).size == 10
    if conditioning == "concat":  # one-hot label maps stacked on the image channel
        assert d.get_layer(f"{d.name}_base_body").inputs[0].shape[-1] == 1 + 10


def test_conditional_generator_one_hot_feeds_z_and_label_to_the_body():
    g = tfgan.nets.conditional_mlp_generator(2, 3, C, (5,), conditioning="one_hot")
    z = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    y = np.array([3, 0, 2, 1], np.int32)
    body = g.get_layer(f"{g.name}_body")
    want = body(np.concatenate([z, np.eye(C)[y]], axis=1).astype(np.float32)).numpy()
    np.testing.assert_allclose(g([z, y]).numpy(), want, rtol=1e-6)


def test_acgan_discriminator_has_one_plus_c_outputs():
    assert tfgan.nets.acgan_dcgan_discriminator(8, 1, 10, base_filters=4).output.shape[-1] == 11
    with pytest.raises(ValueError, match="num_classes \\+ 1 = 5"):
        tfgan.ACGAN(tfgan.nets.conditional_mlp_generator(2, 3, C, (8,)), tfgan.nets.mlp_discriminator(2, (8,)),
                    latent_dim=3, num_classes=C)


# ---------------------------------------------------------------- ACGAN's losses


def test_acgan_loss_terms_match_the_closed_form():
    rng = np.random.default_rng(2)
    real_out, fake_out = rng.normal(size=(2, 6, C + 1)).astype(np.float32)
    real_y, fake_y = rng.integers(0, C, (2, 6)).astype(np.int32)
    gan = tiny_acgan(aux_weight=0.5)
    np.testing.assert_allclose(np.asarray(gan.adversarial_logits(real_out)), real_out[:, :1])
    ce = lambda out, y: -log_softmax(out[:, 1:])[np.arange(len(y)), y]  # noqa: E731
    np.testing.assert_allclose(np.asarray(gan.auxiliary_d_loss(real_out, fake_out, real_y, fake_y)),
                               0.5 * (ce(real_out, real_y) + ce(fake_out, fake_y)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(gan.auxiliary_g_loss(fake_out, fake_y)), 0.5 * ce(fake_out, fake_y), rtol=1e-5)


def test_acgan_fake_class_variant_is_the_c_plus_1_way_cross_entropy():
    rng = np.random.default_rng(3)
    real_out, fake_out = rng.normal(size=(2, 6, C + 1)).astype(np.float32)
    real_y, fake_y = rng.integers(0, C, (2, 6)).astype(np.int32)
    gan = tiny_acgan(fake_class=True)
    real_logits, fake_logits = gan.adversarial_logits(real_out), gan.adversarial_logits(fake_out)
    d_loss = gan.adversarial_loss.d_loss(real_logits, fake_logits) + gan.auxiliary_d_loss(
        real_out, fake_out, real_y, fake_y)
    rows = np.arange(6)
    # Reals belong to their class, fakes to the extra class C, under one softmax over C + 1 logits.
    want = -log_softmax(real_out)[rows, real_y] - log_softmax(fake_out)[:, C]
    np.testing.assert_allclose(np.asarray(d_loss), want, rtol=1e-5)
    g_loss = gan.adversarial_loss.g_loss(fake_logits) + gan.auxiliary_g_loss(fake_out, fake_y)
    np.testing.assert_allclose(np.asarray(g_loss), -log_softmax(fake_out)[rows, fake_y], rtol=1e-5)


def test_acgan_step_logs_class_accuracy_and_the_loss_it_optimises():
    gan = compiled(tiny_acgan(seed=1), lr=0.0)  # lr 0: D is the same before and after the step
    x = np.random.default_rng(4).normal(size=(32, 2)).astype(np.float32)
    y = np.arange(32, dtype=np.int32) % C
    logs = gan.train_step((tf.constant(x), tf.constant(y)))
    out = gan.discriminator(x).numpy()
    assert float(logs["d_class_acc_real"]) == pytest.approx(np.mean(out[:, 1:].argmax(1) == y))
    assert 0.0 <= float(logs["d_class_acc_fake"]) <= 1.0
    # The class term is in D's loss: it exceeds the adversarial part by the real class cross-entropy at least.
    real_adversarial = np.mean(softplus(-out[:, 0]))
    real_class = np.mean(-log_softmax(out[:, 1:])[np.arange(32), y])
    assert float(logs["d_loss"]) > real_adversarial + real_class


# ---------------------------------------------------------------- labels


def test_bad_labels_fail_with_a_clear_message():
    gan = compiled(tiny_cgan())
    x = tf.zeros([8, 2])
    with pytest.raises(ValueError, match="samples alone; load it with tfgan.data.load"):
        gan.train_step(x)
    with pytest.raises(ValueError, match="integer class indices in \\[0, 4\\). Received float32"):
        gan.train_step((x, tf.zeros([8])))
    with pytest.raises(ValueError, match="one-hot labels"):
        gan.train_step((x, tf.one_hot(tf.zeros([8], tf.int32), C, dtype=tf.int32)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Labels must lie in \\[0, 4\\)"):
        gan.train_step((x, tf.fill([8], 4)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Labels must lie in \\[0, 4\\)"):
        gan((tf.zeros([2, 3]), tf.constant([0, -1])))
    ds = tf.data.Dataset.from_tensors(x).repeat()
    with pytest.raises(ValueError, match="samples alone"):
        gan.fit(ds, steps_per_epoch=1, epochs=1, verbose=0)


def test_fake_labels_follow_uniform_or_the_data_frequencies():
    uniform = tiny_cgan(seed=0).sample_labels(8000).numpy()
    np.testing.assert_allclose(np.bincount(uniform, minlength=C) / 8000, np.full(C, 0.25), atol=0.02)
    gan = tiny_cgan(fake_labels="data", seed=0)
    gan.unpack((tf.zeros([4, 2]), tf.constant([1, 3, 3, 3])))
    np.testing.assert_array_equal(gan.label_counts.numpy(), [0, 1, 0, 3])
    drawn = gan.sample_labels(8000).numpy()
    np.testing.assert_allclose(np.bincount(drawn, minlength=C) / 8000, [0, 0.25, 0, 0.75], atol=0.02)
    assert "label_counts" in gan.training_state()


def test_get_config_round_trips():
    gan = tiny_acgan(aux_weight=0.3, fake_class=True, fake_labels="data")
    clone = tfgan.ACGAN.from_config(gan.get_config())
    assert (clone.num_classes, clone.aux_weight, clone.fake_class, clone.fake_labels) == (C, 0.3, True, "data")
    with pytest.raises(ValueError, match="Received: `num_classes=0`"):
        tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 3, C, (8,)),
                             tfgan.nets.conditional_mlp_discriminator(2, C, (8,)), 3, num_classes=0)
    with pytest.raises(ValueError, match="Received: `aux_weight=-1`"):
        tiny_acgan(aux_weight=-1)
    with pytest.raises(ValueError, match="Received: `fake_labels='batch'`"):
        tiny_cgan(fake_labels="batch")


def test_conditional_accuracies_count_samples_on_the_requested_class():
    modes = np.array([[0.0, 0.0], [2.0, 0.0]], np.float32)
    samples = np.array([[0.1, 0.0], [0.2, 0.0], [2.0, 0.1], [0.0, 0.0]], np.float32)
    # Within 3 * 0.05 = 0.15 of the asked-for mode: yes, no (0.2 away), yes, no (mode 0 asked for mode 1).
    assert tfgan.metrics.conditional_mode_accuracy(samples, [0, 0, 1, 1], modes, 0.05) == 0.5
    probabilities = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]])
    assert tfgan.metrics.conditional_class_accuracy(probabilities, [0, 0, 1]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="must lie in \\[0, 2\\)"):
        tfgan.metrics.conditional_mode_accuracy(samples, [0, 0, 1, 2], modes, 0.05)
    with pytest.raises(ValueError, match="integer classes, one per sample"):
        tfgan.metrics.conditional_class_accuracy(probabilities, [0.0, 0.0, 1.0])


# ---------------------------------------------------------------- samples and export


def test_sample_grid_draws_one_row_per_class(tmp_path):
    gan = tfgan.ConditionalGAN(tfgan.nets.conditional_dcgan_generator(8, 1, 3, C, base_filters=4),
                               tfgan.nets.conditional_dcgan_discriminator(8, 1, C, base_filters=4), 3, C)
    grid = tfgan.callbacks.SampleGrid(str(tmp_path), num_samples=12, min_pixels=8)
    grid.set_model(gan)
    grid.on_train_begin()
    image = tf.io.decode_png(tf.io.read_file(grid.draw(0))).numpy()
    assert image.shape == (C * 9 + 1, 3 * 9 + 1, 1)  # C rows of 3 tiles of 8 pixels plus borders
    labels = grid.labels(12)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(C), 3))
    z = np.tile(gan.fixed_noise(12, grid.seed)[:3], (C, 1))
    want = tfgan.data.to_uint8(gan.generator([z, labels])).numpy()
    np.testing.assert_array_equal(image[1 + 2 * 9:1 + 2 * 9 + 8, 1 + 9:1 + 9 + 8], want[2 * 3 + 1])  # class 2, column 1


FRESH = r"""
import json, sys
import numpy as np
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
assert "tfgan" not in sys.modules
serve = m.signatures["serving_default"]
z = np.linspace(-1, 1, 4 * int(sys.argv[2]), dtype=np.float32).reshape(4, -1)
out = serve(z=tf.constant(z), labels=tf.constant([0, 1, 2, 3]))
sample = m.signatures["sample"]
a = sample(n=tf.constant(3), seed=tf.constant(7), labels=tf.constant([1, 1, 1]))
b = sample(n=tf.constant(3), seed=tf.constant(7), labels=tf.constant([1, 1, 1]))
c = sample(n=tf.constant(3), seed=tf.constant(7), labels=tf.constant([2, 2, 2]))
try:
    serve(z=tf.constant(z), labels=tf.constant([0, 1, 2, 9]))
    error = None
except tf.errors.InvalidArgumentError as e:
    error = e.message
key = list(out)[0]
print(json.dumps({"key": key, "dtype": out[key].dtype.name, "value": out[key].numpy().tolist(),
                  "inputs": sorted(serve.structured_input_signature[1]),
                  "sample_inputs": sorted(sample.structured_input_signature[1]),
                  "same_seed": bool((a[key].numpy() == b[key].numpy()).all()),
                  "other_class": bool((a[key].numpy() != c[key].numpy()).any()),
                  "num_classes": int(m.num_classes.numpy()), "error": error}))
"""


def test_conditional_export_signatures_load_without_tfgan(tmp_path):
    gan = tfgan.ConditionalGAN(tfgan.nets.conditional_dcgan_generator(8, 1, 5, C, base_filters=4),
                               tfgan.nets.conditional_dcgan_discriminator(8, 1, C, base_filters=4), 5, C)
    path = tfgan.export.export_generator(gan, str(tmp_path / "generator"))
    out = subprocess.run([sys.executable, "-c", FRESH, path, "5"], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["key"] == "images" and got["dtype"] == "uint8"
    assert got["inputs"] == ["labels", "z"] and got["sample_inputs"] == ["labels", "n", "seed"]
    assert got["same_seed"] and got["other_class"] and got["num_classes"] == C
    assert "class indices in [0, num_classes)" in got["error"]
    z = np.linspace(-1, 1, 20, dtype=np.float32).reshape(4, -1)
    want = tfgan.data.to_uint8(gan.generator([z, np.arange(4, dtype=np.int32)], training=False)).numpy()
    np.testing.assert_array_equal(np.array(got["value"]), want)


# ---------------------------------------------------------------- learning


def test_short_labelled_grid_run_puts_samples_at_the_requested_mode():
    keras.utils.set_random_seed(0)
    gan = tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 8, 25, (64, 64)),
                               tfgan.nets.conditional_mlp_discriminator(2, 25, (64, 64)), 8, 25, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5))
    dataset, info = tfgan.data.load("grid", 128, labels=True, seed=0)
    gan.fit(dataset, steps_per_epoch=400, epochs=1, verbose=0)
    labels = np.repeat(np.arange(25, dtype=np.int32), 40)
    samples = gan((tf.random.normal([len(labels), 8], seed=1), labels)).numpy()
    nearest = np.argmin(((samples[:, None] - info.modes[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == labels) >= 0.9


# ---------------------------------------------------------------- tools/train.py


def run_tool(*args):
    return run_train(*args, check=False)


def test_conditional_train_tool_refuses_unlabelled_data(tmp_path):
    result = run_tool(f"--workdir={tmp_path / 'w'}", "--model=cgan", "--dataset=toy1d")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--model=cgan: needs labelled data, but --dataset=toy1d has no labels" in result.stderr


def test_conditional_train_tool_runs_a_recipe_and_exports_labels(tmp_path):
    workdir = str(tmp_path / "run")
    result = run_tool("--flagfile=flags/cgan_ring.flags", f"--workdir={workdir}", "--train_steps=20",
                      "--sample_every=20", "--log_every=10", "--verbose=0")
    assert result.returncode == 0, result.stderr[-3000:]
    logged = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    assert [r["step"] for r in logged] == [10, 20]
    generator = tf.saved_model.load(os.path.join(workdir, "generator"))
    assert int(generator.num_classes.numpy()) == 8
    signature = generator.signatures["serving_default"].structured_input_signature[1]
    assert signature["labels"].dtype == tf.int32 and signature["z"].shape.as_list() == [None, 16]
    # tools/sample.py scores and draws the classes from the SavedModel alone.
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sample.py"),
                          f"--generator={workdir}/generator", "--per_class=5", "--dataset=ring"],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"})
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["num_classes"] == 8 and summary["output"] == os.path.join(workdir, "class_grid.png")
    outputs = generator.signatures["sample"](n=tf.constant(40), seed=tf.constant(0),
                                             labels=tf.constant(np.repeat(np.arange(8, dtype=np.int32), 5)))
    want = tfgan.metrics.conditional_mode_accuracy(outputs["samples"].numpy(), np.repeat(np.arange(8), 5),
                                                   tfgan.data.ring_modes(), 0.01)
    assert summary["mode_accuracy"] == pytest.approx(want)
    assert os.path.getsize(summary["output"]) > 0
