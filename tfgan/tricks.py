"""The ganhacks tricks as Keras callbacks that install `TrainingHook`s on a `GAN`.

Each trick is a callback that is its own hook: `set_model` creates its state (so a checkpoint
restored before `fit` finds it) and adds it to `model.training_state()`, `on_train_begin` installs
the hook, `on_train_end` removes it. Nothing runs per batch in Python: what changes over training
(a smoothing strength, a flip probability, a noise std, the generator's average, when G trains) is
computed inside the traced step from the model's step counter, so `steps_per_execution=k` trains
exactly as `k=1` does and nothing retraces. They compose: pass several in `callbacks=[...]`; hooks
run in the order of the list. Public names are re-exported from `tfgan.callbacks`.

Samples, evaluation and export draw with `model.sampling_weights()`: the generator's own weights,
or the moving average when a `GeneratorEMA` is on.

References: soumith/ganhacks (2016); Salimans et al., Improved Techniques for Training GANs, 2016;
Sønderby et al., Amortised MAP Inference for Image Super-resolution, 2017 (instance noise);
Zhao et al., Differentiable Augmentation for Data-Efficient GAN Training, 2020; Karras et al., Training
Generative Adversarial Networks with Limited Data, 2020 (adaptive augmentation).
"""

import keras
import tensorflow as tf

from tfgan import augment as augment_lib
from tfgan import checks
from tfgan.models import ReplayPool, TrainingHook

DECAYS = (None, "linear", "exponential")
AUGMENTATIONS = ("color", "translation", "cutout")
NOISY_REAL_TARGETS = (0.7, 1.2)
NOISY_FAKE_TARGETS = (0.0, 0.3)


def decay_schedule(initial, decay=None, decay_steps=None):
    """`initial` as a function of the step: constant, `"linear"` (to 0 at `decay_steps`) or
    `"exponential"` (halved every `decay_steps`); Keras's schedules, evaluated in the graph."""
    checks.choice("decay", decay, DECAYS)
    if decay is None:
        return lambda step: tf.constant(float(initial))
    checks.positive_int("decay_steps", decay_steps)
    if decay == "linear":
        return keras.optimizers.schedules.PolynomialDecay(float(initial), decay_steps, end_learning_rate=0.0)
    return keras.optimizers.schedules.ExponentialDecay(float(initial), decay_steps, decay_rate=0.5)


def _state_variable(value, name, dtype=None):
    """A non-trainable variable of a trick's state; under a strategy every replica holds the first
    replica's value (all of them compute the same)."""
    return tf.Variable(value, trainable=False, name=name, dtype=dtype,
                       aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)


class Trick(keras.callbacks.Callback, TrainingHook):
    """A callback that is also the `TrainingHook` it installs.

    Subclasses create their variables in `build(model)` (within the model's strategy scope) and
    register them with `model.track_state`; the random draws of every trick come from its own
    `seed_generator`, whose state is checkpointed with the model's.
    """

    def __init__(self, seed=None):
        super().__init__()
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._built_for = None

    def set_model(self, model):
        super().set_model(model)
        if self._built_for is not model:
            with model.distribute_strategy.scope():
                self.build(model)
            model.track_state(f"{self.state_name}_seed", self.seed_generator.state)
            self._built_for = model

    @property
    def state_name(self):
        """The name of this trick's state in `model.training_state()`."""
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in type(self).__name__).lstrip("_")

    def build(self, model):
        """Creates the trick's variables for `model`."""

    def check_model(self, model):
        """Raises `ValueError` when the trick cannot apply to `model`."""

    def on_train_begin(self, logs=None):
        self.check_model(self.model)
        self.model.add_hook(self)

    def on_train_end(self, logs=None):
        self.model.remove_hook(self)

    def get_config(self):
        return {"seed": self.seed}


def _check_uses_targets(trick, model):
    loss = model.adversarial_loss
    if not loss.uses_targets:
        raise ValueError(f"{type(trick).__name__} changes D's targets, but `loss={loss.name!r}` takes none; "
                         f"use it with minimax, non_saturating or least_squares.")


