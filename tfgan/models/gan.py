"""The GAN model: one `keras.Model` whose `train_step` serves every loss, penalty and trick."""

import contextlib
import warnings

import keras
import numpy as np
import tensorflow as tf

from tfgan import checks
from tfgan import distribute as distribute_lib
from tfgan import losses as losses_lib
from tfgan.models.hooks import TrainingHook

NOISE_DISTRIBUTIONS = ("normal", "uniform")
# Errors Keras raises when a network is called on inputs it cannot take.
_CALL_ERRORS = (ValueError, TypeError, tf.errors.InvalidArgumentError)


@keras.saving.register_keras_serializable(package="tfgan")
class GAN(keras.Model):
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
        for name, net in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(net, keras.layers.Layer):
                raise ValueError(f"`{name}` must be a Keras model or layer. Received: `{name}={net!r}`.")
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
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step")
        self.generator_ema = None  # a GeneratorEMA sets itself here; samples and exports then use it
        self._hooks = ()
        self._extra_state = _StateRegistry()
        # Steps whose updates were skipped for a non-finite loss or gradient: in all (checkpointed),
        # in a row now, and whether the current step skipped one (see `_apply`).
        self.nan_steps = keras.Variable(0, dtype="int64", trainable=False, name="nan_steps",
                                        aggregation="only_first_replica")
        self.nan_streak = keras.Variable(0, dtype="int64", trainable=False, name="nan_streak",
                                         aggregation="only_first_replica")
        self._step_skipped = keras.Variable(0, dtype="int64", trainable=False, name="step_skipped",
                                            aggregation="only_first_replica")
        self.track_state("nan_steps", self.nan_steps)
        if self.adversarial_loss.regularizer is not None:  # LeCam's anchors
            self.track_state(self.adversarial_loss.regularizer.log_name, self.adversarial_loss.regularizer.build())
        # A penalty's own random draws (WGAN-GP's mixing weights) continue where they were on resume.
        if getattr(self.penalty, "seed_generator", None) is not None:
            self.track_state("penalty_seed", self.penalty.seed_generator.state)
        # Range of the first batch of images `fit` sees; `fit` warns once when it is outside [-1, 1].
        self.data_range = keras.Variable([0.0, 0.0], trainable=False, name="data_range",
                                         aggregation="only_first_replica")
        self.data_range_seen = keras.Variable(False, dtype="bool", trainable=False, name="data_range_seen",
                                              aggregation="only_first_replica")
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
                             f"{_first_line(error)}") from None
        packed = self.pack_samples(tf.cast(fake, tf.float32))
        try:
            outputs = self.discriminate(packed, labels if self.pack == 1 else None)
        except _CALL_ERRORS as error:
            what = f"packs of {self.pack} samples" if self.pack > 1 else "samples"
            raise ValueError(f"`discriminator` cannot score the generator's {what}, of shape "
                             f"{tuple(packed.shape[1:])}: {_first_line(error)}") from None
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
        go to `keras.Model.compile`."""
        for name, opt in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            if not isinstance(opt, keras.optimizers.Optimizer):
                raise ValueError(f"`{name}` must be a keras.optimizers.Optimizer. Received: `{name}={opt!r}`.")
        if d_optimizer is g_optimizer:
            raise ValueError("`d_optimizer` and `g_optimizer` must be two optimizer objects, not the same one.")
        super().compile(optimizer=None, **kwargs)
        # An overridden compile gets no automatic loss scaling: under a mixed_float16 policy each
        # optimizer is wrapped here, and the steps scale each loss with `optimizer.scale_loss`.
        self.d_optimizer = _loss_scaled(d_optimizer, self.discriminator, "d_loss_scale_optimizer")
        self.g_optimizer = _loss_scaled(g_optimizer, self.generator, "g_loss_scale_optimizer")
        if self.d_constraint is not None:
            # Keras optimizers assign `constraint(variable)` after each update of a variable.
            for variable in self.discriminator.trainable_variables:
                variable.constraint = self.d_constraint
        # Built now, inside the strategy scope compile runs in, so that fit under a
        # MirroredStrategy does not create slots in a replica context.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        # Built before fit: under a strategy fit would otherwise build the model by calling it on a
        # batch of real data, which is not G's input.
        if not self.built:
            self.build()

    def build(self, input_shape=None):
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
        """Adds a trackable (a trick's variables) to the state that `training_state` returns."""
        self._extra_state.items[name] = trackable

    def training_state(self):
        """Everything a checkpoint needs to resume training exactly, as a dict of trackables."""
        state = dict(generator=self.generator, discriminator=self.discriminator, step=self.step_counter,
                     noise_seed=self.seed_generator.state)
        for name in ("d_optimizer", "g_optimizer"):
            if getattr(self, name, None) is not None:
                state[name] = getattr(self, name)
        state.update(self._extra_state.items)
        return state

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

    @contextlib.contextmanager
    def sampling_weights(self):
        """Within the block the generator holds the weights samples are drawn with: its own, or
        the moving average of a `GeneratorEMA` (put back on exit). Samples, evaluation, the training
        monitor and the export all draw inside it."""
        ema = self.generator_ema
        if ema is None or ema.state is None:
            yield self.generator
            return
        backup = [w.numpy() for w in self.generator.weights]
        for weight, average in zip(self.generator.weights, ema.weights):
            weight.assign(average)
        try:
            yield self.generator
        finally:
            for weight, value in zip(self.generator.weights, backup):
                weight.assign(value)

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

    def export(self, filepath, format="tf_saved_model", verbose=None, **kwargs):
        """Exports the generator's serving SavedModel (`tfgan.export.export_generator`): signatures
        `serving_default` and `sample`, loadable without tfgan."""
        from tfgan import export as export_lib  # export imports data, not models: no circle

        if format != "tf_saved_model":
            raise ValueError(f"`format` must be 'tf_saved_model' for a GAN. Received: `format={format!r}`.")
        return export_lib.export_generator(self, filepath)

    # ---------------------------------------------------------------- training

    def unpack(self, data):
        """Splits a batch into (real samples, labels or None)."""
        if isinstance(data, (tuple, list)):
            return data[0], None
        return data, None

    def fit(self, *args, **kwargs):
        """`keras.Model.fit`, warning once when the images it trains on lie outside [-1, 1]."""
        callbacks = list(kwargs.pop("callbacks", None) or [])
        if not any(isinstance(c, _DataRangeWarning) for c in callbacks):
            callbacks.insert(0, _DataRangeWarning())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def train_step(self, data):
        real, labels = self.unpack(data)
        self._observe_data_range(real)
        step = tf.convert_to_tensor(self.step_counter)
        forward_state = self._begin_guarded_step()
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
        logs = _mean_logs(d_logs)
        logs.update(_mean_logs(g_logs))
        for hook in self._hooks:
            logs.update(hook.step_logs(step))
        logs.update(self._end_guarded_step(forward_state))
        return _keras_reducible(logs)

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
        fake = _float32(self.generate(z, fake_labels, training=True))
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
            real_out, fake_out = _float32(real_out), _float32(fake_out)
            real_logits = self.adversarial_logits(real_out)
            fake_logits = self.adversarial_logits(fake_out)
            per_example = self.adversarial_loss.d_loss(
                real_logits, fake_logits, _match(real_targets, real_logits), _match(fake_targets, fake_logits))
            aux = self.auxiliary_d_loss(real_out, fake_out, real_labels, fake_labels)
            if aux is not None:
                per_example = per_example + aux
            d_loss = self._average(per_example)
            total = d_loss
            loss_regularization = self.adversarial_loss.d_regularization(real_logits, fake_logits)  # LeCam
            if loss_regularization is not None:
                loss_regularization = self._average(loss_regularization)
                total = total + loss_regularization
            if self.penalty is not None:
                penalty = self._average(self.penalty(
                    self._critic(real_labels), real_in, fake_in, step=step, fake_critic=self._critic(fake_labels)))
                total = total + penalty
            regularization = _regularization(self.discriminator)
            if regularization is not None:
                total = total + regularization
            scaled = self.d_optimizer.scale_loss(total)  # unchanged unless loss-scaled (float16)
        variables = self.discriminator.trainable_variables
        grads = tape.gradient(scaled, variables)
        d_grad_norm = _grad_norm(self.d_optimizer, grads)
        self._apply(self.d_optimizer, grads, variables, total, d_grad_norm)
        for hook in self._hooks:
            hook.discriminator_outputs(real_logits, fake_logits, step)

        logs = {"d_loss": d_loss,
                "d_real": self._average(_per_example_mean(self.adversarial_loss.d_output(real_logits))),
                "d_fake": self._average(_per_example_mean(self.adversarial_loss.d_output(fake_logits)))}
        if loss_regularization is not None:
            logs[self.adversarial_loss.regularizer.log_name] = loss_regularization
        if self.penalty is not None:
            logs["penalty"] = penalty
            for name, values in getattr(self.penalty, "last_logs", {}).items():
                logs[name] = self._average(values)
        if regularization is not None:
            logs["d_reg_loss"] = regularization * _replicas()
        if self.adversarial_loss.estimates_wasserstein:
            logs["wasserstein_estimate"] = logs["d_real"] - logs["d_fake"]
        extra = self.discriminator_metrics(real_out, fake_out, real_labels, fake_labels)
        logs.update({k: self._average(v) for k, v in extra.items()})
        logs = {k: self._log_value(v) for k, v in logs.items()}
        # Each replica holds a share of the gradient; the mean of their norms is what is cheap to log.
        logs["d_grad_norm"] = self._log_value(d_grad_norm, tf.distribute.ReduceOp.MEAN)
        return logs

    def _critic(self, labels):
        """D's real/fake logits as a function of its input alone, for the penalties."""
        return lambda x: self.adversarial_logits(_float32(self.discriminate(x, labels, training=True)))

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
            fake = _float32(self.generate(z, fake_labels, training=True))
            fake_in = fake
            for hook in self._hooks:
                fake_in = hook.generator_inputs(fake_in, step)
            fake_out = _float32(self.discriminate(self.pack_samples(fake_in), fake_labels, training=True))
            real_logits = None
            if self.adversarial_loss.generator_needs_real:
                real_logits = self.adversarial_logits(
                    _float32(self.discriminate(self.pack_samples(real), real_labels, training=True)))
            fake_logits = self.adversarial_logits(fake_out)
            per_example = self.adversarial_loss.g_loss(fake_logits, real_logits)
            for hook in self._hooks:
                per_example = hook.generator_losses(per_example, fake_logits, step)
            aux = self.auxiliary_g_loss(fake_out, fake_labels)
            if aux is not None:
                per_example = per_example + aux
            g_loss = self._average(per_example)
            total = g_loss
            regularization = _regularization(self.generator)
            if regularization is not None:
                total = total + regularization
            scaled = self.g_optimizer.scale_loss(total)
        variables = self.generator.trainable_variables
        grads = tape.gradient(scaled, variables)
        g_grad_norm = _grad_norm(self.g_optimizer, grads)
        self._apply(self.g_optimizer, grads, variables, total, g_grad_norm, enabled)
        logs = {"g_loss": self._log_value(g_loss),
                "g_grad_norm": self._log_value(g_grad_norm, tf.distribute.ReduceOp.MEAN)}
        if regularization is not None:
            logs["g_reg_loss"] = self._log_value(regularization * _replicas())
        return logs

    def _apply(self, optimizer, grads, variables, loss, grad_norm, enabled=None):
        """Applies `grads` unless `loss` or a gradient is not finite on some replica, or `enabled`
        (a bool tensor, e.g. a D-steps schedule) says no.

        The skip is a `tf.cond` around `apply_gradients`, so a skipped update leaves the weights and
        the optimizer's whole state (iterations, Adam's moments) as they were, where zeroed gradients
        would still move the moments. A non-finite step is then counted in `nan_steps`. The gradients
        are checked through their global norm (logged anyway), which is NaN or inf when any of them
        is, and also when their squared norm overflows float32.
        """
        finite = tf.math.is_finite(loss)
        # A loss-scaled optimizer sees its own overflowing gradients, to skip them and lower its scale.
        if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            finite = tf.logical_and(finite, tf.math.is_finite(grad_norm))
        # All replicas must take the same branch: apply_gradients all-reduces inside it.
        bad = self._log_value(1.0 - tf.cast(finite, tf.float32))
        finite = tf.equal(bad, 0.0)
        apply = finite if enabled is None else tf.logical_and(finite, enabled)

        def update(grads):
            optimizer.apply_gradients(list(zip(grads, variables)))

        if tf.__internal__.distribute.strategy_supports_no_merge_call():
            tf.cond(apply, lambda: update(grads), lambda: None)
        else:
            # A strategy that syncs through merge_call (MirroredStrategy) cannot have it in a cond
            # branch in replica context; the cond goes in cross-replica context, as in Keras's
            # LossScaleOptimizer.
            def cross_replica(distribution, apply, grads):
                def apply_all():
                    distribution.extended.call_for_each_replica(update, args=(grads,))

                tf.cond(distribution.experimental_local_results(apply)[0], apply_all, lambda: None)

            tf.distribute.get_replica_context().merge_call(cross_replica, args=(apply, grads))
        self._step_skipped.assign(tf.maximum(self._step_skipped, 1 - tf.cast(finite, tf.int64)))

    def _begin_guarded_step(self):
        """Copies what the forward pass changes besides the weights (BatchNorm statistics, spectral
        norm's power-iteration vectors), for `_end_guarded_step` to put back after a skipped step."""
        self._step_skipped.assign(0)
        variables = self.generator.non_trainable_variables + self.discriminator.non_trainable_variables
        return [(v, tf.identity(v)) for v in variables if "float" in str(v.dtype)]

    def _end_guarded_step(self, forward_state):
        """Restores the forward state after a step with a skipped update and counts the step."""
        skipped = tf.convert_to_tensor(self._step_skipped)
        # Assigned every step (unchanged when nothing was skipped): an assign inside a cond branch
        # cannot sync mirrored variables.
        for variable, value in forward_state:
            variable.assign(tf.where(skipped > 0, value, variable))
        self.nan_steps.assign_add(skipped)
        self.nan_streak.assign((self.nan_streak + skipped) * skipped)
        return {"nan_steps": tf.cast(self.nan_steps, tf.float32)}

    def _observe_data_range(self, real):
        """Records the range of the first image batch; later steps only copy the recorded one."""
        if real.shape.rank is None or real.shape.rank < 4:
            return  # vectors (toy1d, ring, grid) have no fixed range

        def first_range():
            x = tf.cast(real, tf.float32)
            return tf.stack([tf.reduce_min(x), tf.reduce_max(x)])

        seen = tf.convert_to_tensor(self.data_range_seen)
        self.data_range.assign(tf.cond(seen, lambda: tf.convert_to_tensor(self.data_range), first_range))
        self.data_range_seen.assign(True)

    def test_step(self, data):
        """The losses on held-out data, with no update: `evaluate` averages them over its batches."""
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]
        fake_labels = self.sample_labels(batch_size)
        fake = _float32(self.generate(self.sample_noise(batch_size), fake_labels))
        real_out = _float32(self.discriminate(self.pack_samples(real), labels))
        fake_out = _float32(self.discriminate(self.pack_samples(fake), fake_labels))
        real_logits, fake_logits = self.adversarial_logits(real_out), self.adversarial_logits(fake_out)
        scored = tf.shape(real_logits)[0]
        d_loss = self.adversarial_loss.d_loss(real_logits, fake_logits, _match(tf.ones([scored]), real_logits),
                                              _match(tf.zeros([scored]), fake_logits))
        aux = self.auxiliary_d_loss(real_out, fake_out, labels, fake_labels)
        g_loss = self.adversarial_loss.g_loss(fake_logits, real_logits)
        g_aux = self.auxiliary_g_loss(fake_out, fake_labels)
        values = {"d_loss": d_loss if aux is None else d_loss + aux,
                  "g_loss": g_loss if g_aux is None else g_loss + g_aux,
                  "d_real": _per_example_mean(self.adversarial_loss.d_output(real_logits)),
                  "d_fake": _per_example_mean(self.adversarial_loss.d_output(fake_logits))}
        for name, tracker in self.evaluation_trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.evaluation_trackers.items()}

    def _average(self, per_example):
        """Mean over the GLOBAL batch: each replica divides its sum by the global batch size, so
        the gradients the optimizer sums across replicas equal a 1-replica step's."""
        per_example = tf.cast(per_example, tf.float32)
        replicas = _replicas()
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

    def get_compile_config(self):
        """Both optimizers, so that `keras.models.load_model` compiles the GAN as it was saved (the
        `.keras` file then restores their slots and iterations too)."""
        config = super().get_compile_config()
        if config is None or getattr(self, "d_optimizer", None) is None:
            return config
        config = {k: v for k, v in config.items() if k != "optimizer"}
        config.update(d_optimizer=keras.saving.serialize_keras_object(self.d_optimizer),
                      g_optimizer=keras.saving.serialize_keras_object(self.g_optimizer))
        return config

    def compile_from_config(self, config):
        config = dict(config)
        optimizers = {name: keras.saving.deserialize_keras_object(config.pop(name))
                      for name in ("d_optimizer", "g_optimizer")}
        self.compile(**optimizers, **config)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("generator", "discriminator", "penalty", "d_constraint"):
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


