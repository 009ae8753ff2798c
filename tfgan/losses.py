"""Adversarial losses as pure functions of discriminator logits.

Every function returns a per-example loss of shape `[batch]` (any further axes, e.g. PatchGAN outputs,
are averaged); the model reduces it over the global batch. Targets for the cross-entropy losses are
tensors broadcastable to the logits, so label smoothing, noisy and flipped labels are transforms of
the targets, never new losses.

Each loss is also a `Loss` object with `d_loss` / `g_loss`, selectable by name through `get`:
`"minimax"`, `"non_saturating"`, `"least_squares"`, `"wasserstein"`, `"hinge"`.
"""

import tensorflow as tf


def _per_example(values):
    """Averages every axis but the first, so patch outputs give one loss per example."""
    values = tf.convert_to_tensor(values)
    if values.shape.rank is not None and values.shape.rank <= 1:
        return values
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


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


class Loss:
    """An adversarial loss: a pair of per-example functions of D's logits.

    Subclasses set `uses_targets` when the D loss takes real / fake targets (the cross-entropy and
    least-squares losses) and `probabilistic` when `sigmoid(logits)` is D's probability of "real".
    `real_logits` is given to `g_loss` for losses that compare fakes with reals (relativistic ones).
    """

    name = None
    uses_targets = False
    probabilistic = False

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


LOSSES = {cls.name: cls for cls in (Minimax, NonSaturating, LeastSquares, Wasserstein, Hinge)}


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
