"""The NaN guard: a non-finite step leaves weights and optimizer state as they were; NaNGuard stops."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan
from tfgan.callbacks import NaNGuard


class Poison(keras.layers.Layer):
    """Adds `poison` (0 or NaN) to its input: a generator layer that outputs NaN when told to."""

    def __init__(self, poison, **kwargs):
        super().__init__(**kwargs)
        self.poison = poison

    def call(self, x):
        return x + self.poison


class PoisonAt(keras.callbacks.Callback):
    """Sets the poison to NaN for the steps in `steps` (1-based, as `step_counter` counts)."""

    def __init__(self, poison, steps):
        super().__init__()
        self.poison, self.steps = poison, set(steps)

    def on_train_batch_begin(self, batch, logs=None):
        step = int(self.model.step_counter.numpy()) + 1
        self.poison.assign(np.nan if step in self.steps else 0.0)


class Snapshots(keras.callbacks.Callback):
    """Every variable of both nets and both optimizers, and the logs, after each step."""

    def __init__(self):
        super().__init__()
        self.states, self.logs = {}, {}

    def on_train_batch_end(self, batch, logs=None):
        m = self.model
        step = int(m.step_counter.numpy())
        variables = (m.generator.variables + m.discriminator.variables + m.d_optimizer.variables
                     + m.g_optimizer.variables)
        self.states[step] = [np.array(v.numpy()) for v in variables]
        self.logs[step] = {k: float(v) for k, v in logs.items()}


def poisoned_gan(poison, d_steps=1):
    """An MLP GAN on 2-D data whose generator has the NaN layer before a BatchNorm (whose moving
    statistics the forward pass updates outside the optimizer)."""
    z = keras.Input((4,))
    h = keras.layers.Dense(16, activation="relu")(z)
    h = keras.layers.BatchNormalization()(Poison(poison)(h))
    generator = keras.Model(z, keras.layers.Dense(2)(h))
    gan = tfgan.GAN(generator, tfgan.nets.mlp_discriminator(2, (16,)), 4, d_steps=d_steps, seed=1)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    return gan


def points(batch, steps):
    x = np.random.default_rng(0).normal(size=(batch * steps, 2)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)


def test_a_nan_step_leaves_weights_optimizer_and_batchnorm_state_unchanged():
    poison = tf.Variable(0.0, trainable=False)
    gan = poisoned_gan(poison)
    snapshots = Snapshots()
    gan.fit(points(16, 8), epochs=1, verbose=0, callbacks=[PoisonAt(poison, {5}), snapshots])

    before, at, after = snapshots.states[4], snapshots.states[5], snapshots.states[6]
    for b, a in zip(before, at):
        np.testing.assert_array_equal(a, b)  # weights, BN statistics, Adam's iterations and moments
    assert sum(not np.array_equal(a, b) for a, b in zip(at, after)) > len(at) // 2  # step 6 trains again
    assert [snapshots.logs[s]["nan_steps"] for s in range(1, 9)] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert not np.isfinite(snapshots.logs[5]["d_loss"]) and np.isfinite(snapshots.logs[6]["d_loss"])
    assert int(gan.d_optimizer.iterations.numpy()) == 7 and int(gan.g_optimizer.iterations.numpy()) == 7
    assert int(gan.nan_steps.numpy()) == 1 and int(gan.nan_streak.numpy()) == 0
    assert all(np.isfinite(v).all() for v in snapshots.states[8])


def test_zeroed_gradients_would_have_moved_adam_state():
    """Why the skip is a tf.cond: applying zero gradients still decays Adam's moments and counts."""
    var = keras.Variable(np.ones(3, np.float32))
    adam = keras.optimizers.Adam(0.1)
    adam.apply_gradients([(tf.constant([1.0, 2.0, 3.0]), var)])
    moments = [np.array(v.numpy()) for v in adam.variables]
    adam.apply_gradients([(tf.zeros(3), var)])
    assert any(not np.array_equal(a, np.array(b.numpy())) for a, b in zip(moments, adam.variables))


def test_nan_guard_stops_after_k_in_a_row_and_keeps_the_last_good_checkpoint(tmp_path):
    poison = tf.Variable(0.0, trainable=False)
    gan = poisoned_gan(poison, d_steps=2)
    directory = str(tmp_path / "checkpoints")
    guard = NaNGuard(max_nan_steps=3, checkpoint_dir=directory)
    checkpoint = tfgan.callbacks.TrainingCheckpoint(directory, every=2)
    gan.fit(points(32, 20), epochs=1, verbose=0,
            callbacks=[PoisonAt(poison, range(5, 100)), guard, checkpoint])

    assert int(gan.step_counter.numpy()) == 7  # NaN from step 5: steps 5, 6, 7 in a row, then stop
    assert int(gan.nan_steps.numpy()) == 3
    assert guard.message.startswith("stopped at step 7 after 3 steps in a row")
    assert guard.message.endswith(f"the last good checkpoint is {directory}/ckpt-4.")
    assert tf.train.latest_checkpoint(directory).endswith("ckpt-4")  # nothing written at 6 or at the end

    fresh = poisoned_gan(tf.Variable(0.0, trainable=False), d_steps=2)
    tf.train.Checkpoint(**fresh.training_state()).restore(f"{directory}/ckpt-4").assert_existing_objects_matched()
    assert int(fresh.step_counter.numpy()) == 4
    # The skipped steps 5-7 changed nothing: the live model still equals the step-4 checkpoint.
    for a, b in zip(gan.generator.variables + gan.discriminator.variables,
                    fresh.generator.variables + fresh.discriminator.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_max_nan_steps_zero_never_stops():
    poison = tf.Variable(0.0, trainable=False)
    gan = poisoned_gan(poison)
    guard = NaNGuard(max_nan_steps=0)
    gan.fit(points(16, 8), epochs=1, verbose=0, callbacks=[PoisonAt(poison, range(3, 100)), guard])
    assert int(gan.step_counter.numpy()) == 8 and int(gan.nan_steps.numpy()) == 6
    assert guard.message is None


def test_nan_guard_rejects_a_negative_limit():
    with pytest.raises(ValueError, match=r"Received: `max_nan_steps=-1`"):
        NaNGuard(max_nan_steps=-1)
