"""Keras callbacks for GAN training: sample grids, metric logs and checkpoints.

All of them count steps with the model's own `step_counter` (training steps, not optimizer
iterations), so they continue where a resumed run left off.
"""

import json
import math
import os

import keras
import numpy as np
import tensorflow as tf

from tfgan import data as data_lib
from tfgan import tricks
from tfgan.tricks import (CheckpointSwap, DiffAugment, DStepsSchedule, ExperienceReplay,  # noqa: F401
                          GeneratorEMA, InstanceNoise, LabelFlipping, LabelSmoothing)


def _check_every(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`every` must be a positive integer. Received: `every={value!r}`.")
    return value


def _step(model):
    return int(model.step_counter.numpy())


class SampleGrid(keras.callbacks.Callback):
    """Every `every` steps, draws the generator's samples for a fixed noise batch to a PNG.

    Images become a grid, upscaled so that each image is at least `min_pixels` wide; 2-D samples a
    scatter over `real_samples`; a conditional model (one with `num_classes`) gets one row of
    `num_samples // num_classes` images per class (points coloured by class); 1-D samples histograms of real and fake with the discriminator's
    probability of "real" over x (figure 15.1 of Prince, Understanding Deep Learning). PNGs go to
    `directory/step_XXXXXX.png`, and images to TensorBoard when `log_dir` is given.

    Args:
        directory: where the PNGs are written.
        every: steps between grids. Defaults to `500`.
        num_samples: samples per grid. Defaults to `64` (images) / `1000` (points) when `None`.
        real_samples: real data drawn under 1-D / 2-D samples. Defaults to `None`.
        seed: seed of the fixed noise. Defaults to `0`.
        log_dir: TensorBoard directory. Defaults to `None`.
        min_pixels: smallest width of one upscaled image. Defaults to `64`.
    """

    def __init__(self, directory, every=500, num_samples=None, real_samples=None, seed=0, log_dir=None,
                 min_pixels=64):
        super().__init__()
        self.directory = directory
        self.every = _check_every(every)
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples < 1):
            raise ValueError(f"`num_samples` must be a positive integer. Received: `num_samples={num_samples!r}`.")
        self.num_samples = num_samples
        self.real_samples = None if real_samples is None else np.asarray(real_samples, np.float32)
        self.seed = seed
        self.log_dir = log_dir
        self.min_pixels = min_pixels
        self._writer = None
        self._z = None
        self.written = []

    def on_train_begin(self, logs=None):
        os.makedirs(self.directory, exist_ok=True)
        if self.log_dir and self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "samples"))
        self._z = None

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if step % self.every == 0:
            self.draw(step)

    def on_train_end(self, logs=None):
        step = _step(self.model)
        if not self.written or self.written[-1] != os.path.join(self.directory, f"step_{step:06d}.png"):
            self.draw(step)

    def generate(self, count):
        """The samples of the fixed noise batch (the same batch at every step), for `labels(count)`
        when the model is conditional."""
        if self._z is None or len(self._z) != count:
            self._z = self.model.fixed_noise(count, self.seed)
        labels = self.labels(count)
        with tricks.sampling_weights(self.model):
            if labels is None:
                return np.asarray(self.model.generate(self._z, training=False))
            # Column j of every class row shares z_j, so the rows differ by their class alone.
            z = np.tile(self._z[:len(labels) // self.model.num_classes], (self.model.num_classes, 1))
            return np.asarray(self.model.generate(z, labels, training=False))

    def labels(self, count):
        """Class by class, `count // num_classes` (at least 1) labels each; `None` when unconditional."""
        num_classes = getattr(self.model, "num_classes", 0)
        if not num_classes:
            return None
        return np.repeat(np.arange(num_classes, dtype=np.int32), max(1, count // num_classes))

    def draw(self, step):
        """Writes the grid for `step` and returns its path."""
        output_rank = len(self.model.generator.output.shape)
        path = os.path.join(self.directory, f"step_{step:06d}.png")
        if output_rank == 4:
            images = self.generate(self.num_samples or 64)
            labels = self.labels(self.num_samples or 64)
            cols = None if labels is None else len(labels) // self.model.num_classes
            grid = image_grid(data_lib.to_uint8(images).numpy(), self.min_pixels, cols)
            tf.io.write_file(path, tf.io.encode_png(grid))
            if self._writer is not None:
                with self._writer.as_default():
                    tf.summary.image("samples", grid[None], step=step)
                self._writer.flush()
        else:
            samples = self.generate(self.num_samples or 1000)
            if samples.shape[-1] == 2:
                figure = plot_points_2d(samples, self.real_samples, step, self.labels(self.num_samples or 1000))
            else:
                figure = self._plot_1d(samples, self.real_samples, step)
            figure.savefig(path, dpi=80)
            import matplotlib.pyplot as plt

            plt.close(figure)
        self.written.append(path)
        return path

    def _plot_1d(self, samples, real, step):
        lo = min(samples.min(), real.min() if real is not None else samples.min()) - 1.0
        hi = max(samples.max(), real.max() if real is not None else samples.max()) + 1.0
        xs = np.linspace(lo, hi, 200, dtype=np.float32)[:, None]
        d = self.model.adversarial_loss.output(self.model.adversarial_logits(
            self.model.discriminate(xs, training=False))).numpy().ravel()
        return plot_points_1d(samples, real, step, xs.ravel(), d)


def image_grid(images, min_pixels=64, cols=None):
    """Tiles uint8 images `[N, H, W, C]` into one uint8 image, upscaled by an integer factor
    (nearest neighbour) so each tile is at least `min_pixels` wide, with a 1-pixel border;
    `cols` images a row (a square grid when `None`)."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    factor = max(1, math.ceil(min_pixels / w))
    images = images.repeat(factor, axis=1).repeat(factor, axis=2)
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    h, w = h * factor + 1, w * factor + 1
    grid = np.full((rows * h + 1, cols * w + 1, c), 255 if c == 3 else 128, np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, cols)
        grid[1 + r * h:(r + 1) * h, 1 + col * w:(col + 1) * w] = image
    return grid


def plot_points_2d(samples, real=None, step=None, labels=None):
    """A scatter of 2-D samples (orange, or coloured by their class `labels`) over real data (blue);
    returns the matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(5, 5))
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=2, c="tab:blue", alpha=0.3, label="real")
    if labels is None:
        ax.scatter(samples[:, 0], samples[:, 1], s=2, c="tab:orange", alpha=0.6, label="generated")
    else:
        ax.scatter(samples[:, 0], samples[:, 1], s=2, c=labels, cmap="tab20", alpha=0.8, label="generated")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", markerscale=4)
    if step is not None:
        ax.set_title(f"step {step}")
    figure.tight_layout()
    return figure


def plot_points_1d(samples, real, step, xs, d_real):
    """Histograms of 1-D real and generated samples and D's probability of "real" over `xs`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(6, 3.5))
    bins = np.linspace(xs.min(), xs.max(), 60)
    if real is not None:
        ax.hist(real.ravel(), bins=bins, density=True, alpha=0.5, color="tab:cyan", label="real")
    ax.hist(samples.ravel(), bins=bins, density=True, alpha=0.5, color="tab:orange", label="generated")
    ax.plot(xs, d_real, color="black", label="D(x)")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper left")
    ax.set_title(f"step {step}")
    figure.tight_layout()
    return figure


class MetricsLogger(keras.callbacks.Callback):
    """Appends the step's logs to a JSON-lines file (one object a line, each with `step`) and to
    TensorBoard scalars, every `every` steps.

    On `on_train_begin` it drops the lines of steps after the model's current step: after a resume
    from a checkpoint, the steps the killed run logged past that checkpoint are trained again and
    logged once, by the new run.
    """

    def __init__(self, path, every=1, log_dir=None):
        super().__init__()
        self.path = path
        self.every = _check_every(every)
        self.log_dir = log_dir
        self._writer = None

    def on_train_begin(self, logs=None):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        truncate_jsonl(self.path, _step(self.model))
        if self.log_dir and self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if step % self.every == 0 and logs:
            self.write(step, logs)

    def write(self, step, values):
        record = {"step": step, **{k: _to_float(v) for k, v in values.items()}}
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
        if self._writer is not None:
            with self._writer.as_default():
                for k, v in record.items():
                    if k != "step" and isinstance(v, float):
                        tf.summary.scalar(k, v, step=step)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()


def _to_float(value):
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError):
        return value


def truncate_jsonl(path, last_step):
    """Keeps the lines of `path` whose `step` is at most `last_step` (atomically rewritten)."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = f.readlines()
    kept = []
    for line in lines:
        try:
            if json.loads(line)["step"] <= last_step:
                kept.append(line if line.endswith("\n") else line + "\n")
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a kill
    if len(kept) != len(lines):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.writelines(kept)
        os.replace(tmp, path)


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves `model.training_state()` with a `tf.train.CheckpointManager` every `every` steps and at
    the end of training; `restore()` loads the latest checkpoint before `fit`.

    TensorFlow writes a checkpoint's files before it updates the `checkpoint` index file, so a job
    killed while saving resumes from the previous checkpoint.
    """

    def __init__(self, directory, every=500, max_to_keep=3):
        super().__init__()
        self.directory = directory
        self.every = _check_every(every)
        self.max_to_keep = max_to_keep
        self._manager = None

    def set_model(self, model):
        super().set_model(model)
        self._manager = None

    def manager(self):
        if self._manager is None:
            checkpoint = tf.train.Checkpoint(**self.model.training_state())
            self._manager = tf.train.CheckpointManager(checkpoint, self.directory, max_to_keep=self.max_to_keep,
                                                       step_counter=self.model.step_counter)
        # State registered after the first call (callbacks' `track_state` in `on_train_begin`, after
        # `restore`) joins the same checkpoint object, which restores it from the restored checkpoint
        # as it is attached (deferred restoration) and saves it from then on.
        checkpoint = self._manager.checkpoint
        for name, trackable in self.model.training_state().items():
            if getattr(checkpoint, name, None) is not trackable:
                setattr(checkpoint, name, trackable)
        return self._manager

    def restore(self):
        """Restores the latest checkpoint, if any; returns its path or None."""
        manager = self.manager()
        if manager.latest_checkpoint:
            manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        return manager.latest_checkpoint

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if step % self.every == 0 and not _in_nan_streak(self.model):
            self.manager().save(checkpoint_number=step)

    def on_train_end(self, logs=None):
        step = _step(self.model)
        manager = self.manager()
        if _in_nan_streak(self.model):
            return  # the newest checkpoint stays the last good one (see tfgan.nan_guard)
        if manager.latest_checkpoint is None or not manager.latest_checkpoint.endswith(f"-{step}"):
            manager.save(checkpoint_number=step)


def _in_nan_streak(model):
    """True while the model's last steps skipped their updates for non-finite values."""
    streak = getattr(model, "nan_streak", None)
    return streak is not None and int(streak.numpy()) > 0


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit` once the model's step counter reaches `last_step`."""

    def __init__(self, last_step):
        super().__init__()
        self.last_step = last_step

    def on_train_batch_end(self, batch, logs=None):
        if _step(self.model) >= self.last_step:
            self.model.stop_training = True


# Evaluation and failure diagnosis live in their own modules (they import the helpers above).
from tfgan.diagnosis import TrainingMonitor  # noqa: E402,F401
from tfgan.evaluation import Evaluation  # noqa: E402,F401
