"""Gradient penalties (WGAN-GP, R1, R2): closed forms, finite differences and the nested tape."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan import losses, penalties

RNG = np.random.default_rng(0)


def linear_critic(w, b=0.3):
    w = tf.Variable(np.asarray(w, np.float32).reshape(-1, 1))
    return w, (lambda x: tf.reshape(x, [tf.shape(x)[0], -1]) @ w + b)


def tanh_critic():
    """D(x) = v . tanh(W x + c): small, nonlinear, with an analytic input gradient W^T (v * (1 - tanh^2))."""
    W = RNG.normal(size=(3, 5)).astype(np.float32)
    c = RNG.normal(size=5).astype(np.float32)
    v = RNG.normal(size=5).astype(np.float32)
    critic = lambda x: tf.tanh(tf.convert_to_tensor(x) @ W + c) @ v[:, None]  # noqa: E731
    numpy_critic = lambda x: np.tanh(x @ W + c) @ v  # noqa: E731
    return critic, numpy_critic


def finite_difference_grad(f, x, h=1e-3):
    x = x.astype(np.float64)
    grad = np.zeros_like(x)
    for i in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, i] = h
        grad[:, i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("shape", [(6, 3), (4, 2, 2, 1)])
def test_gradient_penalty_of_a_linear_critic_is_closed_form(shape):
    w = RNG.normal(size=int(np.prod(shape[1:])))
    _, critic = linear_critic(w)
    real, fake = RNG.normal(size=shape).astype(np.float32), RNG.normal(size=shape).astype(np.float32)
    got = losses.gradient_penalty(critic, real, fake).numpy()
    np.testing.assert_allclose(got, (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-4)


def test_gradient_penalty_matches_finite_differences_for_a_nonlinear_critic():
    critic, numpy_critic = tanh_critic()
    x = RNG.normal(size=(8, 3)).astype(np.float32)
    # real == fake makes the interpolate x itself for any mixing weight.
    got = losses.gradient_penalty(critic, x, x).numpy()
    norms = np.linalg.norm(finite_difference_grad(numpy_critic, x), axis=1)
    np.testing.assert_allclose(got, np.mean((norms - 1.0) ** 2), rtol=1e-3)
    one_sided = losses.gradient_penalty(critic, x, x, target=0.5, one_sided=True).numpy()
    np.testing.assert_allclose(one_sided, np.mean(np.maximum(norms - 0.5, 0.0) ** 2), rtol=1e-3)


def test_interpolates_use_one_uniform_weight_per_example():
    real = RNG.normal(size=(64, 2, 2, 1)).astype(np.float32)
    fake = RNG.normal(size=(64, 2, 2, 1)).astype(np.float32)
    x_hat = penalties.interpolates(real, fake, seed=keras.random.SeedGenerator(3)).numpy()
    alpha = (x_hat - fake) / (real - fake)
    np.testing.assert_allclose(alpha, np.broadcast_to(alpha[:, :1, :1, :1], alpha.shape), atol=1e-3)
    a = alpha[:, 0, 0, 0]
    assert a.min() >= 0.0 and a.max() <= 1.0 and a.std() > 0.15  # U(0, 1) has std 0.29


def test_penalty_gradient_reaches_the_critic_weights_through_the_nested_tape():
    w0 = np.array([0.6, -1.2, 2.0])
    w, critic = linear_critic(w0)
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, x, x + 1.0)
    grad = tape.gradient(penalty, w).numpy()[:, 0]
    norm = np.linalg.norm(w0)
    np.testing.assert_allclose(grad, 2 * (norm - 1) * w0 / norm, rtol=1e-4)  # d/dw (||w|| - 1)^2


def test_penalty_at_a_zero_gradient_is_finite():
    w, critic = linear_critic(np.zeros(3))
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, x, x)
    grad = tape.gradient(penalty, w).numpy()
    np.testing.assert_allclose(penalty.numpy(), 1.0, rtol=1e-4)
    assert np.all(np.isfinite(grad))


def test_gradient_penalty_object_weights_the_per_example_penalty():
    w0 = np.array([2.0, 0.0])
    _, critic = linear_critic(w0)
    x = RNG.normal(size=(4, 2)).astype(np.float32)
    penalty = tfgan.GradientPenalty(weight=5.0)
    np.testing.assert_allclose(penalty(critic, x, -x).numpy(), np.full(4, 5.0 * (2.0 - 1.0) ** 2), rtol=1e-4)
    np.testing.assert_allclose(penalty.last_logs["interpolate_grad_norm"].numpy(), np.full(4, 2.0), rtol=1e-5)
    small = linear_critic([0.3, 0.4])[1]
    np.testing.assert_allclose(tfgan.GradientPenalty(one_sided=True)(small, x, -x).numpy(), np.zeros(4), atol=1e-6)


@pytest.mark.parametrize("cls,points", [(tfgan.R1, "real"), (tfgan.R2, "fake")])
def test_r1_r2_match_a_direct_computation(cls, points):
    critic, numpy_critic = tanh_critic()
    real = RNG.normal(size=(6, 3)).astype(np.float32)
    fake = RNG.normal(size=(6, 3)).astype(np.float32)
    x = real if points == "real" else fake
    grad = finite_difference_grad(numpy_critic, x)
    got = cls(gamma=4.0)(critic, real, fake).numpy()
    np.testing.assert_allclose(got, 4.0 / 2 * np.sum(grad ** 2, axis=1), rtol=1e-3)


def test_lazy_r1_applies_every_k_steps_scaled_by_k():
    critic, _ = tanh_critic()
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    every_step = tfgan.R1(gamma=2.0)(critic, x, x).numpy()
    lazy = tfgan.R1(gamma=2.0, every=3)
    got = [lazy(critic, x, x, step=tf.constant(s, tf.int64)).numpy() for s in range(7)]
    for step, value in enumerate(got):
        want = 3 * every_step if step % 3 == 0 else np.zeros(4)
        np.testing.assert_allclose(value, want, rtol=1e-5, err_msg=f"step {step}")


def test_a_critic_without_input_gradient_is_rejected():
    critic = lambda x: tf.stop_gradient(x) @ tf.ones([2, 1])  # noqa: E731
    x = np.ones((3, 2), np.float32)
    with pytest.raises(ValueError, match="`penalty` needs a discriminator that is differentiable"):
        tfgan.GradientPenalty()(critic, x, x)


def test_gan_with_a_non_differentiable_discriminator_fails_naming_the_penalty():
    inputs = keras.Input((2,))
    d = keras.Model(inputs, keras.layers.Dense(1)(keras.ops.stop_gradient(inputs)))
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), d, 4, loss="wasserstein", penalty=tfgan.R1(1.0))
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    with pytest.raises(ValueError, match="`penalty`"):
        gan.fit(tf.data.Dataset.from_tensors(np.ones((4, 2), np.float32)), verbose=0)


@pytest.mark.parametrize("make,message", [
    (lambda: tfgan.GradientPenalty(weight=-1.0), "`weight=-1.0`"),
    (lambda: tfgan.GradientPenalty(target=-0.5), "`target=-0.5`"),
    (lambda: tfgan.GradientPenalty(one_sided="yes"), "`one_sided='yes'`"),
    (lambda: tfgan.R1(gamma=-10.0), "`gamma=-10.0`"),
    (lambda: tfgan.R2(gamma=float("nan")), "`gamma=nan`"),
    (lambda: tfgan.R1(every=0), "`every=0`"),
])
def test_bad_penalty_arguments_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wgan_gp_step_logs_penalty_norm_and_wasserstein_estimate():
    """A linear critic's gradient norm at any interpolate is ||w||, so the logs have closed forms."""
    w0 = np.array([[1.5], [-2.0]], np.float32)
    inputs = keras.Input((2,))
    d = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(w0))(inputs))
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), d, 4, loss="wasserstein",
                    penalty=tfgan.GradientPenalty(10.0), seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0), run_eagerly=True)
    logs = gan.fit(tf.data.Dataset.from_tensors(RNG.normal(size=(16, 2)).astype(np.float32)), verbose=0).history
    np.testing.assert_allclose(logs["interpolate_grad_norm"][0], 2.5, rtol=1e-5)
    np.testing.assert_allclose(logs["penalty"][0], 10.0 * 1.5 ** 2, rtol=1e-4)
    np.testing.assert_allclose(logs["wasserstein_estimate"][0], logs["d_real"][0] - logs["d_fake"][0], rtol=1e-5)
    np.testing.assert_allclose(logs["d_loss"][0], -logs["wasserstein_estimate"][0], rtol=1e-5)


