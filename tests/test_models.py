import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan


def small_gan(d_steps=1, g_steps=1, loss="non_saturating", noise="normal", latent_dim=4):
    g = tfgan.nets.mlp_generator(2, latent_dim, (16,))
    d = tfgan.nets.mlp_discriminator(2, (16,))
    gan = tfgan.GAN(g, d, latent_dim, loss=loss, d_steps=d_steps, g_steps=g_steps, noise=noise, seed=1)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def points(batch, steps):
    x = np.random.default_rng(0).normal(size=(batch * steps, 2)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)


@pytest.mark.parametrize("d_steps,g_steps", [(1, 1), (3, 1), (2, 2)])
def test_d_steps_and_g_steps_count_optimizer_updates(d_steps, g_steps):
    gan = small_gan(d_steps, g_steps)
    gan.fit(points(8 * d_steps, 5), epochs=1, verbose=0)
    assert int(gan.step_counter.numpy()) == 5
    assert int(gan.d_optimizer.iterations.numpy()) == 5 * d_steps
    assert int(gan.g_optimizer.iterations.numpy()) == 5 * g_steps


class RecordRealInputs(tfgan.TrainingHook):
    """Stores the real minibatch each D update sees (index = order of the update in the step)."""

    def __init__(self, d_steps, size):
        self.seen = tf.Variable(tf.zeros([d_steps, size]))
        self.calls = 0
        self.traces = 0

    def discriminator_inputs(self, real, fake, step):
        self.seen[self.calls % self.seen.shape[0]].assign(real[:, 0])
        self.calls += 1
        return real, fake


def test_each_d_update_gets_its_own_minibatch():
    gan = small_gan(d_steps=3)
    hook = RecordRealInputs(3, 4)
    gan.add_hook(hook)
    batch = np.stack([np.arange(12, dtype=np.float32), np.zeros(12, np.float32)], axis=1)
    gan.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0)
    np.testing.assert_array_equal(hook.seen.numpy(), np.arange(12).reshape(3, 4))


def test_step_is_traced_once_across_steps_and_fits():
    gan = small_gan()
    hook = RecordRealInputs(1, 8)
    gan.add_hook(hook)
    gan.fit(points(8, 10), epochs=2, verbose=0)
    gan.fit(points(8, 10), epochs=1, verbose=0)
    assert hook.calls == 1  # Python in the step ran once: one trace
    assert int(gan.step_counter.numpy()) == 30


def test_logs_have_every_quantity_and_probabilities():
    gan = small_gan(loss="minimax")
    logs = gan.fit(points(8, 4), epochs=1, verbose=0).history
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"):
        assert key in logs and np.isfinite(logs[key][-1])
    assert 0.0 < logs["d_real"][-1] < 1.0 and 0.0 < logs["d_fake"][-1] < 1.0


def test_uniform_noise_lies_in_the_cube_and_normal_does_not():
    uniform = small_gan(noise="uniform").sample_noise(2000).numpy()
    normal = small_gan().sample_noise(2000).numpy()
    assert uniform.shape == (2000, 4)
    assert uniform.min() >= -1.0 and uniform.max() <= 1.0 and uniform.std() == pytest.approx(1 / np.sqrt(3), rel=0.05)
    assert np.abs(normal).max() > 1.5 and normal.std() == pytest.approx(1.0, rel=0.05)


def test_call_generates():
    gan = small_gan()
    out = gan(np.zeros((5, 4), np.float32))
    np.testing.assert_allclose(out.numpy(), gan.generator(np.zeros((5, 4), np.float32)).numpy())
    assert out.shape == (5, 2)


def test_get_config_round_trip():
    gan = small_gan(d_steps=2, loss="hinge", noise="uniform")
    config = gan.get_config()
    clone = tfgan.GAN.from_config(config)
    nets = ("generator", "discriminator")
    assert {k: v for k, v in clone.get_config().items() if k not in nets} == {
        k: v for k, v in config.items() if k not in nets}
    assert (clone.d_steps, clone.adversarial_loss.name, clone.noise, clone.latent_dim) == (2, "hinge", "uniform", 4)
    assert [w.shape for w in clone.generator.weights] == [w.shape for w in gan.generator.weights]


def test_bad_arguments_name_the_value():
    g = tfgan.nets.mlp_generator(2, 4, (8,))
    d = tfgan.nets.mlp_discriminator(2, (8,))
    with pytest.raises(ValueError, match="d_steps=0"):
        tfgan.GAN(g, d, 4, d_steps=0)
    with pytest.raises(ValueError, match="noise='gauss'"):
        tfgan.GAN(g, d, 4, noise="gauss")
    with pytest.raises(ValueError, match="loss='foo'"):
        tfgan.GAN(g, d, 4, loss="foo")
    with pytest.raises(ValueError, match=r"discriminator` cannot score the generator's samples, of shape \(3,\)"):
        tfgan.GAN(tfgan.nets.mlp_generator(3, 4, (8,)), d, 4)
    gan = tfgan.GAN(g, d, 4)
    with pytest.raises(ValueError, match="g_optimizer"):
        gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer="adam")


def test_data_of_the_wrong_shape_fails_with_a_clear_message():
    gan = small_gan()
    x = np.zeros((16, 3), np.float32)
    with pytest.raises(ValueError, match=r"samples of shape \(2,\) but the data has shape \(3,\)"):
        gan.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)


def test_toy_1d_learns_the_shift():
    """x = z + theta with theta from 3.0 moves to the data mean 5 (Prince, UDL ch. 15)."""
    ds, _ = tfgan.data.load("toy1d", 64, seed=0)
    gan = tfgan.GAN(tfgan.nets.toy_shift_generator(3.0), tfgan.nets.mlp_discriminator(1, (32,)), 1,
                    loss="minimax", seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5))
    theta = gan.generator.get_layer("shift").theta
    assert float(theta.numpy()) == 3.0
    gan.fit(ds, steps_per_epoch=1500, epochs=1, verbose=0)
    assert abs(float(theta.numpy()) - 5.0) < 0.2


def test_short_ring_run_puts_samples_near_modes():
    ds, info = tfgan.data.load("ring", 256, seed=0)
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 16, (128, 128)), tfgan.nets.mlp_discriminator(2, (128, 128)), 16,
                    loss="least_squares", seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    x0 = gan(gan.sample_noise(1000)).numpy()
    gan.fit(ds, steps_per_epoch=1500, epochs=1, verbose=0)
    x = gan(gan.sample_noise(1000)).numpy()
    distance = lambda s: np.linalg.norm(s[:, None] - info.modes[None], axis=-1).min(1)
    # "Near" = within 0.1 (10 std) of a mode; untrained samples are not.
    assert np.mean(distance(x0) < 0.1) < 0.2
    assert np.mean(distance(x) < 0.1) > 0.5
