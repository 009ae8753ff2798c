"""`AdversarialModel`: what every model with an adversarial `train_step` shares, whatever it generates
from (noise for `GAN`, images for `Pix2Pix` and `CycleGAN`).

It owns the training state outside the networks (the step counter, the count of skipped non-finite
steps, the first batch's data range, tricks' state registered with `track_state`), the two optimizers
of `compile`, the guarded update (`apply_update`: no update from a non-finite loss or gradient), the
reduction of per-example losses over the global batch, hooks, and the serving export. A subclass says
which networks are its generators and discriminators and writes its `train_step` from these parts.
"""

import contextlib
import warnings

import keras
import tensorflow as tf

from tfgan.models.hooks import TrainingHook


class AdversarialModel(keras.Model):
    """The shared base of the adversarial models: subclasses set their networks, then call
    `generator_networks()` / `discriminator_networks()`-aware methods below from their `train_step`.

    `compile(d_optimizer, g_optimizer)` gives one optimizer to all generator networks and one to all
    discriminator networks (CycleGAN's reference code does the same for its two generators and two
    discriminators). `training_state()` is everything a checkpoint holds; `step_counter` counts
    training steps; `nan_steps` / `nan_streak` count updates skipped for non-finite values.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.step_counter = keras.Variable(0, dtype="int64", trainable=False, name="step")
        self.generator_ema = None  # a GeneratorEMA sets itself here; samples and exports then use it
        self._hooks = ()
        self._extra_state = StateRegistry()
        # Steps whose updates were skipped for a non-finite loss or gradient: in all (checkpointed),
        # in a row now, and whether the current step skipped one (see `apply_update`).
        self.nan_steps = keras.Variable(0, dtype="int64", trainable=False, name="nan_steps",
                                        aggregation="only_first_replica")
        self.nan_streak = keras.Variable(0, dtype="int64", trainable=False, name="nan_streak",
                                         aggregation="only_first_replica")
        self._step_skipped = keras.Variable(0, dtype="int64", trainable=False, name="step_skipped",
                                            aggregation="only_first_replica")
        self.track_state("nan_steps", self.nan_steps)
        # Range of the first batch of images `fit` sees; `fit` warns once when it is outside [-1, 1].
        self.data_range = keras.Variable([0.0, 0.0], trainable=False, name="data_range",
                                         aggregation="only_first_replica")
        self.data_range_seen = keras.Variable(False, dtype="bool", trainable=False, name="data_range_seen",
                                              aggregation="only_first_replica")

    # ---------------------------------------------------------------- the networks

    def generator_networks(self):
        """The networks `g_optimizer` trains, in a fixed order."""
        return (self.generator,)

    def discriminator_networks(self):
        """The networks `d_optimizer` trains, in a fixed order."""
        return (self.discriminator,)

    def generator_variables(self):
        return [v for net in self.generator_networks() for v in net.trainable_variables]

    def discriminator_variables(self):
        return [v for net in self.discriminator_networks() for v in net.trainable_variables]

    # ---------------------------------------------------------------- set-up

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Gives the discriminators and the generators their own optimizer; `kwargs` (`jit_compile`,
        `steps_per_execution`, ...) go to `keras.Model.compile`."""
        for name, opt in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            if not isinstance(opt, keras.optimizers.Optimizer):
                raise ValueError(f"`{name}` must be a keras.optimizers.Optimizer. Received: `{name}={opt!r}`.")
        if d_optimizer is g_optimizer:
            raise ValueError("`d_optimizer` and `g_optimizer` must be two optimizer objects, not the same one.")
        super().compile(optimizer=None, **kwargs)
        # An overridden compile gets no automatic loss scaling: under a mixed_float16 policy each
        # optimizer is wrapped here, and the steps scale each loss with `optimizer.scale_loss`.
        self.d_optimizer = loss_scaled(d_optimizer, self.discriminator_networks()[0], "d_loss_scale_optimizer")
        self.g_optimizer = loss_scaled(g_optimizer, self.generator_networks()[0], "g_loss_scale_optimizer")
        # Built now, inside the strategy scope compile runs in, so that fit under a
        # MirroredStrategy does not create slots in a replica context.
        self.d_optimizer.build(self.discriminator_variables())
        self.g_optimizer.build(self.generator_variables())
        # Built before fit: under a strategy fit would otherwise build the model by calling it on a
        # batch of real data, which is not the generator's input.
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
        """Everything a checkpoint needs to resume training exactly, as a dict of trackables: the
        step, both optimizers and what `track_state` registered; subclasses add their networks."""
        state = dict(step=self.step_counter)
        for name in ("d_optimizer", "g_optimizer"):
            if getattr(self, name, None) is not None:
                state[name] = getattr(self, name)
        state.update(self._extra_state.items)
        return state

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

    def export(self, filepath, format="tf_saved_model", verbose=None, **kwargs):
        """Exports the generator's serving SavedModel (`tfgan.export.export_generator`), loadable
        without tfgan."""
        from tfgan import export as export_lib  # export imports data, not models: no circle

        if format != "tf_saved_model":
            raise ValueError(f"`format` must be 'tf_saved_model' for {type(self).__name__}. "
                             f"Received: `format={format!r}`.")
        return export_lib.export_generator(self, filepath)

    # ---------------------------------------------------------------- the parts of a training step

    def fit(self, *args, **kwargs):
        """`keras.Model.fit`, warning once when the images it trains on lie outside [-1, 1]."""
        callbacks = list(kwargs.pop("callbacks", None) or [])
        if not any(isinstance(c, DataRangeWarning) for c in callbacks):
            callbacks.insert(0, DataRangeWarning())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def apply_update(self, optimizer, grads, variables, loss, grad_norm, enabled=None):
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
        bad = self.log_value(1.0 - tf.cast(finite, tf.float32))
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

    def minimize(self, tape, optimizer, loss, variables, enabled=None):
        """The guarded update of `variables` down the gradient of `loss` (recorded on `tape`), the
        loss scaled for mixed precision; returns the gradients' global norm (of the unscaled loss)."""
        grads = tape.gradient(optimizer.scale_loss(loss), variables)
        norm = grad_norm(optimizer, grads)
        self.apply_update(optimizer, grads, variables, loss, norm, enabled)
        return norm

    def begin_guarded_step(self):
        """Copies what the forward pass changes besides the weights (BatchNorm statistics, spectral
        norm's power-iteration vectors), for `end_guarded_step` to put back after a skipped step."""
        self._step_skipped.assign(0)
        networks = self.generator_networks() + self.discriminator_networks()
        variables = [v for net in networks for v in net.non_trainable_variables]
        return [(v, tf.identity(v)) for v in variables if "float" in str(v.dtype)]

    def end_guarded_step(self, forward_state):
        """Restores the forward state after a step with a skipped update and counts the step."""
        skipped = tf.convert_to_tensor(self._step_skipped)
        # Assigned every step (unchanged when nothing was skipped): an assign inside a cond branch
        # cannot sync mirrored variables.
        for variable, value in forward_state:
            variable.assign(tf.where(skipped > 0, value, variable))
        self.nan_steps.assign_add(skipped)
        self.nan_streak.assign((self.nan_streak + skipped) * skipped)
        return {"nan_steps": tf.cast(self.nan_steps, tf.float32)}

    def observe_data_range(self, real):
        """Records the range of the first image batch; later steps only copy the recorded one."""
        if real.shape.rank is None or real.shape.rank < 4:
            return  # vectors (toy1d, ring, grid) have no fixed range

        def first_range():
            x = tf.cast(real, tf.float32)
            return tf.stack([tf.reduce_min(x), tf.reduce_max(x)])

        seen = tf.convert_to_tensor(self.data_range_seen)
        self.data_range.assign(tf.cond(seen, lambda: tf.convert_to_tensor(self.data_range), first_range))
        self.data_range_seen.assign(True)

    def average(self, per_example):
        """Mean over the GLOBAL batch: each replica divides its sum by the global batch size, so
        the gradients the optimizer sums across replicas equal a 1-replica step's."""
        per_example = tf.cast(per_example, tf.float32)
        count = replicas()
        if count == 1:
            return tf.reduce_mean(per_example)
        global_batch = tf.cast(tf.shape(per_example)[0] * count, tf.float32)
        return tf.reduce_sum(per_example) / global_batch

    def log_value(self, value, reduce_op=tf.distribute.ReduceOp.SUM):
        """A logged number equal on every replica: by default the sum of the replicas' global-batch
        shares, i.e. the global-batch value."""
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return value
        return context.all_reduce(reduce_op, value)

    # ---------------------------------------------------------------- saving

    def get_compile_config(self):
        """Both optimizers, so that `keras.models.load_model` compiles the model as it was saved (the
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


class DataRangeWarning(keras.callbacks.Callback):
    """Warns once, after the first batch, when images given to `fit` lie outside [-1, 1].

    The range is computed in the graph on the first batch only (`AdversarialModel.observe_data_range`;
    later steps copy two scalars), so the data are not read twice (peeking at a shuffled pipeline would
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


class StateRegistry:
    """The tricks' state a checkpoint saves with the model. A plain holder, so that Keras does not
    track it as the model's own weights (tricks add state after the model is built)."""

    def __init__(self):
        self.items = {}


# ---------------------------------------------------------------- helpers of the steps

def replicas():
    return tf.distribute.get_strategy().num_replicas_in_sync


def check_network(name, network):
    if not isinstance(network, keras.layers.Layer):
        raise ValueError(f"`{name}` must be a Keras model or layer. Received: `{name}={network!r}`.")
    return network


def first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def regularization_loss(network):
    """The network's regularization losses (`kernel_regularizer`, `add_loss`), a global-batch share
    on each replica (their gradients are summed over replicas), or None when it has none."""
    if not network.losses:
        return None
    return tf.add_n([tf.cast(loss, tf.float32) for loss in network.losses]) / replicas()


def per_example_mean(values):
    """Averages every axis but the first: one value per example (patch logits, pixels)."""
    values = tf.convert_to_tensor(values)
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def float32(outputs):
    """Network outputs in float32, so that losses and penalties are computed in float32 under a
    mixed-precision policy (a float16 log-sigmoid or squared norm under- / overflows)."""
    return tf.nest.map_structure(lambda t: tf.cast(t, tf.float32) if t.dtype.is_floating else t, outputs)


def loss_scaled(optimizer, network, name):
    if network.dtype_policy.name != "mixed_float16" or isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer, name=name)


def grad_norm(optimizer, grads):
    """The norm of the gradients of the unscaled loss."""
    norm = tf.linalg.global_norm(grads)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        norm = norm / tf.cast(optimizer.dynamic_scale, norm.dtype)
    return norm


def keras_reducible(logs):
    """Keras 3 reduces a step's logs under a multi-worker strategy with `strategy.reduce(MEAN, v, axis=0)`,
    which fails on scalars (tensorflow/tensorflow#72388); there the logs, already equal on every
    replica, get a leading axis of 1 that this reduction removes."""
    extended = tf.distribute.get_strategy().extended
    if not getattr(extended, "_in_multi_worker_mode", lambda: False)():
        return logs
    return {k: tf.reshape(v, [1]) for k, v in logs.items()}


def mean_logs(logs_list):
    """Averages the logs of several updates (all D steps are reported, not just the last)."""
    keys = logs_list[0].keys()
    return {k: tf.add_n([logs[k] for logs in logs_list]) / len(logs_list) for k in keys}