def test_penalty_changes_the_discriminator_update():
    """With lr 1 and SGD, the D update is minus the gradient: the penalty's share is 2 * lambda * (||w|| - 1) w / ||w||."""
    w0 = np.array([[3.0], [4.0]], np.float32)

    def update(penalty):
        keras.utils.set_random_seed(0)  # the same generator, so the same fakes in both runs
        inputs = keras.Input((2,))
        d = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(w0))(inputs))
        gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), d, 4, loss="wasserstein", penalty=penalty, seed=0)
        gan.compile(d_optimizer=keras.optimizers.SGD(1.0), g_optimizer=keras.optimizers.SGD(0.0), run_eagerly=True)
        gan.fit(tf.data.Dataset.from_tensors(np.ones((8, 2), np.float32)), verbose=0)
        return d.layers[-1].kernel.numpy() - w0

    difference = update(tfgan.GradientPenalty(2.0)) - update(None)
    np.testing.assert_allclose(difference, -2 * 2.0 * (5.0 - 1.0) * w0 / 5.0, rtol=1e-4)


def test_gan_config_round_trips_penalty_and_constraint():
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4,
                    loss="wasserstein", penalty=tfgan.GradientPenalty(5.0, one_sided=True, every=2),
                    d_constraint=tfgan.constraints.WeightClip(0.05))
    clone = tfgan.GAN.from_config(gan.get_config())
    assert isinstance(clone.penalty, tfgan.GradientPenalty)
    assert clone.penalty.get_config() == {"weight": 5.0, "every": 2, "target": 1.0, "one_sided": True, "seed": None}
    assert clone.d_constraint.clip_value == 0.05
    r1 = tfgan.GAN.from_config({**gan.get_config(), "penalty": keras.saving.serialize_keras_object(tfgan.R1(3.0))})
    assert isinstance(r1.penalty, tfgan.R1) and r1.penalty.weight == 1.5


