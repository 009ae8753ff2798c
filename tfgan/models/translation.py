"""Image-to-image translation: `Pix2Pix` (paired data, Isola et al. 2017) and `CycleGAN` (unpaired data,
Zhu et al. 2017), each a `keras.Model` trained with `compile` / `fit` on batches of `(a, b)` images."""

import keras
import numpy as np
import tensorflow as tf

from tfgan import checks
from tfgan import losses as losses_lib
from tfgan.models.base import (AdversarialModel, StateRegistry, check_network, first_line, float32, keras_reducible,
                               per_example_mean, regularization_loss)
from tfgan.models.replay import ReplayPool

# Errors Keras raises when a network is called on inputs it cannot take.
_CALL_ERRORS = (ValueError, TypeError, tf.errors.InvalidArgumentError)
DIRECTIONS = ("a_to_b", "b_to_a")


def pairwise_distances(x):
    """`[B, B]` mean absolute differences between the examples of a batch (pixels and channels averaged)."""
    flat = tf.reshape(tf.cast(x, tf.float32), [tf.shape(x)[0], -1])
    return tf.reduce_mean(tf.abs(flat[:, None, :] - flat[None, :, :]), axis=-1)


def distance_loss(x, y, reference):
    """Per-example DistanceGAN term (Benaim & Wolf 2017, eq. 3): how much a translation `y = G(x)` changes the
    distances between the examples of the batch,

        1/(B - 1) sum_{j != i} | (d(x_i, x_j) - mu_x) / sigma_x - (d(y_i, y_j) - mu_ref) / sigma_ref |,

    d the mean absolute difference, mu and sigma the mean and standard deviation of the batch's pairwise
    distances in x's domain (from `x`) and in y's (from `reference`, real images of that domain), so that
    the two domains' scales need not agree. Zero for an isometry between domains of the same spread
    (e.g. a rotation); needs a batch of at least 3.
    """
    size = tf.shape(x)[0]
    off_diagonal = 1.0 - tf.eye(size)

    def standardized(distances, stats_from):
        count = tf.reduce_sum(off_diagonal)
        mean = tf.reduce_sum(stats_from * off_diagonal) / count
        std = tf.sqrt(tf.reduce_sum(tf.square(stats_from - mean) * off_diagonal) / count + 1e-8)
        return (distances - mean) / std

    dx = pairwise_distances(x)
    gap = tf.abs(standardized(dx, dx) - standardized(pairwise_distances(y), pairwise_distances(reference)))
    return tf.reduce_sum(gap * off_diagonal, axis=1) / tf.cast(size - 1, tf.float32)


# GcGAN's predefined transformations (Fu et al. 2019, sec. 3.2) of `[B, H, W, C]` images.
GEOMETRIES = {"rot90": tf.image.rot90, "vertical_flip": tf.image.flip_up_down}


def geometry_loss(translator, x, fake, geometry, training=True):
    """Per-example GcGAN term (Fu et al. 2019, eq. 4, one generator for both branches): how far the
    translation `fake = G(x)` is from commuting with the transformation f,

        | G(f(x)) - f(G(x)) |_1,

    averaged over pixels and channels. Zero for any translation that f commutes with: a change of colour,
    style or texture, or a rotation under `"rot90"`; large for a map that moves content differently in a
    transformed image, which cycle consistency alone allows."""
    transform = GEOMETRIES[geometry]
    return mean_absolute_error(translator(transform(x), training=training), transform(fake))


def mean_absolute_error(x, y):
    """Per-example mean absolute difference of two image batches, `[B]`: the L1 terms of both papers
    (||y - G(x)||_1 averaged over pixels and channels, as their code's `L1Loss` does)."""
    return per_example_mean(tf.abs(tf.cast(x, tf.float32) - tf.cast(y, tf.float32)))