def _target(name, value):
    """A fixed target (a number) or a uniform range (a `(low, high)` pair)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be a number or a (low, high) pair. Received: `{name}={value!r}`.")
        low, high = (checks.number(name, v) for v in value)
        if low > high:
            raise ValueError(f"`{name}` must have low <= high. Received: `{name}={value!r}`.")
        return (low, high)
    return checks.number(name, value)


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
        super().__init__(seed)
        self.real_target = _target("real_target", real_target)
        self.fake_target = _target("fake_target", fake_target)
        if _bounds(self.fake_target)[1] >= _bounds(self.real_target)[0]:
            raise ValueError(f"`fake_target` must lie below `real_target`. Received: `real_target={real_target!r}`, "
                             f"`fake_target={fake_target!r}`.")
        self.decay, self.decay_steps = decay, decay_steps
        self.strength = decay_schedule(1.0, decay, decay_steps)

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

    def targets(self, real_targets, fake_targets, step):
        s = self.strength(step)
        out = []
        for t in (real_targets, fake_targets):
            hi = 1.0 + s * (self._draw(self.real_target, tf.shape(t)) - 1.0)
            lo = s * self._draw(self.fake_target, tf.shape(t))
            out.append(lo + t * (hi - lo))
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "real_target": self.real_target, "fake_target": self.fake_target,
                "decay": self.decay, "decay_steps": self.decay_steps}


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
        super().__init__(seed)
        self.probability = checks.probability("probability", probability)
        self.decay, self.decay_steps = decay, decay_steps
        self.schedule = decay_schedule(self.probability, decay, decay_steps)

    def check_model(self, model):
        _check_uses_targets(self, model)

    def targets(self, real_targets, fake_targets, step):
        p = self.schedule(step)
        flip_real = keras.random.uniform(tf.shape(real_targets), seed=self.seed_generator) < p
        flip_fake = keras.random.uniform(tf.shape(fake_targets), seed=self.seed_generator) < p
        # A flipped example gets the other side's target (whatever smoothing made of it).
        return (tf.where(flip_real, fake_targets, real_targets), tf.where(flip_fake, real_targets, fake_targets))

    def get_config(self):
        return {**super().get_config(), "probability": self.probability, "decay": self.decay,
                "decay_steps": self.decay_steps}


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
        super().__init__(seed)
        self.stddev = checks.number("stddev", stddev, 0.0)
        self.decay, self.decay_steps = decay, decay_steps
        self.schedule = decay_schedule(self.stddev, decay, decay_steps)

    def _noisy(self, x, step):
        return x + self.schedule(step) * keras.random.normal(tf.shape(x), dtype=x.dtype, seed=self.seed_generator)

    def discriminator_inputs(self, real, fake, step):
        return self._noisy(real, step), self._noisy(fake, step)

    def generator_inputs(self, fake, step):
        return self._noisy(fake, step)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "decay": self.decay, "decay_steps": self.decay_steps}


def sample_shape(model):
    """The shape of one generated sample, without drawing from the model's noise generator."""
    labels = model.probe_labels(1)
    return tuple(model.generate(tf.zeros([1, model.latent_dim]), labels).shape[1:])


