"""Class-conditional GANs: `ConditionalGAN` (G and D see the class) and `ACGAN` (D also classifies)."""

import keras
import numpy as np
import tensorflow as tf

from tfgan import checks
from tfgan import losses as losses_lib
from tfgan.models.gan import GAN

FAKE_LABELS = ("uniform", "data")


@keras.saving.register_keras_serializable(package="tfgan")
class ConditionalGAN(GAN):
    """A class-conditional GAN (Mirza & Osindero 2014): G(z, c) and D(x, c) both see the class c.

    Trains on datasets of `(samples, labels)` with int labels in `[0, num_classes)` (see
    `tfgan.data.load(..., labels=True)`) through `GAN`'s training step: the real minibatch's labels go
    to D with the real samples, and each fake is generated for, and judged with, a label drawn by
    `sample_labels`. Losses, penalties, `d_steps` / `g_steps`, hooks and callbacks are `GAN`'s.

    The generator takes `[z, labels]`, the discriminator `[x, labels]`; `tfgan.nets` builds them
    with embedding / one-hot conditioning and concatenation or projection discriminators.

    Args:
        generator: a Keras model mapping `[z, labels]` to samples.
        discriminator: a Keras model mapping `[x, labels]` to logits.
        latent_dim: size of the noise vector z.
        num_classes: number of classes C.
        fake_labels: how the labels of fakes are drawn: `"uniform"` over the C classes, or `"data"`,
            with the frequencies of the labels seen in the real batches so far (counted in a variable
            that checkpoints keep). Defaults to `"uniform"`.
        **kwargs: `loss`, `penalty`, `d_steps`, `g_steps`, `noise`, `seed` as for `GAN`.

    Example:

    ```python
    gan = tfgan.ConditionalGAN(tfgan.nets.conditional_mlp_generator(2, 8, num_classes=25),
                               tfgan.nets.conditional_mlp_discriminator(2, num_classes=25),
                               latent_dim=8, num_classes=25)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(tfgan.data.load("grid", batch_size=256, labels=True)[0], steps_per_epoch=100, epochs=5)
    points = gan((tf.random.normal([16, 8]), tf.fill([16], 3)))  # all near mode 3
    ```

    Reference:
        Mirza & Osindero, Conditional Generative Adversarial Nets, arXiv:1411.1784, 2014.
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes, fake_labels="uniform", **kwargs):
        # Set before GAN's constructor, whose probe of the networks draws labels.
        self.num_classes = checks.positive_int("num_classes", num_classes)
        self.fake_labels = checks.choice("fake_labels", fake_labels, FAKE_LABELS)
        if kwargs.get("pack", 1) != 1:
            raise ValueError(f"`pack` packs unlabelled samples; {type(self).__name__} scores each sample with its "
                             f"class. Received: `pack={kwargs['pack']!r}`.")
        _check_inputs("generator", generator, 2, "[z, labels]")
        self._check_discriminator_inputs(discriminator)
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        # Summed over replicas before the update, so every replica holds the global counts.
        self.label_counts = keras.Variable(tf.zeros([num_classes]), trainable=False, name="label_counts",
                                           aggregation="only_first_replica")
        self.track_state("label_counts", self.label_counts)

    def _check_discriminator_inputs(self, discriminator):
        _check_inputs("discriminator", discriminator, 2, "[x, labels]")

    def probe_labels(self, count):
        return tf.zeros([count], tf.int32)

    def call(self, inputs, training=False):
        """Generates samples for `(z, labels)`: noise `[batch, latent_dim]` and int class indices `[batch]`."""
        if isinstance(inputs, dict) and set(inputs) == {"z", "labels"}:
            z, labels = inputs["z"], inputs["labels"]
        elif isinstance(inputs, (tuple, list)) and len(inputs) == 2:
            z, labels = inputs
        else:
            raise ValueError(f"{type(self).__name__} generates from `(z, labels)` (or a dict with keys 'z' and "
                             f"'labels'). Received: {type(inputs).__name__}.")
        return self.generate(z, labels, training=training)

    def check_labels(self, labels):
        """Labels as int32 `[batch]`; raises on float labels, a wrong shape or values outside [0, C)."""
        labels = tf.convert_to_tensor(labels)
        if not labels.dtype.is_integer:
            raise ValueError(f"Labels must be integer class indices in [0, {self.num_classes}). Received "
                             f"{labels.dtype.name} labels; cast whole-number labels with tf.cast(labels, tf.int32).")
        if labels.shape.rank == 2 and labels.shape[-1] == 1:
            labels = labels[:, 0]
        if labels.shape.rank != 1:
            hint = " (one-hot labels? pass tf.argmax(labels, axis=-1))" if labels.shape.rank == 2 else ""
            raise ValueError(f"Labels must be class indices of shape [batch]. Received shape "
                             f"{labels.shape.as_list()}{hint}.")
        labels = tf.cast(labels, tf.int32)
        message = f"Labels must lie in [0, {self.num_classes}) for num_classes={self.num_classes}."
        checks = [tf.debugging.assert_non_negative(labels, message=message),
                  tf.debugging.assert_less(labels, tf.constant(self.num_classes, tf.int32), message=message)]
        with tf.control_dependencies(checks):
            return tf.identity(labels)

    def unpack(self, data):
        """Splits a batch into (samples, checked labels) and, for `fake_labels="data"`, counts the labels."""
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(f"{type(self).__name__} trains on batches of (samples, labels), but the dataset gives "
                             f"samples alone; load it with tfgan.data.load(name, ..., labels=True).")
        real, labels = data[0], self.check_labels(data[1])
        if self.fake_labels == "data":
            counts = tf.reduce_sum(tf.one_hot(labels, self.num_classes), axis=0)
            context = tf.distribute.get_replica_context()
            if context is not None and context.num_replicas_in_sync > 1:
                counts = context.all_reduce(tf.distribute.ReduceOp.SUM, counts)
            self.label_counts.assign_add(counts)
        return real, labels

    def sample_labels(self, batch_size):
        """Labels of the fakes: uniform over the classes, or with the real labels' frequencies."""
        if self.fake_labels == "uniform":
            return keras.random.randint((batch_size,), 0, self.num_classes, seed=self.seed_generator, dtype="int32")
        # Inverse CDF of the counts: a class never seen in the data adds nothing to the CDF, so no
        # draw lands on it (and, unlike a categorical over log-counts, this compiles quickly with XLA).
        counts = tf.convert_to_tensor(self.label_counts)
        cdf = tf.cumsum(counts) / tf.reduce_sum(counts)
        u = keras.random.uniform((batch_size, 1), seed=self.seed_generator)
        labels = tf.reduce_sum(tf.cast(u >= cdf[None, :-1], tf.int32), axis=1)
        return tf.minimum(labels, self.num_classes - 1)

    def balanced_labels(self, count):
        return np.arange(count, dtype=np.int32) % self.num_classes

    def generate(self, z, labels=None, training=False):
        if labels is None:
            raise ValueError(f"{type(self).__name__} generates for given classes: pass `labels`.")
        return self.generator([tf.convert_to_tensor(z), self.check_labels(labels)], training=training)

    def discriminate(self, x, labels=None, training=False):
        if labels is None:
            raise ValueError(f"{type(self).__name__}'s discriminator judges (x, labels): pass `labels`.")
        return self.discriminator([x, labels], training=training)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "fake_labels": self.fake_labels}


