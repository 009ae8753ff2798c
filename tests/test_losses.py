import numpy as np
import pytest
import tensorflow as tf

from tfgan import losses

LOGITS = np.array([-300.0, -20.0, -1.5, 0.0, 0.7, 20.0, 300.0], np.float32)


def np_log_sigmoid(x):
    x = np.asarray(x, np.float64)
    return np.where(x >= 0, -np.log1p(np.exp(-np.abs(x))), x - np.log1p(np.exp(-np.abs(x))))


def np_bce(logits, t):
    return -(t * np_log_sigmoid(logits) + (1 - t) * np_log_sigmoid(-logits))


REAL = LOGITS
FAKE = LOGITS[::-1].copy()


@pytest.mark.parametrize("real_t,fake_t", [(1.0, 0.0), (0.9, 0.0), (0.8, 0.2)])
def test_minimax_discriminator_matches_closed_form(real_t, fake_t):
    got = losses.minimax_discriminator_loss(REAL, FAKE, real_t, fake_t).numpy()
    want = np_bce(REAL, real_t) + np_bce(FAKE, fake_t)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_generator_losses_match_closed_forms():
    np.testing.assert_allclose(losses.minimax_generator_loss(FAKE).numpy(), np_log_sigmoid(-FAKE), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(losses.non_saturating_generator_loss(FAKE).numpy(), -np_log_sigmoid(FAKE),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(losses.least_squares_generator_loss(FAKE).numpy(), 0.5 * (FAKE - 1.0) ** 2, rtol=1e-6)
    np.testing.assert_allclose(losses.wasserstein_generator_loss(FAKE).numpy(), -FAKE)
    np.testing.assert_allclose(losses.hinge_generator_loss(FAKE).numpy(), -FAKE)


def test_discriminator_losses_match_closed_forms():
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(REAL, FAKE).numpy(),
                               0.5 * ((REAL - 1) ** 2 + FAKE ** 2), rtol=1e-6)
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(REAL, FAKE).numpy(), FAKE - REAL)
    np.testing.assert_allclose(losses.hinge_discriminator_loss(REAL, FAKE).numpy(),
                               np.maximum(0, 1 - REAL) + np.maximum(0, 1 + FAKE))


# The f-GAN KL, reverse-KL and squared-Hellinger conjugates grow like exp(|v|) and overflow float32 at
# |v| = 300 by definition; tests/test_divergences.py checks them at the logits where they are finite.
UNBOUNDED = {"kl", "reverse_kl", "squared_hellinger"}


@pytest.mark.parametrize("name", sorted(set(losses.LOSSES) - UNBOUNDED))
def test_extreme_logits_give_finite_losses_and_gradients(name):
    loss = losses.get(name)
    real = tf.Variable(LOGITS)
    fake = tf.Variable(LOGITS[::-1].copy())
    with tf.GradientTape(persistent=True) as tape:
        d = tf.reduce_sum(loss.d_loss(real, fake))
        g = tf.reduce_sum(loss.g_loss(fake, real))
    for value in [d, g] + tape.gradient(d, [real, fake]) + [tape.gradient(g, fake)]:
        assert np.all(np.isfinite(value.numpy())), name


def test_minimax_generator_saturates_where_non_saturating_does_not():
    """At a confident D (logit -10) the saturating loss has almost no gradient; the NS one has ~1."""
    fake = tf.Variable([-10.0])
    with tf.GradientTape(persistent=True) as tape:
        saturating = losses.minimax_generator_loss(fake)
        non_saturating = losses.non_saturating_generator_loss(fake)
    assert abs(tape.gradient(saturating, fake).numpy()[0]) < 1e-4
    assert abs(tape.gradient(non_saturating, fake).numpy()[0]) > 0.99


def test_patch_outputs_are_averaged_per_example():
    logits = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3, 1) / 10
    got = losses.wasserstein_generator_loss(logits).numpy()
    np.testing.assert_allclose(got, -logits.reshape(2, -1).mean(1), rtol=1e-6)


def test_targets_are_per_example_tensors():
    real_t = np.array([1.0, 0.9, 0.7], np.float32)
    got = losses.minimax_discriminator_loss(REAL[:3], FAKE[:3], real_t, 0.0).numpy()
    np.testing.assert_allclose(got, np_bce(REAL[:3], real_t) + np_bce(FAKE[:3], 0.0), rtol=1e-5, atol=1e-5)


def test_get_by_name_config_or_loss_and_unknown_name():
    hinge = losses.get("hinge")
    assert hinge.discriminator is losses.hinge_discriminator_loss and hinge.generator is losses.hinge_generator_loss
    assert losses.get(hinge.get_config()) is hinge
    custom = losses.Loss("custom", losses.hinge_discriminator_loss, losses.wasserstein_generator_loss)
    assert losses.get(custom) is custom
    with pytest.raises(ValueError, match=r"least_squares.*loss='nope'"):
        losses.get("nope")


def test_each_row_calls_its_pair_with_what_it_takes():
    real, fake = REAL[:4], FAKE[:4]
    smoothed = losses.get("least_squares").d_loss(real, fake, 0.9, 0.1).numpy()
    np.testing.assert_allclose(smoothed, 0.5 * ((real - 0.9) ** 2 + (fake - 0.1) ** 2), rtol=1e-5)
    # Targets are ignored by losses that take none, and G's real logits only by relativistic ones.
    np.testing.assert_allclose(losses.get("hinge").d_loss(real, fake, 0.9, 0.1).numpy(),
                               np.maximum(0, 1 - real) + np.maximum(0, 1 + fake), rtol=1e-5)
    relativistic = losses.get("relativistic_average_hinge").g_loss(fake, real).numpy()
    np.testing.assert_allclose(relativistic, np.maximum(0, 1 - (fake - real.mean())) +
                               np.maximum(0, 1 + (real - fake.mean())), rtol=1e-5)
    assert sorted(n for n, loss in losses.LOSSES.items() if loss.uses_targets) == [
        "least_squares", "minimax", "non_saturating"]


def test_output_is_probability_only_for_cross_entropy_losses():
    np.testing.assert_allclose(losses.get("non_saturating").d_output([0.0, 100.0]).numpy(), [0.5, 1.0])
    np.testing.assert_allclose(losses.get("wasserstein").d_output([0.0, 100.0]).numpy(), [0.0, 100.0])
    assert losses.get("minimax").probabilistic and not losses.get("hinge").probabilistic
