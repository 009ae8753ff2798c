"""Adversarial losses as pure functions of discriminator logits.

Every function returns a per-example loss of shape `[batch]` (any further axes, e.g. PatchGAN outputs,
are averaged); the model reduces it over the global batch. Targets for the cross-entropy losses are
tensors broadcastable to the logits, so label smoothing, noisy and flipped labels are transforms of
the targets, never new losses.

Each loss is also a `Loss` object with `d_loss` / `g_loss`, selectable by name through `get`:
`"minimax"`, `"non_saturating"`, `"least_squares"`, `"wasserstein"`, `"hinge"`, the f-GAN divergences
`"kl"`, `"reverse_kl"`, `"pearson"`, `"squared_hellinger"`, `"jensen_shannon"` and the relativistic
average losses `"relativistic_average"`, `"relativistic_average_least_squares"`,
`"relativistic_average_hinge"`. `gradient_penalty` is WGAN-GP's penalty (the penalty objects that use
it are in `tfgan.penalties`).
"""

import math

import keras
import tensorflow as tf


def _per_example(values):
    """Averages every axis but the first, so patch outputs give one loss per example."""
    values = tf.convert_to_tensor(values)
    if values.shape.rank is not None and values.shape.rank <= 1:
        return values
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def _as_float(x):
    return tf.convert_to_tensor(x, tf.float32)


def _bce(logits, targets):
    """Binary cross-entropy on logits, stable for any logit (softplus form)."""
    logits = tf.convert_to_tensor(logits, tf.float32)
    targets = tf.broadcast_to(tf.cast(targets, logits.dtype), tf.shape(logits))
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)


