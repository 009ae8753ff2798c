"""tfgan.callbacks.TrainingMonitor: each failure named in runs made to fail, silence on a healthy run."""

import json

import keras
import numpy as np
import pytest

import tfgan
from tfgan import callbacks, diagnosis


def gan_for(dataset, g_lr=1e-3, generator=None, loss="non_saturating"):
    info = tfgan.data.info(dataset)
    generator = generator or tfgan.nets.mlp_generator(info.shape, 8, [64, 64])
    gan = tfgan.GAN(generator, tfgan.nets.mlp_discriminator(info.shape, [64, 64]), 8, loss=loss, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(g_lr, beta_1=0.5))
    return gan, info


def train_monitored(dataset, steps, tmp_path, extra=(), **kwargs):
    gan, info = gan_for(dataset, **kwargs)
    monitor = callbacks.TrainingMonitor(every=50, window=100, metrics_path=str(tmp_path / "metrics.jsonl"),
                                        real_samples=tfgan.data.mixture_samples(dataset, 500, seed=1)[0],
                                        modes=info.modes, mode_std=info.mode_std)
    gan.fit(tfgan.data.load(dataset, 64, seed=0)[0], steps_per_epoch=steps, epochs=1, verbose=0,
            callbacks=[monitor, *extra])
    return monitor


def names(monitor):
    return [w["warning"] for w in monitor.warnings]


def test_silent_on_a_healthy_ring_run(tmp_path):
    monitor = train_monitored("ring", 500, tmp_path)
    assert monitor.checked_steps == list(range(50, 501, 50))
    assert monitor.warnings == []


def test_names_discriminator_wins_when_the_generator_cannot_learn(tmp_path):
    monitor = train_monitored("grid", 400, tmp_path, g_lr=0.0)
    assert "discriminator_wins" in names(monitor)
    warning = monitor.warnings[names(monitor).index("discriminator_wins")]
    assert warning["d_loss"] < 0.1 * np.log(4.0) and warning["g_loss_rise"] > 0
    assert "--loss=non_saturating" in warning["remedy"] and "wgan_gp" in warning["remedy"]
    logged = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert {"step": warning["step"], "warning": "discriminator_wins"}.items() <= logged[0].items()


class InjectNaN(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 20:
            kernel = self.model.discriminator.weights[0]
            kernel.assign(kernel * np.nan)


def test_names_a_nan_at_the_step_it_appears(tmp_path):
    monitor = train_monitored("ring", 30, tmp_path, extra=[InjectNaN()])
    assert names(monitor) == ["non_finite"]
    assert monitor.warnings[0]["step"] in (21, 22) and "d_loss" in monitor.warnings[0]["message"]


def test_names_collapse_of_a_generator_that_outputs_one_point(tmp_path):
    z = keras.Input((8,))
    point = keras.layers.Dense(2, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(0.5))(z)
    monitor = train_monitored("grid", 100, tmp_path, generator=keras.Model(z, point), g_lr=0.0)
    assert names(monitor)[0] == "mode_collapse" and monitor.warnings[0]["step"] == 50
    assert monitor.warnings[0]["diversity"] == 0.0 and monitor.warnings[0]["modes"] == 0


@pytest.mark.parametrize("d_loss,d_real,d_fake,expected", [
    (lambda t: 1.0 + t, 0.5, 0.5, ["discriminator_loss_rising"]),
    (lambda t: 1.0 + 0.05 * np.sin(40 * t), 0.95, 0.97, ["discriminator_says_all_real"]),
    (lambda t: 1.0 + 0.05 * np.sin(40 * t), 0.03, 0.02, ["discriminator_says_all_fake"]),
    (lambda t: 1.2 + 0.05 * np.sin(40 * t), 0.6, 0.4, []),  # balanced: silent
    (lambda t: 0.8 + 0.4 * t, 0.6, 0.4, []),  # rising, but below log 4 (D still better than chance)
])
def test_window_rules_on_synthetic_logs(d_loss, d_real, d_fake, expected):
    gan, _ = gan_for("ring")
    monitor = callbacks.TrainingMonitor(every=50, window=100)
    monitor.set_model(gan)
    monitor.on_train_begin()
    for step in range(1, 101):
        gan.step_counter.assign(step)
        t = step / 100
        monitor.on_train_batch_end(step, {"d_loss": d_loss(t), "g_loss": 1.0, "d_real": d_real, "d_fake": d_fake})
    assert monitor.checked_steps == [50, 100]
    assert [n for n in names(monitor) if n != "mode_collapse"] == expected


def test_chance_loss_is_the_loss_of_a_blind_discriminator():
    assert diagnosis.chance_loss(tfgan.losses.get("minimax")) == pytest.approx(2 * np.log(2.0))
    assert diagnosis.chance_loss(tfgan.losses.get("hinge")) == pytest.approx(2.0)
    assert diagnosis.chance_loss(tfgan.losses.get("wasserstein")) == pytest.approx(0.0)


def test_mean_pairwise_distance_matches_scipy():
    import scipy.spatial

    x = np.random.default_rng(0).normal(size=(40, 3))
    assert diagnosis.mean_pairwise_distance(x) == pytest.approx(scipy.spatial.distance.pdist(x).mean())


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="output_margin=1.5"):
        callbacks.TrainingMonitor(output_margin=1.5)
    with pytest.raises(ValueError, match="mode_std=None"):
        callbacks.TrainingMonitor(modes=tfgan.data.ring_modes())