class _DataRangeWarning(keras.callbacks.Callback):
    """Warns once, after the first batch, when images given to `GAN.fit` lie outside [-1, 1].

    The range is computed in the graph on the first batch only (`GAN._observe_data_range`; later
    steps copy two scalars), so the data are not read twice (peeking at a shuffled pipeline would
    fill its shuffle buffer), and this callback reads the result once.
    """

    def on_train_begin(self, logs=None):
        self._pending = not bool(self.model.data_range_seen.numpy())

    def on_train_batch_end(self, batch, logs=None):
        if not self._pending:
            return
        self._pending = False
        low, high = (float(v) for v in self.model.data_range.numpy())
        if bool(self.model.data_range_seen.numpy()) and (low < -1.0 - 1e-3 or high > 1.0 + 1e-3):
            warnings.warn(f"The images given to fit lie in [{low:g}, {high:g}], outside the [-1, 1] of a tanh "
                          f"generator; scale them, e.g. x / 127.5 - 1 for uint8 pixels.", stacklevel=2)


class _StateRegistry:
    """The tricks' state a checkpoint saves with the model. A plain holder, so that Keras does not
    track it as the model's own weights (tricks add state after the model is built)."""

    def __init__(self):
        self.items = {}


def _replicas():
    return tf.distribute.get_strategy().num_replicas_in_sync