class ExperienceReplay(Trick):
    """Shows D past fakes: a pool of `size` generated examples in graph variables (a
    `tfgan.models.ReplayPool`: TF-GAN's `tensor_pool` semantics, per example, as CycleGAN's image pool).

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
        super().__init__(seed)
        self.size = checks.positive_int("size", size)
        self.probability = checks.probability("probability", probability)
        self.state = None

    def build(self, model):
        self.state = ReplayPool(self.size, sample_shape(model), self.probability, name="experience_replay")
        model.track_state("experience_replay", self.state)

    def discriminator_inputs(self, real, fake, step):
        return real, self.replay(fake)

    def replay(self, fake):
        """The fakes D trains on; updates the pool (`tfgan.models.ReplayPool.replay`)."""
        return self.state.replay(fake, self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "probability": self.probability}


class GeneratorEMA(Trick):
    """An exponential moving average of the generator's weights, updated inside every training step
    and used for samples, evaluation, monitoring and export (Yazıcı et al. 2019; Karras et al. 2018).

        w_ema <- w                                  on steps before `start_step`
        w_ema <- decay * w_ema + (1 - decay) * w    after every step from `start_step` on

    Non-trainable weights (BatchNorm statistics) are copied. The averages are part of
    `model.training_state()`; `model.generator_ema` is set to this trick, and
    `model.sampling_weights()` puts its weights into the generator for sampling and export.

    Args:
        decay: in [0, 1). Defaults to `0.999`.
        start_step: first step averaged. Defaults to `0`.

    Reference:
        Yazıcı et al., The Unusual Effectiveness of Averaging in GAN Training, ICLR 2019.
    """

    def __init__(self, decay=0.999, start_step=0):
        super().__init__()
        self.decay = checks.number("decay", decay, 0.0, 1.0, high_open=True)
        self.start_step = checks.non_negative_int("start_step", start_step)
        self.state = None

    def build(self, model):
        self.state = tf.Module(name="generator_ema")
        self.state.weights = [_state_variable(w, "ema") for w in model.generator.weights]
        model.track_state("generator_ema", self.state)
        model.generator_ema = self

    @property
    def weights(self):
        return self.state.weights

    def end_step(self, step):
        trainable = {id(v) for v in self.model.generator.trainable_weights}
        decay = tf.where(step >= self.start_step, self.decay, 0.0)
        for w, ema in zip(self.model.generator.weights, self.state.weights):
            if id(w) in trainable:
                ema.assign(decay * ema + (1.0 - decay) * tf.convert_to_tensor(w))
            else:
                ema.assign(w)

    def get_config(self):
        return {"decay": self.decay, "start_step": self.start_step}


class TopKGenerator(Trick):
    """Trains the generator on the fakes D scores highest only; the others get no gradient (Sinha et al.
    2020). A fake D already rejects lies off the data, often on a bridge between two modes, and its
    gradient there drags G's mass across the gap; dropping it keeps G's updates on samples near the data.

        k(step) = ceil(max(min_fraction, decay ** (step / decay_steps)) * B)
        L_G     = (1 / k) * sum of l_G(z_i) over the k fakes with the highest D logits

    k starts at the whole batch B and shrinks geometrically to `min_fraction * B` (the paper's
    gamma = 0.99 per epoch and nu = 0.5 / 0.75), so early on, when D's ranking means little, G trains
    on everything. Ties at the k-th logit keep every tied fake.

    Args:
        min_fraction: in (0, 1], the fraction of the batch kept at the end. Defaults to `0.5`.
        decay: in (0, 1], the factor k shrinks by every `decay_steps` steps. Defaults to `0.99`.
        decay_steps: positive integer. Defaults to `100`.

    Reference:
        Sinha et al., Top-k Training of GANs: Improving GAN Performance by Throwing Away Bad Samples,
        NeurIPS 2020, https://arxiv.org/abs/2002.06224
    """

    def __init__(self, min_fraction=0.5, decay=0.99, decay_steps=100):
        super().__init__()
        self.min_fraction = checks.number("min_fraction", min_fraction, 0.0, 1.0, low_open=True)
        self.decay = checks.number("decay", decay, 0.0, 1.0, low_open=True)
        self.decay_steps = checks.positive_int("decay_steps", decay_steps)

    def fraction(self, step):
        """The fraction of the batch G trains on at `step`."""
        shrunk = self.decay ** (tf.cast(step, tf.float32) / self.decay_steps)
        return tf.maximum(tf.constant(self.min_fraction, tf.float32), shrunk)

    def generator_losses(self, losses, fake_logits, step):
        scores = tf.reduce_mean(tf.reshape(fake_logits, [tf.shape(fake_logits)[0], -1]), axis=1)
        batch = tf.shape(scores)[0]
        k = tf.cast(tf.math.ceil(self.fraction(step) * tf.cast(batch, tf.float32)), tf.int32)
        # The k-th highest logit as a threshold: a dynamic k that XLA compiles (top_k needs a static one).
        threshold = tf.gather(tf.sort(scores, direction="DESCENDING"), tf.clip_by_value(k, 1, batch) - 1)
        kept = tf.cast(scores >= tf.stop_gradient(threshold), losses.dtype)
        weights = kept * tf.cast(batch, losses.dtype) / tf.reduce_sum(kept)  # a mean over the kept fakes
        return losses * tf.reshape(weights, [-1] + [1] * (losses.shape.rank - 1))

    def get_config(self):
        return {"min_fraction": self.min_fraction, "decay": self.decay, "decay_steps": self.decay_steps}


class CheckpointSwap(Trick):
    """Every `every` steps, D trains `swap_steps` steps against the generator of `every` steps ago
    ("keep checkpoints from the past of G and D and occasionally swap them out for a few
    iterations", ganhacks #8). With `swap_discriminator`, every other swap instead trains G against
    the older discriminator.

    During a swap the older network's weights are in the model and its own updates are thrown away
    (weights and optimizer state are put back when the swap ends), so only the other network learns
    from the swap. The swaps begin and end inside the training step (a `tf.cond` of assignments), so
    they happen on the same steps whatever `steps_per_execution` is. Snapshots, the saved weights
    and the swap's end step are in `model.training_state()`, so a checkpoint written during a swap
    resumes it. A swap still running when `fit` ends is ended then. Runs on one replica.

    Args:
        every: steps between swaps. Defaults to `500`.
        swap_steps: steps a swap lasts (< `every`). Defaults to `5`.
        swap_discriminator: alternate D-vs-old-G swaps with G-vs-old-D swaps. Defaults to `False`.
    """

    def __init__(self, every=500, swap_steps=5, swap_discriminator=False):
        super().__init__()
        self.every = checks.positive_int("every", every)
        self.swap_steps = checks.positive_int("swap_steps", swap_steps)
        if self.swap_steps >= self.every:
            raise ValueError(f"`swap_steps` must be less than `every`. Received: `swap_steps={swap_steps!r}`, "
                             f"`every={every!r}`.")
        self.swap_discriminator = checks.boolean("swap_discriminator", swap_discriminator)
        self.state = None

    def _networks(self, model):
        return {"generator": (model.generator, model.g_optimizer),
                "discriminator": (model.discriminator, model.d_optimizer)}

    def build(self, model):
        state = tf.Module(name="checkpoint_swap")
        state.end_step = _state_variable(tf.constant(-1, tf.int64), "end_step")
        state.swapped = _state_variable(tf.constant(0, tf.int64), "swapped")  # 0: G is the old one, 1: D
        state.swaps = _state_variable(tf.constant(0, tf.int64), "swaps")
        for name, (net, opt) in self._networks(model).items():
            setattr(state, f"{name}_snapshot", [_state_variable(w, "snapshot") for w in net.weights])
            setattr(state, f"{name}_saved", [_state_variable(w, "saved") for w in net.weights + list(opt.variables)])
        self.state = state
        model.track_state("checkpoint_swap", state)

    def check_model(self, model):
        if model.distribute_strategy.num_replicas_in_sync > 1:
            raise ValueError("CheckpointSwap swaps weights inside the step on one replica; train without a "
                             "multi-replica strategy to use it.")

    def _begin(self, name, step):
        net, opt = self._networks(self.model)[name]
        saved = getattr(self.state, f"{name}_saved")
        _assign(saved, net.weights + list(opt.variables))
        _assign(net.weights, getattr(self.state, f"{name}_snapshot"))
        # The next swap brings back the networks as they are now.
        for other, (other_net, _) in self._networks(self.model).items():
            _assign(getattr(self.state, f"{other}_snapshot"), saved if other == name else other_net.weights)
        self.state.swapped.assign(int(name == "discriminator"))
        self.state.end_step.assign(step + self.swap_steps)

    def _end(self, name):
        net, opt = self._networks(self.model)[name]
        _assign(net.weights + list(opt.variables), getattr(self.state, f"{name}_saved"))
        self.state.end_step.assign(-1)
        self.state.swaps.assign_add(1)

    def begin_step(self, step):
        starts = (step > 0) & (step % self.every == 0) & (self.state.end_step < 0)
        old_discriminator = self.swap_discriminator & (self.state.swaps % 2 == 1)
        tf.cond(starts & old_discriminator, lambda: self._begin("discriminator", step), lambda: None)
        tf.cond(starts & ~old_discriminator, lambda: self._begin("generator", step), lambda: None)

    def end_step(self, step):
        # After this step the counter is step + 1.
        ends = (self.state.end_step >= 0) & (step + 1 >= self.state.end_step)
        swapped = self.state.swapped
        tf.cond(ends & (swapped == 1), lambda: self._end("discriminator"), lambda: None)
        tf.cond(ends & (swapped == 0), lambda: self._end("generator"), lambda: None)

    @property
    def swapping(self):
        return int(self.state.end_step.numpy()) >= 0

    def on_train_end(self, logs=None):
        if self.swapping:
            self._end("discriminator" if int(self.state.swapped.numpy()) else "generator")
        super().on_train_end(logs)

    def get_config(self):
        return {"every": self.every, "swap_steps": self.swap_steps, "swap_discriminator": self.swap_discriminator}


def _assign(targets, sources):
    for target, source in zip(targets, sources):
        target.assign(tf.convert_to_tensor(source))


class DiffAugment(Trick):
    """Differentiable augmentation (Zhao et al. 2020) of everything D sees: reals and fakes in D's
    update, fakes in G's update, so D cannot tell them apart by the augmentation and G's gradient
    flows through it. Every image is augmented (`tfgan.augment.augment` with p = 1):

    - `color`: brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5);
    - `translation`: a shift of up to 1/8 of the image in each direction, zero-filled;
    - `cutout`: a square of half the image's size set to 0.

    In D's update the i-th real and the i-th fake get the same random parameters, so the policy is
    applied identically to both batches. `AdaptiveAugment` is the same idea with a probability p
    that follows D's overfitting.

    Args:
        policy: a comma-separated string or list of names from `AUGMENTATIONS`.
            Defaults to `"color,translation,cutout"`.
        seed: seed of the random parameters. Defaults to `None`.

    Reference:
        Zhao et al., Differentiable Augmentation for Data-Efficient GAN Training, NeurIPS 2020;
        https://github.com/mit-han-lab/data-efficient-gans (DiffAugment_tf.py).
    """

    def __init__(self, policy="color,translation,cutout", seed=None):
        super().__init__(seed)
        self.policy = augment_lib.check_policy(policy, AUGMENTATIONS)

    def check_model(self, model):
        _check_images(self, model)

    def augment(self, x, copies=1):
        """Augments `x`, whose batch is `copies` batches stacked; each copy gets the same parameters."""
        return augment_lib.augment(x, 1.0, self.seed_generator, self.policy, copies=copies, translation_fill="zeros")

    def discriminator_inputs(self, real, fake, step):
        return _augment_pair(self.augment, real, fake)

    def generator_inputs(self, fake, step):
        return self.augment(fake)

    def get_config(self):
        return {**super().get_config(), "policy": ",".join(self.policy)}


def _check_images(trick, model):
    shape = sample_shape(model)
    if len(shape) != 3:
        raise ValueError(f"`{type(trick).__name__}` augments images [H, W, C], but the generator makes samples of "
                         f"shape {shape}; use it on image data.")


def _augment_pair(augment, real, fake):
    """Real and fake augmented alike: the i-th real and the i-th fake share their parameters."""
    both = augment(tf.concat([real, tf.cast(fake, real.dtype)], axis=0), copies=2)
    return both[:tf.shape(real)[0]], both[tf.shape(real)[0]:]


def _replica_sum(value):
    """`value` summed over the replicas (itself on one replica), so every replica holds the global value."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.SUM, value)


