"""Full training state: what checkpoints hold, state callbacks register late, `.keras` round trips."""

import keras
import numpy as np
import tensorflow as tf

import tfgan
from tfgan import callbacks


def image_gan():
    gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 1, 4, 8), tfgan.nets.dcgan_discriminator(8, 1, 8), 4,
                    loss="hinge", seed=3)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5), g_optimizer=keras.optimizers.RMSprop(2e-3))
    return gan


def images(n=8):
    return np.random.default_rng(0).uniform(-1, 1, size=(n, 8, 8, 1)).astype("float32")


class Schedule(keras.callbacks.Callback):
    """A callback with a schedule variable it registers with `track_state` once training begins."""

    def __init__(self):
        super().__init__()
        self.value = tf.Variable(0.0)

    def on_train_begin(self, logs=None):
        self.model.track_state("schedule", self.value)

    def on_train_batch_end(self, batch, logs=None):
        self.value.assign_add(0.5)


def test_checkpoint_holds_every_part_of_the_training_state(tmp_path):
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 2, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 2, seed=3)
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    ckpt = callbacks.TrainingCheckpoint(str(tmp_path), every=2, max_to_keep=1)
    ckpt.set_model(gan)
    ckpt.restore()  # as tools/train.py does: before fit, before the callbacks register their state
    x = tf.data.Dataset.from_tensor_slices(np.ones((32, 2), np.float32)).batch(8)
    gan.fit(x, epochs=1, verbose=0, callbacks=[Schedule(), ckpt])
    saved = tf.train.latest_checkpoint(str(tmp_path))
    assert saved.endswith("ckpt-4") and sorted(f for f in tmp_path.iterdir() if f.suffix == ".index") == [
        tmp_path / "ckpt-4.index"]  # max_to_keep=1
    keys = set(tf.train.load_checkpoint(saved).get_variable_to_shape_map())
    # G's and D's weights are saved once, under the first path to them (the optimizers' variable lists).
    tops = {k.split("/")[0] for k in keys}
    assert tops >= {"d_optimizer", "g_optimizer", "step", "noise_seed", "schedule"}
    # Adam's slots (first and second moments) of both networks' every variable, and the iterations.
    for name, net in (("d_optimizer", gan.discriminator), ("g_optimizer", gan.generator)):
        optimizer_keys = [k for k in keys if k.startswith(name + "/")]
        assert sum("/_variables/" in k for k in optimizer_keys) == 2 * len(net.trainable_weights)
        assert f"{name}/_iterations/.ATTRIBUTES/VARIABLE_VALUE" in keys

    clone = tfgan.GAN(tfgan.nets.mlp_generator(2, 2, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 2, seed=3)
    clone.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    restore = callbacks.TrainingCheckpoint(str(tmp_path))
    restore.set_model(clone)
    restore.restore()
    schedule = Schedule()
    schedule.set_model(clone)
    schedule.on_train_begin()  # registered after the restore ...
    restore.manager()
    assert float(schedule.value.numpy()) == 2.0  # ... and still restored: 4 steps * 0.5
    assert int(clone.step_counter.numpy()) == 4
    np.testing.assert_array_equal(clone.seed_generator.state.numpy(), gan.seed_generator.state.numpy())
    for a, b in zip(gan.d_optimizer.variables + gan.g_optimizer.variables + gan.generator.weights
                    + gan.discriminator.weights, clone.d_optimizer.variables + clone.g_optimizer.variables
                    + clone.generator.weights + clone.discriminator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_keras_file_round_trip_keeps_networks_optimizers_and_config(tmp_path):
    gan = image_gan()
    gan.fit(tf.data.Dataset.from_tensors(images()).repeat(2), verbose=0)
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, tfgan.GAN) and loaded.adversarial_loss.name == "hinge" and loaded.seed == 3
    assert isinstance(loaded.d_optimizer, keras.optimizers.Adam) and loaded.d_optimizer.beta_1 == 0.5
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    np.testing.assert_allclose(float(loaded.g_optimizer.learning_rate.numpy()), 2e-3, rtol=1e-6)
    assert int(loaded.d_optimizer.iterations.numpy()) == 2 and int(loaded.g_optimizer.iterations.numpy()) == 2
    assert int(loaded.step_counter.numpy()) == 2
    np.testing.assert_array_equal(loaded.seed_generator.state.numpy(), gan.seed_generator.state.numpy())
    for a, b in zip(gan.d_optimizer.variables + gan.g_optimizer.variables + gan.weights,
                    loaded.d_optimizer.variables + loaded.g_optimizer.variables + loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    z = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(loaded(z).numpy(), gan(z).numpy(), atol=1e-6)
    # The loaded model trains on, exactly as the original does from the same state.
    batch = tf.data.Dataset.from_tensors(images())
    gan.fit(batch, verbose=0)
    loaded.fit(batch, verbose=0)
    np.testing.assert_allclose(loaded.generator.get_weights()[0], gan.generator.get_weights()[0], atol=1e-6)


def test_checkpoint_resumes_the_gradient_penalty_draws(tmp_path):
    def gp_gan():
        gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 2, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 2,
                        loss="wasserstein", penalty=tfgan.GradientPenalty(1.0, seed=5), seed=3)
        gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
        return gan

    gan = gp_gan()
    ckpt = callbacks.TrainingCheckpoint(str(tmp_path), every=3)
    ckpt.set_model(gan)
    x = tf.data.Dataset.from_tensor_slices(np.ones((24, 2), np.float32)).batch(8)
    gan.fit(x, epochs=1, verbose=0, callbacks=[ckpt])
    advanced = gan.penalty.seed_generator.state.numpy()
    fresh = gp_gan()
    assert not np.array_equal(fresh.penalty.seed_generator.state.numpy(), advanced)  # 3 steps drew from it
    restore = callbacks.TrainingCheckpoint(str(tmp_path))
    restore.set_model(fresh)
    restore.restore()
    np.testing.assert_array_equal(fresh.penalty.seed_generator.state.numpy(), advanced)
