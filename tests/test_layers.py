"""tfgan.layers against direct numpy computations, and the network options that use them."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan import layers


def test_minibatch_discrimination_matches_numpy():
    x = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    layer = layers.MinibatchDiscrimination(num_kernels=3, kernel_dim=4)
    out = layer(x).numpy()
    m = (x @ layer.kernel.numpy()).reshape(5, 3, 4)
    expected = np.zeros((5, 3))
    for i in range(5):
        for j in range(5):
            expected[i] += np.exp(-np.abs(m[i] - m[j]).sum(axis=-1))
    np.testing.assert_allclose(out[:, :6], x)
    np.testing.assert_allclose(out[:, 6:], expected, rtol=1e-5)
    assert out.shape == (5, 9) and np.all(out[:, 6:] >= 1.0)  # each example is at distance 0 from itself


@pytest.mark.parametrize("shape,group", [((8, 5), 4), ((6, 3, 3, 2), 3), ((3, 4), 4)])
def test_minibatch_stddev_matches_numpy(shape, group):
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    out = layers.MinibatchStdDev(group_size=group)(x).numpy()
    b = shape[0]
    g = min(group, b)
    expected = np.empty(b)
    for i in range(b):
        members = x[i % (b // g)::b // g]  # the group of example i
        expected[i] = np.sqrt(members.var(axis=0) + 1e-8).mean()
    assert out.shape == shape[:-1] + (shape[-1] + 1,)
    np.testing.assert_allclose(out[..., :-1], x)
    np.testing.assert_allclose(out[..., -1].reshape(b, -1), np.repeat(expected[:, None], out[0, ..., -1].size, 1),
                               rtol=1e-5)


def test_minibatch_stddev_sees_a_collapsed_batch():
    collapsed = np.ones((8, 4), np.float32)
    out = layers.MinibatchStdDev()(collapsed).numpy()
    np.testing.assert_allclose(out[:, -1], 1e-4, rtol=1e-3)  # sqrt(0 + 1e-8)


def test_pixel_shuffle_matches_numpy_depth_to_space():
    x = np.arange(2 * 3 * 3 * 8, dtype=np.float32).reshape(2, 3, 3, 8)
    out = layers.PixelShuffle(2)(x).numpy()
    # out[b, 2h + i, 2w + j, c] = x[b, h, w, (2i + j) * 2 + c]
    expected = x.reshape(2, 3, 3, 2, 2, 2).transpose(0, 1, 3, 2, 4, 5).reshape(2, 6, 6, 2)
    np.testing.assert_array_equal(out, expected)


def test_noise_dropout_stays_on_when_sampling():
    x = np.ones((200, 50), np.float32)
    out = layers.NoiseDropout(0.5)(x, training=False).numpy()
    assert set(np.unique(out)) == {0.0, 2.0}
    assert np.mean(out == 0.0) == pytest.approx(0.5, abs=0.02)
    np.testing.assert_array_equal(keras.layers.Dropout(0.5)(x, training=False).numpy(), x)  # Keras's is off


def test_fourier_features_match_numpy_and_have_the_closed_form_lipschitz_constant():
    x = np.random.default_rng(2).normal(size=(5, 2)).astype(np.float32)
    layer = layers.FourierFeatures(num_features=8, scale=3.0, seed=1)
    out = layer(x).numpy()
    b = layer.frequencies.numpy()
    assert b.shape == (2, 4) and layer.trainable_weights == []  # fixed, but saved with the weights
    np.testing.assert_allclose(out, np.concatenate([x, np.sin(x @ b), np.cos(x @ b)], axis=-1), rtol=1e-5,
                               atol=1e-6)
    # J^T J = I + B B^T at every x: the Jacobian's largest singular value is sqrt(1 + sigma_max(B)^2).
    with tf.GradientTape() as tape:
        xt = tf.constant(x)
        tape.watch(xt)
        y = layer(xt)
    jacobians = tape.batch_jacobian(y, xt).numpy()  # [5, 10, 2]
    lipschitz = np.sqrt(1.0 + np.linalg.svd(b, compute_uv=False)[0] ** 2)
    np.testing.assert_allclose([np.linalg.svd(j, compute_uv=False)[0] for j in jacobians], lipschitz, rtol=1e-4)
    # The same seed gives the same frequencies; the config rebuilds the layer.
    again = layers.FourierFeatures.from_config(layer.get_config())
    np.testing.assert_allclose(again(x).numpy(), out, rtol=1e-6)
    mlp = tfgan.nets.mlp_discriminator(2, (8,), spectral_norm=True, fourier_features=16, fourier_scale=2.0)
    assert mlp.get_layer("fourier_features").output.shape[1:] == (18,)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.MinibatchDiscrimination(num_kernels=0), "num_kernels=0"),
    (lambda: layers.MinibatchStdDev(group_size=0), "group_size=0"),
    (lambda: layers.PixelShuffle(1), "block_size=1"),
    (lambda: layers.NoiseDropout(1.0), "rate=1.0"),
    (lambda: layers.FourierFeatures(7), "num_features=7"),
    (lambda: layers.FourierFeatures(8, scale=0.0), "scale=0.0"),
    (lambda: tfgan.nets.dcgan_discriminator(8, 1, 8, minibatch="pack"), "minibatch='pack'"),
    (lambda: tfgan.nets.dcgan_generator(8, 1, 4, 8, upsampling="nearest"), "upsampling='nearest'"),
    (lambda: tfgan.nets.mlp_generator(2, 4, dropout=-0.5), "dropout=-0.5"),
])
def test_invalid_values_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_network_options_build_the_layers_they_name():
    g = tfgan.nets.dcgan_generator(8, 1, 4, 8, upsampling="pixel_shuffle", dropout=0.3)
    d = tfgan.nets.dcgan_discriminator(8, 1, 8, downsampling="avgpool", minibatch="stddev")
    kinds = lambda model: {type(layer).__name__ for layer in model.layers}
    assert {"PixelShuffle", "NoiseDropout"} <= kinds(g) and "Conv2DTranspose" not in kinds(g)
    assert {"AveragePooling2D", "MinibatchStdDev"} <= kinds(d)
    assert all(layer.strides == (1, 1) for layer in d.layers if isinstance(layer, keras.layers.Conv2D))
    assert g.output.shape[1:] == (8, 8, 1) and d.output.shape[1:] == (1,)
    z = np.random.default_rng(0).normal(size=(4, 4)).astype(np.float32)
    assert not np.allclose(g(z, training=False).numpy(), g(z, training=False).numpy())  # dropout noise at test time
    mlp = tfgan.nets.mlp_discriminator(2, (8,), minibatch="discrimination")
    assert "MinibatchDiscrimination" in kinds(mlp)
    x = np.random.default_rng(0).normal(size=(6, 2)).astype(np.float32)
    # Minibatch features make D's score of an example depend on the rest of the batch.
    assert not np.allclose(mlp(x).numpy()[:3], mlp(x[:3]).numpy())
    assert keras.models.clone_model(d).count_params() == d.count_params()