class AdaptiveAugment(Trick):
    """Adaptive discriminator augmentation, ADA (Karras et al. 2020): every image D sees (reals and
    fakes in D's update, fakes in G's update, and so the penalties' inputs) is augmented with
    probability p, and p follows D's overfitting, in the graph:

        r_t = E[sign(D(x_real))]                  over the D updates of the last `interval` steps
        p  <- clip(p + sign(r_t - target) * N / adjust_images, 0, max_probability)

    where N is the number of real images D saw in those steps, so p can go from 0 to 1 in
    `adjust_images` images (`tfgan.augment.ada_update`). A D that has memorised few real images is
    sure of them (r_t -> 1) and p rises; one that is unsure lowers it. The augmentations
    (`tfgan.augment.augment`: x-flip, integer translation, colour, cutout) are differentiable, the
    i-th real and fake of a D update share their parameters, and each image is left untouched with
    probability 1 - p; with p < 1 they do not leak into the generator (its own samples, exports
    included, are never augmented).

    p is updated every `interval` steps from the step counter (so `steps_per_execution` does not
    change it), is part of `model.training_state()`, and is logged as `ada_p`, with the last r_t as
    `ada_r`. The heuristic reads D's real/fake logits: their sign says real or fake for the
    cross-entropy, hinge, Wasserstein and f-GAN losses; for `least_squares` (targets 0 and 1) it is
    taken about 0.5.

    Args:
        target: the r_t to hold, in [0, 1]. Defaults to `0.6` (the paper's).
        interval: steps between updates of p. Defaults to `4` (the paper's).
        adjust_images: real images over which p can go from 0 to 1. Defaults to `500_000` (the
            paper's; small data sets and short runs want fewer, e.g. 50,000).
        initial_probability: p at the start. Defaults to `0.0`.
        max_probability: the largest p, in [0, 1). Defaults to `0.99`.
        policy: augmentations from `tfgan.augment.AUGMENTATIONS`, in order.
            Defaults to `"flip,translation,color,cutout"`.
        seed: seed of the augmentations' parameters. Defaults to `None`.

    Example:

    ```python
    gan.fit(tfgan.data.load("digits", 64, max_examples=200)[0], steps_per_epoch=500, epochs=6,
            callbacks=[tfgan.callbacks.AdaptiveAugment(target=0.6, adjust_images=50_000)])
    ```

    Reference:
        Karras et al., Training Generative Adversarial Networks with Limited Data, NeurIPS 2020, sec. 2-3.
    """

    def __init__(self, target=0.6, interval=4, adjust_images=500_000, initial_probability=0.0,
                 max_probability=0.99, policy=augment_lib.AUGMENTATIONS, seed=None):
        super().__init__(seed)
        self.target = checks.number("target", target, 0.0, 1.0)
        self.interval = checks.positive_int("interval", interval)
        self.adjust_images = checks.positive_int("adjust_images", adjust_images)
        self.max_probability = checks.number("max_probability", max_probability, 0.0, 1.0, high_open=True)
        self.initial_probability = checks.number("initial_probability", initial_probability, 0.0,
                                                 self.max_probability)
        self.policy = augment_lib.check_policy(policy)
        self.state = None

    def build(self, model):
        self.state = tf.Module(name="adaptive_augment")
        self.state.probability = _state_variable(tf.constant(self.initial_probability, tf.float32), "probability")
        self.state.sign_sum = _state_variable(tf.constant(0.0), "sign_sum")  # since the last update of p
        self.state.count = _state_variable(tf.constant(0.0), "count")
        self.state.last_r = _state_variable(tf.constant(0.0), "last_r")
        model.track_state("adaptive_augment", self.state)

    @property
    def probability(self):
        """The current p, a float."""
        return float(self.state.probability.numpy())

    def check_model(self, model):
        _check_images(self, model)

    def augment(self, x, copies=1):
        """Augments `x` (`copies` stacked batches sharing their parameters) with the current p."""
        return augment_lib.augment(x, tf.convert_to_tensor(self.state.probability), self.seed_generator,
                                   self.policy, copies=copies)

    def discriminator_inputs(self, real, fake, step):
        return _augment_pair(self.augment, real, fake)

    def generator_inputs(self, fake, step):
        return self.augment(fake)

    def discriminator_outputs(self, real_logits, fake_logits, step):
        center = 0.5 if self.model.adversarial_loss.name == "least_squares" else 0.0
        signs = tf.sign(tf.cast(real_logits, tf.float32) - center)
        # One sign per image (the mean over a PatchGAN's patches), so the count is of real images.
        signs = tf.reduce_mean(tf.reshape(signs, [tf.shape(signs)[0], -1]), axis=1)
        self.state.sign_sum.assign_add(_replica_sum(tf.reduce_sum(signs)))
        self.state.count.assign_add(_replica_sum(tf.cast(tf.size(signs), tf.float32)))

    def end_step(self, step):
        # After this step the counter is step + 1; p moves when that is a multiple of `interval`.
        due = tf.equal(tf.math.floormod(step + 1, self.interval), 0)
        count = tf.convert_to_tensor(self.state.count)
        r = tf.convert_to_tensor(self.state.sign_sum) / tf.maximum(count, 1.0)
        images_per_step = count / float(self.interval)
        new_p = augment_lib.ada_update(self.state.probability, r, images_per_step, target=self.target,
                                       interval=self.interval, adjust_images=self.adjust_images,
                                       max_probability=self.max_probability)
        self.state.probability.assign(tf.where(due, new_p, self.state.probability))
        self.state.last_r.assign(tf.where(due, r, self.state.last_r))
        self.state.sign_sum.assign(tf.where(due, 0.0, self.state.sign_sum))
        self.state.count.assign(tf.where(due, 0.0, count))

    def step_logs(self, step):
        return {"ada_p": tf.convert_to_tensor(self.state.probability), "ada_r": tf.convert_to_tensor(self.state.last_r)}

    def get_config(self):
        return {**super().get_config(), "target": self.target, "interval": self.interval,
                "adjust_images": self.adjust_images, "initial_probability": self.initial_probability,
                "max_probability": self.max_probability, "policy": ",".join(self.policy)}