def minimax_discriminator_loss(real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
    """Discriminator loss of the original GAN (Goodfellow et al. 2014, eq. 1).

        L_D = -[t_r log D(x) + (1 - t_r) log(1 - D(x))] - [t_f log D(G(z)) + (1 - t_f) log(1 - D(G(z)))]

    with D = sigmoid(logits) and targets t_r = 1, t_f = 0 unless smoothed or flipped.
    Shared by the minimax and the non-saturating GAN: only the generator's loss differs.
    """
    return _per_example(_bce(real_logits, real_targets) + _bce(fake_logits, fake_targets))


def minimax_generator_loss(fake_logits):
    """Saturating generator loss of Goodfellow et al. 2014, eq. 1: G minimises log(1 - D(G(z))).

        L_G = log(1 - sigmoid(l)) = -softplus(l)

    Its gradient vanishes where D confidently rejects the fakes (l << 0): the reason for the
    non-saturating form.
    """
    return _per_example(-tf.nn.softplus(tf.convert_to_tensor(fake_logits, tf.float32)))


def non_saturating_generator_loss(fake_logits, targets=1.0):
    """Non-saturating generator loss (Goodfellow et al. 2014, sec. 3): G maximises log D(G(z)).

        L_G = -log D(G(z)) = softplus(-l)   ("flip the labels when training G")
    """
    return _per_example(_bce(fake_logits, targets))


def least_squares_discriminator_loss(real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
    """LSGAN discriminator loss (Mao et al. 2016, eq. 2 with a = 0, b = 1).

        L_D = 1/2 (D(x) - b)^2 + 1/2 (D(G(z)) - a)^2
    """
    real_logits = tf.convert_to_tensor(real_logits, tf.float32)
    fake_logits = tf.convert_to_tensor(fake_logits, tf.float32)
    real = tf.square(real_logits - tf.cast(real_targets, tf.float32))
    fake = tf.square(fake_logits - tf.cast(fake_targets, tf.float32))
    return _per_example(0.5 * (real + fake))


def least_squares_generator_loss(fake_logits, targets=1.0):
    """LSGAN generator loss (Mao et al. 2016, eq. 2 with c = 1).

        L_G = 1/2 (D(G(z)) - c)^2
    """
    fake_logits = tf.convert_to_tensor(fake_logits, tf.float32)
    return _per_example(0.5 * tf.square(fake_logits - tf.cast(targets, tf.float32)))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """WGAN critic loss (Arjovsky et al. 2017, Algorithm 1): the critic maximises E[D(x)] - E[D(G(z))].

        L_D = D(G(z)) - D(x)
    """
    real_logits = tf.convert_to_tensor(real_logits, tf.float32)
    fake_logits = tf.convert_to_tensor(fake_logits, tf.float32)
    return _per_example(fake_logits - real_logits)


def wasserstein_generator_loss(fake_logits):
    """WGAN generator loss (Arjovsky et al. 2017, Algorithm 1).

        L_G = -D(G(z))
    """
    return _per_example(-tf.convert_to_tensor(fake_logits, tf.float32))


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge discriminator loss (Lim & Ye 2017; Miyato et al. 2018, eq. 16).

        L_D = max(0, 1 - D(x)) + max(0, 1 + D(G(z)))
    """
    real_logits = tf.convert_to_tensor(real_logits, tf.float32)
    fake_logits = tf.convert_to_tensor(fake_logits, tf.float32)
    return _per_example(tf.nn.relu(1.0 - real_logits) + tf.nn.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """Hinge generator loss (Miyato et al. 2018, eq. 17).

        L_G = -D(G(z))
    """
    return _per_example(-tf.convert_to_tensor(fake_logits, tf.float32))


# ---------------------------------------------------------------- f-GAN (Nowozin et al. 2016)
#
# D's raw output v passes through the divergence's output activation t = g_f(v), which keeps t in the
# domain of the Fenchel conjugate f*. The variational bound (Nowozin et al. 2016, eq. 6)
#     F = E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))]
# is maximised by D; G maximises E_Q[g_f(V(G(z)))] (their sec. 3.2, the non-saturating choice the paper
# uses in its experiments). Table 2 / Table 6 of the paper give g_f and f*; the fake term f*(g_f(v)) is
# written in a closed form that stays finite for every v.

def _fgan_d_loss(real_term, conjugate_term):
    return _per_example(-real_term + conjugate_term)


def kl_discriminator_loss(real_logits, fake_logits):
    """f-GAN discriminator loss for KL(P||Q): g_f(v) = v, f*(t) = exp(t - 1) (Nowozin et al. 2016, Table 6).

        L_D = -v_r + exp(v_f - 1)
    """
    v_r, v_f = _as_float(real_logits), _as_float(fake_logits)
    return _fgan_d_loss(v_r, tf.exp(v_f - 1.0))


def reverse_kl_discriminator_loss(real_logits, fake_logits):
    """f-GAN discriminator loss for KL(Q||P): g_f(v) = -exp(-v), f*(t) = -1 - log(-t) (Nowozin et al. 2016, Table 6).

        L_D = exp(-v_r) + (-1 + v_f)
    """
    v_r, v_f = _as_float(real_logits), _as_float(fake_logits)
    return _fgan_d_loss(-tf.exp(-v_r), v_f - 1.0)


def pearson_discriminator_loss(real_logits, fake_logits):
    """f-GAN discriminator loss for Pearson chi^2: g_f(v) = v, f*(t) = t^2 / 4 + t (Nowozin et al. 2016, Table 6).

        L_D = -v_r + v_f^2 / 4 + v_f
    """
    v_r, v_f = _as_float(real_logits), _as_float(fake_logits)
    return _fgan_d_loss(v_r, 0.25 * tf.square(v_f) + v_f)


def squared_hellinger_discriminator_loss(real_logits, fake_logits):
    """f-GAN discriminator loss for the squared Hellinger distance: g_f(v) = 1 - exp(-v),
    f*(t) = t / (1 - t) (Nowozin et al. 2016, Table 6).

        L_D = -(1 - exp(-v_r)) + (exp(v_f) - 1)
    """
    v_r, v_f = _as_float(real_logits), _as_float(fake_logits)
    return _fgan_d_loss(1.0 - tf.exp(-v_r), tf.math.expm1(v_f))


def jensen_shannon_discriminator_loss(real_logits, fake_logits):
    """f-GAN discriminator loss for Jensen-Shannon: g_f(v) = log 2 - log(1 + exp(-v)),
    f*(t) = -log(2 - exp(t)) (Nowozin et al. 2016, Table 6).

        L_D = -(log 2 - softplus(-v_r)) + (softplus(v_f) - log 2)
    """
    v_r, v_f = _as_float(real_logits), _as_float(fake_logits)
    return _fgan_d_loss(math.log(2.0) - tf.nn.softplus(-v_r), tf.nn.softplus(v_f) - math.log(2.0))


def fgan_generator_loss(fake_logits, activation):
    """f-GAN generator loss (Nowozin et al. 2016, sec. 3.2): G maximises E_Q[g_f(V(G(z)))].

        L_G = -g_f(v_f)
    """
    return _per_example(-activation(_as_float(fake_logits)))


# ---------------------------------------------------------------- relativistic average (Jolicoeur-Martineau 2018)
#
# D estimates how much more realistic a real sample is than the average fake (and vice versa):
#     D~(x_r) = C(x_r) - E_f[C(x_f)],   D~(x_f) = C(x_f) - E_r[C(x_r)].
# The expectations are over the batch (on one replica under a distribution strategy).

def _relativistic(real_logits, fake_logits):
    c_r, c_f = _as_float(real_logits), _as_float(fake_logits)
    return c_r - tf.reduce_mean(c_f, axis=0), c_f - tf.reduce_mean(c_r, axis=0)


def relativistic_average_discriminator_loss(real_logits, fake_logits):
    """RaSGAN discriminator loss (Jolicoeur-Martineau 2018, eq. 11 with the sigmoid of the standard GAN).

        L_D = -log sigmoid(D~(x_r)) - log(1 - sigmoid(D~(x_f)))
    """
    rel_r, rel_f = _relativistic(real_logits, fake_logits)
    return _per_example(tf.nn.softplus(-rel_r) + tf.nn.softplus(rel_f))


def relativistic_average_generator_loss(fake_logits, real_logits):
    """RaSGAN generator loss (Jolicoeur-Martineau 2018, eq. 12): the D loss with real and fake swapped.

        L_G = -log sigmoid(D~(x_f)) - log(1 - sigmoid(D~(x_r)))
    """
    rel_r, rel_f = _relativistic(real_logits, fake_logits)
    return _per_example(tf.nn.softplus(-rel_f) + tf.nn.softplus(rel_r))


def relativistic_average_least_squares_discriminator_loss(real_logits, fake_logits):
    """RaLSGAN discriminator loss (Jolicoeur-Martineau 2018, sec. 4.3).

        L_D = (D~(x_r) - 1)^2 + (D~(x_f) + 1)^2
    """
    rel_r, rel_f = _relativistic(real_logits, fake_logits)
    return _per_example(tf.square(rel_r - 1.0) + tf.square(rel_f + 1.0))


def relativistic_average_least_squares_generator_loss(fake_logits, real_logits):
    """RaLSGAN generator loss (Jolicoeur-Martineau 2018, sec. 4.3).

        L_G = (D~(x_f) - 1)^2 + (D~(x_r) + 1)^2
    """
    rel_r, rel_f = _relativistic(real_logits, fake_logits)
    return _per_example(tf.square(rel_f - 1.0) + tf.square(rel_r + 1.0))


def relativistic_average_hinge_discriminator_loss(real_logits, fake_logits):
    """RaHingeGAN discriminator loss (Jolicoeur-Martineau 2018, sec. 4.3).

        L_D = max(0, 1 - D~(x_r)) + max(0, 1 + D~(x_f))
    """
    rel_r, rel_f = _relativistic(real_logits, fake_logits)
    return _per_example(tf.nn.relu(1.0 - rel_r) + tf.nn.relu(1.0 + rel_f))


def relativistic_average_hinge_generator_loss(fake_logits, real_logits):
    """RaHingeGAN generator loss (Jolicoeur-Martineau 2018, sec. 4.3).

        L_G = max(0, 1 - D~(x_f)) + max(0, 1 + D~(x_r))
    """
    rel_r, rel_f = _relativistic(real_logits, fake_logits)
    return _per_example(tf.nn.relu(1.0 - rel_f) + tf.nn.relu(1.0 + rel_r))


# ---------------------------------------------------------------- gradient penalties

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
    """x_hat = a * real + (1 - a) * fake with one a ~ U(0, 1) per example, shaped `[B, 1, ..., 1]`."""
    real, fake = _as_float(real), _as_float(fake)
    shape = [tf.shape(real)[0]] + [1] * (real.shape.rank - 1)
    alpha = keras.random.uniform(shape, 0.0, 1.0, seed=seed)
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


class Loss:
    """An adversarial loss: a pair of per-example functions of D's logits.

    Subclasses set `uses_targets` when the D loss takes real / fake targets (the cross-entropy and
    least-squares losses) and `probabilistic` when `sigmoid(logits)` is D's probability of "real".
    `real_logits` is given to `g_loss` for losses that compare fakes with reals (relativistic ones).
    """

    name = None
    uses_targets = False
    probabilistic = False
    # `g_loss` gets D's logits on a real batch (relativistic losses compare fakes with reals).
    generator_needs_real = False
    # E[D(x)] - E[D(G(z))] estimates the Wasserstein-1 distance (logged as `wasserstein_estimate`).
    estimates_wasserstein = False

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        raise NotImplementedError

    def g_loss(self, fake_logits, real_logits=None):
        raise NotImplementedError

    def output(self, logits):
        """What D says about an input, for logging: a probability for BCE losses, else the raw score."""
        logits = tf.convert_to_tensor(logits, tf.float32)
        return tf.sigmoid(logits) if self.probabilistic else logits

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"{type(self).__name__}()"


class Minimax(Loss):
    """The saturating minimax GAN of Goodfellow et al. 2014."""

    name = "minimax"
    uses_targets = True
    probabilistic = True

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return minimax_discriminator_loss(real_logits, fake_logits, real_targets, fake_targets)

    def g_loss(self, fake_logits, real_logits=None):
        return minimax_generator_loss(fake_logits)


class NonSaturating(Minimax):
    """The non-saturating GAN (Goodfellow et al. 2014, sec. 3), the usual "JSGAN"."""

    name = "non_saturating"

    def g_loss(self, fake_logits, real_logits=None):
        return non_saturating_generator_loss(fake_logits)


class LeastSquares(Loss):
    """LSGAN (Mao et al. 2016), the 0-1 coding a = 0, b = c = 1."""

    name = "least_squares"
    uses_targets = True

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return least_squares_discriminator_loss(real_logits, fake_logits, real_targets, fake_targets)

    def g_loss(self, fake_logits, real_logits=None):
        return least_squares_generator_loss(fake_logits)


class Wasserstein(Loss):
    """WGAN (Arjovsky et al. 2017); needs a Lipschitz critic (clipping, a gradient penalty or SN)."""

    name = "wasserstein"
    estimates_wasserstein = True

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return wasserstein_discriminator_loss(real_logits, fake_logits)

    def g_loss(self, fake_logits, real_logits=None):
        return wasserstein_generator_loss(fake_logits)


class Hinge(Loss):
    """Hinge loss of geometric GAN / SNGAN (Lim & Ye 2017; Miyato et al. 2018)."""

    name = "hinge"

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return hinge_discriminator_loss(real_logits, fake_logits)

    def g_loss(self, fake_logits, real_logits=None):
        return hinge_generator_loss(fake_logits)


class FDivergence(Loss):
    """An f-GAN loss (Nowozin et al. 2016): D's output activation g_f and the f-divergence's conjugate.

    Subclasses give `activation` (g_f of Table 6) and `d_loss`; `output` logs g_f(v), D's estimate
    of f'(p/q) at the input.
    """

    @staticmethod
    def activation(v):
        raise NotImplementedError

    def g_loss(self, fake_logits, real_logits=None):
        return fgan_generator_loss(fake_logits, self.activation)

    def output(self, logits):
        return self.activation(_as_float(logits))


class KL(FDivergence):
    """f-GAN with the Kullback-Leibler divergence KL(P||Q)."""

    name = "kl"
    activation = staticmethod(tf.identity)

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return kl_discriminator_loss(real_logits, fake_logits)


class ReverseKL(FDivergence):
    """f-GAN with the reverse Kullback-Leibler divergence KL(Q||P)."""

    name = "reverse_kl"

    @staticmethod
    def activation(v):
        return -tf.exp(-v)

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return reverse_kl_discriminator_loss(real_logits, fake_logits)


class Pearson(FDivergence):
    """f-GAN with the Pearson chi^2 divergence."""

    name = "pearson"
    activation = staticmethod(tf.identity)

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return pearson_discriminator_loss(real_logits, fake_logits)


class SquaredHellinger(FDivergence):
    """f-GAN with the squared Hellinger distance."""

    name = "squared_hellinger"

    @staticmethod
    def activation(v):
        return -tf.math.expm1(-v)

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return squared_hellinger_discriminator_loss(real_logits, fake_logits)


class JensenShannon(FDivergence):
    """f-GAN with the Jensen-Shannon divergence (the original GAN's, up to constants)."""

    name = "jensen_shannon"

    @staticmethod
    def activation(v):
        return math.log(2.0) - tf.nn.softplus(-v)

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return jensen_shannon_discriminator_loss(real_logits, fake_logits)


class RelativisticAverage(Loss):
    """RaSGAN (Jolicoeur-Martineau 2018): is a real sample more realistic than the average fake?"""

    name = "relativistic_average"
    generator_needs_real = True

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return relativistic_average_discriminator_loss(real_logits, fake_logits)

    def g_loss(self, fake_logits, real_logits=None):
        return relativistic_average_generator_loss(fake_logits, real_logits)


class RelativisticAverageLeastSquares(Loss):
    """RaLSGAN (Jolicoeur-Martineau 2018)."""

    name = "relativistic_average_least_squares"
    generator_needs_real = True

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return relativistic_average_least_squares_discriminator_loss(real_logits, fake_logits)

    def g_loss(self, fake_logits, real_logits=None):
        return relativistic_average_least_squares_generator_loss(fake_logits, real_logits)


class RelativisticAverageHinge(Loss):
    """RaHingeGAN (Jolicoeur-Martineau 2018)."""

    name = "relativistic_average_hinge"
    generator_needs_real = True

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        return relativistic_average_hinge_discriminator_loss(real_logits, fake_logits)

    def g_loss(self, fake_logits, real_logits=None):
        return relativistic_average_hinge_generator_loss(fake_logits, real_logits)


LOSSES = {cls.name: cls for cls in (Minimax, NonSaturating, LeastSquares, Wasserstein, Hinge, KL, ReverseKL, Pearson,
                                    SquaredHellinger, JensenShannon, RelativisticAverage,
                                    RelativisticAverageLeastSquares, RelativisticAverageHinge)}


def get(identifier):
    """Returns a `Loss` from a name in `LOSSES` or a `Loss` instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        identifier = identifier.get("name")
    if isinstance(identifier, str) and identifier in LOSSES:
        return LOSSES[identifier]()
    raise ValueError(
        f"Unknown loss: `loss={identifier!r}`. Expected a tfgan.losses.Loss or one of "
        f"{sorted(LOSSES)}."
    )


def class_cross_entropy(class_logits, labels):
    """Per-example -log softmax(class_logits)[label]: the class term of an auxiliary classifier."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.convert_to_tensor(class_logits, tf.float32))


def acgan_discriminator_loss(real_class_logits, real_labels, fake_class_logits=None, fake_labels=None):
    """The class term of ACGAN's discriminator (Odena et al. 2017, sec. 3): D maximises L_C, i.e. minimises

        -L_C = -log P(C = c | x_real) - log P(C = c | x_fake)

    with P the softmax of the class logits. Without fake logits only the real term is kept (the
    C+1-class variant, where fakes belong to their own class instead).
    """
    loss = class_cross_entropy(real_class_logits, real_labels)
    if fake_class_logits is not None:
        loss = loss + class_cross_entropy(fake_class_logits, fake_labels)
    return loss


def acgan_generator_loss(fake_class_logits, fake_labels):
    """The class term of ACGAN's generator (Odena et al. 2017, sec. 3): G maximises log P(C = c | G(z, c)).

        L_G,class = -log P(C = c | x_fake)
    """
    return class_cross_entropy(fake_class_logits, fake_labels)


# ---------------------------------------------------------------- InfoGAN mutual information (Chen et al. 2016)
#
# InfoGAN maximises a variational lower bound of the mutual information between codes c and fakes
# (Chen et al. 2016, eq. 5, Lemma 5.1):
#     L_I(G, Q) = E_{c ~ P(c), x ~ G(z, c)}[log Q(c | x)] + H(c)  <=  I(c; G(z, c)),
# D and G both minimise -lambda * L_I. H(c) is fixed by the prior, so the terms below are
# -log Q(c | x) per example; their batch mean is -L_I + H(c).

def categorical_mutual_information(code_logits, codes):
    """Per-example -log Q(c | x) of categorical codes under Q's logits: InfoGAN's discrete term
    without the constant H(c) (Chen et al. 2016, eq. 5), shape `[B]`.

        -log Q(c | x) = -sum_j log softmax(l_j)[c_j]        (summed over the codes j)

    Args:
        code_logits: Q's logits, `[B, K]` for one code of K values or `[B, J, K]` for J codes.
        codes: the codes drawn for the fakes: integer indices `[B]` / `[B, J]`, or one-hot
            (or any probability) vectors of the logits' shape.
    """
    code_logits = _as_float(code_logits)
    codes = tf.convert_to_tensor(codes)
    if codes.shape.rank == code_logits.shape.rank:
        nll = tf.nn.softmax_cross_entropy_with_logits(labels=tf.cast(codes, tf.float32), logits=code_logits)
    elif codes.shape.rank == code_logits.shape.rank - 1:
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(codes, tf.int32), logits=code_logits)
    else:
        raise ValueError(f"`codes` must be indices of rank {code_logits.shape.rank - 1} or one-hot vectors of rank "
                         f"{code_logits.shape.rank} (`code_logits` has shape {code_logits.shape}). "
                         f"Received: `codes` of shape {codes.shape}.")
    return _sum_per_example(nll)


def gaussian_mutual_information(mean, log_std, codes):
    """Per-example -log Q(c | x) of continuous codes under a factored Gaussian Q(c | x) =
    prod_j N(c_j; mu_j, sigma_j^2): InfoGAN's continuous term without the constant H(c)
    (Chen et al. 2016, sec. 5 and 6), shape `[B]`.

        -log Q(c | x) = sum_j [ log sigma_j + 1/2 log(2 pi) + 1/2 ((c_j - mu_j) / sigma_j)^2 ],
        sigma_j = exp(log_std_j)

    Args:
        mean: Q's means mu, `[B, J]` (or `[B]` for one code).
        log_std: Q's log standard deviations, broadcastable to `mean` (a constant 0.0 gives the
            fixed sigma = 1 often used in practice).
        codes: the codes drawn for the fakes, of the shape of `mean`.
    """
    mean, codes = _as_float(mean), _as_float(codes)
    log_std = tf.broadcast_to(_as_float(log_std), tf.shape(mean))
    z = (codes - mean) * tf.exp(-log_std)
    return _sum_per_example(log_std + 0.5 * math.log(2.0 * math.pi) + 0.5 * tf.square(z))


def _sum_per_example(values):
    """Sums every axis but the first: one term per code, added up per example."""
    if values.shape.rank is not None and values.shape.rank <= 1:
        return values
    return tf.reduce_sum(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)
