"""The Keras model API a user tries on a GAN: their own Sequential / functional nets checked at
construction, regularizers, evaluate, export, summary, save and load_model."""

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan


def sequential_nets(latent_dim=4, d_outputs=1, regularizer=None):
    """A user's own nets, built without an input shape (Keras builds them on first call)."""
    generator = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.layers.Dense(16, activation="relu", kernel_regularizer=regularizer),
                                      keras.layers.Dense(d_outputs)])
    return generator, discriminator


def points(batch=16, steps=2, seed=0):
    x = np.random.default_rng(seed).normal(size=(batch * steps, 2)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)


def compiled(gan, lr=1e-2):
    gan.compile(d_optimizer=keras.optimizers.SGD(lr), g_optimizer=keras.optimizers.SGD(lr))
    return gan


def test_sequential_nets_train_and_a_d_with_ten_outputs_is_rejected_at_construction():
    gan = compiled(tfgan.GAN(*sequential_nets(), latent_dim=4))
    assert gan.generator.built and gan.discriminator.built  # built by the construction probe
    assert np.isfinite(gan.fit(points(), verbose=0).history["d_loss"][0])
    with pytest.raises(ValueError, match=r"`discriminator` must output one real/fake logit per example.*"
                                         r"Received output shape \(batch, 10\)"):
        tfgan.GAN(*sequential_nets(d_outputs=10), latent_dim=4)


def test_a_latent_dim_that_does_not_fit_the_generator_is_named_at_construction():
    functional = tfgan.nets.mlp_generator(2, 8, (16,))
    with pytest.raises(ValueError, match=r"`latent_dim=4` does not match the generator, which takes noise of width 8"):
        tfgan.GAN(functional, tfgan.nets.mlp_discriminator(2, (16,)), latent_dim=4)
    built = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"`latent_dim=4` does not match the generator"):
        tfgan.GAN(built, tfgan.nets.mlp_discriminator(2, (16,)), latent_dim=4)


def test_a_kernel_regularizer_on_d_changes_its_update_and_is_logged():
    def d_kernel_after_one_step(regularizer):
        keras.utils.set_random_seed(3)
        gan = compiled(tfgan.GAN(*sequential_nets(regularizer=regularizer), latent_dim=4, seed=1))
        before = gan.discriminator.layers[0].kernel.numpy()
        logs = gan.fit(points(steps=1), verbose=0).history
        return before, gan.discriminator.layers[0].kernel.numpy(), logs

    start, plain, plain_logs = d_kernel_after_one_step(None)
    start_l2, decayed, logs = d_kernel_after_one_step(keras.regularizers.L2(0.5))
    np.testing.assert_array_equal(start, start_l2)
    # SGD(lr) on loss + 0.5 * ||W||^2 moves W by an extra -lr * 2 * 0.5 * W.
    np.testing.assert_allclose(decayed - plain, -1e-2 * 1.0 * start, rtol=1e-4, atol=1e-6)
    assert logs["d_reg_loss"][0] == pytest.approx(0.5 * np.sum(start ** 2), rel=1e-5)
    assert "d_reg_loss" not in plain_logs and "g_reg_loss" not in logs


def test_regularization_of_conditional_and_acgan_generators_is_in_their_loss():
    regularized = keras.regularizers.L2(1.0)
    for model in ("cgan", "acgan"):
        g = tfgan.nets.conditional_mlp_generator(2, 4, 8, (8,))
        kernel_variable = [w for w in g.trainable_weights if w.path.endswith("output/kernel")][0]
        kernel_variable.regularizer = regularized
        d = (tfgan.nets.acgan_mlp_discriminator(2, 8, (8,)) if model == "acgan"
             else tfgan.nets.conditional_mlp_discriminator(2, 8, (8,)))
        cls = tfgan.ACGAN if model == "acgan" else tfgan.ConditionalGAN
        gan = compiled(cls(g, d, 4, num_classes=8, penalty=tfgan.R1(1.0)))
        labelled = tf.data.Dataset.from_tensors((np.zeros((16, 2), np.float32), np.arange(16, dtype=np.int32) % 8))
        kernel = kernel_variable.numpy()
        logs = gan.fit(labelled, verbose=0).history
        assert logs["g_reg_loss"][0] == pytest.approx(np.sum(kernel ** 2), rel=1e-5), model


def test_evaluate_returns_held_out_losses_and_leaves_every_weight_unchanged():
    gan = compiled(tfgan.GAN(*sequential_nets(), latent_dim=4, seed=0))
    gan.fit(points(), verbose=0)
    before = [w.numpy() for w in gan.weights]
    results = gan.evaluate(points(seed=1), verbose=0, return_dict=True)
    assert set(results) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in results.values()) and 0 < results["d_real"] < 1
    for a, w in zip(before, gan.weights):
        if "seed" not in w.path:  # the noise generator's state advances: nothing else does
            np.testing.assert_array_equal(a, w.numpy(), err_msg=w.path)
    # The held-out D loss is the mean over the batches of the cross-entropy on this data.
    real_logits = gan.discriminator(next(iter(points(seed=1)))).numpy()
    assert results["d_real"] == pytest.approx(np.mean(1 / (1 + np.exp(-np.concatenate(
        [real_logits] + [gan.discriminator(b).numpy() for b in list(points(seed=1))[1:]])))), rel=1e-5)


def test_summary_save_load_model_and_export(tmp_path):
    gan = compiled(tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4, seed=0))
    gan.fit(points(), verbose=0)
    lines = []
    gan.summary(print_fn=lines.append)
    assert any("mlp_generator" in line for line in lines) and any("mlp_discriminator" in line for line in lines)
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    loaded = keras.models.load_model(path)
    z = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(loaded(z).numpy(), gan(z).numpy(), rtol=1e-6)
    assert isinstance(loaded, tfgan.GAN) and loaded.d_optimizer.iterations.numpy() == 2
    gan.export(str(tmp_path / "served"))
    script = ("import sys, numpy as np, tensorflow as tf; g = tf.saved_model.load(sys.argv[1]); "
              "print(g.signatures['serving_default'](z=tf.constant(np.ones((2, 4), np.float32)))['samples'].numpy().shape,"
              " 'tfgan' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "served")], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.split()[-3:] == ["(2,", "2)", "False"]


def test_the_serving_signature_names_z_of_the_wrong_width(tmp_path):
    gan = compiled(tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4))
    served = tf.saved_model.load(tfgan.export.export_generator(gan, str(tmp_path / "g")))
    with pytest.raises((ValueError, TypeError, tf.errors.InvalidArgumentError), match=r"`z` must be \[batch, 4\]"):
        served.signatures["serving_default"](z=tf.ones([2, 7]))
