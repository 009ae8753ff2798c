"""Datasets as `tf.data` pipelines: the 1-D toy, 2-D Gaussian mixtures, embedded digits, TFDS, image folders.

Names: `toy1d`, `ring`, `grid`, `digits`, `stacked_digits`, `tfds:NAME[:SPLIT]`, `folder:PATH`. Images are kept (and
cached) as uint8 in [0, 255] and scaled to [-1, 1] per batch, as the lecture notes advise; vector data
is float32. Every pipeline repeats forever and drops the last partial batch, so the training step is
traced once.
"""

import dataclasses
import functools
import os

import numpy as np
import tensorflow as tf
from absl import logging

from tfgan import checks, dataset_names
from tfgan.dataset_names import DATASETS  # noqa: F401  (part of this module's API)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
NUM_POINTS = 100_000  # size of the fixed sample drawn for the toy sets
STACKED_CHANNELS = 3  # digits per `stacked_digits` example, one a colour channel: 10**3 = 1,000 modes
STACKED_BLOCK = 1024  # `stacked_digits` index triples drawn per stateless random call
DECODABLE_FORMATS = ("PNG", "JPEG", "GIF", "BMP")  # what tf.io.decode_image reads


@dataclasses.dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about a dataset before reading it."""

    name: str
    kind: str  # "image" or "vector"
    shape: tuple  # one example's shape
    num_classes: int = 0  # 0 when the data has no labels
    modes: np.ndarray = None  # mixture centres of `ring` / `grid`, [K, 2]
    mode_std: float = 0.0  # their standard deviation
    mean: float = 0.0  # toy1d: the data's mean and std
    std: float = 0.0


def ring_modes(num_modes=8, radius=1.0):
    """Centres of the `ring`: `num_modes` points on a circle at angles 2*pi*k/num_modes."""
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1).astype(np.float32)


def grid_modes(values=(-4.0, -2.0, 0.0, 2.0, 4.0)):
    """Centres of the `grid`: all pairs of `values`, 25 for the default."""
    return np.array([(x, y) for x in values for y in values], np.float32)


def info(name, image_size=None, channels=None, toy_mean=5.0, toy_std=1.0, data_dir=None):
    """The `DataInfo` of a dataset, without reading its examples (checks the name at once)."""
    kind, arg, split = dataset_names.parse(name)
    if kind == "toy1d":
        return DataInfo(name, "vector", (1,), mean=toy_mean, std=toy_std)
    if kind == "ring":
        return DataInfo(name, "vector", (2,), num_classes=8, modes=ring_modes(), mode_std=0.01)
    if kind == "grid":
        return DataInfo(name, "vector", (2,), num_classes=25, modes=grid_modes(), mode_std=0.05)
    if kind == "digits":
        size = image_size or 8
        return DataInfo(name, "image", (size, size, channels or 1), num_classes=10)
    if kind == "stacked_digits":
        if channels not in (None, STACKED_CHANNELS):
            raise ValueError(f"`stacked_digits` stacks {STACKED_CHANNELS} digits as its channels. "
                             f"Received: `channels={channels!r}`.")
        size = image_size or 8
        return DataInfo(name, "image", (size, size, STACKED_CHANNELS), num_classes=10**STACKED_CHANNELS)
    if kind == "folder":
        files, classes = _folder_files(arg)
        size = image_size or 64
        return DataInfo(name, "image", (size, size, channels or 3), num_classes=len(classes) if classes else 0)
    builder = _tfds_builder(arg, data_dir)
    _tfds_dataset(arg, split, data_dir)  # not on disk: fails here, before anything is built or written
    features = builder.info.features
    image_shape = features["image"].shape
    size = image_size or image_shape[0]
    num_classes = features["label"].num_classes if "label" in features else 0
    return DataInfo(name, "image", (size, size, channels or image_shape[-1]), num_classes=num_classes)


def load(name, batch_size, *, d_steps=1, labels=False, seed=None, image_size=None, channels=None,
         toy_mean=5.0, toy_std=1.0, data_dir=None, shuffle_buffer=10_000, start_batch=0, max_examples=0):
    """Returns `(dataset, info)`: an endless `tf.data.Dataset` of batches and the data's `DataInfo`.

    Each batch holds `batch_size * d_steps` examples, so that each of a GAN's `d_steps`
    discriminator updates sees `batch_size` real examples. With `labels=True` the batches are
    `(samples, labels)` with int32 labels; otherwise samples alone. `stacked_digits` is drawn afresh
    from `seed` for ever (see `stacked_digits_dataset`), so it is neither cached nor shuffled.

    The order is a function of `seed` alone, so `start_batch=n` continues the stream where the n-th
    batch of a fresh one would be (a resumed run sees the data an uninterrupted one would).
    `max_examples=n` trains on the first n examples only (0: all of them).
    """
    for arg_name, value in (("batch_size", batch_size), ("d_steps", d_steps)):
        checks.positive_int(arg_name, value)
    checks.non_negative_int("start_batch", start_batch)
    checks.non_negative_int("max_examples", max_examples)
    data_info = info(name, image_size, channels, toy_mean, toy_std, data_dir)
    kind, arg, split = dataset_names.parse(name)
    if labels and not data_info.num_classes:
        raise ValueError(f"Dataset `{name}` has no labels, but a conditional model needs (samples, labels).")
    if kind == "toy1d":
        x = np.random.default_rng(seed).normal(toy_mean, toy_std, (NUM_POINTS, 1)).astype(np.float32)
        ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(len(x), np.int32)))
    elif kind in ("ring", "grid"):
        x, y = mixture_samples(kind, NUM_POINTS, seed)
        ds = tf.data.Dataset.from_tensor_slices((x, y))
    elif kind == "digits":
        images, y = digits_arrays()
        ds = tf.data.Dataset.from_tensor_slices((images, y.astype(np.int32)))
    elif kind == "stacked_digits":
        ds = stacked_digits_dataset(seed)
    elif kind == "folder":
        ds = _folder_dataset(arg, data_info.shape[-1])
    else:
        ds = _tfds_dataset(arg, split, data_dir)
    if data_info.kind == "image" and not (kind == "stacked_digits" and data_info.shape[:2] == (8, 8)):
        ds = ds.map(lambda x, y: (_fit_image(x, data_info.shape), y), num_parallel_calls=tf.data.AUTOTUNE)
    if max_examples:
        ds = ds.take(max_examples)
    if kind != "stacked_digits" or max_examples:  # an endless stream of fresh draws is never cached
        ds = ds.cache().shuffle(shuffle_buffer, seed=seed).repeat()
    if start_batch:
        ds = ds.skip(start_batch * batch_size * d_steps)
    ds = ds.batch(batch_size * d_steps, drop_remainder=True)
    scale = _scale_images if data_info.kind == "image" else (lambda x: x)
    if labels:
        ds = ds.map(lambda x, y: (scale(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda x, y: scale(x), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE), data_info


def mixture_samples(name, num_samples, seed=None):
    """`num_samples` points of the `ring` or `grid` mixture (equal weights) and their mode indices."""
    data_info = info(name)
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, len(data_info.modes), num_samples)
    x = data_info.modes[modes] + rng.normal(0.0, data_info.mode_std, (num_samples, 2))
    return x.astype(np.float32), modes.astype(np.int32)


def digits_arrays():
    """The 1,797 8x8 UCI optical-recognition digits (uint8 [N, 8, 8, 1], labels uint8 [N]), offline."""
    path = os.path.join(os.path.dirname(__file__), "assets", "digits.npz")
    with np.load(path) as f:
        return f["images"], f["labels"]


def stacked_digits_dataset(seed=None):
    """Stacked digits: three embedded digits, drawn independently, as the channels of one 8x8x3 image.

    The 8x8 counterpart of Stacked MNIST (Metz et al. 2017; Srivastava et al. 2017, Table 2; Lin et al.
    2018, Table 3): each example is the digits at three indices drawn independently and uniformly from
    the 1,797 of `digits_arrays()`, stacked as red, green and blue, and its label the three-digit number

        label = 100 d_R + 10 d_G + d_B,   0 <= label < 1000,

    so the data has 1,000 modes, equally likely. The indices come from counter-based stateless random
    numbers, `STACKED_BLOCK` triples per call to `tf.random.stateless_uniform(seed=(seed, block))` with
    `block` = 0, 1, 2, ...: the stream is endless, each block drawn from its own key (no short period),
    and it is the same for the same `seed` whatever the global TensorFlow seed.

    Args:
        seed: a non-negative integer fixing the stream. Defaults to `None`: a seed drawn from numpy's
            global generator (so `keras.utils.set_random_seed` fixes it too).

    Returns:
        An endless `tf.data.Dataset` of `(image uint8 [8, 8, 3], label int32)`, unbatched.

    Reference:
        Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
        https://arxiv.org/abs/1712.04086
    """
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    seed = checks.non_negative_int("seed", seed)
    images, labels = digits_arrays()
    images = tf.constant(images[..., 0])  # [N, 8, 8]
    labels = tf.constant(labels.astype(np.int32))
    place_values = tf.constant([10**(STACKED_CHANNELS - 1 - c) for c in range(STACKED_CHANNELS)], tf.int32)

    def block(index):
        block_seed = tf.stack([tf.constant(seed, tf.int64), index])
        indices = tf.random.stateless_uniform((STACKED_BLOCK, STACKED_CHANNELS), seed=block_seed,
                                              minval=0, maxval=len(labels), dtype=tf.int32)
        stacked = tf.transpose(tf.gather(images, indices), (0, 2, 3, 1))  # [B, 3, 8, 8] -> [B, 8, 8, 3]
        return stacked, tf.reduce_sum(tf.gather(labels, indices) * place_values, axis=1)

    return tf.data.Dataset.counter(dtype=tf.int64).map(block).unbatch()


def to_uint8(images):
    """Maps images in [-1, 1] to uint8 [0, 255]."""
    return tf.cast(tf.round(tf.clip_by_value((tf.cast(images, tf.float32) + 1.0) * 127.5, 0.0, 255.0)), tf.uint8)


def _scale_images(images):
    """uint8 [0, 255] -> float32 [-1, 1], per batch."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def _fit_image(image, shape):
    """Center-crops to a square, resizes to `shape` and sets the channels, keeping uint8."""
    height, width, channels = shape
    image = tf.convert_to_tensor(image)
    if image.shape.rank == 2:
        image = image[..., None]
    side = tf.minimum(tf.shape(image)[0], tf.shape(image)[1])
    image = tf.image.resize_with_crop_or_pad(image, side, side)
    image = tf.image.resize(image, (height, width), antialias=True)
    image = tf.cast(tf.round(tf.clip_by_value(image, 0.0, 255.0)), tf.uint8)
    have = image.shape[-1]
    if have != channels:
        if have == 1:
            image = tf.image.grayscale_to_rgb(image)
        elif channels == 1:
            image = tf.cast(tf.round(tf.image.rgb_to_grayscale(tf.cast(image[..., :3], tf.float32))), tf.uint8)
        else:
            image = image[..., :channels]
    return tf.ensure_shape(image, (height, width, channels))


