"""f-GAN and relativistic average losses against the papers' closed forms (numpy), and short ring runs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan import losses

V_REAL = np.array([-3.0, -0.7, 0.0, 0.4, 2.5], np.float32)
V_FAKE = np.array([1.5, -2.0, 0.3, 0.0, -0.6], np.float32)

# Nowozin et al. 2016, Table 6: output activation g_f(v) and Fenchel conjugate f*(t), written as in the table.
TABLE = {
    "kl": (lambda v: v, lambda t: np.exp(t - 1)),
    "reverse_kl": (lambda v: -np.exp(-v), lambda t: -1 - np.log(-t)),
    "pearson": (lambda v: v, lambda t: 0.25 * t ** 2 + t),
    "squared_hellinger": (lambda v: 1 - np.exp(-v), lambda t: t / (1 - t)),
    "jensen_shannon": (lambda v: np.log(2) - np.log1p(np.exp(-v)), lambda t: -np.log(2 - np.exp(t))),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_fgan_losses_match_the_papers_table(name):
    g, conjugate = TABLE[name]
    v_r, v_f = V_REAL.astype(np.float64), V_FAKE.astype(np.float64)
    loss = losses.get(name)
    # D maximises E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))] (eq. 6); G maximises E_Q[g_f(V(G(z)))] (sec. 3.2).
    np.testing.assert_allclose(loss.d_loss(V_REAL, V_FAKE).numpy(), -g(v_r) + conjugate(g(v_f)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loss.g_loss(V_FAKE).numpy(), -g(v_f), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loss.output(V_REAL).numpy(), g(v_r), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_fgan_loss_is_finite_where_the_table_overflows(name):
    extreme = np.array([-80.0, 80.0], np.float32)
    loss = losses.get(name)
    if name in ("kl", "squared_hellinger"):  # f*(g_f(v)) = exp(v - 1) / exp(v) - 1 grow without bound
        extreme = np.array([-80.0, 60.0], np.float32)
    assert np.all(np.isfinite(loss.d_loss(-extreme, extreme).numpy()))


def np_log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def test_relativistic_average_losses_match_closed_forms():
    c_r, c_f = V_REAL.astype(np.float64), V_FAKE.astype(np.float64)
    rel_r, rel_f = c_r - c_f.mean(), c_f - c_r.mean()
    cases = {
        "relativistic_average": (-np_log_sigmoid(rel_r) - np_log_sigmoid(-rel_f),
                                 -np_log_sigmoid(rel_f) - np_log_sigmoid(-rel_r)),
        "relativistic_average_least_squares": ((rel_r - 1) ** 2 + (rel_f + 1) ** 2,
                                               (rel_f - 1) ** 2 + (rel_r + 1) ** 2),
        "relativistic_average_hinge": (np.maximum(0, 1 - rel_r) + np.maximum(0, 1 + rel_f),
                                       np.maximum(0, 1 - rel_f) + np.maximum(0, 1 + rel_r)),
    }
    for name, (d_want, g_want) in cases.items():
        loss = losses.get(name)
        assert loss.generator_needs_real
        np.testing.assert_allclose(loss.d_loss(V_REAL, V_FAKE).numpy(), d_want, rtol=1e-5, err_msg=name)
        np.testing.assert_allclose(loss.g_loss(V_FAKE, V_REAL).numpy(), g_want, rtol=1e-5, err_msg=name)


def test_relativistic_generator_loss_gets_real_logits_from_the_gan():
    """G's loss depends on D(real): with D's bias moved, RaLSGAN's G loss changes, NS's does not."""
    def g_loss(loss, real_value):
        keras.utils.set_random_seed(0)
        gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4, loss=loss,
                        seed=0)
        gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0), run_eagerly=True)
        real = np.full((8, 2), real_value, np.float32)
        return gan.fit(tf.data.Dataset.from_tensors(real), verbose=0).history["g_loss"][0]

    assert g_loss("relativistic_average_least_squares", 0.0) != pytest.approx(
        g_loss("relativistic_average_least_squares", 3.0), rel=1e-3)
    assert g_loss("non_saturating", 0.0) == pytest.approx(g_loss("non_saturating", 3.0), rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TABLE) + ["relativistic_average"])
def test_short_ring_run_trains_with_each_loss(name):
    """300 steps on the ring multiply the share of G's samples within 0.1 of the unit circle (2% at init)."""
    keras.utils.set_random_seed(0)
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (64, 64)), tfgan.nets.mlp_discriminator(2, (64, 64)), 4,
                    loss=name, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, 0.5), g_optimizer=keras.optimizers.Adam(1e-3, 0.5))
    z = tf.random.stateless_normal([1000, 4], seed=[1, 2])
    near_ring = lambda: np.mean(np.abs(np.linalg.norm(gan(z).numpy(), axis=1) - 1.0) < 0.1)  # noqa: E731
    before = near_ring()
    dataset, _ = tfgan.data.load("ring", 64, seed=0)
    history = gan.fit(dataset, steps_per_epoch=300, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
    assert near_ring() > 2.5 * before, (before, near_ring())
