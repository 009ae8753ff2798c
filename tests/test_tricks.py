"""Each trick's measurable change, checked against an independent computation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan import callbacks, tricks

B = 64
STEP0 = tf.constant(0, tf.int64)


def small_gan(loss="non_saturating", d_lr=1e-3, g_lr=1e-3, discriminator=None, **kwargs):
    g = tfgan.nets.mlp_generator(2, 4, (16,))
    d = discriminator or tfgan.nets.mlp_discriminator(2, (16,))
    gan = tfgan.GAN(g, d, 4, loss=loss, seed=1, **kwargs)
    gan.compile(d_optimizer=keras.optimizers.SGD(d_lr), g_optimizer=keras.optimizers.SGD(g_lr))
    return gan


def points(steps, batch=B, seed=0):
    x = np.random.default_rng(seed).normal(size=(batch * steps, 2)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)


class Recorder(keras.callbacks.Callback, tfgan.TrainingHook):
    """A hook installed like a trick (after the ones before it in `callbacks`) that stores what D
    sees in the last step, and counts traces."""

    def __init__(self, shape=(B, 2)):
        super().__init__()
        self.real = tf.Variable(tf.zeros(shape))
        self.fake = tf.Variable(tf.zeros(shape))
        self.g_fake = tf.Variable(tf.zeros(shape))
        self.real_targets = tf.Variable(tf.zeros(shape[:1]))
        self.fake_targets = tf.Variable(tf.zeros(shape[:1]))
        self.traces = 0

    def on_train_begin(self, logs=None):
        self.model.add_hook(self)

    def on_train_end(self, logs=None):
        self.model.remove_hook(self)

    def discriminator_inputs(self, real, fake, step):
        self.traces += 1
        self.real.assign(real)
        self.fake.assign(fake)
        return real, fake

    def generator_inputs(self, fake, step):
        self.g_fake.assign(fake)
        return fake

    def targets(self, real_targets, fake_targets, step):
        self.real_targets.assign(real_targets)
        self.fake_targets.assign(fake_targets)
        return real_targets, fake_targets


def bce(logits, targets):
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    return -(targets * np.log(p) + (1 - targets) * np.log(1 - p))


# ---------------------------------------------------------------- label smoothing / flipping


def test_one_sided_smoothing_gives_exact_targets_and_the_closed_form_loss():
    gan = small_gan(d_lr=0.0, g_lr=0.0)
    for w in gan.generator.weights:  # fakes are exactly 0
        w.assign(tf.zeros_like(w))
    recorder = Recorder()
    history = gan.fit(points(1), epochs=1, verbose=0, callbacks=[callbacks.LabelSmoothing(0.9), recorder])
    np.testing.assert_array_equal(recorder.real_targets.numpy(), np.full(B, 0.9, np.float32))
    np.testing.assert_array_equal(recorder.fake_targets.numpy(), np.zeros(B, np.float32))
    real = next(iter(points(1))).numpy()
    real_logits = gan.discriminator(real).numpy().ravel()
    fake_logits = gan.discriminator(np.zeros((B, 2), np.float32)).numpy().ravel()
    expected = np.mean(bce(real_logits, 0.9) + bce(fake_logits, 0.0))
    assert history.history["d_loss"][0] == pytest.approx(expected, rel=1e-5)


def test_noisy_labels_are_uniform_in_the_ranges_of_the_notes():
    smoothing = callbacks.LabelSmoothing.noisy(seed=0)
    real, fake = (t.numpy() for t in smoothing.targets(tf.ones([20000]), tf.zeros([20000]), STEP0))
    assert 0.7 <= real.min() and real.max() <= 1.2 and 0.0 <= fake.min() and fake.max() <= 0.3
    assert real.mean() == pytest.approx(0.95, abs=0.005) and fake.mean() == pytest.approx(0.15, abs=0.005)
    assert real.std() == pytest.approx(0.5 / np.sqrt(12), rel=0.03)


def test_smoothing_strength_follows_its_schedule():
    smoothing = callbacks.LabelSmoothing(0.9, fake_target=0.1, decay="linear", decay_steps=10)
    # Half strength at step 5: 1 - 0.05, 0 + 0.05.
    real, fake = smoothing.targets(tf.ones([3]), tf.zeros([3]), tf.constant(5, tf.int64))
    np.testing.assert_allclose(real.numpy(), 0.95, rtol=1e-6)
    np.testing.assert_allclose(fake.numpy(), 0.05, rtol=1e-6)
    np.testing.assert_allclose(smoothing.targets(tf.ones([3]), tf.zeros([3]), tf.constant(20, tf.int64))[0].numpy(),
                               1.0)


def test_flipped_fraction_matches_p_and_decays():
    flipping = callbacks.LabelFlipping(0.3, decay="exponential", decay_steps=100, seed=0)
    n = 20000
    for step, p in ((0, 0.3), (100, 0.15)):
        real, fake = (t.numpy() for t in flipping.targets(tf.ones([n]), tf.zeros([n]), tf.constant(step, tf.int64)))
        tolerance = 4 * np.sqrt(p * (1 - p) / n)
        assert np.mean(real == 0.0) == pytest.approx(p, abs=tolerance)
        assert np.mean(fake == 1.0) == pytest.approx(p, abs=tolerance)
        assert set(np.unique(real)) <= {0.0, 1.0}


def test_flipping_after_smoothing_swaps_the_smoothed_targets():
    smoothing, flipping = callbacks.LabelSmoothing(0.9), callbacks.LabelFlipping(1.0)
    real, fake = flipping.targets(*smoothing.targets(tf.ones([4]), tf.zeros([4]), STEP0), STEP0)
    np.testing.assert_allclose(real.numpy(), 0.0)
    np.testing.assert_allclose(fake.numpy(), 0.9)


def test_target_tricks_refuse_losses_without_targets():
    gan = small_gan(loss="hinge")
    with pytest.raises(ValueError, match="LabelFlipping changes D's targets, but `loss='hinge'`"):
        gan.fit(points(1), epochs=1, verbose=0, callbacks=[callbacks.LabelFlipping(0.1)])


# ---------------------------------------------------------------- instance noise


def test_instance_noise_adds_sigma_to_real_and_fake_and_anneals():
    gan = small_gan()
    before, after = Recorder(), Recorder()
    noise = callbacks.InstanceNoise(0.5, decay=None, seed=0)
    gan.fit(points(1, batch=B), epochs=1, verbose=0, callbacks=[before, noise, after])
    for name in ("real", "fake"):
        diff = getattr(after, name).numpy() - getattr(before, name).numpy()
        assert diff.std() == pytest.approx(0.5, rel=0.15) and abs(diff.mean()) < 0.1
    linear = callbacks.InstanceNoise(0.2, decay="linear", decay_steps=100)
    assert float(linear.schedule(tf.constant(25, tf.int64))) == pytest.approx(0.15)
    exponential = callbacks.InstanceNoise(0.2, decay="exponential", decay_steps=100)
    assert float(exponential.schedule(tf.constant(200, tf.int64))) == pytest.approx(0.05)


# ---------------------------------------------------------------- experience replay


def test_replay_returns_past_fakes_at_the_set_rate_and_no_gradient():
    gan = small_gan()
    replay = callbacks.ExperienceReplay(size=4 * B, probability=0.5, seed=0)
    replay.set_model(gan)
    swapped = []
    for i in range(40):
        fake = tf.fill([B, 2], float(i))
        with tf.GradientTape() as tape:
            tape.watch(fake)
            out = replay.replay(fake)
            total = tf.reduce_sum(out)
        gradient = tape.gradient(total, fake)
        assert gradient is None or not np.any(gradient.numpy())  # the pool holds no path back to G
        out = out.numpy()[:, 0]
        assert set(np.unique(out)) <= set(range(i + 1))  # only this batch or past ones
        if i < 4:
            np.testing.assert_array_equal(out, i)  # the pool fills first
        else:
            swapped.append(np.mean(out != i))
    n = len(swapped) * B
    assert np.mean(swapped) == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / n))
    assert int(replay.state.count.numpy()) == 4 * B


def test_replay_changes_only_d_and_g_trains_on_fresh_fakes():
    def run(with_replay):
        keras.utils.set_random_seed(3)
        gan = small_gan(d_lr=0.0)
        recorder = Recorder()
        tricks_list = [callbacks.ExperienceReplay(size=B, probability=1.0, seed=0)] if with_replay else []
        gan.fit(points(3), epochs=1, verbose=0, callbacks=tricks_list + [recorder])
        return gan, recorder

    plain, plain_seen = run(False)
    replayed, replayed_seen = run(True)
    # D (lr 0) is the same, so G's updates are the same: its gradient saw fresh fakes only.
    for a, b in zip(plain.generator.weights, replayed.generator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    np.testing.assert_allclose(plain_seen.g_fake.numpy(), replayed_seen.g_fake.numpy(), rtol=1e-6)
    # D's update, same noise: the plain run's D saw this step's fakes, the replayed one pooled ones.
    same_rows = np.all(np.isclose(plain_seen.fake.numpy(), replayed_seen.fake.numpy(), atol=1e-6), axis=1)
    assert not np.any(same_rows)


def test_replay_pool_is_checkpointed(tmp_path):
    gan = small_gan()
    replay = callbacks.ExperienceReplay(size=B, seed=0)
    gan.fit(points(2), epochs=1, verbose=0, callbacks=[replay])
    saved = tf.train.Checkpoint(**gan.training_state()).save(str(tmp_path / "ckpt"))
    pool = replay.state.pool.numpy()
    other = small_gan()
    other_replay = callbacks.ExperienceReplay(size=B, seed=0)
    other_replay.set_model(other)
    tf.train.Checkpoint(**other.training_state()).restore(saved).assert_existing_objects_matched()
    np.testing.assert_array_equal(other_replay.state.pool.numpy(), pool)
    assert int(other_replay.state.count.numpy()) == B and np.any(pool)


# ---------------------------------------------------------------- generator EMA


class WeightLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.begin, self.end = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.begin.append([w.numpy() for w in self.model.generator.weights])

    def on_train_batch_end(self, batch, logs=None):
        self.end.append([w.numpy() for w in self.model.generator.weights])


def test_ema_equals_the_closed_form_average_and_is_used_for_samples_and_export(tmp_path):
    gan = small_gan(g_lr=0.05)
    ema, log = callbacks.GeneratorEMA(decay=0.8, start_step=2), WeightLog()
    gan.fit(points(6), epochs=1, verbose=0, callbacks=[ema, log])
    # w_ema = w_2 at step 2, then w_ema = 0.8 w_ema + 0.2 w_n for n = 3..6.
    for k in range(len(gan.generator.weights)):
        expected = log.end[1][k]
        for n in range(3, 7):
            expected = 0.8 * expected + 0.2 * log.end[n - 1][k]
        np.testing.assert_allclose(ema.weights[k].numpy(), expected, rtol=1e-5, atol=1e-7)
    assert not np.allclose(ema.weights[0].numpy(), gan.generator.weights[0].numpy())

    z = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    raw = gan.generator(z).numpy()
    with gan.sampling_weights():
        averaged = gan.generator(z).numpy()
    np.testing.assert_array_equal(gan.generator(z).numpy(), raw)  # training weights are back
    grid = callbacks.SampleGrid(str(tmp_path / "s"), num_samples=5)
    grid.set_model(gan)
    grid._z = z
    np.testing.assert_allclose(grid.generate(5), averaged, rtol=1e-6)
    exported = tfgan.export.load_generator(tfgan.export.export_generator(gan, str(tmp_path / "g")))
    np.testing.assert_allclose(exported.signatures["serving_default"](z=tf.constant(z))["samples"].numpy(),
                               averaged, rtol=1e-5)


# ---------------------------------------------------------------- checkpoint swap


class KernelSeen(keras.callbacks.Callback, tfgan.TrainingHook):
    """Records G's first kernel as each step's updates see it (after the hooks installed before it)."""

    def __init__(self):
        super().__init__()
        self.kernel, self.seen = None, []

    def on_train_begin(self, logs=None):
        self.kernel = tf.Variable(self.model.generator.weights[0])
        self.model.add_hook(self)

    def on_train_end(self, logs=None):
        self.model.remove_hook(self)

    def begin_step(self, step):
        self.kernel.assign(self.model.generator.weights[0])

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(self.kernel.numpy())


def test_checkpoint_swap_trains_d_against_the_older_generator_then_restores_it():
    gan = small_gan(g_lr=0.05)
    swap, seen, log = callbacks.CheckpointSwap(every=3, swap_steps=1), KernelSeen(), WeightLog()
    gan.fit(points(7), epochs=1, verbose=0, callbacks=[swap, seen, log])
    # Step 3 (counter 3 at its start) runs with G of step 0; after it, G as it was after step 2 is
    # back and the thrown-away update left no trace in G's optimizer either.
    kernel = lambda ws: ws[0]
    np.testing.assert_array_equal(seen.seen[3], kernel(log.begin[0]))
    np.testing.assert_array_equal(kernel(log.end[3]), kernel(log.end[2]))
    # The second swap (step 6) brings back G as it was when the first began.
    np.testing.assert_array_equal(seen.seen[6], kernel(log.end[2]))
    assert int(gan.g_optimizer.iterations.numpy()) == 7 - 2  # SGD: iterations restored after the swaps
    assert int(swap.state.swaps.numpy()) == 2


# ---------------------------------------------------------------- DiffAugment


def test_diffaugment_is_identical_on_real_and_fake_and_differentiable():
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (6, 8, 8, 3)), tf.float32)
    augment = callbacks.DiffAugment("color,translation,cutout", seed=0)
    with tf.GradientTape() as tape:
        tape.watch(images)
        real_out, fake_out = augment.discriminator_inputs(images, images, STEP0)
        total = tf.reduce_sum(fake_out)
    np.testing.assert_array_equal(real_out.numpy(), fake_out.numpy())
    assert not np.allclose(real_out.numpy(), images.numpy())
    gradient = tape.gradient(total, images).numpy()
    assert np.all(np.isfinite(gradient)) and np.any(gradient)

    cutout = callbacks.DiffAugment("cutout", seed=1)
    with tf.GradientTape() as tape:
        tape.watch(images)
        out = cutout.generator_inputs(images, STEP0)
        total = tf.reduce_sum(out)
    mask = tape.gradient(total, images).numpy()
    assert set(np.unique(mask)) == {0.0, 1.0}
    np.testing.assert_allclose(out.numpy(), images.numpy() * mask)
    assert np.all(mask.reshape(6, -1).mean(axis=1) < 1.0)  # every image lost a square

    translation = callbacks.DiffAugment("translation", seed=2)
    with tf.GradientTape() as tape:
        tape.watch(images)
        out = translation.generator_inputs(images, STEP0)
        total = tf.reduce_sum(out)
    gradient = tape.gradient(total, images).numpy()
    # A shift moves each pixel at most once: gradients are 0/1 and count the non-padding outputs.
    assert set(np.unique(gradient)) <= {0.0, 1.0}
    assert gradient.sum() == np.count_nonzero(out.numpy())


def test_diffaugment_translation_matches_numpy_roll_with_zero_fill():
    x = tf.reshape(tf.range(1, 17, dtype=tf.float32), [1, 4, 4, 1])
    out = tfgan.augment.translate(x, [-1], [1], fill="zeros").numpy()[0, :, :, 0]
    expected = np.zeros((4, 4), np.float32)
    expected[:3, 1:] = x.numpy()[0, 1:, :3, 0]  # out[i, j] = x[i + 1, j - 1]
    np.testing.assert_array_equal(out, expected)


def test_diffaugment_needs_images():
    with pytest.raises(ValueError, match="`DiffAugment` augments images"):
        small_gan().fit(points(1), epochs=1, verbose=0, callbacks=[callbacks.DiffAugment()])


# ---------------------------------------------------------------- D-steps schedule, concat option


def test_d_steps_schedule_updates_g_every_n_steps():
    gan = small_gan(g_lr=0.05)
    log = WeightLog()
    gan.fit(points(6), epochs=1, verbose=0, callbacks=[callbacks.DStepsSchedule(lambda g_updates: 3), log])
    moved = [not np.array_equal(b[0], e[0]) for b, e in zip(log.begin, log.end)]
    assert moved == [False, False, True, False, False, True]
    assert int(gan.g_optimizer.iterations.numpy()) == 2  # skipped updates leave the optimizer as it was


def test_wgan_critic_schedule_gives_100_d_updates_before_the_first_g_updates():
    schedule = callbacks.CriticSchedule(steps=5, critic_steps=100, warmup=25, every=500)
    wanted = [int(schedule(tf.constant(g, tf.int64))) for g in (0, 24, 25, 499, 500, 501)]
    assert wanted == [100, 100, 5, 5, 100, 5]
    gan = small_gan(g_lr=0.05)
    log = WeightLog()
    schedule = callbacks.DStepsSchedule(callbacks.CriticSchedule(steps=1, critic_steps=4, warmup=2, every=3))
    gan.fit(points(12), epochs=1, verbose=0, callbacks=[schedule, log])
    moved = [int(not np.array_equal(b[0], e[0])) for b, e in zip(log.begin, log.end)]
    # G updates 0 and 1 wait for 4 D updates, update 2 for 1, update 3 (a multiple of 3) for 4 again.
    assert moved == [0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0]
    assert int(schedule.state.g_updates.numpy()) == 3


# ---------------------------------------------------------------- top-k generator updates


def test_top_k_keeps_the_fakes_d_scores_highest_with_a_shrinking_k():
    top_k = callbacks.TopKGenerator(0.25, decay=0.5, decay_steps=10)
    losses = np.random.default_rng(0).uniform(size=8).astype(np.float32)
    logits = np.array([0.3, -1.0, 2.0, 0.1, -0.5, 1.5, 0.0, -2.0], np.float32)
    # k = ceil(max(0.25, 0.5 ** (step / 10)) * 8): 8 at step 0, 4 at step 10, 2 (the floor) from step 20 on.
    for step, k in ((0, 8), (10, 4), (15, 3), (20, 2), (1000, 2)):
        kept = np.argsort(-logits)[:k]
        weighted = top_k.generator_losses(tf.constant(losses), tf.constant(logits[:, None]),
                                          tf.constant(step, tf.int64)).numpy()
        expected = np.zeros(8, np.float32)
        expected[kept] = losses[kept] * 8 / k  # the batch mean of the weighted losses = the mean over the kept
        np.testing.assert_allclose(weighted, expected, rtol=1e-6, err_msg=f"step {step}")
        np.testing.assert_allclose(weighted.mean(), losses[kept].mean(), rtol=1e-6)


def test_top_k_changes_only_g_and_only_once_k_is_below_the_batch():
    def run(tricks_list):
        keras.utils.set_random_seed(3)
        gan = small_gan(d_lr=0.0, g_lr=0.1)
        gan.fit(points(2), epochs=1, verbose=0, callbacks=tricks_list)
        return gan

    plain = run([])
    every_fake = run([callbacks.TopKGenerator(1.0)])
    half_from_step_1 = run([callbacks.TopKGenerator(0.5, decay=0.01, decay_steps=1)])  # k: B at step 0, B/2 at 1
    for a, b in zip(plain.weights, every_fake.weights):  # min_fraction 1: every fake, the plain update
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    for a, b in zip(plain.discriminator.weights, half_from_step_1.discriminator.weights):  # D (lr 0) untouched
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    moved = [not np.allclose(a.numpy(), b.numpy(), rtol=1e-4)
             for a, b in zip(plain.generator.trainable_weights, half_from_step_1.generator.trainable_weights)]
    assert all(moved), moved


def test_concat_real_fake_matches_separate_calls_unless_d_mixes_the_batch():
    def d_loss(concat, minibatch):
        keras.utils.set_random_seed(5)
        gan = small_gan(concat_real_fake=concat,
                        discriminator=tfgan.nets.mlp_discriminator(2, (16,), minibatch=minibatch))
        return gan.fit(points(2), epochs=1, verbose=0).history["d_loss"][0]

    assert d_loss(True, None) == pytest.approx(d_loss(False, None), rel=1e-5)
    assert d_loss(True, "stddev") != pytest.approx(d_loss(False, "stddev"), rel=1e-3)


# ---------------------------------------------------------------- all at once


def test_all_tricks_at_once_on_ring_one_trace_finite_losses():
    ds, _ = tfgan.data.load("ring", B, seed=0)
    g = tfgan.nets.mlp_generator(2, 8, (32,), dropout=0.1)
    d = tfgan.nets.mlp_discriminator(2, (32,), minibatch="discrimination")
    gan = tfgan.GAN(g, d, 8, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(1e-2), g_optimizer=keras.optimizers.Adam(1e-3))
    noise = callbacks.InstanceNoise(0.1, decay="linear", decay_steps=10)
    recorder = Recorder()
    all_tricks = [callbacks.LabelSmoothing.noisy(decay="linear", decay_steps=20), callbacks.LabelFlipping(0.1),
                  noise, callbacks.ExperienceReplay(size=2 * B), callbacks.CheckpointSwap(every=4, swap_steps=2,
                                                                                          swap_discriminator=True),
                  callbacks.GeneratorEMA(0.9), callbacks.DStepsSchedule(lambda g: 2), recorder]
    history = gan.fit(ds, steps_per_epoch=6, epochs=2, verbose=0, callbacks=all_tricks).history
    assert recorder.traces == 1  # schedules changed every step without a retrace
    assert all(np.all(np.isfinite(v)) for v in history.values())
    assert float(noise.schedule(gan.step_counter)) == 0.0  # annealed to 0 by step 10 (linear)
    assert gan.hooks == ()  # removed at the end of fit


@pytest.mark.parametrize("make,match", [
    (lambda: callbacks.LabelFlipping(1.5), "probability=1.5"),
    (lambda: callbacks.LabelFlipping(0.1, decay="cosine"), "decay='cosine'"),
    (lambda: callbacks.LabelFlipping(0.1, decay="linear"), "decay_steps=None"),
    (lambda: callbacks.LabelSmoothing(0.2, 0.3), "fake_target` must lie below"),
    (lambda: callbacks.LabelSmoothing((1.2, 0.7)), r"real_target=\(1.2, 0.7\)"),
    (lambda: callbacks.InstanceNoise(-0.1), "stddev=-0.1"),
    (lambda: callbacks.ExperienceReplay(size=0), "size=0"),
    (lambda: callbacks.ExperienceReplay(probability=-1), "probability=-1"),
    (lambda: callbacks.GeneratorEMA(1.0), "decay=1.0"),
    (lambda: callbacks.GeneratorEMA(0.9, start_step=-1), "start_step=-1"),
    (lambda: callbacks.CheckpointSwap(every=5, swap_steps=5), "swap_steps=5"),
    (lambda: callbacks.DiffAugment("translation,zoom"), "policy='translation,zoom'"),
    (lambda: callbacks.DStepsSchedule(5), "schedule=5"),
    (lambda: callbacks.TopKGenerator(0.0), "min_fraction=0.0"),
    (lambda: callbacks.TopKGenerator(0.5, decay_steps=0), "decay_steps=0"),
])
def test_invalid_values_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()