@keras.saving.register_keras_serializable(package="tfgan")
class ACGAN(ConditionalGAN):
    """Auxiliary classifier GAN (Odena et al. 2017): D sees x alone and also predicts its class.

    D outputs `[batch, 1 + C]` logits: one real/fake logit, then C class logits. D's loss adds
    `aux_weight` times the class cross-entropy on real and fake samples, G's adds it on its fakes
    for the classes they were asked for; D's class accuracy on real and on fake samples is logged
    (`d_class_acc_real`, `d_class_acc_fake`).

    With `fake_class=True` the same `C + 1` outputs are read as one softmax over the C classes and
    a last "fake" class (the lecture notes' variant; Salimans et al. 2016): the real/fake logit is
    `logsumexp(l_0..l_{C-1}) - l_C`, so that with the cross-entropy losses and `aux_weight=1` D's
    loss is the (C+1)-way cross-entropy (class c for reals, "fake" for fakes) and no class term is
    added for fakes.

    Args:
        generator: a Keras model mapping `[z, labels]` to samples.
        discriminator: a Keras model mapping x to `[batch, num_classes + 1]` logits.
        latent_dim: size of the noise vector z.
        num_classes: number of classes C.
        aux_weight: weight of the class terms. Defaults to `1.0`.
        fake_class: read D's outputs as C classes plus "fake". Defaults to `False`.
        **kwargs: `fake_labels` as for `ConditionalGAN`; `loss`, `penalty`, `d_steps`, ... as for `GAN`.

    Reference:
        Odena, Olah & Shlens, Conditional Image Synthesis with Auxiliary Classifier GANs, ICML 2017.
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes, aux_weight=1.0, fake_class=False,
                 **kwargs):
        self.aux_weight = checks.number("aux_weight", aux_weight, 0.0)
        self.fake_class = checks.boolean("fake_class", fake_class)
        super().__init__(generator, discriminator, latent_dim, num_classes, **kwargs)

    def _check_discriminator_inputs(self, discriminator):
        _check_inputs("discriminator", discriminator, 1, "x")

    def check_discriminator_output(self, outputs):
        shape = tuple(getattr(outputs, "shape", ()))
        if isinstance(outputs, (list, tuple, dict)) or len(shape) != 2 or shape[-1] != self.num_classes + 1:
            raise ValueError(f"`discriminator` of an ACGAN must output num_classes + 1 = {self.num_classes + 1} "
                             f"logits (1 real/fake + {self.num_classes} classes). Received output shape {shape}.")

    def discriminate(self, x, labels=None, training=False):
        return self.discriminator(x, training=training)

    def adversarial_logits(self, outputs):
        if self.fake_class:
            # log(p(real) / p(fake)) under the (C+1)-way softmax.
            return tf.reduce_logsumexp(outputs[:, :self.num_classes], axis=1, keepdims=True) - outputs[:, -1:]
        return outputs[:, :1]

    def class_logits(self, outputs):
        """The C class logits inside D's output."""
        return outputs[:, :self.num_classes] if self.fake_class else outputs[:, 1:]

    def auxiliary_d_loss(self, real_outputs, fake_outputs, real_labels, fake_labels):
        fake_logits = None if self.fake_class else self.class_logits(fake_outputs)
        return self.aux_weight * losses_lib.acgan_discriminator_loss(
            self.class_logits(real_outputs), real_labels, fake_logits, fake_labels)

    def auxiliary_g_loss(self, fake_outputs, fake_labels):
        return self.aux_weight * losses_lib.acgan_generator_loss(self.class_logits(fake_outputs), fake_labels)

    def discriminator_metrics(self, real_outputs, fake_outputs, real_labels, fake_labels):
        def accuracy(outputs, labels):
            predicted = tf.argmax(self.class_logits(outputs), axis=-1, output_type=tf.int32)
            return tf.cast(tf.equal(predicted, labels), tf.float32)

        return {"d_class_acc_real": accuracy(real_outputs, real_labels),
                "d_class_acc_fake": accuracy(fake_outputs, fake_labels)}

    def get_config(self):
        return {**super().get_config(), "aux_weight": self.aux_weight, "fake_class": self.fake_class}


def _check_inputs(name, net, count, what):
    """Fails at construction when a functional net does not take `count` inputs."""
    inputs = getattr(net, "inputs", None)
    if inputs is not None and len(inputs) != count:
        raise ValueError(f"The {name} of a conditional GAN must take {what} ({count} input(s)). "
                         f"Received a {name} with {len(inputs)} input(s).")