def _input_width(network):
    """The last dimension of a functional network's first input (the noise), or None when unknown."""
    inputs = getattr(network, "inputs", None)
    if not inputs or not inputs[0].shape:
        return None
    return inputs[0].shape[-1]


def _first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _regularization(network):
    """The network's regularization losses (`kernel_regularizer`, `add_loss`), a global-batch share
    on each replica (their gradients are summed over replicas), or None when it has none."""
    if not network.losses:
        return None
    return tf.add_n([tf.cast(loss, tf.float32) for loss in network.losses]) / _replicas()


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


def _float32(outputs):
    """Network outputs in float32, so that losses and penalties are computed in float32 under a
    mixed-precision policy (a float16 log-sigmoid or squared norm under- / overflows)."""
    return tf.nest.map_structure(lambda t: tf.cast(t, tf.float32) if t.dtype.is_floating else t, outputs)


def _loss_scaled(optimizer, network, name):
    if network.dtype_policy.name != "mixed_float16" or isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer, name=name)


def _grad_norm(optimizer, grads):
    """The norm of the gradients of the unscaled loss."""
    norm = tf.linalg.global_norm(grads)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        norm = norm / tf.cast(optimizer.dynamic_scale, norm.dtype)
    return norm


def _keras_reducible(logs):
    """Keras 3 reduces a step's logs under a multi-worker strategy with `strategy.reduce(MEAN, v, axis=0)`,
    which fails on scalars (tensorflow/tensorflow#72388); there the logs, already equal on every
    replica, get a leading axis of 1 that this reduction removes."""
    extended = tf.distribute.get_strategy().extended
    if not getattr(extended, "_in_multi_worker_mode", lambda: False)():
        return logs
    return {k: tf.reshape(v, [1]) for k, v in logs.items()}


def _mean_logs(logs_list):
    """Averages the logs of several updates (all D steps are reported, not just the last)."""
    keys = logs_list[0].keys()
    return {k: tf.add_n([logs[k] for logs in logs_list]) / len(logs_list) for k in keys}
