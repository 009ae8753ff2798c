"""Penalties on the discriminator: on its gradient, WGAN-GP's gradient penalty and the zero-centred R1 / R2,
with the maths they share (per-example gradient norms, interpolates); on its outputs, balanced
consistency regularization (bCR).

A penalty is a callable `penalty(critic, real, fake, step=..., fake_critic=...) -> per-example values
[B]` that the `GAN` adds to D's loss inside D's `GradientTape`; its own tape nests inside, so the
penalty's gradient reaches D's weights (double backpropagation). `critic` scores points with the real
batch's conditioning (labels), `fake_critic` with the fakes' (they differ for conditional models).
After a call, `last_logs` holds per-example values the step logs (the mean gradient norm where the
penalty is taken), read in the same trace. `get(name, ...)` builds one by name (`PENALTIES`).
bCR's penalty has no inner tape: it compares D's outputs on images and their augmentations.
"""

import keras
import tensorflow as tf

from tfgan import augment, checks, distribute


def _as_float(x):
    return tf.convert_to_tensor(x, tf.float32)


def gradient_norms(critic, inputs):
    """Per-example L2 norms ||grad_x critic(x)||_2 of the critic's summed output at `inputs`, shape `[B]`.

    Its `GradientTape` records inside any outer tape, so a loss built from the norms has gradients
    with respect to the critic's weights (double backpropagation). The norm is taken as
    sqrt(sum(g^2) + 1e-10): at g = 0 the gradient of a plain norm is NaN.
    """
    inputs = _as_float(inputs)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = critic(inputs)
    grads = tape.gradient(outputs, inputs)
    if grads is None:
        raise ValueError("`penalty` needs a discriminator that is differentiable with respect to its input, "
                         "but the gradient of its output with respect to the input is None (does it cast, "
                         "round or ignore its input?).")
    axes = list(range(1, grads.shape.rank))
    return tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + 1e-10)


def interpolates(real, fake, seed=None):
    """x_hat = a * real + (1 - a) * fake with one a ~ U(0, 1) per example, shaped `[B, 1, ..., 1]`.

    Under a strategy the weights of the GLOBAL batch are drawn and each replica takes its rows
    (`tfgan.distribute.replica_rows`), so N replicas mix exactly as one replica does.
    """
    real, fake = _as_float(real), _as_float(fake)
    ones = [1] * (real.shape.rank - 1)
    alpha = distribute.replica_rows(lambda n: keras.random.uniform([n] + ones, 0.0, 1.0, seed=seed),
                                    tf.shape(real)[0])
    return alpha * real + (1.0 - alpha) * fake


def gradient_penalty_per_example(critic, real, fake, target=1.0, one_sided=False, seed=None):
    """Per-example WGAN-GP penalty (Gulrajani et al. 2017, Algorithm 1), without its weight lambda.

        x_hat = a x + (1 - a) G(z),  a ~ U(0, 1)
        GP    = (||grad D(x_hat)||_2 - target)^2        (one-sided: max(0, ||.|| - target)^2)

    Returns `(penalty, norms)`, both `[B]`.
    """
    norms = gradient_norms(critic, interpolates(real, fake, seed))
    gap = norms - target
    if one_sided:
        gap = tf.nn.relu(gap)
    return tf.square(gap), norms


def gradient_penalty(critic, real, fake, target=1.0, one_sided=False, seed=None):
    """The WGAN-GP gradient penalty (Gulrajani et al. 2017, eq. 3), averaged over the batch, without lambda.

        GP = E_{x_hat}[(||grad_{x_hat} D(x_hat)||_2 - 1)^2],  x_hat = a x + (1 - a) G(z),  a ~ U(0, 1)

    Args:
        critic: callable mapping a batch of samples to scores `[B]` or `[B, ...]` (summed per example).
        real: real samples `[B, ...]`.
        fake: generated samples of the same shape.
        target: the norm the gradient is pulled towards. Defaults to `1.0`.
        one_sided: penalise only norms above `target` (Gulrajani et al. 2017, appendix). Defaults to `False`.
        seed: a seed or `keras.random.SeedGenerator` for the mixing weights. Defaults to `None`.
    """
    penalty, _ = gradient_penalty_per_example(critic, real, fake, target, one_sided, seed)
    return tf.reduce_mean(penalty)


class Penalty:
    """Base class: a weighted per-example term added to D's loss, optionally lazy.

    With `every=k > 1` the penalty is computed only on training steps that are multiples of k and
    multiplied by k there, so its average contribution is unchanged (StyleGAN2's lazy regularisation,
    Karras et al. 2020, sec. 3.1); on the other steps it adds 0 and costs nothing.
    """

    log_name = None

    def __init__(self, weight, every=1):
        self.weight = checks.number("weight", weight, 0.0)
        self.every = checks.positive_int("every", every)
        self.last_logs = {}

    def unweighted(self, critic, fake_critic, real, fake):
        """Returns `(per-example penalty, per-example gradient norms)`."""
        raise NotImplementedError

    def __call__(self, critic, real, fake, step=None, fake_critic=None):
        fake_critic = critic if fake_critic is None else fake_critic
        if self.every == 1 or step is None:
            penalty, norms = self.unweighted(critic, fake_critic, real, fake)
            self.last_logs = {self.log_name: norms}
            return self.weight * penalty
        batch = tf.shape(real)[0]
        # The norm is only known on the steps the penalty runs, so it is not logged when lazy.
        self.last_logs = {}
        return tf.cond(
            tf.equal(tf.math.floormod(tf.cast(step, tf.int64), self.every), 0),
            lambda: self.weight * self.every * self.unweighted(critic, fake_critic, real, fake)[0],
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

    For a conditional model the interpolates are scored with the real batch's labels.

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
        self.target = checks.number("target", target, 0.0)
        self.one_sided = checks.boolean("one_sided", one_sided)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="gradient_penalty_seed")

    def unweighted(self, critic, fake_critic, real, fake):
        return gradient_penalty_per_example(critic, real, fake, self.target, self.one_sided, self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "target": self.target, "one_sided": self.one_sided, "seed": self.seed}


