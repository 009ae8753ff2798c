"""The GAN model: one `keras.Model` whose `train_step` serves every loss, penalty and trick."""

import warnings

import keras
import numpy as np
import tensorflow as tf

from tfgan import distribute as distribute_lib
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
        d_constraint: optional Keras constraint (e.g. `tfgan.constraints.WeightClip(0.01)`) set on every
            trainable D variable at `compile`; the optimizer applies it after each D update. Defaults to `None`.
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
                 d_steps=1, g_steps=1, noise="normal", seed=None, d_constraint=None, concat_real_fake=False,
                 **kwargs):
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
        if d_constraint is not None and not callable(d_constraint):
            raise ValueError(f"`d_constraint` must be a callable (a Keras constraint) or None. "
                             f"Received: `d_constraint={d_constraint!r}`.")
        self.d_constraint = d_constraint
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial_loss = losses_lib.get(loss)
        self.penalty = penalty
        self.noise = noise
        self.seed = seed
        self.concat_real_fake = bool(concat_real_fake)
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        # Also a (non-trainable) weight of the model, so that `.keras` files carry the noise state.
        self.noise_state = self.seed_generator.state
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step")
        self._hooks = ()
        self._extra_state = {}
        self._check_shapes()
        self._check_discriminator_output()
        # Steps whose updates were skipped for a non-finite loss or gradient: in all (checkpointed),
        # in a row now, and whether the current step skipped one (see `_apply`).
        self.nan_steps = keras.Variable(0, dtype="int64", trainable=False, name="nan_steps",
                                        aggregation="only_first_replica")
        self.nan_streak = keras.Variable(0, dtype="int64", trainable=False, name="nan_streak",
                                         aggregation="only_first_replica")
        self._step_skipped = keras.Variable(0, dtype="int64", trainable=False, name="step_skipped",
                                            aggregation="only_first_replica")
        self.track_state("nan_steps", self.nan_steps)
        # A penalty's own random draws (WGAN-GP's mixing weights) continue where they were on resume.
        if getattr(self.penalty, "seed_generator", None) is not None:
            self.track_state("penalty_seed", self.penalty.seed_generator.state)
        # Range of the first batch of images `fit` sees; `fit` warns once when it is outside [-1, 1].
        self._data_range = keras.Variable([0.0, 0.0], trainable=False, name="data_range",
                                          aggregation="only_first_replica")
        self._data_range_seen = keras.Variable(False, dtype="bool", trainable=False, name="data_range_seen",
                                               aggregation="only_first_replica")

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

    def _check_discriminator_output(self):
        """Fails at construction when D's real/fake logits are not one per example (`[batch, 1]`,
        `[batch]` or patches `[batch, ..., 1]`), e.g. a classifier's or a two-headed D given to a GAN
        that does not split its output (`adversarial_logits`)."""
        try:
            logits = self.adversarial_logits(self.discriminator.output)
        except (AttributeError, ValueError, TypeError, IndexError):
            return  # subclassed models or heads this check cannot read: the step is the check
        shape = getattr(logits, "shape", None)
        if shape is None or isinstance(logits, (list, tuple, dict)):
            raise ValueError(f"The discriminator has several outputs but `{type(self).__name__}` takes one "
                             f"real/fake logit per example; override `adversarial_logits` to pick it. Received: "
                             f"`discriminator.output` of {len(logits)} tensors.")
        if len(shape) > 1 and shape[-1] != 1:
            raise ValueError(f"The discriminator must output one real/fake logit per example, of shape "
                             f"(batch, 1) for the {self.adversarial_loss.name or 'adversarial'} loss. Received: "
                             f"`discriminator.output.shape={tuple(shape)}`.")

    # ---------------------------------------------------------------- set-up

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Gives each network its own optimizer; `kwargs` go to `keras.Model.compile`."""
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

    def auxiliary_d_loss(self, real_outputs, fake_outputs, real_labels, fake_labels):
        """Per-example terms a subclass adds to D's loss (ACGAN's class loss); none here."""
        return None

    def auxiliary_g_loss(self, fake_outputs, fake_labels):
        """Per-example terms a subclass adds to G's loss; none here."""
        return None

    def discriminator_metrics(self, real_outputs, fake_outputs, real_labels, fake_labels):
        """Extra per-example quantities logged from D's step (ACGAN's class accuracy); none here."""
        return {}

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
        forward_state = self._begin_guarded_step()
        minibatches = self._split(real, labels)

        d_logs = [self._discriminator_step(x, c) for x, c in minibatches]
        last_real, last_labels = minibatches[-1]
        g_logs = [self._generator_step(last_real, last_labels) for _ in range(self.g_steps)]

        self.step_counter.assign_add(1)
        logs = _mean_logs(d_logs)
        logs.update(_mean_logs(g_logs))
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

    def _discriminator_step(self, real, real_labels):
        batch_size = tf.shape(real)[0]
        z = self.sample_noise(batch_size)
        fake_labels = self.sample_labels(batch_size)
        fake = _float32(self.generate(z, fake_labels, training=True))
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
            if self.penalty is not None:
                critic = lambda x: self.adversarial_logits(_float32(self.discriminate(x, real_labels, training=True)))
                penalty = self._average(self.penalty(critic, real_in, fake_in, step=self.step_counter))
                total = total + penalty
            scaled = self.d_optimizer.scale_loss(total)  # unchanged unless loss-scaled (float16)
        variables = self.discriminator.trainable_variables
        grads = tape.gradient(scaled, variables)
        d_grad_norm = _grad_norm(self.d_optimizer, grads)
        self._apply(self.d_optimizer, grads, variables, total, d_grad_norm)

        logs = {"d_loss": d_loss,
                "d_real": self._average(_per_example_mean(self.adversarial_loss.output(real_logits))),
                "d_fake": self._average(_per_example_mean(self.adversarial_loss.output(fake_logits)))}
        if self.penalty is not None:
            logs["penalty"] = penalty
            for name, values in getattr(self.penalty, "last_logs", {}).items():
                logs[name] = self._average(values)
        if getattr(self.adversarial_loss, "estimates_wasserstein", False):
            logs["wasserstein_estimate"] = logs["d_real"] - logs["d_fake"]
        extra = self.discriminator_metrics(real_out, fake_out, real_labels, fake_labels)
        logs.update({k: self._average(v) for k, v in extra.items()})
        logs = {k: self._log_value(v) for k, v in logs.items()}
        # Each replica holds a share of the gradient; the mean of their norms is what is cheap to log.
        logs["d_grad_norm"] = self._log_value(d_grad_norm, tf.distribute.ReduceOp.MEAN)
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
            fake = _float32(self.generate(z, fake_labels, training=True))
            fake_in = fake
            for hook in self._hooks:
                fake_in = hook.generator_inputs(fake_in)
            fake_out = _float32(self.discriminate(fake_in, fake_labels, training=True))
            real_logits = None
            if getattr(self.adversarial_loss, "generator_needs_real", False):
                real_logits = self.adversarial_logits(_float32(self.discriminate(real, real_labels, training=True)))
            per_example = self.adversarial_loss.g_loss(self.adversarial_logits(fake_out), real_logits)
            aux = self.auxiliary_g_loss(fake_out, fake_labels)
            if aux is not None:
                per_example = per_example + aux
            g_loss = self._average(per_example)
            scaled = self.g_optimizer.scale_loss(g_loss)
        variables = self.generator.trainable_variables
        grads = tape.gradient(scaled, variables)
        g_grad_norm = _grad_norm(self.g_optimizer, grads)
        self._apply(self.g_optimizer, grads, variables, g_loss, g_grad_norm)
        return {"g_loss": self._log_value(g_loss),
                "g_grad_norm": self._log_value(g_grad_norm, tf.distribute.ReduceOp.MEAN)}

    def _apply(self, optimizer, grads, variables, loss, grad_norm):
        """Applies `grads` unless `loss` or a gradient is not finite on some replica.

        The skip is a `tf.cond` around `apply_gradients`, so a skipped update leaves the weights and
        the optimizer's whole state (iterations, Adam's moments) as they were, where zeroed gradients
        would still move the moments. The step is then counted in `nan_steps`. The gradients are
        checked through their global norm (logged anyway), which is NaN or inf when any of them is,
        and also when their squared norm overflows float32.
        """
        finite = tf.math.is_finite(loss)
        # A loss-scaled optimizer sees its own overflowing gradients, to skip them and lower its scale.
        if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            finite = tf.logical_and(finite, tf.math.is_finite(grad_norm))
        # All replicas must take the same branch: apply_gradients all-reduces inside it.
        bad = self._log_value(1.0 - tf.cast(finite, tf.float32))
        finite = tf.equal(bad, 0.0)

        def update(grads):
            optimizer.apply_gradients(list(zip(grads, variables)))

        if tf.__internal__.distribute.strategy_supports_no_merge_call():
            tf.cond(finite, lambda: update(grads), lambda: None)
        else:
            # A strategy that syncs through merge_call (MirroredStrategy) cannot have it in a cond
            # branch in replica context; the cond goes in cross-replica context, as in Keras's
            # LossScaleOptimizer.
            def cross_replica(distribution, finite, grads):
                def apply_all():
                    distribution.extended.call_for_each_replica(update, args=(grads,))

                tf.cond(distribution.experimental_local_results(finite)[0], apply_all, lambda: None)

            tf.distribute.get_replica_context().merge_call(cross_replica, args=(finite, grads))
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

        seen = tf.convert_to_tensor(self._data_range_seen)
        self._data_range.assign(tf.cond(seen, lambda: tf.convert_to_tensor(self._data_range), first_range))
        self._data_range_seen.assign(True)

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
            d_constraint=keras.saving.serialize_keras_object(self.d_constraint)
            if self.d_constraint is not None else None,
            concat_real_fake=self.concat_real_fake,
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
        self._pending = not bool(self.model._data_range_seen.numpy())

    def on_train_batch_end(self, batch, logs=None):
        if not self._pending:
            return
        self._pending = False
        low, high = (float(v) for v in self.model._data_range.numpy())
        if bool(self.model._data_range_seen.numpy()) and (low < -1.0 - 1e-3 or high > 1.0 + 1e-3):
            warnings.warn(f"The images given to fit lie in [{low:g}, {high:g}], outside the [-1, 1] of a tanh "
                          f"generator; scale them, e.g. x / 127.5 - 1 for uint8 pixels.", stacklevel=2)


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
        _check_positive_int("num_classes", num_classes)
        if fake_labels not in FAKE_LABELS:
            raise ValueError(f"`fake_labels` must be one of {FAKE_LABELS}. Received: `fake_labels={fake_labels!r}`.")
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = num_classes
        self.fake_labels = fake_labels
        _check_inputs("generator", generator, 2, "[z, labels]")
        self._check_discriminator(discriminator)
        # Summed over replicas before the update, so every replica holds the global counts.
        self.label_counts = keras.Variable(tf.zeros([num_classes]), trainable=False, name="label_counts",
                                           aggregation="only_first_replica")
        self.track_state("label_counts", self.label_counts)

    def _check_discriminator(self, discriminator):
        _check_inputs("discriminator", discriminator, 2, "[x, labels]")

    def build(self, input_shape=None):
        if not self.generator.built:
            self.generator.build([(None, self.latent_dim), (None,)])
        self.built = True

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
            counts = tf.math.bincount(labels, minlength=self.num_classes, maxlength=self.num_classes,
                                      dtype=tf.float32)
            context = tf.distribute.get_replica_context()
            if context is not None and context.num_replicas_in_sync > 1:
                counts = context.all_reduce(tf.distribute.ReduceOp.SUM, counts)
            self.label_counts.assign_add(counts)
        return real, labels

    def sample_labels(self, batch_size):
        """Labels of the fakes: uniform over the classes, or with the real labels' frequencies."""
        if self.fake_labels == "uniform":
            return keras.random.randint((batch_size,), 0, self.num_classes, seed=self.seed_generator, dtype="int32")
        # log(0) = -inf: a class never seen in the data is never asked for.
        logits = tf.math.log(tf.convert_to_tensor(self.label_counts))[None]
        return tf.cast(keras.random.categorical(logits, batch_size, seed=self.seed_generator)[0], tf.int32)

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
        if isinstance(aux_weight, bool) or not isinstance(aux_weight, (int, float)) or aux_weight < 0:
            raise ValueError(f"`aux_weight` must be a number >= 0. Received: `aux_weight={aux_weight!r}`.")
        if not isinstance(fake_class, bool):
            raise ValueError(f"`fake_class` must be True or False. Received: `fake_class={fake_class!r}`.")
        self._num_outputs = num_classes + 1 if isinstance(num_classes, int) else None
        super().__init__(generator, discriminator, latent_dim, num_classes, **kwargs)
        self.aux_weight = float(aux_weight)
        self.fake_class = fake_class

    def _check_discriminator(self, discriminator):
        _check_inputs("discriminator", discriminator, 1, "x")
        outputs = getattr(discriminator, "outputs", None)
        if outputs and outputs[0].shape[-1] != self._num_outputs:
            raise ValueError(f"ACGAN's discriminator must output num_classes + 1 = {self._num_outputs} logits "
                             f"(1 real/fake + {self.num_classes} classes). Received output shape "
                             f"{tuple(outputs[0].shape)}.")

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
