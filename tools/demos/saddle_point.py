r"""Gradient play at a saddle point, simultaneous against alternating steps (lecture notes, ch. 15 eq. 6).

    python tools/demos/saddle_point.py --out=docs/figures/saddle_point.png

Two games, max over theta and min over phi, from (1, 1) with step size --lr:
- the notes' L = -theta^2 + phi^2: each player's objective is its own, so both schemes walk straight into
  the saddle (0, 0);
- the bilinear L = theta * phi, where each player's gradient is the other's parameter (the coupling a GAN
  has): simultaneous steps spiral out (the radius grows by sqrt(1 + lr^2) a step), alternating steps cycle
  on a closed orbit around the saddle.
Prints the final distance from the saddle for each run as JSON.
"""

import json
import os

import numpy as np
from absl import app, flags

flags.DEFINE_string("out", "docs/figures/saddle_point.png", "Where the PNG goes.")
flags.DEFINE_float("lr", 0.1, "Step size of both players.")
flags.DEFINE_integer("steps", 200, "Gradient steps.")
FLAGS = flags.FLAGS

GAMES = {
    "L = -theta^2 + phi^2": lambda t, p: (-2 * t, 2 * p),  # (dL/dtheta, dL/dphi)
    "L = theta * phi": lambda t, p: (p, t),
}


def play(grad, lr, steps, alternating):
    """theta ascends L, phi descends it; alternating: phi sees the new theta."""
    theta, phi = 1.0, 1.0
    path = [(theta, phi)]
    for _ in range(steps):
        g_theta, g_phi = grad(theta, phi)
        theta_new = theta + lr * g_theta
        if alternating:
            g_phi = grad(theta_new, phi)[1]
        phi = phi - lr * g_phi
        theta = theta_new
        path.append((theta, phi))
    return np.array(path)


def main(argv):
    del argv
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 5))
    final = {}
    for ax, (name, grad) in zip(axes, GAMES.items()):
        for alternating, color in ((False, "tab:red"), (True, "tab:blue")):
            path = play(grad, FLAGS.lr, FLAGS.steps, alternating)
            label = "alternating" if alternating else "simultaneous"
            ax.plot(path[:, 0], path[:, 1], color=color, lw=1, label=label)
            final[f"{name}, {label}"] = float(np.hypot(*path[-1]))
        ax.plot([1], [1], "ko", label="start")
        ax.plot([0], [0], "k+", ms=12, label="saddle")
        ax.set_title(f"{name}  (lr={FLAGS.lr}, {FLAGS.steps} steps)")
        ax.set_xlabel("theta (maximises)")
        ax.set_ylabel("phi (minimises)")
        ax.set_aspect("equal")
        ax.legend(loc="lower left")
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.out)), exist_ok=True)
    figure.savefig(FLAGS.out, dpi=80)
    print(json.dumps({"final_distance_from_saddle": final}))


if __name__ == "__main__":
    app.run(main)
