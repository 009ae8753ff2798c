"""The GAN model: one `keras.Model` whose `train_step` serves every loss, penalty and trick."""

import keras
import numpy as np
import tensorflow as tf

from tfgan import checks
from tfgan import distribute as distribute_lib
from tfgan import losses as losses_lib
from tfgan.models.base import (AdversarialModel, check_network, first_line, float32, grad_norm, keras_reducible,
                               mean_logs, per_example_mean, regularization_loss, replicas)

NOISE_DISTRIBUTIONS = ("normal", "uniform")
# Errors Keras raises when a network is called on inputs it cannot take.
_CALL_ERRORS = (ValueError, TypeError, tf.errors.InvalidArgumentError)


@keras.saving.register_keras_serializable(package="tfgan")
class GAN(AdversarialModel):
    """A generative adversarial network trained with `compile` / `fit`.

    One training step is Algorithm 1 of Goodfellow et al. 2014: `d_steps` discriminator updates,
    each on its own real minibatch and fresh noise, then `g_steps` generator updates. The batch `fit`
    hands to the step is split into `d_steps` equal minibatches, so feed batches of
    `batch_size * d_steps` to give every D update `batch_size` real examples (`tfgan.data.load`
    does this when given `d_steps`).

    The loss is a `tfgan.losses.Loss` or its name, the penalty a callable
    `penalty(critic, real, fake, step=..., fake_critic=...) -> per-example values` added to D's loss
    (its own `GradientTape` nests inside D's). Per-example losses are averaged over the global batch,
    so the same global batch gives the same update on one or several replicas. The networks' own
    regularization losses (`kernel_regularizer`, `add_loss`) are added to their losses and logged as
    `d_reg_loss` / `g_reg_loss`.

    With `pack=m` (PacGAN, Lin et al. 2018) D scores m samples at once: m reals, or m fakes,
    concatenated along the last axis (an image's channels, a vector's features), so D must take m
    times the data's channels; every loss and penalty then works on the packed samples.

    Args:
        generator: a Keras model mapping `[batch, latent_dim]` noise to samples.
        discriminator: a Keras model mapping samples to logits `[batch, 1]` (or `[batch, ..., 1]`).
        latent_dim: size of the noise vector z.
        loss: a `tfgan.losses.Loss` or one of its names; `tfgan.losses.with_lecam(name, weight)` adds
            LeCam regularization to D's loss (its anchors join `training_state()`, its term is logged
            as `lecam`). Defaults to `"non_saturating"`.
        penalty: optional callable adding a per-example term to D's loss. Defaults to `None`.
        d_constraint: optional Keras constraint (e.g. `tfgan.constraints.WeightClip(0.01)`) set on every
            trainable D variable at `compile`; the optimizer applies it after each D update. Defaults to `None`.
        d_steps: discriminator updates per training step. Defaults to `1`.
        g_steps: generator updates per training step. Defaults to `1`.
        noise: `"normal"` (z ~ N(0, I)) or `"uniform"` (z ~ U(-1, 1)). Defaults to `"normal"`.
        seed: seed of the noise generator. Defaults to `None`.
        concat_real_fake: score real and fake in one call of D on the concatenated batch instead of
            two calls, so layers with batch statistics (BatchNorm, minibatch features) see both
            mixed. Defaults to `False` (separate batches, as ganhacks #4 advises).
        pack: samples D scores at once (PacGAN). Defaults to `1`.

    Example:

    ```python
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, latent_dim=8),
                    tfgan.nets.mlp_discriminator(2), latent_dim=8)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(tfgan.data.load("ring", batch_size=128)[0], steps_per_epoch=100, epochs=5)
    samples = gan(tf.random.normal([16, 8]))
    ```

    Reference:
        Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014;
        Lin et al., PacGAN: The power of two samples in generative adversarial networks, NeurIPS 2018.
    """

    def __init__(self, generator, discriminator, latent_dim, loss="non_saturating", penalty=None,
                 d_steps=1, g_steps=1, noise="normal", seed=None, d_constraint=None, concat_real_fake=False,
                 pack=1, **kwargs):
        super().__init__(**kwargs)
        check_network("generator", generator)
        check_network("discriminator", discriminator)
        self.latent_dim = checks.positive_int("latent_dim", latent_dim)
        self.d_steps = checks.positive_int("d_steps", d_steps)
        self.g_steps = checks.positive_int("g_steps", g_steps)
        self.noise = checks.choice("noise", noise, NOISE_DISTRIBUTIONS)
        self.pack = checks.positive_int("pack", pack)
        if penalty is not None and not callable(penalty):
            raise ValueError(f"`penalty` must be callable or None. Received: `penalty={penalty!r}`.")
        if d_constraint is not None and not callable(d_constraint):
            raise ValueError(f"`d_constraint` must be a callable (a Keras constraint) or None. "
                             f"Received: `d_constraint={d_constraint!r}`.")
        self.d_constraint = d_constraint
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial_loss = losses_lib.get(loss)
        self.penalty = penalty
        self.seed = seed
        self.concat_real_fake = checks.boolean("concat_real_fake", bool(concat_real_fake))
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        # Also a (non-trainable) weight of the model, so that `.keras` files carry the noise state.
        self.noise_state = self.seed_generator.state
        if self.adversarial_loss.regularizer is not None:  # LeCam's anchors
            self.track_state(self.adversarial_loss.regularizer.log_name, self.adversarial_loss.regularizer.build())
        # A penalty's own random draws (WGAN-GP's mixing weights) continue where they were on resume.
        if getattr(self.penalty, "seed_generator", None) is not None:
            self.track_state("penalty_seed", self.penalty.seed_generator.state)
        # Held-out losses, averaged over the batches of `evaluate`.
        self.evaluation_trackers = {name: keras.metrics.Mean(name=name)
                                    for name in ("d_loss", "g_loss", "d_real", "d_fake")}
        self._check_networks()

    # ---------------------------------------------------------------- construction checks

    def _check_networks(self):
        """Fails at construction, naming the argument, when G cannot take `latent_dim` noise, D cannot
        score G's samples, or D's output is not one real/fake logit per example. Runs both networks
        once on a probe batch, which also builds models that were built without an input shape."""
        width = _input_width(self.generator)
        if width is not None and width != self.latent_dim:
            raise ValueError(f"`latent_dim={self.latent_dim}` does not match the generator, which takes noise of "
                             f"width {width}. Pass latent_dim={width} or build the generator for {self.latent_dim}.")
        count = 2 * self.pack
        labels = self.probe_labels(count)
        try:
            fake = self.generate(tf.zeros([count, self.latent_dim]), labels)
        except _CALL_ERRORS as error:
            raise ValueError(f"`generator` cannot take noise of width `latent_dim={self.latent_dim}`: "
                             f"{first_line(error)}") from None
        packed = self.pack_samples(tf.cast(fake, tf.float32))
        try:
            outputs = self.discriminate(packed, labels if self.pack == 1 else None)
        except _CALL_ERRORS as error:
            what = f"packs of {self.pack} samples" if self.pack > 1 else "samples"
            raise ValueError(f"`discriminator` cannot score the generator's {what}, of shape "
                             f"{tuple(packed.shape[1:])}: {first_line(error)}") from None
        self.check_discriminator_output(outputs)

    def probe_labels(self, count):
        """Labels for the construction probe; `None` for an unconditional GAN."""
        return None

    def check_discriminator_output(self, outputs):
        """Raises `ValueError` unless D gives one real/fake logit per example (`[batch, 1]`, `[batch]` or
        patches `[batch, ..., 1]`); a subclass with a differently shaped D overrides it."""
        if isinstance(outputs, (list, tuple, dict)):
            raise ValueError(f"The discriminator has {len(outputs)} outputs but `{type(self).__name__}` takes one "
                             f"real/fake logit per example; override `adversarial_logits` to pick it.")
        shape = tuple(outputs.shape[1:])
        if shape and shape[-1] != 1:
            raise ValueError(f"`discriminator` must output one real/fake logit per example, of shape (batch, 1), "
                             f"for the {self.adversarial_loss.name} loss. Received output shape (batch, "
                             f"{', '.join(map(str, shape))}).")

    # ---------------------------------------------------------------- set-up

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Gives each network its own optimizer; `kwargs` (`jit_compile`, `steps_per_execution`, ...)
        go to `keras.Model.compile`. A `d_constraint` is set on every trainable D variable here."""
        super().compile(d_optimizer, g_optimizer, **kwargs)
        if self.d_constraint is not None:
            # Keras optimizers assign `constraint(variable)` after each update of a variable.
            for variable in self.discriminator.trainable_variables:
                variable.constraint = self.d_constraint

    def training_state(self):
        """Everything a checkpoint needs to resume training exactly, as a dict of trackables."""
        return dict(generator=self.generator, discriminator=self.discriminator, noise_seed=self.seed_generator.state,
                    **super().training_state())

    # ---------------------------------------------------------------- networks

    def call(self, inputs, training=False):
        """Generates samples from noise `z` of shape `[batch, latent_dim]`."""
        return self.generator(inputs, training=training)

    def sample_noise(self, batch_size):
        """z ~ N(0, I) or U(-1, 1), of shape `[batch_size, latent_dim]`.

        Under a strategy with N replicas every replica draws the noise of the GLOBAL batch from the
        same seed and keeps its own slice (the replica id picks it): the replicas' noise differs, and
        N replicas see exactly the noise one replica would for the same global batch.
        """
        def draw(n):
            if self.noise == "uniform":
                return keras.random.uniform((n, self.latent_dim), -1.0, 1.0, seed=self.seed_generator)
            return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

        return distribute_lib.replica_rows(draw, batch_size)

    def fixed_noise(self, count, seed):
        """`count` noise vectors drawn with numpy from `seed` and this model's distribution: the same
        batch every call, for callbacks that watch one set of samples over training."""
        rng = np.random.default_rng(seed)
        shape = (count, self.latent_dim)
        z = rng.uniform(-1.0, 1.0, shape) if self.noise == "uniform" else rng.standard_normal(shape)
        return z.astype(np.float32)

    def sample_labels(self, batch_size):
        """Labels for generated samples; `None` for an unconditional GAN."""
        return None

    def balanced_labels(self, count):
        """Fixed labels cycling through the classes, for evaluating `count` samples; `None` here."""
        return None

    def generate(self, z, labels=None, training=False):
        return self.generator(z, training=training)

    def discriminate(self, x, labels=None, training=False):
        """D's output for `x`; `training=True` in every training path (spectral norm needs it)."""
        return self.discriminator(x, training=training)

    def adversarial_logits(self, outputs):
        """The real/fake logits inside D's output (the whole output for a plain GAN)."""
        return outputs

    def pack_samples(self, x):
        """Concatenates each group of `pack` consecutive samples along the last axis:
        `[B, ..., C] -> [B / pack, ..., pack * C]` (the identity for `pack=1`)."""
        if self.pack == 1:
            return x
        shape = x.shape[1:]
        if x.shape[0] is not None and x.shape[0] % self.pack:
            raise ValueError(f"A batch of {x.shape[0]} samples cannot be split into packs of `pack={self.pack}`; "
                             f"use a batch size that is a multiple of {self.pack}.")
        x = tf.reshape(x, [-1, self.pack, *shape])
        # [B/m, m, ..., C] -> [B/m, ..., m, C]: each sample's channels stay together.
        x = tf.transpose(x, [0, *range(2, len(shape) + 1), 1, len(shape) + 1])
        return tf.reshape(x, [-1, *shape[:-1], self.pack * shape[-1]])

    def auxiliary_d_loss(self, real_outputs, fake_outputs, real_labels, fake_labels):
        """Per-example terms a subclass adds to D's loss (ACGAN's class loss); none here."""
        return None

    def auxiliary_g_loss(self, fake_outputs, fake_labels):
        """Per-example terms a subclass adds to G's loss; none here."""
        return None

    def discriminator_metrics(self, real_outputs, fake_outputs, real_labels, fake_labels):
        """Extra per-example quantities logged from D's step (ACGAN's class accuracy); none here."""
        return {}

    # ---------------------------------------------------------------- sampling and export

    def sample(self, z, labels=None, batch_size=500):
        """The generator's samples for noise `z` (and `labels` for conditional models, InfoGAN's codes:
        arrays or a tuple of arrays, one row per z) as numpy, drawn with the sampling weights
        (`sampling_weights`) in batches of `batch_size`."""
        z = np.asarray(z, np.float32)
        def rows(i):
            return None if labels is None else tf.nest.map_structure(lambda values: values[i:i + batch_size], labels)

        with self.sampling_weights():
            return np.concatenate([np.asarray(self.generate(z[i:i + batch_size], rows(i), training=False))
                                   for i in range(0, len(z), batch_size)])

    # ---------------------------------------------------------------- training

    def unpack(self, data):
        """Splits a batch into (real samples, labels or None)."""
        if isinstance(data, (tuple, list)):
            return data[0], None
        return data, None

    def train_step(self, data):
        real, labels = self.unpack(data)
        self.observe_data_range(real)
        step = tf.convert_to_tensor(self.step_counter)
        forward_state = self.begin_guarded_step()
        for hook in self._hooks:
            hook.begin_step(step)
        minibatches = self._split(real, labels)

        d_logs = [self._discriminator_step(x, c, step) for x, c in minibatches]
        train_generator = self._generator_gate(step)
        last_real, last_labels = minibatches[-1]
        g_logs = [self._generator_step(last_real, last_labels, step, train_generator) for _ in range(self.g_steps)]

        for hook in self._hooks:
            hook.end_step(step)
        self.step_counter.assign_add(1)
        logs = mean_logs(d_logs)
        logs.update(mean_logs(g_logs))
        for hook in self._hooks:
            logs.update(hook.step_logs(step))
        logs.update(self.end_guarded_step(forward_state))
        return keras_reducible(logs)

    def _split(self, real, labels):
        """Splits the step's batch into `d_steps` minibatches, one per D update."""
        batch = real.shape[0]
        if batch is None or self.d_steps == 1:
            if self.d_steps != 1:
                raise ValueError("d_steps > 1 needs a static batch size: batch the dataset with "
                                 "drop_remainder=True.")
            return [(real, labels)]
        if batch % self.d_steps:
            raise ValueError(f"The batch of {batch} examples cannot be split into d_steps={self.d_steps} "
                             f"equal minibatches; use a batch size that is a multiple of d_steps.")
        size = batch // self.d_steps
        return [(real[i * size:(i + 1) * size], None if labels is None else labels[i * size:(i + 1) * size])
                for i in range(self.d_steps)]

    def _generator_gate(self, step):
        """Whether this step's G updates apply: all hooks agree (`TrainingHook.generator_update`)."""
        gate = None
        for hook in self._hooks:
            allowed = hook.generator_update(step, self.d_steps)
            if allowed is not None:
                gate = allowed if gate is None else tf.logical_and(gate, allowed)
        return gate

    def _discriminator_step(self, real, real_labels, step):
        batch_size = tf.shape(real)[0]
        z = self.sample_noise(batch_size)
        fake_labels = self.sample_labels(batch_size)
        fake = float32(self.generate(z, fake_labels, training=True))
        _check_sample_shapes(real, fake)
        real_in, fake_in = real, fake
        for hook in self._hooks:
            real_in, fake_in = hook.discriminator_inputs(real_in, fake_in, step)
        real_in, fake_in = self.pack_samples(real_in), self.pack_samples(fake_in)
        scored = tf.shape(real_in)[0]
        real_targets = tf.ones([scored], tf.float32)
        fake_targets = tf.zeros([scored], tf.float32)
        for hook in self._hooks:
            real_targets, fake_targets = hook.targets(real_targets, fake_targets, step)

        with tf.GradientTape() as tape:
            if self.concat_real_fake:
                real_out, fake_out = self._discriminate_together(real_in, fake_in, real_labels, fake_labels)
            else:
                real_out = self.discriminate(real_in, real_labels, training=True)
                fake_out = self.discriminate(fake_in, fake_labels, training=True)
            real_out, fake_out = float32(real_out), float32(fake_out)
            real_logits = self.adversarial_logits(real_out)
            fake_logits = self.adversarial_logits(fake_out)
            per_example = self.adversarial_loss.d_loss(
                real_logits, fake_logits, _match(real_targets, real_logits), _match(fake_targets, fake_logits))
            aux = self.auxiliary_d_loss(real_out, fake_out, real_labels, fake_labels)
            if aux is not None:
                per_example = per_example + aux
            d_loss = self.average(per_example)
            total = d_loss
            loss_regularization = self.adversarial_loss.d_regularization(real_logits, fake_logits)  # LeCam
            if loss_regularization is not None:
                loss_regularization = self.average(loss_regularization)
                total = total + loss_regularization
            if self.penalty is not None:
                penalty = self.average(self.penalty(
                    self._critic(real_labels), real_in, fake_in, step=step, fake_critic=self._critic(fake_labels)))
                total = total + penalty
            regularization = regularization_loss(self.discriminator)
            if regularization is not None:
                total = total + regularization
            scaled = self.d_optimizer.scale_loss(total)  # unchanged unless loss-scaled (float16)
        variables = self.discriminator.trainable_variables
        grads = tape.gradient(scaled, variables)
        d_grad_norm = grad_norm(self.d_optimizer, grads)
        self.apply_update(self.d_optimizer, grads, variables, total, d_grad_norm)
        for hook in self._hooks:
            hook.discriminator_outputs(real_logits, fake_logits, step)

        logs = {"d_loss": d_loss,
                "d_real": self.average(per_example_mean(self.adversarial_loss.d_output(real_logits))),
                "d_fake": self.average(per_example_mean(self.adversarial_loss.d_output(fake_logits)))}
        if loss_regularization is not None:
            logs[self.adversarial_loss.regularizer.log_name] = loss_regularization
        if self.penalty is not None:
            logs["penalty"] = penalty
            for name, values in getattr(self.penalty, "last_logs", {}).items():
                logs[name] = self.average(values)
        if regularization is not None:
            logs["d_reg_loss"] = regularization * replicas()
        if self.adversarial_loss.estimates_wasserstein:
            logs["wasserstein_estimate"] = logs["d_real"] - logs["d_fake"]
        extra = self.discriminator_metrics(real_out, fake_out, real_labels, fake_labels)
        logs.update({k: self.average(v) for k, v in extra.items()})
        logs = {k: self.log_value(v) for k, v in logs.items()}
        # Each replica holds a share of the gradient; the mean of their norms is what is cheap to log.
        logs["d_grad_norm"] = self.log_value(d_grad_norm, tf.distribute.ReduceOp.MEAN)
        return logs

    def _critic(self, labels):
        """D's real/fake logits as a function of its input alone, for the penalties."""
        return lambda x: self.adversarial_logits(float32(self.discriminate(x, labels, training=True)))

    def _discriminate_together(self, real, fake, real_labels, fake_labels):
        """D's outputs for real and fake from one call on the two batches stacked."""
        size = tf.shape(real)[0]
        labels = None if real_labels is None else tf.concat([real_labels, fake_labels], axis=0)
        out = self.discriminate(tf.concat([real, tf.cast(fake, real.dtype)], axis=0), labels, training=True)
        return tf.nest.map_structure(lambda t: t[:size], out), tf.nest.map_structure(lambda t: t[size:], out)

    def _generator_step(self, real, real_labels, step, enabled=None):
        batch_size = tf.shape(real)[0]
        z = self.sample_noise(batch_size)
        fake_labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake = float32(self.generate(z, fake_labels, training=True))
            fake_in = fake
            for hook in self._hooks:
                fake_in = hook.generator_inputs(fake_in, step)
            fake_out = float32(self.discriminate(self.pack_samples(fake_in), fake_labels, training=True))
            real_logits = None
            if self.adversarial_loss.generator_needs_real:
                real_logits = self.adversarial_logits(
                    float32(self.discriminate(self.pack_samples(real), real_labels, training=True)))
            fake_logits = self.adversarial_logits(fake_out)
            per_example = self.adversarial_loss.g_loss(fake_logits, real_logits)
            for hook in self._hooks:
                per_example = hook.generator_losses(per_example, fake_logits, step)
            aux = self.auxiliary_g_loss(fake_out, fake_labels)
            if aux is not None:
                per_example = per_example + aux
            g_loss = self.average(per_example)
            total = g_loss
            regularization = regularization_loss(self.generator)
            if regularization is not None:
                total = total + regularization
            scaled = self.g_optimizer.scale_loss(total)
        variables = self.generator.trainable_variables
        grads = tape.gradient(scaled, variables)
        g_grad_norm = grad_norm(self.g_optimizer, grads)
        self.apply_update(self.g_optimizer, grads, variables, total, g_grad_norm, enabled)
        logs = {"g_loss": self.log_value(g_loss),
                "g_grad_norm": self.log_value(g_grad_norm, tf.distribute.ReduceOp.MEAN)}
        if regularization is not None:
            logs["g_reg_loss"] = self.log_value(regularization * replicas())
        return logs

    def test_step(self, data):
        """The losses on held-out data, with no update: `evaluate` averages them over its batches."""
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]
        fake_labels = self.sample_labels(batch_size)
        fake = float32(self.generate(self.sample_noise(batch_size), fake_labels))
        real_out = float32(self.discriminate(self.pack_samples(real), labels))
        fake_out = float32(self.discriminate(self.pack_samples(fake), fake_labels))
        real_logits, fake_logits = self.adversarial_logits(real_out), self.adversarial_logits(fake_out)
        scored = tf.shape(real_logits)[0]
        d_loss = self.adversarial_loss.d_loss(real_logits, fake_logits, _match(tf.ones([scored]), real_logits),
                                              _match(tf.zeros([scored]), fake_logits))
        aux = self.auxiliary_d_loss(real_out, fake_out, labels, fake_labels)
        g_loss = self.adversarial_loss.g_loss(fake_logits, real_logits)
        g_aux = self.auxiliary_g_loss(fake_out, fake_labels)
        values = {"d_loss": d_loss if aux is None else d_loss + aux,
                  "g_loss": g_loss if g_aux is None else g_loss + g_aux,
                  "d_real": per_example_mean(self.adversarial_loss.d_output(real_logits)),
                  "d_fake": per_example_mean(self.adversarial_loss.d_output(fake_logits))}
        for name, tracker in self.evaluation_trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.evaluation_trackers.items()}

    # ---------------------------------------------------------------- saving

    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            latent_dim=self.latent_dim,
            loss=self.adversarial_loss.name if self.adversarial_loss.regularizer is None
            else self.adversarial_loss.get_config(),
            penalty=keras.saving.serialize_keras_object(self.penalty) if self.penalty is not None else None,
            d_steps=self.d_steps,
            g_steps=self.g_steps,
            noise=self.noise,
            seed=self.seed,
            d_constraint=keras.saving.serialize_keras_object(self.d_constraint)
            if self.d_constraint is not None else None,
            concat_real_fake=self.concat_real_fake,
            pack=self.pack,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("generator", "discriminator", "penalty", "d_constraint"):
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def _input_width(network):
    """The last dimension of a functional network's first input (the noise), or None when unknown."""
    inputs = getattr(network, "inputs", None)
    if not inputs or not inputs[0].shape:
        return None
    return inputs[0].shape[-1]


def _match(targets, logits):
    """Reshapes per-example targets `[B]` to broadcast against logits `[B, ...]`."""
    rank = logits.shape.rank or 1
    return tf.reshape(targets, [-1] + [1] * (rank - 1))


def _check_sample_shapes(real, fake):
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"The generator makes samples of shape {tuple(fake.shape[1:])} but the data has "
                         f"shape {tuple(real.shape[1:])}; build the generator for the data's shape.")