class _ZeroCentred(Penalty):
    """gamma / 2 * ||grad D(x)||^2 at real (R1) or generated (R2) samples (Mescheder et al. 2018, eq. 9-10)."""

    def __init__(self, gamma=10.0, every=1):
        self.gamma = checks.number("gamma", gamma, 0.0)
        super().__init__(0.5 * self.gamma, every)

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

    def unweighted(self, critic, fake_critic, real, fake):
        norms = gradient_norms(critic, real)
        return tf.square(norms), norms


@keras.saving.register_keras_serializable(package="tfgan")
class R2(_ZeroCentred):
    """R2: the zero-centred penalty on generated data, gamma / 2 * E_Q[||grad D(x)||^2] (Mescheder et al. 2018,
    eq. 10), D scoring each fake with the labels it was generated for.

    Args:
        gamma: the penalty's weight. Defaults to `10.0`.
        every: lazy regularisation, every `every` steps scaled by `every`. Defaults to `1`.
    """

    log_name = "fake_grad_norm"

    def unweighted(self, critic, fake_critic, real, fake):
        norms = gradient_norms(fake_critic, fake)
        return tf.square(norms), norms


@keras.saving.register_keras_serializable(package="tfgan")
class ConsistencyRegularization(Penalty):
    """Balanced consistency regularization, bCR (Zhao et al. 2021): D must give an image and its
    augmentation T(x) the same output, on reals and on fakes.

        weight * [ (D(x) - D(T(x)))^2 + (D(G(z)) - D(T(G(z))))^2 ]      per example

    T draws its parameters per image from `policy` (`tfgan.augment.augment` with p = 1; the paper's
    flips and shifts of up to 1/8 of the image), so it is differentiable and compiles with XLA.
    With `fake=False` only the real term is kept (CR, Zhang et al. 2020). D scores the images as
    the step gives them (after tricks such as `AdaptiveAugment`), each fake with its own labels.

    Args:
        weight: lambda of both terms (the paper's lambda_real = lambda_fake = 10). Defaults to `10.0`.
        fake: also regularize on fakes (bCR); `False` gives CR. Defaults to `True`.
        policy: the augmentations T, names from `tfgan.augment.AUGMENTATIONS`.
            Defaults to `"flip,translation"`.
        every: compute it every `every` steps, scaled by `every` (lazy). Defaults to `1`.
        seed: seed of the augmentations. Defaults to `None`.

    Example:

    ```python
    gan = tfgan.GAN(g, d, 64, penalty=tfgan.penalties.ConsistencyRegularization(10.0))
    ```

    Reference:
        Zhao et al., Improved Consistency Regularization for GANs, AAAI 2021;
        Zhang et al., Consistency Regularization for Generative Adversarial Networks, ICLR 2020.
    """

    log_name = "consistency"

    def __init__(self, weight=10.0, fake=True, policy="flip,translation", every=1, seed=None):
        super().__init__(weight, every)
        self.fake = checks.boolean("fake", fake)
        self.policy = augment.check_policy(policy)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="consistency_seed")

    def _gap(self, critic, x):
        """(D(x) - D(T(x)))^2 per example."""
        x = _as_float(x)
        if x.shape.rank != 4:
            raise ValueError(f"`ConsistencyRegularization` augments images [B, H, W, C]; received samples of "
                             f"shape {x.shape}. Use it on image data.")
        augmented = augment.augment(x, 1.0, self.seed_generator, self.policy)
        difference = _as_float(critic(x)) - _as_float(critic(augmented))
        return tf.reduce_sum(tf.reshape(tf.square(difference), [tf.shape(x)[0], -1]), axis=1)

    def unweighted(self, critic, fake_critic, real, fake):
        penalty = self._gap(critic, real)
        if self.fake:
            penalty = penalty + self._gap(fake_critic, fake)
        return penalty, penalty

    def get_config(self):
        return {**super().get_config(), "fake": self.fake, "policy": ",".join(self.policy), "seed": self.seed}


PENALTIES = {"gp": GradientPenalty, "r1": R1, "r2": R2, "bcr": ConsistencyRegularization}


def get(name, weight=10.0, *, every=1, target=1.0, one_sided=False, seed=None, policy="flip,translation"):
    """A penalty by name: `"gp"` (WGAN-GP, `weight` is lambda), `"r1"` / `"r2"` (`weight` is gamma),
    `"bcr"` (balanced consistency regularization, `weight` is lambda of both terms).

    `target` and `one_sided` apply to `"gp"` only, `policy` to `"bcr"` only, `seed` to `"gp"` and
    `"bcr"`; `every` makes any of them lazy.
    """
    checks.choice("penalty", name, tuple(PENALTIES))
    if name == "gp":
        return GradientPenalty(weight, target, one_sided, every=every, seed=seed)
    if name == "bcr":
        return ConsistencyRegularization(weight, policy=policy, every=every, seed=seed)
    return PENALTIES[name](weight, every=every)
