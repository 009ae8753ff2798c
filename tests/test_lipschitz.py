"""Weight clipping (WGAN), spectral normalization (SNGAN) and WGAN's critic schedule in training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan


def fit(gan, batch, steps, **kwargs):
    gan.run_eagerly = True  # a few steps run faster eagerly than traced
    data = np.random.default_rng(0).normal(size=(steps * batch,) + gan.discriminator.input_shape[1:])
    ds = tf.data.Dataset.from_tensor_slices(data.astype(np.float32)).batch(batch, drop_remainder=True)
    return gan.fit(ds, epochs=1, verbose=0, **kwargs)


def test_weight_clip_keeps_every_discriminator_weight_in_range():
    d = tfgan.nets.mlp_discriminator(2, (16, 16))
    before = [v.numpy() for v in d.trainable_variables]
    assert max(np.abs(w).max() for w in before) > 0.1  # Glorot weights start far outside [-0.01, 0.01]
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (16,)), d, 4, loss="wasserstein", d_steps=2,
                    d_constraint=tfgan.constraints.WeightClip(0.01))
    gan.compile(d_optimizer=keras.optimizers.RMSprop(5e-5), g_optimizer=keras.optimizers.RMSprop(5e-5))
    fit(gan, 16, 3)
    after = [v.numpy() for v in d.trainable_variables]
    assert max(np.abs(w).max() for w in after) <= 0.01 + 1e-7
    # Clipping, not shrinking: the large initial weights now sit exactly at +-c.
    assert np.isclose(np.abs(after[0]), 0.01).mean() > 0.5


def test_weight_clip_leaves_the_generator_alone():
    g = tfgan.nets.mlp_generator(2, 4, (16,))
    gan = tfgan.GAN(g, tfgan.nets.mlp_discriminator(2, (16,)), 4, loss="wasserstein",
                    d_constraint=tfgan.constraints.WeightClip(0.01))
    gan.compile(d_optimizer=keras.optimizers.RMSprop(5e-5), g_optimizer=keras.optimizers.RMSprop(5e-5))
    assert all(v.constraint is None for v in g.trainable_variables)
    fit(gan, 8, 2)
    assert max(np.abs(v.numpy()).max() for v in g.trainable_variables) > 0.1


@pytest.mark.parametrize("value", [-0.01, 0.0, float("inf"), "0.01"])
def test_bad_clip_value_names_the_argument(value):
    with pytest.raises(ValueError, match=f"`clip_value={value!r}`"):
        tfgan.constraints.WeightClip(value)


def test_d_constraint_must_be_callable():
    with pytest.raises(ValueError, match="`d_constraint=0.01`"):
        tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4, d_constraint=0.01)


def largest_singular_values(model):
    """sigma_max of every spectrally normalized kernel, reshaped to [-1, out] as in Miyato et al. 2018."""
    return {layer.name: np.linalg.svd(layer.kernel.numpy().reshape(-1, layer.kernel.shape[-1]), compute_uv=False)[0]
            for layer in model.layers if isinstance(layer, keras.layers.SpectralNormalization)}


@pytest.mark.parametrize("make_d,n_layers", [
    (lambda: tfgan.nets.mlp_discriminator(2, (32, 32), spectral_norm=True), 3),
    (lambda: tfgan.nets.dcgan_discriminator(8, 1, 8, spectral_norm=True), 3),
])
def test_sngan_kernels_have_unit_spectral_norm_after_training(make_d, n_layers):
    d = make_d()
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in d.layers)
    shape = d.input_shape[1:]
    g = tfgan.nets.mlp_generator(shape, 4, (16,))
    before = largest_singular_values(d)
    assert len(before) == n_layers and max(before.values()) > 1.2  # unnormalized at initialization
    gan = tfgan.GAN(g, d, 4, loss="hinge")
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.5), g_optimizer=keras.optimizers.Adam(2e-4, 0.5))
    fit(gan, 16, 15)
    for name, sigma in largest_singular_values(d).items():
        assert abs(sigma - 1.0) < 0.05, (name, sigma)


def test_power_iteration_vectors_are_checkpointed(tmp_path):
    d = tfgan.nets.mlp_discriminator(2, (8,), spectral_norm=True)
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), d, 4, loss="hinge")
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    fit(gan, 8, 3)
    layer = d.get_layer("sn_dense_0")
    saved = layer.vector_u.numpy().copy()
    path = tf.train.Checkpoint(**gan.training_state()).save(str(tmp_path / "ckpt"))
    layer.vector_u.assign(np.zeros_like(saved))
    tf.train.Checkpoint(**gan.training_state()).restore(path).assert_existing_objects_matched()
    np.testing.assert_array_equal(layer.vector_u.numpy(), saved)
    assert np.linalg.norm(saved) == pytest.approx(1.0, rel=1e-4)  # a power-iteration vector, not the init


def test_sngan_resnet_nets_normalize_every_discriminator_layer():
    d = tfgan.nets.sngan_discriminator(32, 3, filters=8)
    g = tfgan.nets.sngan_generator(32, 3, latent_dim=8, filters=8)
    assert g.output.shape[1:] == (32, 32, 3) and d.output.shape[1:] == (1,)
    weighted = [layer for layer in d.layers if layer.weights]
    assert weighted and all(isinstance(layer, keras.layers.SpectralNormalization) for layer in weighted)
    # 3 downsampling blocks to 4x4 (3 convs each, shortcut included) + 2 blocks (2 convs) + the logit.
    assert len(weighted) == 3 * 3 + 2 * 2 + 1
    with pytest.raises(ValueError, match="`image_size=28`"):
        tfgan.nets.sngan_discriminator(28, 1)


def test_layer_norm_option_replaces_batch_norm():
    d = tfgan.nets.dcgan_discriminator(16, 1, 8, layer_norm=True)
    kinds = {type(layer) for layer in d.layers}
    assert keras.layers.LayerNormalization in kinds and keras.layers.BatchNormalization not in kinds
    x = np.random.default_rng(0).normal(size=(4, 16, 16, 1)).astype(np.float32)
    # Per-example normalization: an example's score does not depend on the rest of the batch.
    np.testing.assert_allclose(d(x[:1], training=True).numpy(), d(x, training=True).numpy()[:1], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="`spectral_norm=1`"):
        tfgan.nets.mlp_discriminator(2, spectral_norm=1)


def test_critic_schedule_gates_g_until_its_critic_updates_are_done():
    """WGAN's schedule with the model's d_steps=2: G update g waits for 5 critic updates when g < 2 or
    g % 3 == 0, for 2 otherwise, counted across steps (a Python count of the same rule below)."""
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4,
                    loss="wasserstein", d_steps=2)
    gan.compile(d_optimizer=keras.optimizers.RMSprop(5e-5), g_optimizer=keras.optimizers.RMSprop(5e-5))
    schedule = tfgan.callbacks.DStepsSchedule(tfgan.callbacks.CriticSchedule(steps=2, critic_steps=5, warmup=2, every=3))
    fit(gan, 16, 9, callbacks=[schedule])
    g_updates, since = 0, 0
    for _ in range(9):
        since += 2
        if since >= (5 if g_updates < 2 or g_updates % 3 == 0 else 2):
            g_updates, since = g_updates + 1, 0
    assert int(gan.d_optimizer.iterations.numpy()) == 9 * 2
    assert int(gan.g_optimizer.iterations.numpy()) == g_updates == 3
    with pytest.raises(ValueError, match="`warmup=-1`"):
        tfgan.callbacks.CriticSchedule(warmup=-1)