class CriticSchedule:
    """WGAN's critic schedule (Arjovsky et al. 2017, their released code): `critic_steps` D updates
    before each of the first `warmup` G updates and before every `every`-th, `steps` otherwise.

        n(g) = critic_steps  if g < warmup or g % every == 0,  else steps      (g: G updates done)

    A schedule for `DStepsSchedule`.

    Args:
        steps: D updates per G update off the schedule (the model's `d_steps`). Defaults to `5`.
        critic_steps: D updates on scheduled G updates. Defaults to `100`.
        warmup: the first `warmup` G updates are scheduled. Defaults to `25`.
        every: so is every `every`-th after. Defaults to `500`.

    Reference:
        Arjovsky et al., Wasserstein GAN, ICML 2017 (https://github.com/martinarjovsky/WassersteinGAN).
    """

    def __init__(self, steps=5, critic_steps=100, warmup=25, every=500):
        self.steps = checks.positive_int("steps", steps)
        self.critic_steps = checks.positive_int("critic_steps", critic_steps)
        self.warmup = checks.non_negative_int("warmup", warmup)
        self.every = checks.positive_int("every", every)

    def __call__(self, g_updates):
        g = tf.cast(g_updates, tf.int64)
        scheduled = (g < self.warmup) | (g % self.every == 0)
        return tf.where(scheduled, tf.constant(self.critic_steps, tf.int64), tf.constant(self.steps, tf.int64))

    def get_config(self):
        return {"steps": self.steps, "critic_steps": self.critic_steps, "warmup": self.warmup, "every": self.every}