class TranslationModel(AdversarialModel):
    """What `Pix2Pix` and `CycleGAN` share: batches of `(a, b)` images in [-1, 1], an adversarial loss
    from `tfgan.losses`, `translate`, the rows `SampleGrid` draws, and their serving export (one
    signature per direction: `translators()`)."""

    NETWORKS = ()  # a subclass's constructor arguments that are networks, serialized in `get_config`

    def __init__(self, loss, **kwargs):
        super().__init__(**kwargs)
        self.adversarial_loss = losses_lib.get(loss)

    # ---------------------------------------------------------------- networks

    def translators(self):
        """The generator of each exported signature: `{"serving_default": G_ab[, "b_to_a": G_ba]}`."""
        return {"serving_default": self.generator}

    def call(self, inputs, training=False):
        """Translates images of domain A `[batch, H, W, C]` in [-1, 1] to domain B."""
        return self.generator(inputs, training=training)

    def translate(self, images, direction="a_to_b", batch_size=256):
        """`images` (numpy or tensor, in [-1, 1]) translated `"a_to_b"` or `"b_to_a"`, as a float32
        numpy array in [-1, 1], in batches of `batch_size`."""
        checks.choice("direction", direction, DIRECTIONS)
        name = "serving_default" if direction == "a_to_b" else "b_to_a"
        if name not in self.translators():
            raise ValueError(f"{type(self).__name__} translates from A to B only. Received: `direction={direction!r}`.")
        network = self.translators()[name]
        images = np.asarray(images, np.float32)
        with self.sampling_weights():
            return np.concatenate([np.asarray(float32(network(images[i:i + batch_size], training=False)))
                                   for i in range(0, len(images), batch_size)])

    def sample_rows(self, a, b):
        """The rows of a sample grid for fixed examples `a`, `b`: a list of `(name, images in [-1, 1])`."""
        raise NotImplementedError

    def unpack(self, data):
        """The `(a, b)` images of a batch; a clear error for anything else."""
        if isinstance(data, (tuple, list)) and len(data) == 2:
            return data[0], data[1]
        raise ValueError(f"{type(self).__name__} trains on batches of (a, b) image pairs, e.g. "
                         f"tfgan.data.load_translation(...). Received a batch of {type(data).__name__}.")

    def step_logs(self, logs, d_norm, g_norm, forward_state):
        """A step's logs, equal on every replica: `logs` (global-batch values), both gradient norms and
        `nan_steps` (the guarded step ends here)."""
        logs = {k: self.log_value(v) for k, v in logs.items()}
        logs["d_grad_norm"] = self.log_value(d_norm, tf.distribute.ReduceOp.MEAN)
        logs["g_grad_norm"] = self.log_value(g_norm, tf.distribute.ReduceOp.MEAN)
        logs.update(self.end_guarded_step(forward_state))
        return keras_reducible(logs)

    def get_config(self):
        config = super().get_config()
        for name in self.NETWORKS:
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.NETWORKS:
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)

    def check_patch_logits(self, name, outputs):
        """Raises `ValueError` unless a discriminator gives real/fake logits `[batch, ..., 1]`."""
        if isinstance(outputs, (list, tuple, dict)) or outputs.shape.rank < 2 or outputs.shape[-1] != 1:
            shape = "several outputs" if isinstance(outputs, (list, tuple, dict)) else f"shape {tuple(outputs.shape)}"
            raise ValueError(f"`{name}` must output real/fake logits of shape (batch, 1) or (batch, N, N, 1) "
                             f"(a PatchGAN). Received {shape}.")


def _image_shape(name, network):
    """The `(H, W, C)` a functional network takes, or a `ValueError` naming it."""
    inputs = getattr(network, "inputs", None)
    shape = tuple(inputs[0].shape[1:]) if inputs else ()
    if len(shape) != 3 or None in shape:
        raise ValueError(f"`{name}` must be a Keras model built for images of a fixed size, [batch, H, W, C] "
                         f"(e.g. tfgan.nets.unet_generator). Received: `{name}` with input shape "
                         f"{tuple(inputs[0].shape) if inputs else 'unknown'}.")
    return shape


