"""The ganhacks tricks as Keras callbacks that install `TrainingHook`s on a `GAN`.

Each trick is a callback: `set_model` creates its variables (so a `TrainingCheckpoint` restored
before `fit` finds them), `on_train_begin` installs it as a hook on the model, `on_train_end`
removes it. What changes over training (a smoothing strength, a flip probability, a noise std) is a
`tf.Variable` the callback assigns before each step, so the traced step reads it and never retraces.
They compose: pass several in `callbacks=[...]`; hooks run in the order of the list. Public names are
re-exported from `tfgan.callbacks`.

Samples, evaluation and export use the weights `sampling_weights(model)` puts in the generator:
its own, or the moving average when a `GeneratorEMA` is on (see `sampling_weights`).

References: soumith/ganhacks (2016); Salimans et al., Improved Techniques for Training GANs, 2016;
Sønderby et al., Amortised MAP Inference for Image Super-resolution, 2017 (instance noise);
Zhao et al., Differentiable Augmentation for Data-Efficient GAN Training, 2020.
"""

import contextlib
import math

import keras
import numpy as np
import tensorflow as tf

from tfgan.models import TrainingHook

DECAYS = (None, "linear", "exponential")
AUGMENTATIONS = ("color", "translation", "cutout")
NOISY_REAL_TARGETS = (0.7, 1.2)
NOISY_FAKE_TARGETS = (0.0, 0.3)


def _step(model):
    return int(model.step_counter.numpy())


def _check_number(name, value, low=None, high=None):
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.number)) and math.isfinite(value)
    if ok and low is not None and value < low or ok and high is not None and value > high:
        ok = False
    if not ok:
        bounds = f" in [{low}, {high}]" if high is not None else f" >= {low}" if low is not None else ""
        raise ValueError(f"`{name}` must be a finite number{bounds}. Received: `{name}={value!r}`.")
    return float(value)


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: `{name}={value!r}`.")
    return int(value)


def _check_decay(decay, decay_steps):
    if decay not in DECAYS:
        raise ValueError(f"`decay` must be one of {DECAYS}. Received: `decay={decay!r}`.")
    if decay is not None:
        _check_positive_int("decay_steps", decay_steps)
    return decay


def decayed(value, step, decay=None, decay_steps=None):
    """`value` at `step`: constant, `"linear"` (to 0 at `decay_steps`) or `"exponential"` (halved
    every `decay_steps`)."""
    if decay == "linear":
        return value * max(0.0, 1.0 - step / decay_steps)
    if decay == "exponential":
        return value * 0.5 ** (step / decay_steps)
    return value


class Trick(keras.callbacks.Callback, TrainingHook):
    """A callback that is also the `TrainingHook` it installs, with one scheduled variable.

    `value` holds `initial` decayed by `decay` over `decay_steps` (see `decayed`); it is assigned
    before every step from the model's step counter.
    """

    def __init__(self, initial, decay=None, decay_steps=None, seed=None):
        super().__init__()
        self.initial = initial
        self.decay = _check_decay(decay, decay_steps)
        self.decay_steps = decay_steps
        self.seed = seed
        self.value = tf.Variable(float(initial), trainable=False, dtype=tf.float32, name="schedule")
        self.seed_generator = keras.random.SeedGenerator(seed)

    def check_model(self, model):
        """Raises `ValueError` when the trick cannot apply to `model`."""

    def on_train_begin(self, logs=None):
        self.check_model(self.model)
        self.model.add_hook(self)
        self.update(_step(self.model))

    def on_train_batch_begin(self, batch, logs=None):
        self.update(_step(self.model))

    def on_train_end(self, logs=None):
        self.model.remove_hook(self)

    def update(self, step):
        self.value.assign(decayed(self.initial, step, self.decay, self.decay_steps))

    def get_config(self):
        return {"decay": self.decay, "decay_steps": self.decay_steps, "seed": self.seed}


def _check_uses_targets(trick, model):
    loss = model.adversarial_loss
    if not loss.uses_targets:
        raise ValueError(f"{type(trick).__name__} changes D's targets, but `loss={loss.name or loss!r}` takes none; "
                         f"use it with minimax, non_saturating or least_squares.")


