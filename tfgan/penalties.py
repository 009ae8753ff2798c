"""Penalties on the discriminator's gradient: WGAN-GP's gradient penalty and the zero-centred R1 / R2.

A penalty is a callable `penalty(critic, real, fake, step=...) -> per-example values [B]` that the
`GAN` adds to D's loss inside D's `GradientTape`; its own tape nests inside, so the penalty's gradient
reaches D's weights (double backpropagation). After a call, `last_logs` holds per-example values the
step logs (the mean gradient norm where the penalty is taken), read in the same trace.
"""

import keras
import tensorflow as tf

from tfgan import losses as losses_lib


def _check_non_negative(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
        raise ValueError(f"`{name}` must be a non-negative finite number. Received: `{name}={value!r}`.")
    return float(value)


class Penalty:
    """Base class: a weighted per-example term added to D's loss, optionally lazy.

    With `every=k > 1` the penalty is computed only on training steps that are multiples of k and
    multiplied by k there, so its average contribution is unchanged (StyleGAN2's lazy regularisation,
    Karras et al. 2020, sec. 3.1); on the other steps it adds 0 and costs nothing.
    """

    log_name = None

    def __init__(self, weight, every=1):
        self.weight = _check_non_negative("weight", weight)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"`every` must be a positive integer. Received: `every={every!r}`.")
        self.every = every
        self.last_logs = {}

    def unweighted(self, critic, real, fake):
        """Returns `(per-example penalty, per-example gradient norms)`."""
        raise NotImplementedError

    def __call__(self, critic, real, fake, step=None):
        if self.every == 1 or step is None:
            penalty, norms = self.unweighted(critic, real, fake)
            self.last_logs = {self.log_name: norms}
            return self.weight * penalty
        batch = tf.shape(real)[0]
        # The norm is only known on the steps the penalty runs, so it is not logged when lazy.
        self.last_logs = {}
        return tf.cond(
            tf.equal(tf.math.floormod(tf.cast(step, tf.int64), self.every), 0),
            lambda: self.weight * self.every * self.unweighted(critic, real, fake)[0],
            lambda: tf.zeros([batch], tf.float32))

    def get_config(self):
        return {"weight": self.weight, "every": self.every}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@keras.saving.register_keras_serializable(package="tfgan")
class GradientPenalty(Penalty):
    """WGAN-GP's two-sided gradient penalty (Gulrajani et al. 2017, eq. 3).

        weight * (||grad D(x_hat)||_2 - target)^2,   x_hat = a x + (1 - a) G(z),  a ~ U(0, 1) per example

    Args:
        weight: lambda. Defaults to `10.0`.
        target: the gradient norm aimed at (1 for a 1-Lipschitz critic). Defaults to `1.0`.
        one_sided: penalise only norms above `target`. Defaults to `False`.
        every: compute it every `every` steps, scaled by `every` (lazy). Defaults to `1`.
        seed: seed of the mixing weights a. Defaults to `None`.

    Example:

    ```python
    gan = tfgan.GAN(g, d, latent_dim=16, loss="wasserstein", penalty=tfgan.GradientPenalty(10.0), d_steps=5)
    ```

    Reference:
        Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017.
    """

    log_name = "interpolate_grad_norm"

    def __init__(self, weight=10.0, target=1.0, one_sided=False, every=1, seed=None):
        super().__init__(weight, every)
        self.target = _check_non_negative("target", target)
        if not isinstance(one_sided, bool):
            raise ValueError(f"`one_sided` must be True or False. Received: `one_sided={one_sided!r}`.")
        self.one_sided = one_sided
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="gradient_penalty_seed")

    def unweighted(self, critic, real, fake):
        return losses_lib.gradient_penalty_per_example(critic, real, fake, self.target, self.one_sided,
                                                       self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "target": self.target, "one_sided": self.one_sided, "seed": self.seed}


class _ZeroCentred(Penalty):
    """gamma / 2 * ||grad D(x)||^2 at real (R1) or generated (R2) samples (Mescheder et al. 2018, eq. 9-10)."""

    def __init__(self, gamma=10.0, every=1):
        self.gamma = _check_non_negative("gamma", gamma)
        super().__init__(0.5 * self.gamma, every)

    def points(self, real, fake):
        raise NotImplementedError

    def unweighted(self, critic, real, fake):
        norms = losses_lib.gradient_norms(critic, self.points(real, fake))
        return tf.square(norms), norms

    def get_config(self):
        return {"gamma": self.gamma, "every": self.every}


@keras.saving.register_keras_serializable(package="tfgan")
class R1(_ZeroCentred):
    """R1: the zero-centred penalty on real data, gamma / 2 * E_P[||grad D(x)||^2] (Mescheder et al. 2018, eq. 9).

    Args:
        gamma: the penalty's weight. Defaults to `10.0`.
        every: lazy regularisation, every `every` steps scaled by `every` (StyleGAN2 uses 16). Defaults to `1`.

    Reference:
        Mescheder et al., Which Training Methods for GANs do actually Converge?, ICML 2018.
    """

    log_name = "real_grad_norm"

    def points(self, real, fake):
        return real


@keras.saving.register_keras_serializable(package="tfgan")
class R2(_ZeroCentred):
    """R2: the zero-centred penalty on generated data, gamma / 2 * E_Q[||grad D(x)||^2] (Mescheder et al. 2018, eq. 10).

    Args:
        gamma: the penalty's weight. Defaults to `10.0`.
        every: lazy regularisation, every `every` steps scaled by `every`. Defaults to `1`.
    """

    log_name = "fake_grad_norm"

    def points(self, real, fake):
        return fake
