"""InfoGAN (Chen et al. 2016): latent codes that the generator must keep recoverable from its samples."""

import math

import keras
import numpy as np
import tensorflow as tf

from tfgan import checks
from tfgan import distribute as distribute_lib
from tfgan import losses as losses_lib
from tfgan.models.gan import GAN

CONTINUOUS_RANGE = (-1.0, 1.0)  # continuous codes ~ U(-1, 1)


@keras.saving.register_keras_serializable(package="tfgan")
class InfoGAN(GAN):
    """InfoGAN (Chen et al. 2016): G(z, c) takes noise and codes c, and a Q head sharing D's body
    recovers c from G's samples, which makes the codes carry information the samples show (on digits,
    a 10-valued categorical code finds the digit classes, unsupervised).

    The codes are J categorical codes, code j uniform over K_j values, and C continuous codes
    ~ U(-1, 1), drawn inside the step from the model's seed generator. D's output is
    `[batch, 1 + q]`: the real/fake logit, then Q's parameters (`tfgan.nets.q_outputs`): K_j logits
    per categorical code, a mean per continuous code and, with `learn_std`, a log standard deviation
    (otherwise sigma = 1, as in the paper's experiments). Both networks' losses add

        info_weight * [ -sum_j log Q(c_j | x) - continuous_weight / info_weight * log Q(c_cont | x) ]

    on the fakes (`tfgan.losses.categorical_mutual_information`, `gaussian_mutual_information`), i.e.
    they maximise the variational lower bound L_I(G, Q) of I(c; G(z, c)) (eq. 5). The step logs the
    bound `mutual_information` = H(c) - E[-log Q(c | x)] in nats (its categorical part
    `mi_categorical`, at most sum_j log K_j) and `code_accuracy`, how often Q's most likely value of a
    categorical code is the one the fake was generated with. Losses, penalties (they see the real/fake
    logit), `d_steps` / `g_steps`, hooks and callbacks are `GAN`'s.

    Args:
        generator: a Keras model mapping `[z, categorical, continuous]` (float32 `[batch, latent_dim]`,
            int32 `[batch, J]`, float32 `[batch, C]`) to samples (`tfgan.nets.infogan_*_generator`).
        discriminator: a Keras model mapping x to `[batch, 1 + q]` (`tfgan.nets.infogan_*_discriminator`).
        latent_dim: size of the noise vector z (without the codes).
        categorical_codes: K_j of each categorical code. Defaults to `(10,)`.
        continuous_codes: C, the number of continuous codes. Defaults to `2`.
        info_weight: lambda of the categorical terms. Defaults to `1.0`.
        continuous_weight: lambda of the continuous terms. Defaults to `info_weight` when `None`.
        learn_std: Q also predicts each continuous code's log standard deviation. Defaults to `False`.
        **kwargs: `loss`, `penalty`, `d_steps`, `g_steps`, `noise`, `seed`, ... as for `GAN`.

    Example:

    ```python
    gan = tfgan.InfoGAN(tfgan.nets.infogan_dcgan_generator(8, 1, 32, (10,), 2, base_filters=32),
                        tfgan.nets.infogan_dcgan_discriminator(8, 1, (10,), 2, base_filters=32),
                        latent_dim=32, categorical_codes=(10,), continuous_codes=2)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.5), g_optimizer=keras.optimizers.Adam(1e-3, 0.5))
    gan.fit(tfgan.data.load("digits", 64)[0], steps_per_epoch=500, epochs=8)
    digits = gan((tf.random.normal([10, 32]), tf.range(10)[:, None], tf.zeros([10, 2])))  # one per code value
    ```

    Reference:
        Chen et al., InfoGAN: Interpretable Representation Learning by Information Maximizing Generative
        Adversarial Nets, NeurIPS 2016.
    """

    def __init__(self, generator, discriminator, latent_dim, categorical_codes=(10,), continuous_codes=2,
                 info_weight=1.0, continuous_weight=None, learn_std=False, **kwargs):
        # Set before GAN's constructor, whose probe of the networks draws codes.
        if isinstance(categorical_codes, int):
            categorical_codes = (categorical_codes,)
        self.categorical_codes = tuple(checks.positive_int("categorical_codes", k, minimum=2)
                                       for k in categorical_codes)
        self.continuous_codes = checks.non_negative_int("continuous_codes", continuous_codes)
        if not self.categorical_codes and not self.continuous_codes:
            raise ValueError(f"InfoGAN needs at least one code. Received: `categorical_codes={categorical_codes!r}`, "
                             f"`continuous_codes={continuous_codes!r}`.")
        self.info_weight = checks.number("info_weight", info_weight, 0.0)
        self.continuous_weight = self.info_weight if continuous_weight is None else \
            checks.number("continuous_weight", continuous_weight, 0.0)
        self.learn_std = checks.boolean("learn_std", learn_std)
        if kwargs.get("pack", 1) != 1:
            raise ValueError(f"`pack` packs samples, but InfoGAN's Q reads the codes of each sample. "
                             f"Received: `pack={kwargs['pack']!r}`.")
        _check_generator_inputs(generator, len(self.categorical_codes), self.continuous_codes)
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    # ---------------------------------------------------------------- codes

    @property
    def q_outputs(self):
        """Width of Q's part of D's output."""
        return sum(self.categorical_codes) + self.continuous_codes * (2 if self.learn_std else 1)

    @property
    def code_entropy(self):
        """H(c) in nats: sum_j log K_j + C log 2 (U(-1, 1) has differential entropy log 2)."""
        return sum(math.log(k) for k in self.categorical_codes) + self.continuous_codes * math.log(2.0)

    def probe_labels(self, count):
        return (tf.zeros([count, len(self.categorical_codes)], tf.int32), tf.zeros([count, self.continuous_codes]))

    def sample_labels(self, batch_size):
        """The codes of a batch of fakes, `(categorical int32 [B, J], continuous float32 [B, C])`, drawn
        from the model's seed generator (each replica its own rows of the global batch)."""
        def draw(n):
            columns = [keras.random.randint((n, 1), 0, k, seed=self.seed_generator, dtype="int32")
                       for k in self.categorical_codes]
            categorical = tf.concat(columns, axis=1) if columns else tf.zeros([n, 0], tf.int32)
            continuous = keras.random.uniform((n, self.continuous_codes), *CONTINUOUS_RANGE, seed=self.seed_generator) \
                if self.continuous_codes else tf.zeros([n, 0])
            # One tensor, so that `replica_rows` takes both codes' rows for the same examples.
            return tf.concat([tf.cast(categorical, tf.float32), continuous], axis=1)

        codes = distribute_lib.replica_rows(draw, batch_size)
        j = len(self.categorical_codes)
        return tf.cast(codes[:, :j], tf.int32), codes[:, j:]

    def balanced_labels(self, count):
        """Fixed codes for evaluating `count` samples: every combination of categorical values in turn
        (code 0 fastest), continuous codes drawn from a fixed seed."""
        index = np.arange(count)
        columns, period = [], 1
        for k in self.categorical_codes:
            columns.append(index // period % k)
            period *= k
        categorical = np.stack(columns, axis=1).astype(np.int32) if columns else np.zeros((count, 0), np.int32)
        continuous = np.random.default_rng(0).uniform(*CONTINUOUS_RANGE, (count, self.continuous_codes))
        return categorical, continuous.astype(np.float32)

    def check_codes(self, codes):
        """`(categorical, continuous)` as int32 `[B, J]` and float32 `[B, C]`; raises on other shapes."""
        if not isinstance(codes, (tuple, list)) or len(codes) != 2:
            raise ValueError(f"InfoGAN's codes are a pair (categorical int [batch, {len(self.categorical_codes)}], "
                             f"continuous float [batch, {self.continuous_codes}]). Received: {type(codes).__name__}.")
        categorical, continuous = (tf.convert_to_tensor(c) for c in codes)
        if not categorical.dtype.is_integer:
            raise ValueError(f"Categorical codes must be integers. Received {categorical.dtype.name} codes.")
        for name, tensor, width in (("categorical", categorical, len(self.categorical_codes)),
                                    ("continuous", continuous, self.continuous_codes)):
            if tensor.shape.rank != 2 or tensor.shape[-1] != width:
                raise ValueError(f"`{name}` codes must have shape [batch, {width}]. Received shape "
                                 f"{tensor.shape.as_list()}.")
        return tf.cast(categorical, tf.int32), tf.cast(continuous, tf.float32)

    # ---------------------------------------------------------------- networks

    def call(self, inputs, training=False):
        """Generates samples for `(z, categorical, continuous)` (or a dict with those keys)."""
        if isinstance(inputs, dict) and set(inputs) == {"z", "categorical", "continuous"}:
            inputs = (inputs["z"], inputs["categorical"], inputs["continuous"])
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 3:
            raise ValueError(f"InfoGAN generates from `(z, categorical, continuous)` (or a dict with those keys). "
                             f"Received: {type(inputs).__name__}.")
        return self.generate(inputs[0], inputs[1:], training=training)

    def generate(self, z, labels=None, training=False):
        if labels is None:
            raise ValueError("InfoGAN generates for given codes: pass `(categorical, continuous)`.")
        categorical, continuous = self.check_codes(labels)
        return self.generator([tf.convert_to_tensor(z), categorical, continuous], training=training)

    def discriminate(self, x, labels=None, training=False):
        return self.discriminator(x, training=training)

    def check_discriminator_output(self, outputs):
        shape = tuple(getattr(outputs, "shape", ()))
        if isinstance(outputs, (list, tuple, dict)) or len(shape) != 2 or shape[-1] != 1 + self.q_outputs:
            raise ValueError(f"`discriminator` of this InfoGAN must output 1 + {self.q_outputs} values (1 real/fake "
                             f"logit + Q's {self.q_outputs}, see tfgan.nets.q_outputs). Received output shape {shape}.")

    def adversarial_logits(self, outputs):
        return outputs[:, :1]

    def code_parameters(self, outputs):
        """Q's part of D's output: (a list of `[B, K_j]` logits, means `[B, C]`, log stds `[B, C]` or 0)."""
        q = outputs[:, 1:]
        logits, start = [], 0
        for k in self.categorical_codes:
            logits.append(q[:, start:start + k])
            start += k
        means = q[:, start:start + self.continuous_codes]
        log_std = q[:, start + self.continuous_codes:] if self.learn_std else 0.0
        return logits, means, log_std

    def _negative_log_q(self, outputs, codes):
        """Per-example -log Q(c | x): (categorical part, continuous part)."""
        categorical, continuous = codes
        logits, means, log_std = self.code_parameters(outputs)
        batch = tf.shape(outputs)[0]
        cat = tf.zeros([batch])
        for j, code_logits in enumerate(logits):
            cat = cat + losses_lib.categorical_mutual_information(code_logits, categorical[:, j])
        cont = losses_lib.gaussian_mutual_information(means, log_std, continuous) if self.continuous_codes \
            else tf.zeros([batch])
        return cat, cont

    def info_loss(self, outputs, codes):
        """The weighted per-example information term both networks minimise."""
        cat, cont = self._negative_log_q(outputs, codes)
        return self.info_weight * cat + self.continuous_weight * cont

    def auxiliary_d_loss(self, real_outputs, fake_outputs, real_labels, fake_labels):
        return self.info_loss(fake_outputs, fake_labels)

    def auxiliary_g_loss(self, fake_outputs, fake_labels):
        return self.info_loss(fake_outputs, fake_labels)

    def discriminator_metrics(self, real_outputs, fake_outputs, real_labels, fake_labels):
        cat, cont = self._negative_log_q(fake_outputs, fake_labels)
        categorical_entropy = sum(math.log(k) for k in self.categorical_codes)
        metrics = {"mutual_information": self.code_entropy - cat - cont}
        if self.categorical_codes:
            logits, _, _ = self.code_parameters(fake_outputs)
            hits = [tf.cast(tf.equal(tf.argmax(l, axis=-1, output_type=tf.int32), fake_labels[0][:, j]), tf.float32)
                    for j, l in enumerate(logits)]
            metrics.update(mi_categorical=categorical_entropy - cat, code_accuracy=tf.add_n(hits) / len(hits))
        return metrics

    def get_config(self):
        return {**super().get_config(), "categorical_codes": list(self.categorical_codes),
                "continuous_codes": self.continuous_codes, "info_weight": self.info_weight,
                "continuous_weight": self.continuous_weight, "learn_std": self.learn_std}


def _check_generator_inputs(generator, categorical, continuous):
    """Fails at construction when a functional generator does not take `[z, categorical, continuous]`."""
    inputs = getattr(generator, "inputs", None)
    if inputs is None:
        return
    widths = [tuple(t.shape[1:]) for t in inputs]
    if len(inputs) != 3 or widths[1] != (categorical,) or widths[2] != (continuous,):
        raise ValueError(f"The generator of an InfoGAN must take [z, categorical [{categorical}], continuous "
                         f"[{continuous}]] (tfgan.nets.infogan_*_generator). Received a generator with inputs "
                         f"{widths}.")