def _target(name, value):
    """A fixed target (a number) or a uniform range (a `(low, high)` pair)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be a number or a (low, high) pair. Received: `{name}={value!r}`.")
        low, high = (_check_number(name, v) for v in value)
        if low > high:
            raise ValueError(f"`{name}` must have low <= high. Received: `{name}={value!r}`.")
        return (low, high)
    return _check_number(name, value)


def _bounds(target):
    return target if isinstance(target, tuple) else (target, target)


class LabelSmoothing(Trick):
    """Softens D's targets: one-sided (real 1 -> 0.9, Salimans et al. 2016, sec. 3.4) or noisy
    (real ~ U(0.7, 1.2), fake ~ U(0.0, 0.3), ganhacks #6).

    With strength s(step) (1 at the start, decayed by `decay`), a target t in [0, 1] becomes

        t' = lo + t (hi - lo),   hi = 1 + s (r - 1),   lo = s f

    where r and f are `real_target` / `fake_target` (drawn per example when given as ranges). The
    map is affine in t, so it composes with `LabelFlipping` in either order.

    Args:
        real_target: target of real examples, a number or a `(low, high)` range. Defaults to `0.9`.
        fake_target: target of fakes, a number or a range. Defaults to `0.0` (one-sided).
        decay: `None`, `"linear"` or `"exponential"` decay of the smoothing strength. Defaults to `None`.
        decay_steps: steps to 0 (linear) or half-life (exponential). Defaults to `None`.
        seed: seed of the noisy targets. Defaults to `None`.

    Example:

    ```python
    gan.fit(ds, callbacks=[tfgan.callbacks.LabelSmoothing(0.9)])
    gan.fit(ds, callbacks=[tfgan.callbacks.LabelSmoothing.noisy()])
    ```
    """

    def __init__(self, real_target=0.9, fake_target=0.0, decay=None, decay_steps=None, seed=None):
        super().__init__(1.0, decay, decay_steps, seed)
        self.real_target = _target("real_target", real_target)
        self.fake_target = _target("fake_target", fake_target)
        if _bounds(self.fake_target)[1] >= _bounds(self.real_target)[0]:
            raise ValueError(f"`fake_target` must lie below `real_target`. Received: `real_target={real_target!r}`, "
                             f"`fake_target={fake_target!r}`.")

    @classmethod
    def noisy(cls, **kwargs):
        """The noisy form of the notes: real ~ U(0.7, 1.2), fake ~ U(0.0, 0.3)."""
        return cls(NOISY_REAL_TARGETS, NOISY_FAKE_TARGETS, **kwargs)

    def check_model(self, model):
        _check_uses_targets(self, model)

    def _draw(self, target, shape):
        low, high = _bounds(target)
        if low == high:
            return tf.fill(shape, low)
        return keras.random.uniform(shape, low, high, seed=self.seed_generator)

    def targets(self, real_targets, fake_targets):
        s = self.value
        out = []
        for t in (real_targets, fake_targets):
            hi = 1.0 + s * (self._draw(self.real_target, tf.shape(t)) - 1.0)
            lo = s * self._draw(self.fake_target, tf.shape(t))
            out.append(lo + t * (hi - lo))
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "real_target": self.real_target, "fake_target": self.fake_target}


class LabelFlipping(Trick):
    """With probability p(step), swaps an example's D target: a real is labelled fake and a fake
    real ("make the labels noisy for the discriminator", ganhacks #6). Each real and each fake is
    flipped independently.

    Args:
        probability: p at step 0, in [0, 1]. Defaults to `0.05`.
        decay: `None`, `"linear"` or `"exponential"` decay of p. Defaults to `None`.
        decay_steps: steps to 0 (linear) or half-life (exponential). Defaults to `None`.
        seed: seed of the flips. Defaults to `None`.
    """

    def __init__(self, probability=0.05, decay=None, decay_steps=None, seed=None):
        super().__init__(_check_number("probability", probability, 0.0, 1.0), decay, decay_steps, seed)
        self.probability = float(probability)

    def check_model(self, model):
        _check_uses_targets(self, model)

    def targets(self, real_targets, fake_targets):
        flip_real = keras.random.uniform(tf.shape(real_targets), seed=self.seed_generator) < self.value
        flip_fake = keras.random.uniform(tf.shape(fake_targets), seed=self.seed_generator) < self.value
        # A flipped example gets the other side's target (whatever smoothing made of it).
        return (tf.where(flip_real, fake_targets, real_targets), tf.where(flip_fake, real_targets, fake_targets))

    def get_config(self):
        return {**super().get_config(), "probability": self.probability}


class InstanceNoise(Trick):
    """Adds Gaussian noise of std sigma(step) to everything D sees, real and fake, in both updates,
    so the two distributions overlap and D's gradient is informative early on; sigma anneals to 0.

    Args:
        stddev: sigma at step 0, >= 0. Defaults to `0.1`.
        decay: `"linear"` (to 0 at `decay_steps`), `"exponential"` (halved every `decay_steps`) or
            `None` (constant). Defaults to `"linear"`.
        decay_steps: see `decay`. Defaults to `10000`.
        seed: seed of the noise. Defaults to `None`.

    Reference:
        Sønderby et al., Amortised MAP Inference for Image Super-resolution, ICLR 2017, sec. 3.2;
        Arjovsky & Bottou, Towards Principled Methods for Training GANs, ICLR 2017.
    """

    def __init__(self, stddev=0.1, decay="linear", decay_steps=10000, seed=None):
        super().__init__(_check_number("stddev", stddev, 0.0), decay, decay_steps, seed)
        self.stddev = float(stddev)

    def _noisy(self, x):
        return x + self.value * keras.random.normal(tf.shape(x), dtype=x.dtype, seed=self.seed_generator)

    def discriminator_inputs(self, real, fake):
        return self._noisy(real), self._noisy(fake)

    def generator_inputs(self, fake):
        return self._noisy(fake)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


def _sample_shape(model):
    """The shape of one generated sample, without drawing from the model's noise generator."""
    try:
        return tuple(model.generator.output.shape[1:])
    except (AttributeError, ValueError):  # a subclassed generator: one forward pass
        z = tf.zeros([1, model.latent_dim])
        return tuple(model.generate(z, model.sample_labels(1), training=False).shape[1:])


class ExperienceReplay(Trick):
    """Shows D past fakes: a pool of `size` generated examples in graph variables (TF-GAN's
    `tensor_pool` semantics, per example, as CycleGAN's image pool).

        for each fake x:  if the pool is not full: store x, use x
                          else with probability p: use a random pooled y and store x in its place
                          else: use x

    Only D's update sees pooled fakes; the generator's update always scores fresh fakes, so G's
    gradient never flows through the pool. The pool is part of `model.training_state()`.

    Args:
        size: examples in the pool. Defaults to `1000`.
        probability: p, in [0, 1]. Defaults to `0.5`.
        seed: seed of the draws. Defaults to `None`.

    Reference:
        Shrivastava et al., Learning from Simulated and Unsupervised Images through Adversarial
        Training, CVPR 2017 (history of refined images); soumith/ganhacks #8.
    """

    def __init__(self, size=1000, probability=0.5, seed=None):
        super().__init__(_check_number("probability", probability, 0.0, 1.0), seed=seed)
        self.size = _check_positive_int("size", size)
        self.probability = float(probability)
        self.state = None

    def set_model(self, model):
        super().set_model(model)
        if self.state is None:
            self.state = tf.Module(name="experience_replay")
            self.state.pool = tf.Variable(tf.zeros((self.size,) + _sample_shape(model)), trainable=False, name="pool")
            self.state.count = tf.Variable(0, dtype=tf.int64, trainable=False, name="count")
            self.state.seed = self.seed_generator.state
        model.track_state("experience_replay", self.state)

    def discriminator_inputs(self, real, fake):
        return real, self.replay(fake)

    def replay(self, fake):
        """The fakes D trains on; updates the pool."""
        fake = tf.stop_gradient(fake)
        batch = tf.shape(fake)[0]
        pool, count = self.state.pool, self.state.count
        slots = count + tf.range(batch, dtype=tf.int64)
        filling = slots < self.size
        swap = tf.logical_and(tf.logical_not(filling),
                              keras.random.uniform([batch], seed=self.seed_generator) < self.value)
        random_slots = keras.random.randint([batch], 0, self.size, dtype="int64", seed=self.seed_generator)
        pooled = tf.gather(pool, random_slots)
        mask = tf.reshape(swap, [-1] + [1] * (fake.shape.rank - 1))
        out = tf.where(mask, pooled, fake)
        write = tf.logical_or(filling, swap)
        indices = tf.boolean_mask(tf.where(filling, slots, random_slots), write)
        pool.scatter_nd_update(indices[:, None], tf.boolean_mask(fake, write))
        count.assign(tf.minimum(count + tf.cast(batch, tf.int64), self.size))
        return out

    def update(self, step):
        self.value.assign(self.probability)

    def get_config(self):
        return {"size": self.size, "probability": self.probability, "seed": self.seed}


def _copy(source, target):
    for s, t in zip(source, target):
        t.assign(s)


class GeneratorEMA(keras.callbacks.Callback):
    """An exponential moving average of the generator's weights, used for samples, evaluation and
    export (Yazıcı et al. 2019; Karras et al. 2018).

        w_ema <- w                                  before `start_step`
        w_ema <- decay * w_ema + (1 - decay) * w    after every step from `start_step` on

    Non-trainable weights (BatchNorm statistics) are copied. The averages are part of
    `model.training_state()`; `model.generator_ema` is set to this callback, and
    `sampling_weights(model)` puts its weights into the generator for sampling and export.

    Args:
        decay: in [0, 1). Defaults to `0.999`.
        start_step: first step averaged. Defaults to `0`.

    Reference:
        Yazıcı et al., The Unusual Effectiveness of Averaging in GAN Training, ICLR 2019.
    """

    def __init__(self, decay=0.999, start_step=0):
        super().__init__()
        self.decay = _check_number("decay", decay, 0.0, 1.0)
        if self.decay == 1.0:
            raise ValueError(f"`decay` must be < 1 (1 never moves the average). Received: `decay={decay!r}`.")
        if isinstance(start_step, bool) or not isinstance(start_step, (int, np.integer)) or start_step < 0:
            raise ValueError(f"`start_step` must be a non-negative integer. Received: `start_step={start_step!r}`.")
        self.start_step = int(start_step)
        self.state = None
        self._update = None

    def set_model(self, model):
        super().set_model(model)
        if self.state is None:
            self.state = tf.Module(name="generator_ema")
            self.state.weights = [tf.Variable(w, trainable=False, name="ema") for w in model.generator.weights]
            self._update = tf.function(self._average)
        model.track_state("generator_ema", self.state)
        model.generator_ema = self

    @property
    def weights(self):
        return self.state.weights

    def _average(self, step):
        trainable = {id(v) for v in self.model.generator.trainable_weights}
        decay = tf.where(step > self.start_step, self.decay, 0.0)
        for w, ema in zip(self.model.generator.weights, self.state.weights):
            if id(w) in trainable:
                ema.assign(decay * ema + (1.0 - decay) * w)
            else:
                ema.assign(w)

    def on_train_batch_end(self, batch, logs=None):
        # After the step the counter is n: the weights are the result of n updates.
        self._update(tf.constant(_step(self.model), tf.int64))

    def get_config(self):
        return {"decay": self.decay, "start_step": self.start_step}


@contextlib.contextmanager
def sampling_weights(model):
    """Within the block, `model.generator` holds the weights samples are drawn with.

    That is the generator's own weights unless a `GeneratorEMA` registered itself as
    `model.generator_ema`; then the moving averages are swapped in and the training weights put
    back on exit. `SampleGrid` and `tfgan.export.export_generator` draw and save inside it.
    """
    ema = getattr(model, "generator_ema", None)
    if ema is None or ema.state is None:
        yield model.generator
        return
    backup = [w.numpy() for w in model.generator.weights]
    _copy(ema.weights, model.generator.weights)
    try:
        yield model.generator
    finally:
        _copy(backup, model.generator.weights)


class CheckpointSwap(keras.callbacks.Callback):
    """Every `every` steps, D trains `swap_steps` steps against the generator of `every` steps ago
    ("keep checkpoints from the past of G and D and occasionally swap them out for a few
    iterations", ganhacks #8). With `swap_discriminator`, every other swap instead trains G against
    the older discriminator.

    During a swap the older network's weights are in the model and its own updates are thrown away
    (weights and optimizer state are put back when the swap ends), so only the other network learns
    from the swap. Snapshots, the saved weights and the swap's end step are in
    `model.training_state()`, so a checkpoint written during a swap resumes it.

    Put it before `TrainingCheckpoint`, `SampleGrid` and other callbacks that read the weights in
    `callbacks=[...]`, so that they see the current networks once a swap ends.

    Args:
        every: steps between swaps. Defaults to `500`.
        swap_steps: steps a swap lasts (< `every`). Defaults to `5`.
        swap_discriminator: alternate D-vs-old-G swaps with G-vs-old-D swaps. Defaults to `False`.
    """

    def __init__(self, every=500, swap_steps=5, swap_discriminator=False):
        super().__init__()
        self.every = _check_positive_int("every", every)
        self.swap_steps = _check_positive_int("swap_steps", swap_steps)
        if self.swap_steps >= self.every:
            raise ValueError(f"`swap_steps` must be less than `every`. Received: `swap_steps={swap_steps!r}`, "
                             f"`every={every!r}`.")
        self.swap_discriminator = bool(swap_discriminator)
        self.state = None

    def _networks(self, model):
        return {"generator": (model.generator, model.g_optimizer),
                "discriminator": (model.discriminator, model.d_optimizer)}

    def set_model(self, model):
        super().set_model(model)
        if self.state is None:
            state = tf.Module(name="checkpoint_swap")
            state.end_step = tf.Variable(-1, dtype=tf.int64, trainable=False, name="end_step")
            state.swapped = tf.Variable(0, dtype=tf.int64, trainable=False, name="swapped")  # 0: G, 1: D
            state.swaps = tf.Variable(0, dtype=tf.int64, trainable=False, name="swaps")
            for name, (net, opt) in self._networks(model).items():
                setattr(state, f"{name}_snapshot", [tf.Variable(w, trainable=False) for w in net.weights])
                setattr(state, f"{name}_saved",
                        [tf.Variable(w, trainable=False) for w in net.weights + list(opt.variables)])
            self.state = state
        model.track_state("checkpoint_swap", self.state)

    def _begin(self, step):
        name = "discriminator" if self.swap_discriminator and int(self.state.swaps.numpy()) % 2 else "generator"
        net, opt = self._networks(self.model)[name]
        saved = getattr(self.state, f"{name}_saved")
        _copy(net.weights + list(opt.variables), saved)
        _copy(getattr(self.state, f"{name}_snapshot"), net.weights)
        # The next swap brings back the networks as they are now.
        for other, (other_net, _) in self._networks(self.model).items():
            _copy(saved if other == name else other_net.weights, getattr(self.state, f"{other}_snapshot"))
        self.state.swapped.assign(int(name == "discriminator"))
        self.state.end_step.assign(step + self.swap_steps)

    def _end(self):
        name = "discriminator" if int(self.state.swapped.numpy()) else "generator"
        net, opt = self._networks(self.model)[name]
        _copy(getattr(self.state, f"{name}_saved"), net.weights + list(opt.variables))
        self.state.end_step.assign(-1)
        self.state.swaps.assign_add(1)

    @property
    def swapping(self):
        return int(self.state.end_step.numpy()) >= 0

    def on_train_batch_begin(self, batch, logs=None):
        step = _step(self.model)
        if step > 0 and step % self.every == 0 and not self.swapping:
            self._begin(step)

    def on_train_batch_end(self, batch, logs=None):
        if self.swapping and _step(self.model) >= int(self.state.end_step.numpy()):
            self._end()

    def on_train_end(self, logs=None):
        if self.swapping:
            self._end()

    def get_config(self):
        return {"every": self.every, "swap_steps": self.swap_steps, "swap_discriminator": self.swap_discriminator}


def _translation_params(shape, seed_generator, ratio=0.125):
    batch, height, width = shape[0], shape[1], shape[2]
    shift_h, shift_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    return (keras.random.randint([batch, 1], -shift_h, shift_h + 1, dtype="int32", seed=seed_generator),
            keras.random.randint([batch, 1], -shift_w, shift_w + 1, dtype="int32", seed=seed_generator))


def _translate(x, dy, dx):
    """Shifts each image by (dy, dx) pixels, zero-filling (DiffAugment's rand_translation)."""
    height, width = x.shape[1], x.shape[2]
    rows = tf.clip_by_value(tf.range(height)[None] + dy + 1, 0, height + 1)
    x = tf.gather(tf.pad(x, [[0, 0], [1, 1], [0, 0], [0, 0]]), rows, axis=1, batch_dims=1)
    cols = tf.clip_by_value(tf.range(width)[None] + dx + 1, 0, width + 1)
    return tf.gather(tf.pad(x, [[0, 0], [0, 0], [1, 1], [0, 0]]), cols, axis=2, batch_dims=1)


def _cutout_mask(shape, seed_generator, ratio=0.5):
    """A [batch, H, W, 1] mask, 0 in one random square of half the image's size per image."""
    batch, height, width = shape[0], shape[1], shape[2]
    size_h, size_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = keras.random.randint([batch, 1, 1], 0, height + (1 - size_h % 2), dtype="int32",
                               seed=seed_generator) - size_h // 2
    left = keras.random.randint([batch, 1, 1], 0, width + (1 - size_w % 2), dtype="int32",
                                seed=seed_generator) - size_w // 2
    rows = tf.range(height)[None, :, None]
    cols = tf.range(width)[None, None, :]
    inside = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)
    return tf.cast(tf.logical_not(inside), tf.float32)[..., None]


class DiffAugment(Trick):
    """Differentiable augmentation (Zhao et al. 2020) of everything D sees: reals and fakes in D's
    update, fakes in G's update, so D cannot tell them apart by the augmentation and G's gradient
    flows through it.

    - `color`: brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5);
    - `translation`: a shift of up to 1/8 of the image in each direction, zero-filled;
    - `cutout`: a square of half the image's size set to 0.

    In D's update the i-th real and the i-th fake get the same random parameters, so the policy is
    applied identically to both batches.

    Args:
        policy: a comma-separated string or list of names from `AUGMENTATIONS`.
            Defaults to `"color,translation,cutout"`.
        seed: seed of the random parameters. Defaults to `None`.

    Reference:
        Zhao et al., Differentiable Augmentation for Data-Efficient GAN Training, NeurIPS 2020;
        https://github.com/mit-han-lab/data-efficient-gans (DiffAugment_tf.py).
    """

    def __init__(self, policy="color,translation,cutout", seed=None):
        super().__init__(1.0, seed=seed)
        names = [p.strip() for p in policy.split(",")] if isinstance(policy, str) else list(policy)
        if not names or any(p not in AUGMENTATIONS for p in names):
            raise ValueError(f"`policy` must name augmentations from {AUGMENTATIONS}. Received: `policy={policy!r}`.")
        self.policy = tuple(names)

    def check_model(self, model):
        shape = _sample_shape(model)
        if len(shape) != 3:
            raise ValueError(f"`DiffAugment` augments images [H, W, C], but the generator makes samples of shape "
                             f"{shape}; use it on image data.")

    def augment(self, x, copies=1):
        """Augments `x`, whose batch is `copies` batches stacked; each copy gets the same parameters."""
        shape = [tf.shape(x)[0] // copies, x.shape[1], x.shape[2]]
        tile = lambda p: tf.tile(p, [copies] + [1] * (p.shape.rank - 1))
        for name in self.policy:
            if name == "color":
                uniform = lambda low, high: tile(keras.random.uniform([shape[0], 1, 1, 1], low, high,
                                                                      seed=self.seed_generator))
                x = x + uniform(-0.5, 0.5)
                mean = tf.reduce_mean(x, axis=3, keepdims=True)
                x = (x - mean) * uniform(0.0, 2.0) + mean
                mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
                x = (x - mean) * uniform(0.5, 1.5) + mean
            elif name == "translation":
                dy, dx = _translation_params(shape, self.seed_generator)
                x = _translate(x, tile(dy), tile(dx))
            else:
                x = x * tile(_cutout_mask(shape, self.seed_generator))
        return x

    def discriminator_inputs(self, real, fake):
        both = self.augment(tf.concat([real, tf.cast(fake, real.dtype)], axis=0), copies=2)
        return both[:tf.shape(real)[0]], both[tf.shape(real)[0]:]

    def generator_inputs(self, fake):
        return self.augment(fake)

    def update(self, step):
        pass

    def get_config(self):
        return {"policy": ",".join(self.policy), "seed": self.seed}


class DStepsSchedule(keras.callbacks.Callback):
    """Trains G only on some steps: `schedule(step)` D updates per G update (WGAN's 100 D updates
    for the first 25 G updates is `lambda s: 100 if s < 2500 else 5` with the model's d_steps=1).

    On a step without a G update the generator's learning rate is 0, so its weights do not move
    (its optimizer's moment estimates still see the gradient); the step is not retraced.

    Args:
        schedule: a callable from the step to a positive integer.
    """

    def __init__(self, schedule):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"`schedule` must be a callable step -> int. Received: `schedule={schedule!r}`.")
        self.schedule = schedule
        self._lr = None
        self._since_g = 0

    def on_train_begin(self, logs=None):
        if isinstance(self.model.g_optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
            raise ValueError("DStepsSchedule sets the generator's learning rate, so it needs a constant one; "
                             "the g_optimizer has a learning-rate schedule.")
        self._lr = float(keras.ops.convert_to_numpy(self.model.g_optimizer.learning_rate))
        self._since_g = 0

    def on_train_batch_begin(self, batch, logs=None):
        n = self.schedule(_step(self.model))
        _check_positive_int("schedule(step)", n)
        self._since_g += 1
        train_g = self._since_g >= n
        if train_g:
            self._since_g = 0
        self.model.g_optimizer.learning_rate.assign(self._lr if train_g else 0.0)

    def on_train_end(self, logs=None):
        self.model.g_optimizer.learning_rate.assign(self._lr)