def test_get_builds_each_penalty_by_name_and_rejects_others():
    gp = penalties.get("gp", 5.0, target=0.5, one_sided=True, every=2, seed=3)
    assert isinstance(gp, tfgan.GradientPenalty)
    assert gp.get_config() == {"weight": 5.0, "every": 2, "target": 0.5, "one_sided": True, "seed": 3}
    assert isinstance(penalties.get("r1", 4.0), tfgan.R1) and penalties.get("r1", 4.0).weight == 2.0
    assert isinstance(penalties.get("r2", 4.0, every=8), tfgan.R2) and penalties.get("r2", 4.0, every=8).every == 8
    bcr = penalties.get("bcr", 4.0, seed=3)
    assert isinstance(bcr, tfgan.ConsistencyRegularization) and bcr.weight == 4.0
    with pytest.raises(ValueError, match=r"one of \('gp', 'r1', 'r2', 'bcr'\).*`penalty='r3'`"):
        penalties.get("r3")


def label_scaled_conditional_gan(penalty):
    """A conditional GAN whose D is x . [1, 1] * scale[label]: its gradient norm at any x is
    sqrt(2) * scale[label], with scale 0 for class 0 and 1 for the others."""
    x, labels = keras.Input((2,)), keras.Input((), dtype="int32")
    scale = keras.layers.Embedding(4, 1, embeddings_initializer=keras.initializers.Constant([[0.0], [1.0], [1.0], [1.0]]),
                                   trainable=False)(labels)
    d = keras.Model([x, labels], keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")(x)
                    * scale)
    gan = tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 4, 4, (8,)), d, 4, num_classes=4,
                               penalty=penalty, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))
    return gan


def test_r2_scores_each_fake_with_the_label_it_was_generated_for():
    # The real batch is all class 0 (gradient 0); fakes get uniform labels, 3 in 4 of them gradient sqrt(2).
    gan = label_scaled_conditional_gan(tfgan.R2(1.0))
    real = (RNG.normal(size=(512, 2)).astype(np.float32), np.zeros(512, np.int32))
    logs = gan.fit(tf.data.Dataset.from_tensors(real), verbose=0).history
    assert logs["fake_grad_norm"][0] == pytest.approx(0.75 * np.sqrt(2.0), rel=0.1)
    r1 = label_scaled_conditional_gan(tfgan.R1(1.0)).fit(tf.data.Dataset.from_tensors(real), verbose=0).history
    assert r1["real_grad_norm"][0] == pytest.approx(0.0, abs=1e-4)