def _folder_files(path):
    """Image files under `path` and the class names (sub-folders), or an error naming the folder."""
    if not os.path.isdir(path):
        raise ValueError(f"`dataset=folder:{path}`: no such directory.")
    files, classes = [], sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
    for root, _, names in os.walk(path):
        files += [os.path.join(root, n) for n in sorted(names) if n.lower().endswith(IMAGE_EXTENSIONS)]
    if not files:
        raise ValueError(f"`dataset=folder:{path}` contains no images; expected {', '.join(IMAGE_EXTENSIONS)} files.")
    return list(_readable_images(path, tuple(sorted(files)))), classes


@functools.lru_cache(maxsize=4)
def _readable_images(path, files):
    """The `files` whose header decodes as an image TensorFlow reads; logs the others in one line.

    Only headers are read (PIL opens lazily), so the pre-pass costs a file open each, not a decode;
    bodies that are cut short are dropped later by the pipeline's `ignore_errors`. Cached, because
    `info` and `load` both ask and the line should be logged once.
    """
    from PIL import Image

    readable, unreadable = [], []
    for file in files:
        try:
            with Image.open(file) as image:
                ok = image.format in DECODABLE_FORMATS and min(image.size) > 0
        except (OSError, ValueError, Image.DecompressionBombError):
            ok = False
        (readable if ok else unreadable).append(file)
    if not readable:
        raise ValueError(f"`dataset=folder:{path}`: none of its {len(files)} image files can be read "
                         f"(e.g. {', '.join(unreadable[:3])}).")
    if unreadable:
        logging.warning("folder:%s: skipping %d unreadable image files of %d, e.g. %s", path, len(unreadable),
                        len(files), ", ".join(unreadable[:3]))
    return tuple(readable)


