"""`SampleGrid`: the generator's samples for a fixed noise batch, as PNGs and TensorBoard images."""

import math
import os

import numpy as np
import tensorflow as tf

from tfgan import checks
from tfgan import data as data_lib
from tfgan.callbacks.base import PeriodicCallback, model_step


class SampleGrid(PeriodicCallback):
    """Every `every` steps, draws the generator's samples for a fixed noise batch to a PNG.

    Images become a grid, upscaled so that each image is at least `min_pixels` wide; 2-D samples a
    scatter over `real_samples`; a conditional model (one with `num_classes`) gets one row of
    `num_samples // num_classes` images per class (points coloured by class); 1-D samples histograms
    of real and fake with the discriminator's probability of "real" over x (figure 15.1 of Prince,
    Understanding Deep Learning). An InfoGAN (a model with `categorical_codes`) gets one row per value
    of its first categorical code (`num_samples // K` columns, one noise vector each, continuous codes
    at 0), then, after a blank row, a sweep of each continuous code from -1 to 1 along the columns,
    again one row per categorical value with one noise vector for the whole block (`info_layout`);
    its 2-D samples are coloured by the first categorical code. PNGs go to
    `directory/step_XXXXXX.png`, and images to TensorBoard when `log_dir` is given.

    An image-to-image translation model (one with `sample_rows`, e.g. `tfgan.Pix2Pix`) is drawn on fixed
    `examples` instead: one row per `model.sample_rows(a, b)` entry, e.g. inputs, outputs and targets,
    one column per example.

    Args:
        directory: where the PNGs are written.
        every: steps between grids. Defaults to `500`.
        num_samples: samples per grid. Defaults to `64` (images) / `1000` (points) when `None`.
        real_samples: real data drawn under 1-D / 2-D samples. Defaults to `None`.
        seed: seed of the fixed noise. Defaults to `0`.
        log_dir: TensorBoard directory. Defaults to `None`.
        min_pixels: smallest width of one upscaled image. Defaults to `64`.
        examples: `(a, b)` image batches in [-1, 1] a translation model is drawn on. Defaults to `None`.
    """

    def __init__(self, directory, every=500, num_samples=None, real_samples=None, seed=0, log_dir=None,
                 min_pixels=64, examples=None):
        super().__init__(every)
        self.directory = directory
        self.num_samples = None if num_samples is None else checks.positive_int("num_samples", num_samples)
        self.real_samples = None if real_samples is None else np.asarray(real_samples, np.float32)
        self.seed = seed
        self.log_dir = log_dir
        self.min_pixels = min_pixels
        if examples is not None and (len(examples) != 2 or np.shape(examples[0])[0] != np.shape(examples[1])[0]):
            raise ValueError(f"`examples` must be a pair (a, b) of image batches of the same length. Received: "
                             f"`examples` of shapes {[np.shape(x) for x in examples]}.")
        self.examples = None if examples is None else tuple(np.asarray(x, np.float32) for x in examples)
        self._writer = None
        self._z = None
        self.written = []

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if hasattr(self.model, "sample_rows") and self.examples is None:
            raise ValueError(f"SampleGrid draws {type(self.model).__name__} on fixed examples: pass `examples=(a, b)`, "
                             f"e.g. tfgan.data.translation_examples(...).")
        os.makedirs(self.directory, exist_ok=True)
        if self.log_dir and self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "samples"))
        self._z = None

    def on_train_batch_end(self, batch, logs=None):
        step = model_step(self.model)
        if self.due(step):
            self.draw(step)

    def on_train_end(self, logs=None):
        step = model_step(self.model)
        if not self.written or self.written[-1] != os.path.join(self.directory, f"step_{step:06d}.png"):
            self.draw(step)

    def generate(self, count):
        """The samples of the fixed noise batch (the same batch at every step), for `labels(count)`
        when the model is conditional, for `info_layout(count)` when it is an InfoGAN."""
        if self._z is None or len(self._z) != count:
            self._z = self.model.fixed_noise(count, self.seed)
        if _is_infogan(self.model):
            return self.model.sample(*self.info_layout(count)[:2])
        labels = self.labels(count)
        if labels is None:
            return self.model.sample(self._z)
        # Column j of every class row shares z_j, so the rows differ by their class alone.
        z = np.tile(self._z[:len(labels) // self.model.num_classes], (self.model.num_classes, 1))
        return self.model.sample(z, labels)

    def info_layout(self, count):
        """`(z, (categorical, continuous), blank, cols)` of an InfoGAN's grid (see the class docstring):
        the noise and codes of every tile, row by row, whether each tile is a blank separator, and the
        columns; for 1-D / 2-D samples, `self._z` and the model's `balanced_labels(count)`."""
        model = self.model
        if len(model.generator.output.shape) != 4:
            return self._z, model.balanced_labels(count), np.zeros(count, bool), None
        values = model.categorical_codes[0] if model.categorical_codes else 1
        cols = max(1, count // values)
        rng = np.random.default_rng(self.seed)
        z = model.fixed_noise(cols, self.seed)
        others = [rng.integers(0, k, cols) for k in model.categorical_codes[1:]]
        num_continuous = model.continuous_codes
        zs, categorical, continuous, blank = [], [], [], []

        def row(value, z_row, continuous_row, other_row, is_blank=False):
            zs.append(z_row)
            blank.append(np.full(cols, is_blank))
            categorical.append(np.stack([np.full(cols, value)] + other_row, axis=1).astype(np.int32)
                               if model.categorical_codes else np.zeros((cols, 0), np.int32))
            continuous.append(continuous_row)

        for value in range(values):
            row(value, z, np.zeros((cols, num_continuous)), [o for o in others])
        sweep = np.linspace(CONTINUOUS_SWEEP[0], CONTINUOUS_SWEEP[1], cols)
        for code in range(num_continuous):
            row(0, z, np.zeros((cols, num_continuous)), [o for o in others], is_blank=True)
            for value in range(values):
                swept = np.zeros((cols, num_continuous))
                swept[:, code] = sweep
                row(value, np.repeat(z[:1], cols, axis=0), swept, [o[:1].repeat(cols) for o in others])
        return (np.concatenate(zs).astype(np.float32),
                (np.concatenate(categorical), np.concatenate(continuous).astype(np.float32)), np.concatenate(blank),
                cols)

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
            if hasattr(self.model, "sample_rows"):
                grid = translation_grid(self.model.sample_rows(*self.examples), self.min_pixels)
            else:
                images = self.generate(self.num_samples or 64)
                labels = self.labels(self.num_samples or 64)
                cols = None if labels is None else len(labels) // self.model.num_classes
                uint8 = data_lib.to_uint8(images).numpy()
                if _is_infogan(self.model):
                    _, _, blank, cols = self.info_layout(self.num_samples or 64)
                    uint8[blank] = 127  # the rows between the blocks
                grid = image_grid(uint8, self.min_pixels, cols)
            tf.io.write_file(path, tf.io.encode_png(grid))
            if self._writer is not None:
                with self._writer.as_default():
                    tf.summary.image("samples", grid[None], step=step)
                self._writer.flush()
        else:
            samples = self.generate(self.num_samples or 1000)
            if samples.shape[-1] == 2:
                labels = self.labels(self.num_samples or 1000)
                if _is_infogan(self.model) and self.model.categorical_codes:
                    labels = self.info_layout(self.num_samples or 1000)[1][0][:, 0]
                figure = plot_points_2d(samples, self.real_samples, step, labels)
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
        d = self.model.adversarial_loss.d_output(self.model.adversarial_logits(
            self.model.discriminate(xs, training=False))).numpy().ravel()
        return plot_points_1d(samples, real, step, xs.ravel(), d)


CONTINUOUS_SWEEP = (-1.0, 1.0)  # the range an InfoGAN's continuous codes are swept over (their prior's)


def _is_infogan(model):
    return hasattr(model, "categorical_codes")


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


def translation_grid(rows, min_pixels=64):
    """One uint8 image of a translation model's rows (`[(name, images in [-1, 1]), ...]`, e.g. inputs,
    outputs, targets), one row each; grey rows become RGB when others are in colour."""
    images = [data_lib.to_uint8(images).numpy() for _, images in rows]
    channels = max(x.shape[-1] for x in images)
    images = [np.repeat(x, channels, axis=-1) if x.shape[-1] == 1 else x for x in images]
    return image_grid(np.concatenate(images), min_pixels, cols=len(images[0]))


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
