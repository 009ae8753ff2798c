"""tfgan.InfoGAN: its nets, its information terms against direct computations, codes that select the modes
of a 2-D mixture, export signatures, the sample grid, and bad input."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

import tfgan

K, C, LATENT = 4, 2, 3


def tiny(categorical=(K,), continuous=C, learn_std=False, **kwargs):
    g = tfgan.nets.infogan_mlp_generator(2, LATENT, categorical, continuous, (8,))
    d = tfgan.nets.infogan_mlp_discriminator(2, categorical, continuous, (8,), learn_std=learn_std, q_units=0)
    return tfgan.InfoGAN(g, d, LATENT, categorical, continuous, learn_std=learn_std, seed=0, **kwargs)


def compiled(gan, lr=1e-3, **kwargs):
    gan.compile(d_optimizer=keras.optimizers.Adam(lr, 0.5), g_optimizer=keras.optimizers.Adam(lr, 0.5), **kwargs)
    return gan


def images_gan(categorical=(10,), continuous=2, latent=5, **kwargs):
    return tfgan.InfoGAN(tfgan.nets.infogan_dcgan_generator(8, 1, latent, categorical, continuous, base_filters=4),
                         tfgan.nets.infogan_dcgan_discriminator(8, 1, categorical, continuous, base_filters=4,
                                                                q_units=8),
                         latent, categorical, continuous, seed=0, **kwargs)


# ---------------------------------------------------------------- nets


def test_nets_one_hot_the_codes_and_q_shares_d_body():
    g = tfgan.nets.infogan_mlp_generator(2, 3, (3, 2), 1, (5,))
    assert [tuple(t.shape[1:]) for t in g.inputs] == [(3,), (2,), (1,)]
    body = g.get_layer("infogan_mlp_generator_body")
    assert body.inputs[0].shape[-1] == 3 + 3 + 2 + 1
    one_hot = g.get_layer("categorical_one_hot")(np.array([[2, 1], [0, 0]], np.int32)).numpy()
    np.testing.assert_array_equal(one_hot, [[0, 0, 1, 0, 1], [1, 0, 0, 1, 0]])
    d = tfgan.nets.infogan_dcgan_discriminator(8, 1, (10,), 2, base_filters=4, learn_std=True)
    assert d.output.shape[-1] == 1 + tfgan.nets.q_outputs((10,), 2, learn_std=True) == 1 + 10 + 4
    # The logit and the codes read the same body: one set of convolutions.
    assert len([w for w in d.weights if "conv" in w.path]) == len(
        [w for w in tfgan.nets.dcgan_discriminator(8, 1, 4).weights if "conv" in w.path])


# ---------------------------------------------------------------- the information terms


def test_info_loss_and_logged_bound_match_a_direct_computation():
    gan = tiny(categorical=(K, 3), continuous=C, learn_std=True, info_weight=2.0, continuous_weight=0.5)
    rng = np.random.default_rng(0)
    outputs = rng.normal(size=(16, 1 + K + 3 + 2 * C)).astype(np.float32)
    categorical = np.stack([rng.integers(0, K, 16), rng.integers(0, 3, 16)], axis=1).astype(np.int32)
    continuous = rng.uniform(-1, 1, (16, C)).astype(np.float32)
    codes = (tf.constant(categorical), tf.constant(continuous))
    nll_cat = -special.log_softmax(outputs[:, 1:1 + K], axis=1)[np.arange(16), categorical[:, 0]] \
        - special.log_softmax(outputs[:, 1 + K:1 + K + 3], axis=1)[np.arange(16), categorical[:, 1]]
    mean, log_std = outputs[:, 1 + K + 3:1 + K + 3 + C], outputs[:, 1 + K + 3 + C:]
    nll_cont = -stats.norm.logpdf(continuous, mean, np.exp(log_std.astype(np.float64))).sum(axis=1)
    np.testing.assert_allclose(gan.info_loss(outputs, codes).numpy(), 2.0 * nll_cat + 0.5 * nll_cont, rtol=1e-5)
    np.testing.assert_allclose(gan.auxiliary_d_loss(None, outputs, None, codes).numpy(),
                               gan.auxiliary_g_loss(outputs, codes).numpy())
    metrics = gan.discriminator_metrics(None, outputs, None, codes)
    entropy = np.log(K) + np.log(3) + C * np.log(2.0)
    np.testing.assert_allclose(metrics["mutual_information"].numpy(), entropy - nll_cat - nll_cont, rtol=1e-5)
    np.testing.assert_allclose(metrics["mi_categorical"].numpy(), np.log(K) + np.log(3) - nll_cat, rtol=1e-5)
    hits = (outputs[:, 1:1 + K].argmax(1) == categorical[:, 0]) * 0.5 + \
        (outputs[:, 1 + K:1 + K + 3].argmax(1) == categorical[:, 1]) * 0.5
    np.testing.assert_allclose(metrics["code_accuracy"].numpy(), hits)
    # Without learn_std, sigma = 1.
    fixed = tiny()
    outputs = outputs[:, :1 + K + C]
    codes = (tf.constant(categorical[:, :1]), tf.constant(continuous))
    want = -special.log_softmax(outputs[:, 1:1 + K], axis=1)[np.arange(16), categorical[:, 0]] \
        - stats.norm.logpdf(continuous, outputs[:, 1 + K:]).sum(axis=1)
    np.testing.assert_allclose(fixed.info_loss(outputs, codes).numpy(), want, rtol=1e-5)


def test_one_step_adds_the_information_term_to_both_losses():
    """One step, with every learning rate 0, logs the losses of the weights as they are: the information
    term of D's outputs on the step's own fakes is in d_loss and g_loss."""
    def step(info_weight):
        keras.utils.set_random_seed(0)
        gan = compiled(tiny(info_weight=info_weight), lr=0.0)
        x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
        return gan.fit(tf.data.Dataset.from_tensors(x), epochs=1, verbose=0).history

    without, weighted = step(0.0), step(3.0)
    info = 3.0 * (np.log(K) + C * np.log(2.0) - weighted["mutual_information"][0])
    assert weighted["d_loss"][0] == pytest.approx(without["d_loss"][0] + info, rel=1e-4)
    # G draws its own codes: its term is of the same size, not the same value.
    assert weighted["g_loss"][0] - without["g_loss"][0] == pytest.approx(info, rel=0.3)
    assert without["mutual_information"][0] == pytest.approx(weighted["mutual_information"][0], rel=1e-5)


def mode_purity(gan, modes, per_value=200):
    z = np.random.default_rng(1).normal(size=(per_value * K, LATENT)).astype(np.float32)
    categorical = np.repeat(np.arange(K), per_value)[:, None].astype(np.int32)
    x = gan.sample(z, (categorical, np.zeros((len(z), 0), np.float32)))
    nearest = ((x[:, None] - modes[None]) ** 2).sum(-1).argmin(1)
    counts = np.stack([np.bincount(nearest[categorical[:, 0] == v], minlength=len(modes)) for v in range(K)])
    return counts.argmax(1), counts.max(1) / per_value


@pytest.mark.parametrize("info_weight", [1.0, 0.0])
def test_the_categorical_code_learns_to_select_the_mode_of_a_mixture(info_weight):
    """On 4 Gaussians, a 4-valued code sends most samples of each value to its own mode; without the
    information term (weight 0) the code is ignored: the values do not pick different modes."""
    keras.utils.set_random_seed(1)
    modes = np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], np.float32)
    g = tfgan.nets.infogan_mlp_generator(2, LATENT, (K,), 0, (32, 32))
    d = tfgan.nets.infogan_mlp_discriminator(2, (K,), 0, (32, 32), q_units=0)
    gan = compiled(tfgan.InfoGAN(g, d, LATENT, (K,), 0, info_weight=info_weight, seed=1), steps_per_execution=50)
    rng = np.random.default_rng(0)
    x = modes[rng.integers(0, K, 100_000)] + rng.normal(0, 0.02, (100_000, 2)).astype(np.float32)
    gan.fit(tf.data.Dataset.from_tensor_slices(x).repeat().batch(128), steps_per_epoch=400, epochs=1, verbose=0)
    majority, purity = mode_purity(gan, modes)
    if info_weight:
        assert len(set(majority.tolist())) == K and purity.min() > 0.9, (majority, purity)
    else:
        assert len(set(majority.tolist())) < K, (majority, purity)


PENALTIES = (None, lambda: tfgan.GradientPenalty(1.0, seed=0), lambda: tfgan.R1(1.0), lambda: tfgan.R2(1.0))


@pytest.mark.parametrize("index,loss", enumerate(sorted(tfgan.losses.LOSSES)))
def test_every_loss_and_penalty_trains_with_the_information_term(index, loss):
    """Each loss (with the penalties in turn) sees the real/fake logit only; both losses carry the term."""
    penalty = PENALTIES[index % len(PENALTIES)]
    gan = compiled(tiny(loss=loss, penalty=penalty and penalty(), info_weight=1.0))
    x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    logs = gan.fit(tf.data.Dataset.from_tensors(x).repeat(), steps_per_epoch=2, epochs=1, verbose=0).history
    assert all(np.isfinite(logs[k][-1]) for k in ("d_loss", "g_loss", "mutual_information", "code_accuracy"))
    assert ("penalty" in logs) == (penalty is not None)


def test_bcr_penalty_trains_an_image_infogan():
    gan = compiled(images_gan(penalty=tfgan.ConsistencyRegularization(1.0, seed=0)))
    x = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype(np.float32)
    logs = gan.fit(tf.data.Dataset.from_tensors(x).repeat(), steps_per_epoch=2, epochs=1, verbose=0).history
    assert np.isfinite(logs["consistency"][-1]) and np.isfinite(logs["mutual_information"][-1])


# ---------------------------------------------------------------- sampling, saving, export


def test_codes_are_drawn_in_the_step_from_the_prior():
    gan = tiny(categorical=(K, 3))
    categorical, continuous = (t.numpy() for t in gan.sample_labels(4000))
    assert categorical.dtype == np.int32 and categorical.shape == (4000, 2) and continuous.shape == (4000, C)
    np.testing.assert_allclose(np.bincount(categorical[:, 0]) / 4000, 1 / K, atol=0.03)
    np.testing.assert_allclose(np.bincount(categorical[:, 1]) / 4000, 1 / 3, atol=0.03)
    assert -1 <= continuous.min() < -0.99 and 0.99 < continuous.max() <= 1
    balanced, fixed = gan.balanced_labels(24)
    np.testing.assert_array_equal(balanced[:, 0], np.arange(24) % K)
    np.testing.assert_array_equal(balanced[:, 1], np.arange(24) // K % 3)
    np.testing.assert_array_equal(balanced, tfgan.evaluation.balanced_codes(24, [K, 3]))


def test_call_generate_and_config_round_trip():
    gan = tiny(info_weight=0.5, continuous_weight=0.25)
    z = np.zeros((2, LATENT), np.float32)
    codes = (np.array([[1], [2]], np.int32), np.zeros((2, C), np.float32))
    np.testing.assert_array_equal(gan((z, *codes)).numpy(), gan.generator([z, *codes]).numpy())
    np.testing.assert_array_equal(gan({"z": z, "categorical": codes[0], "continuous": codes[1]}).numpy(),
                                  gan.sample(z, codes))
    clone = tfgan.InfoGAN.from_config(gan.get_config())
    assert (clone.categorical_codes, clone.continuous_codes, clone.info_weight, clone.continuous_weight) == \
        ((K,), C, 0.5, 0.25)


FRESH = r"""
import json, sys
import numpy as np
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
assert "tfgan" not in sys.modules
serve, sample = m.signatures["serving_default"], m.signatures["sample"]
z = np.linspace(-1, 1, 15, dtype=np.float32).reshape(3, 5)
out = serve(z=tf.constant(z), categorical=tf.constant([[0], [3], [9]], tf.int32),
            continuous=tf.constant([[-1.0, 0.0], [0.0, 0.5], [1.0, 1.0]]))
