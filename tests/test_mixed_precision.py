"""Mixed precision: dynamic loss scaling for float16, losses in float32."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan


def build(policy):
    keras.mixed_precision.set_global_policy(policy)
    try:
        gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 3, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 3)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return gan


def weights(net):
    return [w.numpy() for w in net.weights]


def changed(before, net):
    return max(float(np.abs(a - b.numpy()).max()) for a, b in zip(before, net.weights))


def test_float16_gradient_overflow_halves_the_loss_scale_and_skips_the_update():
    gan = build("mixed_float16")
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert gan.discriminator.compute_dtype == "float16"
    start = float(gan.d_optimizer.dynamic_scale.numpy())
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")

    d0, g0 = weights(gan.discriminator), weights(gan.generator)
    logs = gan.fit(tf.data.Dataset.from_tensors(x), verbose=0).history
    assert float(gan.d_optimizer.dynamic_scale.numpy()) == start  # finite gradients: scale kept
    assert changed(d0, gan.discriminator) > 1e-3 and np.isfinite(logs["d_grad_norm"][0])
    assert logs["d_grad_norm"][0] < 100  # unscaled: not multiplied by the loss scale of 32768

    # Inputs of 1e3 stay finite in float16, but D's weight gradients x * dL/dh * 32768 do not.
    d0, g0 = weights(gan.discriminator), weights(gan.generator)
    logs = gan.fit(tf.data.Dataset.from_tensors(x * 1e3), verbose=0).history
    assert np.isfinite(logs["d_loss"][0])  # the loss itself, in float32, is fine ...
    assert np.isinf(logs["d_grad_norm"][0])  # ... its scaled gradients overflowed
    assert float(gan.d_optimizer.dynamic_scale.numpy()) == start / 2
    assert changed(d0, gan.discriminator) == 0.0 and int(gan.d_optimizer.iterations.numpy()) == 1  # skipped
    assert float(gan.g_optimizer.dynamic_scale.numpy()) == start and changed(g0, gan.generator) > 1e-3


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "float32"])
def test_no_loss_scaling_without_float16(policy):
    gan = build(policy)
    assert not isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    logs = gan.fit(tf.data.Dataset.from_tensors(x), verbose=0).history
    assert np.isfinite(logs["d_loss"][0]) and np.isfinite(logs["g_loss"][0])
