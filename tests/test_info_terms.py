"""InfoGAN's mutual-information terms in tfgan.losses against scipy."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

from tfgan import losses

RNG = np.random.default_rng(0)


def test_categorical_term_is_the_softmax_cross_entropy_of_integer_codes():
    logits = RNG.normal(size=(32, 10)).astype(np.float32) * 3
    codes = RNG.integers(0, 10, size=32)
    want = -special.log_softmax(logits.astype(np.float64), axis=1)[np.arange(32), codes]
    got = losses.categorical_mutual_information(logits, codes).numpy()
    assert got.shape == (32,)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    # One-hot codes give the same.
    np.testing.assert_allclose(losses.categorical_mutual_information(logits, np.eye(10)[codes]).numpy(), want,
                               rtol=1e-5)


def test_categorical_terms_of_several_codes_add_up():
    logits = RNG.normal(size=(16, 3, 5)).astype(np.float32)
    codes = RNG.integers(0, 5, size=(16, 3))
    log_q = special.log_softmax(logits.astype(np.float64), axis=2)
    want = -np.take_along_axis(log_q, codes[..., None], axis=2)[..., 0].sum(axis=1)
    np.testing.assert_allclose(losses.categorical_mutual_information(logits, codes).numpy(), want, rtol=1e-5)


def test_categorical_term_is_never_below_zero_and_has_gradients():
    logits = tf.Variable(RNG.normal(size=(8, 4)).astype(np.float32) * 50)
    with tf.GradientTape() as tape:
        loss = losses.categorical_mutual_information(logits, np.arange(8) % 4)
        total = tf.reduce_sum(loss)
    assert np.all(loss.numpy() >= 0)
    grad = tape.gradient(total, logits).numpy()
    # d/dl = softmax(l) - onehot(c)
    want = special.softmax(logits.numpy().astype(np.float64), axis=1) - np.eye(4)[np.arange(8) % 4]
    np.testing.assert_allclose(grad, want, atol=1e-6)


def test_categorical_codes_of_a_wrong_rank_are_refused():
    with pytest.raises(ValueError, match="codes"):
        losses.categorical_mutual_information(np.zeros((4, 3, 2, 2), np.float32), np.zeros((4,), np.int32))


@pytest.mark.parametrize("shape", [(32, 3), (32,)])
def test_gaussian_term_is_the_negative_normal_log_density_summed_over_codes(shape):
    mean = RNG.normal(size=shape).astype(np.float32)
    log_std = RNG.uniform(-2, 1, size=shape).astype(np.float32)
    codes = RNG.uniform(-1, 1, size=shape).astype(np.float32)
    log_pdf = stats.norm.logpdf(codes, loc=mean, scale=np.exp(log_std.astype(np.float64)))
    want = -log_pdf.reshape(32, -1).sum(axis=1)
    got = losses.gaussian_mutual_information(mean, log_std, codes).numpy()
    assert got.shape == (32,)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_gaussian_term_with_a_fixed_unit_std():
    mean = RNG.normal(size=(8, 2)).astype(np.float32)
    codes = RNG.uniform(-1, 1, size=(8, 2)).astype(np.float32)
    want = -stats.norm.logpdf(codes, loc=mean).sum(axis=1)
    np.testing.assert_allclose(losses.gaussian_mutual_information(mean, 0.0, codes).numpy(), want, rtol=1e-5)


def test_gaussian_term_gradients_are_the_closed_form():
    mean = tf.Variable(RNG.normal(size=(8, 2)).astype(np.float32))
    log_std = tf.Variable(RNG.uniform(-3, 2, size=(8, 2)).astype(np.float32))
    codes = RNG.uniform(-1, 1, size=(8, 2)).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(losses.gaussian_mutual_information(mean, log_std, codes))
    g_mean, g_log_std = (g.numpy() for g in tape.gradient(loss, [mean, log_std]))
    z = (codes - mean.numpy().astype(np.float64)) * np.exp(-log_std.numpy().astype(np.float64))
    # d/dmu = -(c - mu) / sigma^2,  d/dlog_sigma = 1 - ((c - mu) / sigma)^2
    np.testing.assert_allclose(g_mean, -z * np.exp(-log_std.numpy()), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g_log_std, 1 - z ** 2, rtol=1e-4, atol=1e-5)