def _probe(name, network, inputs, expected=None):
    """`network(inputs)`, with a call error or an output not of `expected` shape reported against `name`."""
    try:
        outputs = network(inputs, training=False)
    except _CALL_ERRORS as error:
        shapes = [tuple(x.shape[1:]) for x in inputs] if isinstance(inputs, list) else tuple(inputs.shape[1:])
        raise ValueError(f"`{name}` cannot take inputs of shape {shapes}: {first_line(error)}") from None
    if expected is not None and tuple(outputs.shape[1:]) != tuple(expected):
        raise ValueError(f"`{name}` must map images to images of shape {tuple(expected)}. Received output "
                         f"shape {tuple(outputs.shape[1:])}.")
    return outputs


@keras.saving.register_keras_serializable(package="tfgan")
class Pix2Pix(TranslationModel):
    """Paired image-to-image translation (Isola et al. 2017): a generator G maps an image a of domain A to
    its counterpart b of domain B, judged by a conditional discriminator D on `(a, b)` pairs.

    One training step, on a batch of pairs `(a, b)`, is the reference code's:

        fake = G(a)
        D:  minimise 1/2 * loss.d_loss(D(a, b), D(a, fake))             (the paper halves D's objective)
        G:  minimise loss.g_loss(D(a, fake)) + l1_weight * |b - fake|_1  (eq. 4, against the updated D)

    with `fake` computed once (with the generator's dropout, the paper's noise, on). The losses are
    per example (a PatchGAN's logits averaged over its patches, the L1 term over pixels) and averaged
    over the global batch; each update is skipped when its loss or gradient is not finite (counted in
    `nan_steps`). Logged: `d_loss` (the table's D loss, before halving), `d_real` / `d_fake`, `g_loss`
    (G's adversarial term), `l1_loss` (mean |b - G(a)|), `g_total_loss`, both gradient norms, `nan_steps`.

    Args:
        generator: a Keras model mapping images `[B, H, W, C_a]` in [-1, 1] to `[B, H, W, C_b]` in [-1, 1]
            (e.g. `tfgan.nets.unet_generator`).
        discriminator: a Keras model taking `[a, b]` and returning logits `[B, 1]` or `[B, N, N, 1]`
            (e.g. `tfgan.nets.patch_discriminator(..., conditional_channels=C_a)`).
        l1_weight: lambda, the weight of the L1 term (>= 0). Defaults to `100.0` (the paper's).
        loss: a `tfgan.losses.Loss` or its name. Defaults to `"non_saturating"` (the paper's).

    Example:

    ```python
    model = tfgan.Pix2Pix(tfgan.nets.unet_generator(8, 1, base_filters=32),
                          tfgan.nets.patch_discriminator(8, 1, base_filters=32, norm="batch",
                                                         conditional_channels=1))
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    model.fit(tfgan.data.load_translation("digits_rot90", batch_size=64)[0], steps_per_epoch=500, epochs=4)
    rotated = model(images)                     # [B, 8, 8, 1] in [-1, 1]
    ```

    Reference:
        Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, CVPR 2017, eq. 1-4
        and sec. 3.3.
    """

    NETWORKS = ("generator", "discriminator")  # the constructor's networks, saved in the config

    def __init__(self, generator, discriminator, l1_weight=100.0, loss="non_saturating", **kwargs):
        super().__init__(loss, **kwargs)
        self.generator = check_network("generator", generator)
        self.discriminator = check_network("discriminator", discriminator)
        self.l1_weight = checks.number("l1_weight", l1_weight, 0.0)
        self._check_networks()

    def _check_networks(self):
        """Fails at construction, naming the argument, when G does not map images to images of the same
        size or D does not judge `(a, G(a))` pairs with real/fake logits."""
        shape = _image_shape("generator", self.generator)
        a = tf.zeros((2,) + shape)
        fake = _probe("generator", self.generator, a)
        if tuple(fake.shape[1:3]) != shape[:2]:
            raise ValueError(f"`generator` must keep the image size {shape[:2]}. Received output shape "
                             f"{tuple(fake.shape[1:])}.")
        inputs = getattr(self.discriminator, "inputs", None)
        if inputs is not None and len(inputs) != 2:
            raise ValueError("`discriminator` must judge (input, output) pairs: a model taking [a, b], e.g. "
                             "tfgan.nets.patch_discriminator(..., conditional_channels=C). Received a model with "
                             f"{len(inputs)} input(s).")
        self.check_patch_logits("discriminator", _probe("discriminator", self.discriminator, [a, fake]))

    def training_state(self):
        return dict(generator=self.generator, discriminator=self.discriminator, **super().training_state())

    def sample_rows(self, a, b):
        """Inputs, outputs and targets."""
        return [("input", np.asarray(a)), ("output", self.translate(a)), ("target", np.asarray(b))]

    def train_step(self, data):
        a, b = self.unpack(data)
        self.observe_data_range(a)
        forward_state = self.begin_guarded_step()
        loss = self.adversarial_loss
        with tf.GradientTape() as g_tape:
            fake = float32(self.generator(a, training=True))

        # D: real pairs (a, b) against fake pairs (a, G(a)); half the loss, as the paper does.
        with tf.GradientTape() as d_tape:
            real_logits = float32(self.discriminator([a, b], training=True))
            fake_logits = float32(self.discriminator([a, tf.stop_gradient(fake)], training=True))
            d_loss = self.average(loss.d_loss(real_logits, fake_logits))
            d_total = _plus_regularization(0.5 * d_loss, self.discriminator)
        d_norm = self.minimize(d_tape, self.d_optimizer, d_total, self.discriminator_variables())

        # G: fool the updated D and stay near the target: L_cGAN + lambda * L_L1 (eq. 4), through the same G(a).
        with g_tape:
            g_logits = float32(self.discriminator([a, fake], training=True))
            real_g_logits = float32(self.discriminator([a, b], training=True)) if loss.generator_needs_real else None
            g_loss = self.average(loss.g_loss(g_logits, real_g_logits))
            l1_loss = self.average(mean_absolute_error(b, fake))
            g_total = _plus_regularization(g_loss + self.l1_weight * l1_loss, self.generator)
        g_norm = self.minimize(g_tape, self.g_optimizer, g_total, self.generator_variables())

        self.step_counter.assign_add(1)
        logs = {"d_loss": d_loss, "g_loss": g_loss, "l1_loss": l1_loss, "g_total_loss": g_total,
                "d_real": self.average(per_example_mean(loss.d_output(real_logits))),
                "d_fake": self.average(per_example_mean(loss.d_output(fake_logits)))}
        return self.step_logs(logs, d_norm, g_norm, forward_state)

    def get_config(self):
        return {**super().get_config(), "l1_weight": self.l1_weight, "loss": self.adversarial_loss.name}


