import json
import os

import keras
import numpy as np
import tensorflow as tf

import tfgan
from tfgan import callbacks


def test_image_grid_tiles_and_upscales():
    images = np.stack([np.full((8, 8, 1), i, np.uint8) for i in range(6)])
    grid = callbacks.image_grid(images, min_pixels=32)
    # 3 x 3 layout of 32-pixel tiles with 1-pixel borders.
    assert grid.shape == (2 * 33 + 1, 3 * 33 + 1, 1)
    assert grid[1, 1, 0] == 0 and grid[1 + 33, 1 + 33 * 2, 0] == 5 and grid[32, 32, 0] == 0
    assert grid[0, 5, 0] == 128  # border


def image_gan():
    gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 1, 8, 8), tfgan.nets.dcgan_discriminator(8, 1, 8), 8)
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    return gan


def test_sample_grid_writes_pngs_every_n_steps_with_fixed_noise(tmp_path):
    gan = image_gan()
    grid = callbacks.SampleGrid(str(tmp_path / "samples"), every=2, num_samples=4, log_dir=str(tmp_path / "logs"))
    ds = tfgan.data.load("digits", 4)[0]
    gan.fit(ds, steps_per_epoch=5, epochs=1, verbose=0, callbacks=[grid])
    names = sorted(os.listdir(tmp_path / "samples"))
    assert names == ["step_000002.png", "step_000004.png", "step_000005.png"]
    png = tf.io.decode_png(tf.io.read_file(str(tmp_path / "samples" / names[-1]))).numpy()
    assert png.shape == (2 * 65 + 1, 2 * 65 + 1, 1)  # 2 x 2 tiles of 8 px upscaled 8x
    np.testing.assert_array_equal(grid.generate(4), grid.generate(4))
    assert os.listdir(tmp_path / "logs" / "samples")  # TensorBoard images


def test_sample_grid_plots_2d_and_1d(tmp_path):
    gan = tfgan.GAN(tfgan.nets.toy_shift_generator(), tfgan.nets.mlp_discriminator(1, (4,)), 1)
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    grid = callbacks.SampleGrid(str(tmp_path), every=100, real_samples=np.random.normal(5, 1, (100, 1)))
    grid.set_model(gan)
    grid.on_train_begin()
    path = grid.draw(0)
    assert tf.io.decode_png(tf.io.read_file(path)).shape[0] > 100
    gan2 = tfgan.GAN(tfgan.nets.mlp_generator(2, 2, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 2)
    grid2 = callbacks.SampleGrid(str(tmp_path), every=1, real_samples=tfgan.data.mixture_samples("ring", 50)[0])
    grid2.set_model(gan2)
    grid2.on_train_begin()
    assert os.path.exists(grid2.draw(7)) and grid2.draw(7).endswith("step_000007.png")


def test_metrics_logger_writes_one_line_per_logged_step_and_truncates_on_resume(tmp_path):
    path = str(tmp_path / "metrics.jsonl")
    with open(path, "w") as f:
        for step in (10, 20, 30):
            f.write(json.dumps({"step": step, "d_loss": 1.0}) + "\n")
        f.write('{"step": 40, "d_lo')  # cut short by a kill
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 2, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 2)
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    gan.step_counter.assign(20)  # as if restored from a checkpoint at step 20
    logger = callbacks.MetricsLogger(path, every=5, log_dir=str(tmp_path / "logs"))
    x = tf.data.Dataset.from_tensor_slices(np.zeros((80, 2), np.float32)).batch(8)
    gan.fit(x, epochs=1, verbose=0, callbacks=[logger])
    steps = [json.loads(line)["step"] for line in open(path)]
    assert steps == [10, 20, 25, 30]
    last = json.loads(open(path).readlines()[-1])
    assert set(last) >= {"step", "d_loss", "g_loss", "d_real", "d_fake"} and np.isfinite(last["g_loss"])


def test_checkpoint_saves_and_restores_full_state(tmp_path):
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 2, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 2, seed=3)
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    ckpt = callbacks.TrainingCheckpoint(str(tmp_path), every=3)
    x = tf.data.Dataset.from_tensor_slices(np.ones((40, 2), np.float32)).batch(8)
    gan.fit(x, epochs=1, verbose=0, callbacks=[ckpt])
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".index")) == ["ckpt-3.index", "ckpt-5.index"]
    weights = [w.numpy() for w in gan.generator.weights]
    noise_state = gan.seed_generator.state.numpy()

    clone = tfgan.GAN(tfgan.nets.mlp_generator(2, 2, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 2, seed=3)
    clone.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    restore = callbacks.TrainingCheckpoint(str(tmp_path))
    restore.set_model(clone)
    assert restore.restore().endswith("ckpt-5")
    assert int(clone.step_counter.numpy()) == 5
    assert int(clone.d_optimizer.iterations.numpy()) == 5 and int(clone.g_optimizer.iterations.numpy()) == 5
    for a, b in zip(weights, clone.generator.weights):
        np.testing.assert_array_equal(a, b.numpy())
    np.testing.assert_array_equal(noise_state, clone.seed_generator.state.numpy())
