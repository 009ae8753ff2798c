r"""Cost of a WGAN-GP training step relative to a non-saturating one on the same networks.

    python benchmarks/gradient_penalty_cost.py [--steps=50] [--repeats=5]

Both GANs take one D and one G update per step (d_steps=1), so the ratio is the price of the
gradient penalty (interpolates, the nested tape and double backpropagation). Timings alternate
between the two models and report medians, because the machine is shared. Prints one JSON line per
network pair.
"""

import json
import os
import sys
import time

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tfgan  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("steps", 50, "Training steps per timing.")
flags.DEFINE_integer("repeats", 5, "Timings per model (alternating); the median is reported.")


def networks(kind):
    if kind == "mlp_grid":
        return (tfgan.nets.mlp_generator(2, 16, (256, 256, 256)), tfgan.nets.mlp_discriminator(2, (256, 256, 256)),
                16, "grid", 256)
    return (tfgan.nets.dcgan_generator(8, 1, 64, 32), tfgan.nets.dcgan_discriminator(8, 1, 32, layer_norm=True),
            64, "digits", 64)


def timed_model(kind, loss, penalty):
    keras.utils.set_random_seed(0)
    g, d, latent_dim, data, batch = networks(kind)
    gan = tfgan.GAN(g, d, latent_dim, loss=loss, penalty=penalty, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-4, 0.5, 0.9), g_optimizer=keras.optimizers.Adam(1e-4, 0.5, 0.9))
    dataset, _ = tfgan.data.load(data, batch, seed=0)
    iterator = iter(dataset)
    gan.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0)  # trace and warm up
    step = gan.train_function

    def run():
        start = time.perf_counter()
        for _ in range(FLAGS.steps):
            logs = step(iterator)
        float(logs["d_loss"])  # wait for the last step
        return (time.perf_counter() - start) / FLAGS.steps
    return run


def main(argv):
    del argv
    for kind in ("mlp_grid", "dcgan_digits"):
        ns = timed_model(kind, "non_saturating", None)
        gp = timed_model(kind, "wasserstein", tfgan.GradientPenalty(10.0))
        times = {"ns": [], "gp": []}
        for _ in range(FLAGS.repeats):
            times["ns"].append(ns())
            times["gp"].append(gp())
        ns_ms, gp_ms = (1e3 * float(np.median(times[k])) for k in ("ns", "gp"))
        print(json.dumps({"nets": kind, "non_saturating_ms_per_step": round(ns_ms, 2),
                          "wgan_gp_ms_per_step": round(gp_ms, 2), "ratio": round(gp_ms / ns_ms, 2)}), flush=True)


if __name__ == "__main__":
    app.run(main)
