"""Adversarial losses as pure functions of discriminator logits.

Every function returns a per-example loss of shape `[batch]` (any further axes, e.g. PatchGAN outputs,
are averaged); the model reduces it over the global batch. Targets for the cross-entropy losses are
tensors broadcastable to the logits, so label smoothing, noisy and flipped labels are transforms of
the targets, never new losses.

`LOSSES` is the table of named losses, each a `Loss` row pairing a D and a G function, selectable
through `get`: `"minimax"`, `"non_saturating"`, `"least_squares"`, `"wasserstein"`, `"hinge"`, the f-GAN
divergences `"kl"`, `"reverse_kl"`, `"pearson"`, `"squared_hellinger"`, `"jensen_shannon"` and the
relativistic average losses `"relativistic_average"`, `"relativistic_average_least_squares"`,
`"relativistic_average_hinge"`. `gradient_penalty` (WGAN-GP's penalty) lives with the other gradient
penalties in `tfgan.penalties` and is re-exported here. `with_lecam(loss, weight)` adds LeCam
regularization (Tseng et al. 2021) to any of them; InfoGAN's mutual-information terms are at the end.
"""

import dataclasses
import math

import tensorflow as tf

from tfgan import checks
from tfgan.penalties import gradient_penalty  # noqa: F401  (part of this module's API)


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


# ---------------------------------------------------------------- the table of losses