@keras.saving.register_keras_serializable(package="tfgan")
class CycleGAN(TranslationModel):
    """Unpaired image-to-image translation (Zhu et al. 2017): G: A -> B and F: B -> A, each against a
    discriminator of its output domain (D_b, D_a), tied by cycle consistency F(G(a)) ~ a, G(F(b)) ~ b.

    It trains on batches `(a, b)` of images from the two domains drawn independently: no pair is needed.
    One training step is the reference code's:

        fake_b, fake_a = G(a), F(b)
        G, F:  minimise  loss.g_loss(D_b(fake_b)) + loss.g_loss(D_a(fake_a))                      (eq. 1)
                       + cycle_weight * (|F(fake_b) - a|_1 + |G(fake_a) - b|_1)                   (eq. 2-3)
                       + cycle_weight * identity_weight * (|G(b) - b|_1 + |F(a) - a|_1)            (sec. 5.2)
                       + distance_weight * (distance_loss(a, G(a), b) + distance_loss(b, F(b), a))   (DistanceGAN)
                       + geometry_weight * (|G(f(a)) - f(G(a))|_1 + |F(f(b)) - f(F(b))|_1)          (GcGAN)
        D_a, D_b:  minimise 1/2 * loss.d_loss(D_a(a), D_a(pool_a(fake_a)))
                          + 1/2 * loss.d_loss(D_b(b), D_b(pool_b(fake_b)))

    The discriminators see past fakes from a pool of `pool_size` images per domain, each new fake
    swapped for a pooled one with probability `pool_probability` (`tfgan.models.ReplayPool`, the
    library's experience replay; the paper's buffer of 50). G and F share `g_optimizer`, D_a and D_b
    `d_optimizer`. Losses are per example and averaged over the global batch; each update is skipped
    when its loss or gradient is not finite (counted in `nan_steps`). The identity term needs A and B
    with the same channels. Logged: `d_loss` (mean of the two D losses of the table, before halving),
    `d_a_loss`, `d_b_loss`, `d_real` / `d_fake` (means over both), `g_loss` (mean adversarial term),
    `g_ab_loss`, `g_ba_loss`, `cycle_loss`, `identity_loss` and `distance_loss` (the unweighted sums,
    when on), `g_total_loss`, both gradient norms, `nan_steps`.

    Args:
        generator_ab: G, a Keras model mapping images of A to images of B, in [-1, 1].
        generator_ba: F, mapping images of B to images of A.
        discriminator_a: D_a, logits `[B, 1]` or `[B, N, N, 1]` for images of A.
        discriminator_b: D_b, the same for images of B.
        cycle_weight: lambda of the cycle-consistency terms (>= 0). Defaults to `10.0` (the paper's).
        identity_weight: weight of the identity terms relative to `cycle_weight` (>= 0; 0 leaves them
            out). Defaults to `0.5` (the reference code's).
        loss: a `tfgan.losses.Loss` or its name. Defaults to `"least_squares"` (the paper's).
        pool_size: fakes kept per domain for D (0: none, D sees the fresh fakes). Defaults to `50`.
        pool_probability: probability a fake is swapped for a pooled one, in [0, 1]. Defaults to `0.5`.
        distance_weight: weight of the DistanceGAN term (`distance_loss`, >= 0; 0 leaves it out): it keeps
            the distances between a batch's images through each translation, which the cycle alone does
            not (a generator may hide its input in its output and swap classes). Defaults to `0.0`.
        geometry_weight: weight of the GcGAN term (`geometry_loss`, >= 0; 0 leaves it out): each translator
            must commute with the transformation `geometry`, which rules out the maps that move an image's
            content differently from a transformed copy of it. Defaults to `0.0`.
        geometry: the transformation f of that term, `"rot90"` (a quarter turn) or `"vertical_flip"`: one
            the wanted translation commutes with. Defaults to `"rot90"`.
        seed: seed of the pools' draws. Defaults to `None`.

    Example:

    ```python
    g, f = (tfgan.nets.resnet_generator(8, 1, base_filters=32, num_blocks=3) for _ in range(2))
    d_a, d_b = (tfgan.nets.patch_discriminator(8, 1, base_filters=32) for _ in range(2))
    model = tfgan.CycleGAN(g, f, d_a, d_b)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    model.fit(tfgan.data.load_translation("digits_rot90", batch_size=64, paired=False)[0],
              steps_per_epoch=500, epochs=4)
    ```

    Reference:
        Zhu et al., Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks,
        ICCV 2017, eq. 1-3 and sec. 4-5.2; Taigman et al., Unsupervised Cross-Domain Image Generation, ICLR
        2017 (the identity term); Benaim & Wolf, One-Sided Unsupervised Domain Mapping, NeurIPS 2017 (the
        distance term); Fu et al., Geometry-Consistent Generative Adversarial Networks for One-Sided
        Unsupervised Domain Mapping, CVPR 2019 (the geometry term).
    """

    NETWORKS = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b, cycle_weight=10.0,
                 identity_weight=0.5, loss="least_squares", pool_size=50, pool_probability=0.5, distance_weight=0.0,
                 geometry_weight=0.0, geometry="rot90", seed=None, **kwargs):
        super().__init__(loss, **kwargs)
        self.seed = seed
        self.generator_ab = check_network("generator_ab", generator_ab)
        self.generator_ba = check_network("generator_ba", generator_ba)
        self.discriminator_a = check_network("discriminator_a", discriminator_a)
        self.discriminator_b = check_network("discriminator_b", discriminator_b)
        self.cycle_weight = checks.number("cycle_weight", cycle_weight, 0.0)
        self.identity_weight = checks.number("identity_weight", identity_weight, 0.0)
        self.distance_weight = checks.number("distance_weight", distance_weight, 0.0)
        self.geometry_weight = checks.number("geometry_weight", geometry_weight, 0.0)
        self.geometry = checks.choice("geometry", geometry, tuple(GEOMETRIES))
        self.pool_size = checks.non_negative_int("pool_size", pool_size)
        self.pool_probability = checks.probability("pool_probability", pool_probability)
        shape_a, shape_b = self._check_networks()
        # Kept out of Keras's tracking (a plain holder); checkpointed through `training_state`.
        self._pools = StateRegistry()
        if self.pool_size:
            self.seed_generator = keras.random.SeedGenerator(seed, name="pool_seed")
            self._pools.items.update(a=ReplayPool(self.pool_size, shape_a, self.pool_probability, name="pool_a"),
                                     b=ReplayPool(self.pool_size, shape_b, self.pool_probability, name="pool_b"))
            self.track_state("pool_a", self._pools.items["a"])
            self.track_state("pool_b", self._pools.items["b"])
            self.track_state("pool_seed", self.seed_generator.state)

    @property
    def generator(self):
        """G: A -> B, the generator `model(images)` and `serving_default` use."""
        return self.generator_ab

    def generator_networks(self):
        return (self.generator_ab, self.generator_ba)

    def discriminator_networks(self):
        return (self.discriminator_a, self.discriminator_b)

    def translators(self):
        return {"serving_default": self.generator_ab, "b_to_a": self.generator_ba}

    def pools(self):
        """The replay pools `{"a": ..., "b": ...}` (empty when `pool_size=0`)."""
        return dict(self._pools.items)

    def _check_networks(self):
        """Fails at construction, naming the argument, when the generators are not inverse in shape or a
        discriminator cannot judge its domain; returns the shapes of A and B."""
        shape_a = _image_shape("generator_ab", self.generator_ab)
        fake_b = _probe("generator_ab", self.generator_ab, tf.zeros((2,) + shape_a))
        shape_b = tuple(fake_b.shape[1:])
        _probe("generator_ba", self.generator_ba, fake_b, expected=shape_a)
        for name, network, shape in (("discriminator_a", self.discriminator_a, shape_a),
                                     ("discriminator_b", self.discriminator_b, shape_b)):
            self.check_patch_logits(name, _probe(name, network, tf.zeros((2,) + shape)))
        square = shape_a[0] == shape_a[1] and shape_b[0] == shape_b[1]
        if self.geometry_weight and self.geometry == "rot90" and not square:
            raise ValueError(f"`geometry='rot90'` turns images a quarter, so both domains need square images (got "
                             f"{shape_a[:2]} and {shape_b[:2]}); pass geometry='vertical_flip' or "
                             f"geometry_weight=0. Received: `geometry={self.geometry!r}`.")
        if self.identity_weight and shape_a[-1] != shape_b[-1]:
            raise ValueError(f"`identity_weight` compares G(b) with b, so A and B need the same channels (got "
                             f"{shape_a[-1]} and {shape_b[-1]}); pass identity_weight=0. Received: "
                             f"`identity_weight={self.identity_weight!r}`.")
        return shape_a, shape_b

    def training_state(self):
        return dict(generator_ab=self.generator_ab, generator_ba=self.generator_ba,
                    discriminator_a=self.discriminator_a, discriminator_b=self.discriminator_b,
                    **super().training_state())

    def sample_rows(self, a, b):
        """A, its translation to B, B and its translation to A (the first row's targets when paired)."""
        return [("a", np.asarray(a)), ("a_to_b", self.translate(a)), ("b", np.asarray(b)),
                ("b_to_a", self.translate(b, "b_to_a"))]

    def _replay(self, domain, fakes):
        """The fakes D trains on: pooled ones mixed in (no gradient either way)."""
        pool = self._pools.items.get(domain)
        return tf.stop_gradient(fakes) if pool is None else pool.replay(fakes, self.seed_generator)

    def train_step(self, data):
        a, b = self.unpack(data)
        self.observe_data_range(a)
        forward_state = self.begin_guarded_step()
        loss = self.adversarial_loss
        G, F, D_a, D_b = self.generator_ab, self.generator_ba, self.discriminator_a, self.discriminator_b

        # G and F, against the current D_b and D_a: adversarial, cycle and identity terms.
        with tf.GradientTape() as g_tape:
            fake_b = float32(G(a, training=True))
            fake_a = float32(F(b, training=True))
            real_b = float32(D_b(b, training=True)) if loss.generator_needs_real else None
            real_a = float32(D_a(a, training=True)) if loss.generator_needs_real else None
            g_ab = loss.g_loss(float32(D_b(fake_b, training=True)), real_b)
            g_ba = loss.g_loss(float32(D_a(fake_a, training=True)), real_a)
            cycle = (mean_absolute_error(F(fake_b, training=True), a)
                     + mean_absolute_error(G(fake_a, training=True), b))
            per_example = g_ab + g_ba + self.cycle_weight * cycle
            if self.identity_weight:
                identity = mean_absolute_error(G(b, training=True), b) + mean_absolute_error(F(a, training=True), a)
                per_example = per_example + self.cycle_weight * self.identity_weight * identity
            if self.distance_weight:
                distance = distance_loss(a, fake_b, b) + distance_loss(b, fake_a, a)
                per_example = per_example + self.distance_weight * distance
            if self.geometry_weight:
                geometry = (geometry_loss(G, a, fake_b, self.geometry)
                            + geometry_loss(F, b, fake_a, self.geometry))
                per_example = per_example + self.geometry_weight * geometry
            g_total = self.average(per_example)
            for network in (G, F):
                g_total = _plus_regularization(g_total, network)
        g_norm = self.minimize(g_tape, self.g_optimizer, g_total, self.generator_variables())

        # D_a and D_b: real images against the generators' fakes, half of each loss.
        pooled_a, pooled_b = self._replay("a", fake_a), self._replay("b", fake_b)
        with tf.GradientTape() as d_tape:
            real_a_logits, fake_a_logits = float32(D_a(a, training=True)), float32(D_a(pooled_a, training=True))
            real_b_logits, fake_b_logits = float32(D_b(b, training=True)), float32(D_b(pooled_b, training=True))
            d_a = self.average(loss.d_loss(real_a_logits, fake_a_logits))
            d_b = self.average(loss.d_loss(real_b_logits, fake_b_logits))
            d_total = 0.5 * d_a + 0.5 * d_b
            for network in (D_a, D_b):
                d_total = _plus_regularization(d_total, network)
        d_norm = self.minimize(d_tape, self.d_optimizer, d_total, self.discriminator_variables())

        self.step_counter.assign_add(1)
        output = lambda logits: per_example_mean(loss.d_output(logits))  # noqa: E731
        logs = {"d_loss": 0.5 * (d_a + d_b), "d_a_loss": d_a, "d_b_loss": d_b,
                "d_real": 0.5 * self.average(output(real_a_logits) + output(real_b_logits)),
                "d_fake": 0.5 * self.average(output(fake_a_logits) + output(fake_b_logits)),
                "g_loss": 0.5 * self.average(g_ab + g_ba), "g_ab_loss": self.average(g_ab),
                "g_ba_loss": self.average(g_ba), "cycle_loss": self.average(cycle), "g_total_loss": g_total}
        if self.identity_weight:
            logs["identity_loss"] = self.average(identity)
        if self.distance_weight:
            logs["distance_loss"] = self.average(distance)
        if self.geometry_weight:
            logs["geometry_loss"] = self.average(geometry)
        return self.step_logs(logs, d_norm, g_norm, forward_state)

    def get_config(self):
        config = super().get_config()
        config.update(cycle_weight=self.cycle_weight, identity_weight=self.identity_weight,
                      loss=self.adversarial_loss.name, pool_size=self.pool_size,
                      pool_probability=self.pool_probability, distance_weight=self.distance_weight,
                      geometry_weight=self.geometry_weight, geometry=self.geometry, seed=self.seed)
        return config


def _plus_regularization(loss, network):
    """`loss` plus the network's regularization losses (`kernel_regularizer`, `add_loss`), if any."""
    extra = regularization_loss(network)
    return loss if extra is None else loss + extra