class DStepsSchedule(Trick):
    """Trains G only once D has made `schedule(g)` updates since the last G update, g the number of
    G updates so far: WGAN's 100 critic updates for each of the first 25 G updates is
    `DStepsSchedule(CriticSchedule(steps=5))`, and `keras.optimizers.schedules.PiecewiseConstantDecay`
    gives any piecewise schedule.

    Each training step still makes the model's `d_steps` D updates; on a step whose G update is not
    due, G's update is skipped (a `tf.cond`, so weights and optimizer state stay as they were). The
    counts are part of `model.training_state()`.

    Args:
        schedule: a callable from the G updates done (an int64 tensor) to the D updates wanted
            before the next one (a number or tensor), evaluated in the graph.
    """

    def __init__(self, schedule):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"`schedule` must be a callable g_updates -> D updates. Received: `schedule={schedule!r}`.")
        self.schedule = schedule
        self.state = None

    def build(self, model):
        self.state = tf.Module(name="d_steps_schedule")
        self.state.g_updates = _state_variable(tf.constant(0, tf.int64), "g_updates")
        self.state.d_updates = _state_variable(tf.constant(0, tf.int64), "d_updates_since_g")
        model.track_state("d_steps_schedule", self.state)

    def generator_update(self, step, d_updates):
        since = self.state.d_updates + d_updates
        due = since >= tf.cast(self.schedule(self.state.g_updates), tf.int64)
        self.state.d_updates.assign(tf.where(due, tf.constant(0, tf.int64), since))
        self.state.g_updates.assign_add(tf.cast(due, tf.int64))
        return due

    def get_config(self):
        return {"schedule": self.schedule.get_config() if hasattr(self.schedule, "get_config") else None}
