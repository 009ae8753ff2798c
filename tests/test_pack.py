"""PacGAN packing (Lin et al. 2018): D scores `pack` samples at once, concatenated along the last axis."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan


def constant_generator(output_shape, latent_dim=4):
    """A generator whose samples are all 0 (zero weights), so D's fake inputs are known exactly."""
    z = keras.Input((latent_dim,))
    x = keras.layers.Dense(int(np.prod(output_shape)), kernel_initializer="zeros")(z)
    return keras.Model(z, keras.layers.Reshape(output_shape)(x))


def test_packing_concatenates_each_group_of_samples_along_the_last_axis():
    gan = tfgan.GAN(constant_generator((2,)), tfgan.nets.mlp_discriminator(6, (8,)), 4, pack=3)
    vectors = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_array_equal(gan.pack_samples(tf.constant(vectors)).numpy(), vectors.reshape(2, 6))
    packed = tfgan.GAN(constant_generator((8, 8, 2)), tfgan.nets.dcgan_discriminator(8, 6, 4), 4, pack=3)
    images = np.random.default_rng(0).normal(size=(6, 8, 8, 2)).astype(np.float32)
    expected = np.stack([np.concatenate(list(images[3 * i:3 * i + 3]), axis=-1) for i in range(2)])
    np.testing.assert_array_equal(packed.pack_samples(tf.constant(images)).numpy(), expected)
    assert packed.discriminator.input_shape[1:] == (8, 8, 6)


@pytest.mark.parametrize("shape,make_d", [
    ((2,), lambda pack: tfgan.nets.mlp_discriminator(2 * pack, (8,))),
    ((8, 8, 1), lambda pack: tfgan.nets.dcgan_discriminator(8, pack, 4)),
])
def test_the_d_loss_is_the_loss_of_d_on_packed_real_and_packed_fake(shape, make_d):
    pack, batch = 2, 8
    gan = tfgan.GAN(constant_generator(shape), make_d(pack), 4, pack=pack, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))
    real = np.random.default_rng(1).uniform(-1, 1, (batch,) + shape).astype(np.float32)
    logs = gan.fit(tf.data.Dataset.from_tensors(real), verbose=0).history
    packed_real = np.concatenate([real[0::2], real[1::2]], axis=-1)  # samples 2i and 2i + 1 side by side
    real_logits = gan.discriminator(packed_real, training=True).numpy().ravel()
    fake_logits = gan.discriminator(np.zeros_like(packed_real), training=True).numpy().ravel()
    softplus = lambda v: np.log1p(np.exp(v))  # noqa: E731
    assert logs["d_loss"][0] == pytest.approx(np.mean(softplus(-real_logits) + softplus(fake_logits)), rel=1e-4)
    assert logs["d_real"][0] == pytest.approx(np.mean(1 / (1 + np.exp(-real_logits))), rel=1e-4)


class CountTraces(tfgan.TrainingHook):
    def __init__(self):
        self.traces = 0

    def discriminator_inputs(self, real, fake, step):
        self.traces += 1
        return real, fake


@pytest.mark.parametrize("penalty", [None, tfgan.R1(1.0), tfgan.GradientPenalty(1.0, seed=0)])
def test_packed_training_traces_once_and_every_penalty_sees_packed_samples(penalty):
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(8, (8,)), 4, pack=4,
                    loss="wasserstein" if penalty else "non_saturating", penalty=penalty, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    hook = CountTraces()
    gan.add_hook(hook)
    ds = tfgan.data.load("ring", 16, seed=0)[0]
    logs = gan.fit(ds, steps_per_epoch=4, epochs=2, verbose=0).history
    gan.fit(ds, steps_per_epoch=2, epochs=1, verbose=0)
    assert hook.traces == 1 and int(gan.step_counter.numpy()) == 10
    assert all(np.all(np.isfinite(v)) for v in logs.values())


def test_a_discriminator_not_built_for_the_packs_is_named_at_construction():
    with pytest.raises(ValueError, match=r"`discriminator` cannot score the generator's packs of 4 samples, of shape "
                                         r"\(8,\)"):
        tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4, pack=4)
    with pytest.raises(ValueError, match="`pack` packs unlabelled samples"):
        tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 4, 8, (8,)),
                             tfgan.nets.conditional_mlp_discriminator(2, 8, (8,)), 4, num_classes=8, pack=2)
