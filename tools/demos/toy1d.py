r"""The 1-D toy of Prince, Understanding Deep Learning, ch. 15, trained with tfgan.

    python tools/demos/toy1d.py --outdir=docs/figures

Writes two figures and prints their numbers as JSON:
- `toy1d.png` (figure 15.1): x = z + theta with theta from 3.0 against data N(5, 1); histograms and the
  discriminator's output (`loss.d_output`, its sigmoid) at a few steps, D first trained alone for 300 steps
  (it flattens as theta reaches the data), and theta over steps.
- `minimax_vs_non_saturating.png`: from theta = -3 with a discriminator first trained to confidence, the
  saturating minimax loss log(1 - D(G(z))) gives G almost no gradient and theta stalls, while the
  non-saturating -log D(G(z)) moves theta to the data (Goodfellow et al. 2014, sec. 3). G uses plain SGD
  here so that the size of its gradient is the size of its step.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

import tfgan  # noqa: E402

flags.DEFINE_string("outdir", "docs/figures", "Where the PNGs go.")
flags.DEFINE_integer("seed", 0, "Seed.")
FLAGS = flags.FLAGS


def toy_gan(loss, theta, seed, g_optimizer=None):
    keras.utils.set_random_seed(seed)
    gan = tfgan.GAN(tfgan.nets.toy_shift_generator(theta), tfgan.nets.mlp_discriminator(1, (32,)), 1,
                    loss=loss, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=g_optimizer or keras.optimizers.Adam(1e-2, beta_1=0.5))
    return gan


def theta_of(gan):
    return float(gan.generator.get_layer("shift").theta.numpy())


def d_curve(gan, xs):
    return gan.adversarial_loss.d_output(gan.discriminate(xs[:, None], training=False)).numpy().ravel()


def train_for(gan, dataset, steps):
    logs = gan.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0).history
    return {k: v[-1] for k, v in logs.items()}


def pretrain_discriminator(gan, dataset, steps=300):
    """Trains D alone (G's learning rate 0) so that the first G steps face a confident D."""
    lr = float(gan.g_optimizer.learning_rate.numpy())
    gan.g_optimizer.learning_rate.assign(0.0)
    train_for(gan, dataset, steps)
    gan.g_optimizer.learning_rate.assign(lr)


def figure_15_1(dataset, plt):
    gan = toy_gan("minimax", 3.0, FLAGS.seed)
    pretrain_discriminator(gan, dataset)
    xs = np.linspace(-1.0, 10.0, 300, dtype=np.float32)
    snapshots, thetas, chunk = {}, [(0, theta_of(gan))], 50
    for step in range(chunk, 1501, chunk):
        if step - chunk in (0, 150, 400, 1450):
            snapshots[step - chunk] = (theta_of(gan), d_curve(gan, xs))
        train_for(gan, dataset, chunk)
        thetas.append((step, theta_of(gan)))
    figure, axes = plt.subplots(1, len(snapshots) + 1, figsize=(4 * (len(snapshots) + 1), 3.2))
    rng = np.random.default_rng(1)
    real = rng.normal(5.0, 1.0, 2000)
    for ax, (step, (theta, curve)) in zip(axes, snapshots.items()):
        ax.hist(real, bins=50, range=(-1, 10), density=True, color="tab:cyan", alpha=0.6, label="real")
        ax.hist(rng.normal(theta, 1.0, 2000), bins=50, range=(-1, 10), density=True, color="tab:orange",
                alpha=0.6, label="generated")
        ax.plot(xs, curve, "k", label="D(x)")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"step {step}: theta = {theta:.2f}")
    axes[0].legend(loc="upper left", fontsize=8)
    steps, values = zip(*thetas)
    axes[-1].plot(steps, values)
    axes[-1].axhline(5.0, color="gray", ls="--", label="data mean")
    axes[-1].set_xlabel("step")
    axes[-1].set_title("theta")
    axes[-1].legend()
    figure.tight_layout()
    figure.savefig(os.path.join(FLAGS.outdir, "toy1d.png"), dpi=80)
    slopes = {step: float(np.max(np.abs(np.diff(curve) / np.diff(xs)))) for step, (_, curve) in snapshots.items()}
    return {"theta": dict(thetas[::6] + [thetas[-1]]), "max_slope_of_D": slopes}


def minimax_vs_non_saturating(dataset, plt):
    result, figure = {}, plt.figure(figsize=(10, 3.5))
    ax_theta, ax_grad = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for loss, color in (("minimax", "tab:red"), ("non_saturating", "tab:blue")):
        # Plain SGD for G, so theta moves by the gradient itself (Adam would rescale it away).
        gan = toy_gan(loss, -3.0, FLAGS.seed, keras.optimizers.SGD(0.05))
        pretrain_discriminator(gan, dataset)
        steps, thetas, grads = [0], [theta_of(gan)], []
        for step in range(20, 801, 20):
            logs = train_for(gan, dataset, 20)
            steps.append(step)
            thetas.append(theta_of(gan))
            grads.append(logs["g_grad_norm"])
        ax_theta.plot(steps, thetas, color=color, label=loss)
        ax_grad.semilogy(steps[1:], grads, color=color, label=loss)
        result[loss] = {"theta_after_800_steps": thetas[-1], "g_grad_norm_at_start": grads[0]}
    ax_theta.axhline(5.0, color="gray", ls="--", label="data mean")
    ax_theta.set_title("theta from -3, after 300 steps of D alone")
    ax_theta.set_xlabel("step")
    ax_theta.legend()
    ax_grad.set_title("G's gradient norm")
    ax_grad.set_xlabel("step")
    ax_grad.legend()
    figure.tight_layout()
    figure.savefig(os.path.join(FLAGS.outdir, "minimax_vs_non_saturating.png"), dpi=80)
    return result


def main(argv):
    del argv
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(FLAGS.outdir, exist_ok=True)
    dataset, _ = tfgan.data.load("toy1d", 64, seed=FLAGS.seed)
    print(json.dumps({"figure_15_1": figure_15_1(dataset, plt),
                      "minimax_vs_non_saturating": minimax_vs_non_saturating(dataset, plt)}))


if __name__ == "__main__":
    app.run(main)