cat = tf.constant([[0], [1], [2], [3]], tf.int32)
a, b = sample(n=tf.constant(4), seed=tf.constant(7), categorical=cat), sample(n=tf.constant(4), seed=tf.constant(7), categorical=cat)
try:
    serve(z=tf.constant(z), categorical=tf.constant([[0], [10], [1]], tf.int32), continuous=tf.zeros([3, 2]))
    error = ""
except tf.errors.InvalidArgumentError as e:
    error = e.message
print(json.dumps({"images": out["images"].numpy().tolist(), "dtype": out["images"].dtype.name,
                  "serve": sorted(serve.structured_input_signature[1]), "sample": sorted(sample.structured_input_signature[1]),
                  "same_seed": bool((a["images"].numpy() == b["images"].numpy()).all()),
                  "codes": m.categorical_codes.numpy().tolist(), "continuous": int(m.continuous_codes.numpy()),
                  "error": error}))
"""


def test_export_serves_z_and_codes_and_loads_without_tfgan(tmp_path):
    gan = images_gan()
    path = tfgan.export.export_generator(gan, str(tmp_path / "generator"))
    out = subprocess.run([sys.executable, "-c", FRESH, path], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["serve"] == ["categorical", "continuous", "z"] and got["sample"] == ["categorical", "n", "seed"]
    assert got["dtype"] == "uint8" and got["same_seed"] and got["codes"] == [10] and got["continuous"] == 2
    assert "`categorical` codes must lie in [0, K_j)" in got["error"]
    z = np.linspace(-1, 1, 15, dtype=np.float32).reshape(3, 5)
    want = tfgan.data.to_uint8(gan.generator([z, np.array([[0], [3], [9]], np.int32),
                                              np.array([[-1, 0], [0, 0.5], [1, 1]], np.float32)])).numpy()
    np.testing.assert_array_equal(np.array(got["images"]), want)
    # tools/evaluate.py's sampler asks for the code values in turn.
    sample, shape = tfgan.evaluation.load_sampler(path)
    assert sample(12, 0).shape == (12, 8, 8, 1) and shape == (8, 8, 1)


def test_code_purity_counts_each_code_value_classes(tmp_path):
    path = tfgan.export.export_generator(images_gan(), str(tmp_path / "generator"))

    class ByMeanBrightness:
        def predict(self, images):
            bins = np.clip((images.reshape(len(images), -1).mean(axis=1) / 25.6).astype(int), 0, 9)
            return np.eye(10)[bins]

    result = tfgan.evaluation.code_purity(path, ByMeanBrightness(), per_value=20)
    counts = np.array(result["counts"])
    assert counts.shape == (10, 10) and np.all(counts.sum(axis=1) == 20)
    np.testing.assert_array_equal(result["majority"], counts.argmax(axis=1))
    np.testing.assert_allclose(result["purity"], counts.max(axis=1) / 20)
    assert result["distinct"] == len(set(result["majority"]))


def test_sample_grid_has_a_row_per_code_value_then_a_sweep_of_each_continuous_code(tmp_path):
    gan = images_gan(categorical=(3,), continuous=2)
    grid = tfgan.callbacks.SampleGrid(str(tmp_path), num_samples=12, min_pixels=8, seed=5)
    grid.set_model(gan)
    grid.on_train_begin()
    z, (categorical, continuous), blank, cols = grid.info_layout(12)
    assert cols == 4 and len(z) == 4 * (3 + 2 * (1 + 3))
    rows = categorical.reshape(-1, cols)[:, 0]
    np.testing.assert_array_equal(rows, [0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2])
    np.testing.assert_array_equal(blank.reshape(-1, cols)[:, 0], [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    first = z.reshape(-1, cols, 5)
    np.testing.assert_array_equal(first[0], first[2])  # the categorical block: a noise vector per column
    assert np.all(first[4] == first[4][:1])  # a sweep: one noise vector, code 0 from -1 to 1
    np.testing.assert_allclose(continuous.reshape(-1, cols, 2)[4], np.stack([np.linspace(-1, 1, 4), np.zeros(4)], 1))
    np.testing.assert_allclose(continuous.reshape(-1, cols, 2)[8], np.stack([np.zeros(4), np.linspace(-1, 1, 4)], 1))
    path = grid.draw(0)
    image = tf.io.decode_png(tf.io.read_file(path)).numpy()
    assert image.shape == (11 * 9 + 1, 4 * 9 + 1, 1)
    want = tfgan.data.to_uint8(gan.generator([z[:4], categorical[:4], continuous[:4]])).numpy()
    np.testing.assert_array_equal(image[1:9, 1:9], want[0])
    assert np.all(image[3 * 9 + 1:4 * 9, 1:9] == 127)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("make,match", [
    (lambda: tiny(categorical=(), continuous=0), "needs at least one code"),
    (lambda: tiny(categorical=(1,)), "categorical_codes=1"),
    (lambda: tfgan.InfoGAN(tfgan.nets.infogan_mlp_generator(2, 3, (K,), 1, (8,)),
                           tfgan.nets.infogan_mlp_discriminator(2, (K,), C, (8,)), 3, (K,), C), r"continuous \[2\]"),
    (lambda: tfgan.InfoGAN(tfgan.nets.infogan_mlp_generator(2, 3, (K,), C, (8,)),
                           tfgan.nets.infogan_mlp_discriminator(2, (K,), C, (8,), learn_std=True), 3, (K,), C),
     "must output 1 \\+ 6 values"),
    (lambda: tiny(pack=2), "pack=2"),
    (lambda: tiny(info_weight=-1.0), "info_weight=-1.0"),
])
def test_bad_arguments_name_themselves(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_codes_of_a_wrong_shape_fail_with_a_clear_message():
    gan = tiny()
    with pytest.raises(ValueError, match=r"`continuous` codes must have shape \[batch, 2\]"):
        gan.sample(np.zeros((2, LATENT)), (np.zeros((2, 1), np.int32), np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match="generates for given codes"):
        gan.generate(np.zeros((2, LATENT), np.float32))


def test_code_purity_metric_against_counts():
    codes = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    classes = np.array([3, 3, 1, 1, 1, 1, 3, 2])
    result = tfgan.metrics.code_purity(classes, codes, num_classes=4)
    assert result["majority"] == [3, 1, 2]  # a tie goes to the lower class
    np.testing.assert_allclose(result["purity"], [2 / 3, 1.0, 0.5], atol=1e-4)
    assert result["counts"][2] == [0, 0, 1, 1] and result["distinct"] == len(set(result["majority"]))
    assert result["mean_purity"] == pytest.approx((2 / 3 + 1 + 0.5) / 3)


@pytest.mark.slow
def test_sample_tool_draws_a_row_per_code_value_and_scores_the_purity(tmp_path):
    path = tfgan.export.export_generator(images_gan(), str(tmp_path / "generator"))
    out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "..", "tools", "sample.py"),
                          f"--generator={path}", f"--output={tmp_path / 'codes.png'}", "--per_class=3",
                          "--dataset=digits"], capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["num_classes"] == 10 and len(summary["purity"]) == 10 and 1 <= summary["distinct"] <= 10
    image = tf.io.decode_png(tf.io.read_file(str(tmp_path / "codes.png"))).numpy()
    assert image.shape[:2] == (10 * 33 + 1, 3 * 33 + 1)