@dataclasses.dataclass(frozen=True)
class Loss:
    """An adversarial loss: the pair of per-example functions above and how to read D's output.

    `d_loss` / `g_loss` call the pair with what each takes: targets for the losses that use them
    (cross-entropy, least squares), D's logits on reals for G when `generator_needs_real`
    (relativistic losses). The named losses are the rows of `LOSSES`; a new one is a new `Loss`.

    Attributes:
        name: the loss's name.
        discriminator: `f(real_logits, fake_logits[, real_targets, fake_targets]) -> [B]`.
        generator: `f(fake_logits[, real_logits]) -> [B]`.
        uses_targets: the D loss takes real / fake targets (so label tricks apply).
        generator_needs_real: the G loss also takes D's logits on a real batch.
        output: D's output as logged (`d_real`, `d_fake`): a probability for cross-entropy losses,
            g_f(v) for f-GANs, the raw score otherwise.
        estimates_wasserstein: E[D(x)] - E[D(G(z))] estimates the Wasserstein-1 distance.
        regularizer: an optional stateful term of D's logits added to D's loss (`LeCam`); set it
            with `with_lecam`. Defaults to `None`.
    """

    name: str
    discriminator: object
    generator: object
    uses_targets: bool = False
    generator_needs_real: bool = False
    output: object = tf.identity
    estimates_wasserstein: bool = False
    regularizer: object = None

    def d_loss(self, real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
        if self.uses_targets:
            return self.discriminator(real_logits, fake_logits, real_targets, fake_targets)
        return self.discriminator(real_logits, fake_logits)

    def g_loss(self, fake_logits, real_logits=None):
        if self.generator_needs_real:
            return self.generator(fake_logits, real_logits)
        return self.generator(fake_logits)

    def d_regularization(self, real_logits, fake_logits):
        """The regularizer's per-example term for D's update (it updates the regularizer's state), or
        None without one. Called once per D update, never when only evaluating."""
        if self.regularizer is None:
            return None
        return self.regularizer(real_logits, fake_logits)

    def d_output(self, logits):
        """What D says about an input, for logging (see `output`)."""
        return self.output(_as_float(logits))

    @property
    def probabilistic(self):
        """Whether `d_output` is D's probability of "real"."""
        return self.output is tf.sigmoid

    def get_config(self):
        config = {"name": self.name}
        if self.regularizer is not None:
            config["lecam"] = self.regularizer.get_config()
        return config


def _fgan(name, discriminator, activation):
    return Loss(name, discriminator, lambda fake_logits: fgan_generator_loss(fake_logits, activation), output=activation)


def _reverse_kl_activation(v):
    return -tf.exp(-v)


def _squared_hellinger_activation(v):
    return -tf.math.expm1(-v)


def _jensen_shannon_activation(v):
    return math.log(2.0) - tf.nn.softplus(-v)


LOSSES = {loss.name: loss for loss in (
    Loss("minimax", minimax_discriminator_loss, minimax_generator_loss, uses_targets=True, output=tf.sigmoid),
    Loss("non_saturating", minimax_discriminator_loss, non_saturating_generator_loss, uses_targets=True,
         output=tf.sigmoid),
    Loss("least_squares", least_squares_discriminator_loss, least_squares_generator_loss, uses_targets=True),
    Loss("wasserstein", wasserstein_discriminator_loss, wasserstein_generator_loss, estimates_wasserstein=True),
    Loss("hinge", hinge_discriminator_loss, hinge_generator_loss),
    _fgan("kl", kl_discriminator_loss, tf.identity),
    _fgan("reverse_kl", reverse_kl_discriminator_loss, _reverse_kl_activation),
    _fgan("pearson", pearson_discriminator_loss, tf.identity),
    _fgan("squared_hellinger", squared_hellinger_discriminator_loss, _squared_hellinger_activation),
    _fgan("jensen_shannon", jensen_shannon_discriminator_loss, _jensen_shannon_activation),
    Loss("relativistic_average", relativistic_average_discriminator_loss, relativistic_average_generator_loss,
         generator_needs_real=True),
    Loss("relativistic_average_least_squares", relativistic_average_least_squares_discriminator_loss,
         relativistic_average_least_squares_generator_loss, generator_needs_real=True),
    Loss("relativistic_average_hinge", relativistic_average_hinge_discriminator_loss,
         relativistic_average_hinge_generator_loss, generator_needs_real=True),
)}


def get(identifier):
    """A `Loss` from a name in `LOSSES`, its config (`{"name": ...}`, with `"lecam"` when it has a
    LeCam term) or a `Loss` itself."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        if identifier.get("lecam") is not None:
            return with_lecam(identifier.get("name"), **identifier["lecam"])
        identifier = identifier.get("name")
    if isinstance(identifier, str) and identifier in LOSSES:
        return LOSSES[identifier]
    raise ValueError(f"`loss` must be a tfgan.losses.Loss or one of {sorted(LOSSES)}. Received: `loss={identifier!r}`.")


# ---------------------------------------------------------------- auxiliary classifier (ACGAN)

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


# ---------------------------------------------------------------- LeCam regularization (Tseng et al. 2021)

def lecam_regularization(real_logits, fake_logits, real_anchor, fake_anchor):
    """Per-example LeCam term (Tseng et al. 2021, eq. 3): D's outputs on reals are pulled towards the
    moving average of its outputs on fakes, and the other way round.

        R_LC = ||D(x) - alpha_F||^2 + ||D(G(z)) - alpha_R||^2

    Args:
        real_logits: D's logits on reals `[B, ...]`.
        fake_logits: D's logits on fakes `[B, ...]`.
        real_anchor: alpha_R, a moving average of D's mean logit on reals (a scalar).
        fake_anchor: alpha_F, the same on fakes.
    """
    real, fake = _as_float(real_logits), _as_float(fake_logits)
    return _per_example(tf.square(real - _as_float(fake_anchor))) + _per_example(tf.square(fake - _as_float(real_anchor)))


class LeCam:
    """LeCam regularization of the discriminator (Tseng et al. 2021): `weight * R_LC` added to D's loss
    (see `lecam_regularization`), with anchors that are exponential moving averages of D's mean
    outputs on reals and fakes,

        alpha_R <- decay * alpha_R + (1 - decay) * E[D(x)],   alpha_F likewise on fakes

    updated by every D update before the term is taken (the first update sets them). It works on D's
    real/fake logits alone, so it composes with every loss (`with_lecam`), penalty and trick. The
    anchors are state, created by `build` (the GAN does it) and checkpointed with the model
    (`model.training_state()["lecam"]`). It bounds how far D's outputs on reals and fakes drift apart,
    which keeps D from over-fitting a small data set.

    Args:
        weight: lambda, >= 0. Defaults to `0.3` (the paper's for CIFAR with DiffAugment; it uses
            0.01 - 0.3 over its experiments).
        decay: the anchors' decay, in [0, 1). Defaults to `0.99`.

    Reference:
        Tseng et al., Regularizing Generative Adversarial Networks under Limited Data, CVPR 2021.
    """

    log_name = "lecam"

    def __init__(self, weight=0.3, decay=0.99):
        self.weight = checks.number("weight", weight, 0.0)
        self.decay = checks.number("decay", decay, 0.0, 1.0, high_open=True)
        self.state = None

    def build(self):
        """Creates the anchors (in the current strategy scope); does nothing when they exist."""
        if self.state is None:
            state = tf.Module(name="lecam")
            aggregation = tf.VariableAggregation.ONLY_FIRST_REPLICA
            state.anchors = tf.Variable([0.0, 0.0], trainable=False, name="anchors", aggregation=aggregation)
            state.updates = tf.Variable(0, dtype=tf.int64, trainable=False, name="updates", aggregation=aggregation)
            self.state = state
        return self.state

    @property
    def anchors(self):
        """(alpha_R, alpha_F) as floats."""
        return tuple(float(v) for v in self.state.anchors.numpy())

    def __call__(self, real_logits, fake_logits):
        """Updates the anchors with this batch's mean outputs and returns `weight * R_LC` per example."""
        self.build()
        means = tf.stop_gradient(tf.stack([tf.reduce_mean(_as_float(real_logits)),
                                           tf.reduce_mean(_as_float(fake_logits))]))
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            means = context.all_reduce(tf.distribute.ReduceOp.MEAN, means)
        state = self.state
        decay = tf.where(state.updates > 0, self.decay, 0.0)
        updated = decay * state.anchors + (1.0 - decay) * means
        # A non-finite batch (a step the GAN skips) leaves the anchors as they were.
        finite = tf.reduce_all(tf.math.is_finite(means))
        state.anchors.assign(tf.where(finite, updated, state.anchors))
        state.updates.assign_add(tf.cast(finite, tf.int64))
        anchors = tf.convert_to_tensor(state.anchors)
        return self.weight * lecam_regularization(real_logits, fake_logits, anchors[0], anchors[1])

    def get_config(self):
        return {"weight": self.weight, "decay": self.decay}


def with_lecam(loss, weight=0.3, decay=0.99):
    """`loss` (a `Loss` or its name) with a LeCam term (`LeCam(weight, decay)`) added to D's loss.

    Example:

    ```python
    gan = tfgan.GAN(g, d, 64, loss=tfgan.losses.with_lecam("hinge", 0.3))
    ```
    """
    return dataclasses.replace(get(loss), regularizer=LeCam(weight, decay))
