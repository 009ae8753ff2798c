"""Training on little data: AdaptiveAugment (ADA), DiffAugment on tfgan.augment's ops, bCR, LeCam, max_examples."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan import augment, callbacks, penalties, recipes
from tfgan import losses as losses_lib

from conftest import run_train

B = 16
STEP0 = tf.constant(0, tf.int64)


def images(batch=B, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (batch, 8, 8, 1)), tf.float32)


def dcgan(loss="non_saturating", d_lr=1e-3, g_lr=1e-3, **kwargs):
    gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 1, 4, 4), tfgan.nets.dcgan_discriminator(8, 1, 4), 4, loss=loss,
                    seed=0, **kwargs)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_lr, 0.5), g_optimizer=keras.optimizers.Adam(g_lr, 0.5))
    return gan


def digits(max_examples=0):
    return tfgan.data.load("digits", B, seed=0, max_examples=max_examples)[0]


# ---------------------------------------------------------------- ADA's probability


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_ada_p_moves_by_the_papers_rule_from_the_sign_of_d_on_reals(sign):
    """A frozen D that is sure of every real (logit +5) raises p by B * interval / adjust_images at every
    update; one that calls every real fake (-5) lowers it as much."""
    gan = dcgan(d_lr=0.0, g_lr=0.0)
    logit = gan.discriminator.get_layer("logit")
    logit.kernel.assign(tf.zeros_like(logit.kernel))
    logit.bias.assign([5.0 * sign])
    ada = callbacks.AdaptiveAugment(target=0.6, interval=2, adjust_images=1600, initial_probability=0.5, seed=0)
    logs = gan.fit(digits(), steps_per_epoch=1, epochs=8, verbose=0, callbacks=[ada]).history
    updates = np.arange(1, 9) // 2  # p moves after steps 2, 4, 6, 8
    np.testing.assert_allclose(logs["ada_p"], 0.5 + sign * updates * B * 2 / 1600, rtol=1e-6)
    np.testing.assert_array_equal(logs["ada_r"][1:], [sign] * 7)
    assert ada.probability == pytest.approx(0.5 + sign * 0.08)


def test_ada_p_rises_when_d_overfits_a_few_real_images():
    """D learns 16 real digits against a generator that does not train: it grows sure of them, r_t
    passes the target and p rises from 0."""
    keras.utils.set_random_seed(0)
    gan = dcgan(d_lr=2e-3, g_lr=0.0)
    ada = callbacks.AdaptiveAugment(target=0.6, interval=1, adjust_images=800, seed=0)
    logs = gan.fit(digits(max_examples=B), steps_per_epoch=40, epochs=1, verbose=0, callbacks=[ada]).history
    assert logs["ada_r"][0] > 0.6 and ada.probability > 0.5, (logs["ada_r"][0], ada.probability)
    assert "adaptive_augment" in gan.training_state()


def test_ada_p_falls_when_d_cannot_tell_reals_from_fakes():
    """Fakes tanh(z) and reals fresh draws of tanh(z): D has nothing to overfit, r_t stays below the
    target and p falls from 0.5."""
    keras.utils.set_random_seed(0)
    z = keras.Input((64,))
    fake = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, "tanh", use_bias=False, kernel_initializer="identity")(z))
    gan = tfgan.GAN(keras.Model(z, fake), tfgan.nets.dcgan_discriminator(8, 1, 4), 64, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-3, 0.5), g_optimizer=keras.optimizers.Adam(0.0, 0.5))
    reals = np.tanh(np.random.default_rng(0).normal(size=(40 * B, 8, 8, 1))).astype(np.float32)
    ada = callbacks.AdaptiveAugment(target=0.6, interval=1, adjust_images=800, initial_probability=0.5, seed=0)
    logs = gan.fit(tf.data.Dataset.from_tensor_slices(reals).batch(B), steps_per_epoch=40, epochs=1, verbose=0,
                   callbacks=[ada]).history
    assert np.mean(logs["ada_r"]) < 0.6 and ada.probability < 0.3, (np.mean(logs["ada_r"]), ada.probability)


def test_augmentations_are_identical_for_real_and_fake_differentiable_and_gated_per_image():
    gan = dcgan()
    ada = callbacks.AdaptiveAugment(initial_probability=0.5, seed=3)
    ada.set_model(gan)
    x = images()
    with tf.GradientTape() as tape:
        tape.watch(x)
        real, fake = ada.discriminator_inputs(x, x, STEP0)
        total = tf.reduce_sum(fake)
    np.testing.assert_array_equal(real.numpy(), fake.numpy())
    untouched = np.all(fake.numpy() == x.numpy(), axis=(1, 2, 3))
    assert 0 < untouched.sum() < B  # p = 0.5: about 1/16 of the images pass all four gates untouched
    gradient = tape.gradient(total, x).numpy()
    assert np.all(np.isfinite(gradient))
    np.testing.assert_array_equal(gradient[untouched], 1.0)  # an untouched image passes straight through
    assert np.any(gradient[~untouched] != 1.0)


def test_ada_does_not_leak_into_the_generators_samples(tmp_path):
    """G's update scores augmented fakes, but the generator's own samples (sample, export) are never augmented."""
    seen = {}

    class Recorder(tfgan.tricks.Trick):  # a trick after ADA that keeps what G's update hands D
        def generator_inputs(self, fake, step):
            seen["g_input"] = fake
            return fake

    gan = dcgan(loss="hinge")
    ada = callbacks.AdaptiveAugment(initial_probability=0.99, seed=0)
    gan.run_eagerly = True
    gan.fit(digits(), steps_per_epoch=1, epochs=1, verbose=0, callbacks=[ada, Recorder()])
    z = gan.fixed_noise(8, 0)
    raw = gan.generator(z, training=False).numpy()
    np.testing.assert_array_equal(gan.sample(z), raw)
    served = tfgan.export.load_generator(tfgan.export.export_generator(gan, str(tmp_path / "g")))
    np.testing.assert_array_equal(served.signatures["serving_default"](z=tf.constant(z))["images"].numpy(),
                                  tfgan.data.to_uint8(raw).numpy())
    g_input = seen["g_input"].numpy()
    assert np.abs(g_input).max() > 1.0 + 1e-3 or np.any(g_input == 0.0)  # colour moved it out of tanh's range


def test_ada_p_is_checkpointed_and_restored(tmp_path):
    gan = dcgan()
    ada = callbacks.AdaptiveAugment(initial_probability=0.3, seed=0)
    ada.set_model(gan)
    checkpoint = tf.train.Checkpoint(**gan.training_state())
    path = checkpoint.write(str(tmp_path / "ckpt"))
    ada.state.probability.assign(0.9)
    tf.train.Checkpoint(**gan.training_state()).read(path).assert_existing_objects_matched()
    assert ada.probability == pytest.approx(0.3)


def test_ada_refuses_vectors_and_bad_arguments():
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4)
    gan.compile(d_optimizer=keras.optimizers.SGD(), g_optimizer=keras.optimizers.SGD())
    x = tf.data.Dataset.from_tensors(tf.zeros([B, 2]))
    with pytest.raises(ValueError, match="`AdaptiveAugment` augments images"):
        gan.fit(x, epochs=1, verbose=0, callbacks=[callbacks.AdaptiveAugment()])
    for kwargs, match in ((dict(target=1.5), "target=1.5"), (dict(interval=0), "interval=0"),
                          (dict(initial_probability=1.0), "initial_probability=1.0"),
                          (dict(policy="flip,zoom"), "policy='flip,zoom'")):
        with pytest.raises(ValueError, match=match):
            callbacks.AdaptiveAugment(**kwargs)


# ---------------------------------------------------------------- DiffAugment on tfgan.augment


def test_diffaugment_is_tfgan_augment_with_p_one_and_zero_filled_shifts():
    x = images()
    policy = ("color", "translation", "cutout")
    got = callbacks.DiffAugment(",".join(policy), seed=4).generator_inputs(x, STEP0).numpy()
    want = augment.augment(x, 1.0, keras.random.SeedGenerator(4), policy, translation_fill="zeros").numpy()
    np.testing.assert_array_equal(got, want)
    grid = tf.reshape(tf.range(1, 17, dtype=tf.float32), [1, 4, 4, 1])
    shifted = augment.translate(grid, [1], [-1], fill="zeros").numpy()[0, :, :, 0]
    expected = np.zeros((4, 4), np.float32)
    expected[1:, :3] = grid.numpy()[0, :3, 1:, 0]  # out[i, j] = x[i - 1, j + 1]
    np.testing.assert_array_equal(shifted, expected)


# ---------------------------------------------------------------- bCR


def linear_critic(seed=0):
    w = tf.constant(np.random.default_rng(seed).normal(size=(8 * 8,)), tf.float32)
    return lambda x: tf.reduce_sum(tf.reshape(x, [-1, 64]) * w, axis=1, keepdims=True)


def test_bcr_is_the_squared_output_gap_under_the_augmentation_on_reals_and_fakes():
    critic, fake_critic = linear_critic(0), linear_critic(1)
    real, fake = images(seed=1), images(seed=2)
    flip = lambda x: tf.reverse(x, axis=[2])  # noqa: E731  (the "flip" policy at p = 1)
    gap = lambda c, x: tf.square(c(x) - c(flip(x)))[:, 0].numpy()  # noqa: E731
    bcr = penalties.ConsistencyRegularization(3.0, policy="flip", seed=0)
    np.testing.assert_allclose(bcr(critic, real, fake, fake_critic=fake_critic).numpy(),
                               3.0 * (gap(critic, real) + gap(fake_critic, fake)), rtol=1e-5)
    assert set(bcr.last_logs) == {"consistency"}
    only_real = penalties.ConsistencyRegularization(3.0, fake=False, policy="flip")
    np.testing.assert_allclose(only_real(critic, real, fake).numpy(), 3.0 * gap(critic, real), rtol=1e-5)
    named = penalties.get("bcr", 5.0, policy="translation", seed=1)
    assert isinstance(named, penalties.ConsistencyRegularization) and named.policy == ("translation",)
    with pytest.raises(ValueError, match="augments images"):
        bcr(critic, tf.zeros([4, 2]), tf.zeros([4, 2]))


def test_bcr_makes_d_consistent_under_its_augmentation():
    def gap(penalty):
        keras.utils.set_random_seed(0)
        gan = dcgan(d_lr=2e-3, penalty=penalty)
        logs = gan.fit(digits(), steps_per_epoch=30, epochs=1, verbose=0).history
        x = next(iter(digits()))
        d = lambda v: gan.discriminator(v, training=False)  # noqa: E731
        return float(tf.reduce_mean(tf.square(d(x) - d(tf.reverse(x, axis=[2]))))), logs

    without, _ = gap(None)
    with_bcr, logs = gap(penalties.ConsistencyRegularization(10.0, policy="flip", seed=0))
    assert with_bcr < 0.5 * without, (with_bcr, without)
    assert logs["penalty"][-1] == pytest.approx(10.0 * logs["consistency"][-1], rel=1e-4)


# ---------------------------------------------------------------- LeCam


def test_lecam_term_and_its_moving_anchors_match_a_direct_computation():
    rng = np.random.default_rng(0)
    lecam = losses_lib.LeCam(weight=0.5, decay=0.9)
    anchors = None
    for _ in range(3):
        real, fake = rng.normal(1, 1, (B, 1)).astype(np.float32), rng.normal(-1, 1, (B, 1)).astype(np.float32)
        means = np.array([real.mean(), fake.mean()])
        anchors = means if anchors is None else 0.9 * anchors + 0.1 * means
        want = 0.5 * ((real[:, 0] - anchors[1]) ** 2 + (fake[:, 0] - anchors[0]) ** 2)
        np.testing.assert_allclose(lecam(real, fake).numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(lecam.anchors, anchors, rtol=1e-5)
    lecam(np.full((B, 1), np.nan, np.float32), fake)  # a non-finite batch leaves the anchors alone
    np.testing.assert_allclose(lecam.anchors, anchors, rtol=1e-5)


def test_lecam_composes_with_every_loss_and_round_trips():
    real, fake = np.full((4, 1), 2.0, np.float32), np.full((4, 1), -1.0, np.float32)
    for name in losses_lib.LOSSES:
        loss = losses_lib.with_lecam(name, 1.0)
        assert loss.name == name and loss.discriminator is losses_lib.LOSSES[name].discriminator
        # First update: the anchors are this batch's means, so R = (2 - (-1))^2 + (-1 - 2)^2 = 18.
        np.testing.assert_allclose(loss.d_regularization(real, fake).numpy(), 18.0)
        assert losses_lib.LOSSES[name].d_regularization(real, fake) is None
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 4, (8,)), tfgan.nets.mlp_discriminator(2, (8,)), 4,
                    loss=losses_lib.with_lecam("hinge", 0.2, 0.95))
    clone = tfgan.GAN.from_config(gan.get_config())
    assert clone.adversarial_loss.regularizer.get_config() == {"weight": 0.2, "decay": 0.95}
    assert "lecam" in gan.training_state()


def test_lecam_keeps_d_outputs_on_reals_and_fakes_close():
    def spread(loss):
        keras.utils.set_random_seed(0)
        gan = dcgan(loss=loss, d_lr=2e-3, g_lr=0.0)
        logs = gan.fit(digits(max_examples=B), steps_per_epoch=30, epochs=1, verbose=0).history
        return logs

    plain, regularized = spread("hinge"), spread(losses_lib.with_lecam("hinge", 1.0))
    assert regularized["lecam"][-1] > 0
    gap = lambda logs: logs["d_real"][-1] - logs["d_fake"][-1]  # noqa: E731
    assert gap(regularized) < 0.5 * gap(plain), (gap(regularized), gap(plain))


# ---------------------------------------------------------------- max_examples, recipes, the tool


def test_max_examples_trains_on_the_first_n_examples_only():
    first = tfgan.data.digits_arrays()[0][:40].astype(np.float32) / 127.5 - 1.0
    ds = tfgan.data.load("digits", 16, seed=0, max_examples=40)[0]
    seen = np.concatenate([b.numpy() for b in ds.take(10)])  # 160 examples: 4 passes over the 40
    keys = lambda a: [x.tobytes() for x in a]  # noqa: E731
    counts = {k: keys(seen).count(k) for k in set(keys(seen))}
    assert set(counts) == set(keys(first)) and set(counts.values()) == {4}
    resumed = tfgan.data.load("digits", 16, seed=0, max_examples=40, start_batch=3)[0]
    np.testing.assert_array_equal(next(iter(resumed)).numpy(), seen[48:64])


def test_recipes_for_small_data_and_their_checks():
    ada, bcr, info = recipes.load("dcgan_ada_digits"), recipes.load("dcgan_bcr_digits"), recipes.load("infogan_digits")
    assert (ada.max_examples, ada.ada_target, bcr.max_examples, bcr.penalty) == (200, 0.6, 200, "bcr")
    assert (info.model, info.categorical_codes, info.continuous_codes) == ("infogan", (10,), 2)
    for overrides, flag in ((dict(ada_target=0.6, diffaugment=("color",)), "--ada_target=0.6: and --diffaugment"),
                            (dict(categorical_codes=(1,)), "--categorical_codes=1: expected integers >= 2"),
                            (dict(model="infogan", categorical_codes=(), continuous_codes=0), "--continuous_codes=0"),
                            (dict(ada_policy=("zoom",)), "--ada_policy=zoom"), (dict(lecam=-1.0), "--lecam=-1.0"),
                            (dict(max_examples=-1), "--max_examples=-1")):
        with pytest.raises(recipes.RecipeError) as error:
            recipes.defaults().replace(**overrides)
        assert error.value.flag.startswith(flag)
    for overrides, setting in ((dict(dataset="ring", ada_target=0.6), "ada_target"),
                               (dict(dataset="ring", penalty="bcr"), "penalty")):
        with pytest.raises(recipes.RecipeError) as error:
            recipes.build(recipes.defaults().replace(**overrides, jit_compile=False))
        assert error.value.setting == setting
    model, dataset, made = recipes.build(ada.replace(lecam=0.3, jit_compile=False))
    assert [type(c).__name__ for c in made] == ["AdaptiveAugment"] and made[0].adjust_images == 50_000
    assert model.adversarial_loss.regularizer.weight == 0.3
    allowed = {x.tobytes() for x in tfgan.data.digits_arrays()[0][:200].astype(np.float32) / 127.5 - 1.0}
    assert all(x.tobytes() in allowed for x in next(iter(dataset)).numpy())


@pytest.mark.slow
def test_the_tool_trains_infogan_with_ada_bcr_and_lecam(tmp_path):
    run_train("--flagfile=flags/infogan_digits.flags", f"--workdir={tmp_path}", "--train_steps=4", "--log_every=2",
              "--sample_every=4", "--checkpoint_every=4", "--ada_target=0.6", "--ada_interval=1",
              "--ada_adjust_images=64", "--penalty=bcr", "--lecam=0.1", "--max_examples=50", "--base_filters=8")
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    last = [line for line in lines if "d_loss" in line][-1]
    assert last["step"] == 4 and {"ada_p", "ada_r", "consistency", "lecam", "mutual_information"} <= set(last)
    assert 0.0 <= last["ada_p"] <= 0.99
    served = tf.saved_model.load(str(tmp_path / "generator")).signatures["sample"]
    out = served(n=tf.constant(3), seed=tf.constant(0), categorical=tf.constant([[0], [5], [9]], tf.int32))
    assert out["images"].shape == (3, 8, 8, 1)