def _folder_dataset(path, channels):
    files, classes = _folder_files(path)
    if classes:
        index = {c: i for i, c in enumerate(classes)}
        labels = [index.get(os.path.relpath(f, path).split(os.sep)[0], 0) for f in files]
    else:
        labels = [0] * len(files)
    ds = tf.data.Dataset.from_tensor_slices((files, np.array(labels, np.int32)))

    def read(file, label):
        # Decoding to the data's channels makes grey and RGB(A) files alike.
        image = tf.io.decode_image(tf.io.read_file(file), channels=channels, expand_animations=False)
        return image, label

    # A file whose header passed the pre-pass but whose body does not decode is dropped, not fatal.
    return ds.map(read, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()


def _tfds_builder(name, data_dir):
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(f"Unknown TFDS dataset: `dataset=tfds:{name}`. See tfds.list_builders().") from None


def _tfds_dataset(name, split, data_dir):
    import tensorflow_datasets as tfds

    try:
        ds = tfds.load(name, split=split, data_dir=data_dir, download=False)
    except (AssertionError, FileNotFoundError, tfds.core.registered.DatasetNotFoundError) as error:
        where = data_dir or os.path.expanduser("~/tensorflow_datasets")
        raise ValueError(
            f"TFDS dataset `{name}` (split {split!r}) is not on disk in {where} and this machine cannot "
            f"download it. On a machine with a network run `tfds build {name} --data_dir=DIR` (or "
            f"`python -c \"import tensorflow_datasets as tfds; tfds.load('{name}', data_dir='DIR')\"`), copy DIR "
            f"here and pass --data_dir=DIR. ({type(error).__name__})") from None
    has_label = "label" in ds.element_spec
    return ds.map(lambda ex: (ex["image"], tf.cast(ex["label"], tf.int32) if has_label else tf.constant(0)),
                  num_parallel_calls=tf.data.AUTOTUNE)
