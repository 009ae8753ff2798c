"""The GAN model: one `keras.Model` whose `train_step` serves every loss, penalty and trick."""

import keras
import tensorflow as tf

from tfgan import losses as losses_lib

NOISE_DISTRIBUTIONS = ("normal", "uniform")


class TrainingHook:
    """Changes what the discriminator sees inside the training step.

    A callback installs a hook with `GAN.add_hook` in `on_train_begin` and removes it in
    `on_train_end`; the step calls the three methods below at trace time, so a hook adds graph ops,
    never per-step Python. Schedules a hook reads belong in variables it owns, so that changing them
    does not retrace the step.
    """

    def discriminator_inputs(self, real, fake):
        """Transforms the real and fake batches D sees in its own update."""
        return real, fake

    def generator_inputs(self, fake):
        """Transforms the fakes D scores in the generator's update (gradients flow through)."""
        return fake

    def targets(self, real_targets, fake_targets):
        """Transforms the per-example targets of losses that use them (cross-entropy, least squares)."""
        return real_targets, fake_targets


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: `{name}={value!r}`.")
    return value


@keras.saving.register_keras_serializable(package="tfgan")
class GAN(keras.Model):
    """A generative adversarial network trained with `compile` / `fit`.

    One training step is Algorithm 1 of Goodfellow et al. 2014: `d_steps` discriminator updates,
    each on its own real minibatch and fresh noise, then `g_steps` generator updates. The batch `fit`
    hands to the step is split into `d_steps` equal minibatches, so feed batches of
    `batch_size * d_steps` to give every D update `batch_size` real examples (`tfgan.data.load`
    does this when given `d_steps`).

    The loss is an object or a name (`tfgan.losses.get`), the penalty a callable
    `penalty(critic, real, fake, step=...) -> per-example values` added to D's loss (its own
    `GradientTape` nests inside D's). Per-example losses are averaged over the global batch, so
    the same global batch gives the same update on one or several replicas.

    Args:
        generator: a Keras model mapping `[batch, latent_dim]` noise to samples.
        discriminator: a Keras model mapping samples to logits `[batch, 1]` (or `[batch, ...]`).
        latent_dim: size of the noise vector z.
        loss: a `tfgan.losses.Loss` or one of its names. Defaults to `"non_saturating"`.
        penalty: optional callable adding a per-example term to D's loss. Defaults to `None`.
        d_steps: discriminator updates per training step. Defaults to `1`.
        g_steps: generator updates per training step. Defaults to `1`.
        noise: `"normal"` (z ~ N(0, I)) or `"uniform"` (z ~ U(-1, 1)). Defaults to `"normal"`.
        seed: seed of the noise generator. Defaults to `None`.
        concat_real_fake: score real and fake in one call of D on the concatenated batch instead of
            two calls, so layers with batch statistics (BatchNorm, minibatch features) see both
            mixed. Defaults to `False` (separate batches, as ganhacks #4 advises).

    Example:

    ```python
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, latent_dim=8),
                    tfgan.nets.mlp_discriminator(2), latent_dim=8)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(tfgan.data.load("ring", batch_size=128).dataset, steps_per_epoch=100, epochs=5)
    samples = gan(tf.random.normal([16, 8]))
    ```

    Reference:
        Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014.
    """

    def __init__(self, generator, discriminator, latent_dim, loss="non_saturating", penalty=None,
                 d_steps=1, g_steps=1, noise="normal", seed=None, concat_real_fake=False, **kwargs):
        super().__init__(**kwargs)
        for name, net in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(net, keras.layers.Layer):
                raise ValueError(f"`{name}` must be a Keras model or layer. Received: `{name}={net!r}`.")
        self.latent_dim = _check_positive_int("latent_dim", latent_dim)
        self.d_steps = _check_positive_int("d_steps", d_steps)
        self.g_steps = _check_positive_int("g_steps", g_steps)
        if noise not in NOISE_DISTRIBUTIONS:
            raise ValueError(f"`noise` must be one of {NOISE_DISTRIBUTIONS}. Received: `noise={noise!r}`.")
        if penalty is not None and not callable(penalty):
            raise ValueError(f"`penalty` must be callable or None. Received: `penalty={penalty!r}`.")
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial_loss = losses_lib.get(loss)
        self.penalty = penalty
        self.noise = noise
        self.seed = seed
        self.concat_real_fake = bool(concat_real_fake)
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step")
        self._hooks = ()
        self._extra_state = {}
        self._check_shapes()

    def _check_shapes(self):
        """Fails at construction when G's output cannot be D's input."""
        try:
            g_out = tuple(self.generator.output.shape[1:])
            d_in = tuple(self.discriminator.inputs[0].shape[1:])
        except (AttributeError, IndexError, ValueError, TypeError):
            return  # subclassed models: checked when the step is traced
        if g_out != d_in:
            raise ValueError(f"The generator's output shape {g_out} does not match the discriminator's "
                             f"input shape {d_in}.")

    # ---------------------------------------------------------------- set-up

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Gives each network its own optimizer; `kwargs` go to `keras.Model.compile`."""
        for name, opt in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            if not isinstance(opt, keras.optimizers.Optimizer):
                raise ValueError(f"`{name}` must be a keras.optimizers.Optimizer. Received: `{name}={opt!r}`.")
        if d_optimizer is g_optimizer:
            raise ValueError("`d_optimizer` and `g_optimizer` must be two optimizer objects, not the same one.")
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Built now, inside the strategy scope compile runs in, so that fit under a
        # MirroredStrategy does not create slots in a replica context.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def build(self, input_shape=None):
        if not self.generator.built:
            self.generator.build((None, self.latent_dim))
        self.built = True

    def add_hook(self, hook):
        """Installs a `TrainingHook`; the next `fit` traces a step that calls it."""
        if not isinstance(hook, TrainingHook):
            raise ValueError(f"`hook` must be a tfgan.models.TrainingHook. Received: `hook={hook!r}`.")
        if hook not in self._hooks:
            self._hooks = self._hooks + (hook,)
            self._retrace()

    def remove_hook(self, hook):
        if hook in self._hooks:
            self._hooks = tuple(h for h in self._hooks if h is not hook)
            self._retrace()

    @property
    def hooks(self):
        return self._hooks

    def _retrace(self):
        if getattr(self, "train_function", None) is not None:
            self.make_train_function(force=True)

    def track_state(self, name, trackable):
        """Adds a trackable (variables of a callback) to the state that `training_state` returns."""
        self._extra_state[name] = trackable

    def training_state(self):
        """Everything a checkpoint needs to resume training exactly, as a dict of trackables."""
        state = dict(generator=self.generator, discriminator=self.discriminator, step=self.step_counter,
                     noise_seed=self.seed_generator.state)
        for name in ("d_optimizer", "g_optimizer"):
            if getattr(self, name, None) is not None:
                state[name] = getattr(self, name)
        state.update(self._extra_state)
        return state

    # ---------------------------------------------------------------- networks

    def call(self, inputs, training=False):
        """Generates samples from noise `z` of shape `[batch, latent_dim]`."""
        return self.generator(inputs, training=training)

    def sample_noise(self, batch_size):
        """z ~ N(0, I) or U(-1, 1), of shape `[batch_size, latent_dim]`."""
        shape = (batch_size, self.latent_dim)
        if self.noise == "uniform":
            return keras.random.uniform(shape, -1.0, 1.0, seed=self.seed_generator)
        return keras.random.normal(shape, seed=self.seed_generator)

    def sample_labels(self, batch_size):
        """Labels for generated samples; `None` for an unconditional GAN."""
        return None

    def generate(self, z, labels=None, training=False):
        return self.generator(z, training=training)

    def discriminate(self, x, labels=None, training=False):
        """D's output for `x`; `training=True` in every training path (spectral norm needs it)."""
        return self.discriminator(x, training=training)

    def adversarial_logits(self, outputs):
        """The real/fake logits inside D's output (the whole output for a plain GAN)."""
        return outputs

    def auxiliary_d_loss(self, real_outputs, fake_outputs, real_labels, fake_labels):
        """Per-example terms a subclass adds to D's loss (ACGAN's class loss); none here."""
        return None

    def auxiliary_g_loss(self, fake_outputs, fake_labels):
        """Per-example terms a subclass adds to G's loss; none here."""
        return None

    # ---------------------------------------------------------------- training

    def unpack(self, data):
        """Splits a batch into (real samples, labels or None)."""
        if isinstance(data, (tuple, list)):
            return data[0], None
        return data, None

    def train_step(self, data):
        real, labels = self.unpack(data)
        minibatches = self._split(real, labels)

        d_logs = [self._discriminator_step(x, c) for x, c in minibatches]
        last_real, last_labels = minibatches[-1]
        g_logs = [self._generator_step(last_real, last_labels) for _ in range(self.g_steps)]

        self.step_counter.assign_add(1)
        logs = _mean_logs(d_logs)
        logs.update(_mean_logs(g_logs))
        return logs

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

    def _discriminator_step(self, real, real_labels):
        batch_size = tf.shape(real)[0]
        z = self.sample_noise(batch_size)
        fake_labels = self.sample_labels(batch_size)
        fake = self.generate(z, fake_labels, training=True)
        _check_sample_shapes(real, fake)
        real_in, fake_in = real, fake
        for hook in self._hooks:
            real_in, fake_in = hook.discriminator_inputs(real_in, fake_in)
        real_targets = tf.ones([batch_size], tf.float32)
        fake_targets = tf.zeros([batch_size], tf.float32)
        for hook in self._hooks:
            real_targets, fake_targets = hook.targets(real_targets, fake_targets)

        with tf.GradientTape() as tape:
            if self.concat_real_fake:
                real_out, fake_out = self._discriminate_together(real_in, fake_in, real_labels, fake_labels)
            else:
                real_out = self.discriminate(real_in, real_labels, training=True)
                fake_out = self.discriminate(fake_in, fake_labels, training=True)
            real_logits = self.adversarial_logits(real_out)
            fake_logits = self.adversarial_logits(fake_out)
            per_example = self.adversarial_loss.d_loss(
                real_logits, fake_logits, _match(real_targets, real_logits), _match(fake_targets, fake_logits))
            aux = self.auxiliary_d_loss(real_out, fake_out, real_labels, fake_labels)
            if aux is not None:
                per_example = per_example + aux
            d_loss = self._average(per_example)
            total = d_loss
            if self.penalty is not None:
                critic = lambda x: self.adversarial_logits(self.discriminate(x, real_labels, training=True))
                penalty = self._average(self.penalty(critic, real_in, fake_in, step=self.step_counter))
                total = total + penalty
        variables = self.discriminator.trainable_variables
        grads = tape.gradient(total, variables)
        self.d_optimizer.apply_gradients(zip(grads, variables))

        logs = {"d_loss": d_loss,
                "d_real": self._average(_per_example_mean(self.adversarial_loss.output(real_logits))),
                "d_fake": self._average(_per_example_mean(self.adversarial_loss.output(fake_logits)))}
        if self.penalty is not None:
            logs["penalty"] = penalty
        logs = {k: self._log_value(v) for k, v in logs.items()}
        # Each replica holds a share of the gradient; the mean of their norms is what is cheap to log.
        logs["d_grad_norm"] = self._log_value(tf.linalg.global_norm(grads), tf.distribute.ReduceOp.MEAN)
        return logs

    def _discriminate_together(self, real, fake, real_labels, fake_labels):
        """D's outputs for real and fake from one call on the two batches stacked."""
        size = tf.shape(real)[0]
        labels = None if real_labels is None else tf.concat([real_labels, fake_labels], axis=0)
        out = self.discriminate(tf.concat([real, tf.cast(fake, real.dtype)], axis=0), labels, training=True)
        return tf.nest.map_structure(lambda t: t[:size], out), tf.nest.map_structure(lambda t: t[size:], out)

    def _generator_step(self, real, real_labels):
        batch_size = tf.shape(real)[0]
        z = self.sample_noise(batch_size)
        fake_labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake = self.generate(z, fake_labels, training=True)
            fake_in = fake
            for hook in self._hooks:
                fake_in = hook.generator_inputs(fake_in)
            fake_out = self.discriminate(fake_in, fake_labels, training=True)
            real_logits = None
            if getattr(self.adversarial_loss, "generator_needs_real", False):
                real_logits = self.adversarial_logits(self.discriminate(real, real_labels, training=True))
            per_example = self.adversarial_loss.g_loss(self.adversarial_logits(fake_out), real_logits)
            aux = self.auxiliary_g_loss(fake_out, fake_labels)
            if aux is not None:
                per_example = per_example + aux
            g_loss = self._average(per_example)
        variables = self.generator.trainable_variables
        grads = tape.gradient(g_loss, variables)
        self.g_optimizer.apply_gradients(zip(grads, variables))
        return {"g_loss": self._log_value(g_loss),
                "g_grad_norm": self._log_value(tf.linalg.global_norm(grads), tf.distribute.ReduceOp.MEAN)}

    def _average(self, per_example):
        """Mean over the GLOBAL batch: each replica divides its sum by the global batch size, so
        the gradients the optimizer sums across replicas equal a 1-replica step's."""
        per_example = tf.cast(per_example, tf.float32)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas == 1:
            return tf.reduce_mean(per_example)
        global_batch = tf.cast(tf.shape(per_example)[0] * replicas, tf.float32)
        return tf.reduce_sum(per_example) / global_batch

    def _log_value(self, value, reduce_op=tf.distribute.ReduceOp.SUM):
        """A logged number equal on every replica: by default the sum of the replicas' global-batch
        shares, i.e. the global-batch value."""
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return value
        return context.all_reduce(reduce_op, value)

    # ---------------------------------------------------------------- saving

    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            latent_dim=self.latent_dim,
            loss=self.adversarial_loss.name or self.adversarial_loss.get_config(),
            penalty=keras.saving.serialize_keras_object(self.penalty) if self.penalty is not None else None,
            d_steps=self.d_steps,
            g_steps=self.g_steps,
            noise=self.noise,
            seed=self.seed,
            concat_real_fake=self.concat_real_fake,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("generator", "discriminator", "penalty"):
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def _per_example_mean(values):
    values = tf.convert_to_tensor(values)
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def _match(targets, logits):
    """Reshapes per-example targets `[B]` to broadcast against logits `[B, ...]`."""
    rank = logits.shape.rank or 1
    return tf.reshape(targets, [-1] + [1] * (rank - 1))


def _check_sample_shapes(real, fake):
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"The generator makes samples of shape {tuple(fake.shape[1:])} but the data has "
                         f"shape {tuple(real.shape[1:])}; build the generator for the data's shape.")


def _mean_logs(logs_list):
    """Averages the logs of several updates (all D steps are reported, not just the last)."""
    keys = logs_list[0].keys()
    return {k: tf.add_n([logs[k] for logs in logs_list]) / len(logs_list) for k in keys}
