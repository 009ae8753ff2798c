r"""How far a spectrally normalized MLP critic can separate the grid from a blurred copy of it.

    python benchmarks/sn_critic_gap.py [--steps=3000] [--input_scale=1] [--hidden=256,256,256] [--lr=1e-3] \
        [--fourier_features=256 --fourier_scale=3]

The real set is 2,048 `grid` samples (modes 2 apart, std 0.05); the fake set is the same points plus
N(0, 0.3^2) noise, roughly what a generator that has found the modes but not their width produces. Each
critic (the MLP 256x3 of the grid recipes) is trained alone with the hinge loss (Adam(1e-3, 0.5, 0.9),
batch 256) and the gap E[D(real)] - E[D(fake)] is printed as JSON every 1,000 steps:

- `spectral_norm`: `tfgan.nets.mlp_discriminator(spectral_norm=True)`, as `sngan_grid` uses;
- `gradient_penalty`: the same MLP unnormalized, with `tfgan.GradientPenalty(1.0)` (also ~1-Lipschitz).

For any 1-Lipschitz critic the gap is at most W1(real, fake) <= E|noise| = 0.3 * sqrt(pi / 2) = 0.38.
`--input_scale=s` multiplies the critic's input by s (a `Rescaling` layer), which makes the bound s * 0.38:
how much of that a spectrally normalized net reaches is the question. `--fourier_features=n` puts n fixed
random Fourier features (`tfgan.layers.FourierFeatures`, sqrt(1 + sigma_max(B)^2)-Lipschitz) in front of both
MLPs, which multiplies the bound by that constant.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

import tfgan  # noqa: E402

flags.DEFINE_integer("steps", 3000, "Critic updates.")
flags.DEFINE_float("input_scale", 1.0, "Factor the critic's input is multiplied by.")
flags.DEFINE_list("hidden", ["256", "256", "256"], "Hidden units of the MLP critic.")
flags.DEFINE_float("lr", 1e-3, "Adam learning rate (beta_1 0.5, beta_2 0.9).")
flags.DEFINE_integer("fourier_features", 0, "Fixed random Fourier features in front of the MLPs (0: none).")
flags.DEFINE_float("fourier_scale", 1.0, "Std of their frequencies.")
FLAGS = flags.FLAGS


def train_critic(kind, real, fake, rng):
    keras.utils.set_random_seed(0)
    mlp = tfgan.nets.mlp_discriminator(2, [int(u) for u in FLAGS.hidden], spectral_norm=kind == "spectral_norm",
                                       fourier_features=FLAGS.fourier_features, fourier_scale=FLAGS.fourier_scale)
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Rescaling(FLAGS.input_scale), mlp])
    penalty = tfgan.GradientPenalty(1.0) if kind == "gradient_penalty" else None
    optimizer = keras.optimizers.Adam(FLAGS.lr, beta_1=0.5, beta_2=0.9)
    hinge = tfgan.losses.get("hinge")

    @tf.function
    def step(r, f):
        with tf.GradientTape() as tape:
            real_logits, fake_logits = critic(r, training=True), critic(f, training=True)
            loss = tf.reduce_mean(hinge.d_loss(real_logits, fake_logits))
            if penalty is not None:
                loss += tf.reduce_mean(penalty(lambda x: critic(x, training=True), r, f))
        grads = tape.gradient(loss, critic.trainable_variables)
        optimizer.apply_gradients(zip(grads, critic.trainable_variables))
        return tf.reduce_mean(real_logits) - tf.reduce_mean(fake_logits)

    gaps = {}
    for i in range(1, FLAGS.steps + 1):
        idx = rng.integers(0, len(real), 256)
        gap = step(real[idx], fake[idx])
        if i % 1000 == 0 or i == FLAGS.steps:
            gaps[i] = round(float(gap), 4)
    return gaps


def main(argv):
    del argv
    rng = np.random.default_rng(0)
    real = tfgan.data.mixture_samples("grid", 2048, seed=0)[0]
    fake = (real + rng.normal(0.0, 0.3, real.shape)).astype(np.float32)
    result = {kind: train_critic(kind, real, fake, rng) for kind in ("spectral_norm", "gradient_penalty")}
    bound = FLAGS.input_scale * 0.3 * np.sqrt(np.pi / 2)
    if FLAGS.fourier_features:
        features = tfgan.layers.FourierFeatures(FLAGS.fourier_features, FLAGS.fourier_scale)
        features.build((None, 2))
        bound *= np.sqrt(1.0 + np.linalg.svd(features.frequencies.numpy(), compute_uv=False)[0] ** 2)
    result["lipschitz_bound"] = round(float(bound), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    app.run(main)
