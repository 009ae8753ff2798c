"""Datasets as `tf.data` pipelines: the 1-D toy, 2-D Gaussian mixtures, embedded digits, TFDS, image folders.

Names: `toy1d`, `ring`, `grid`, `digits`, `stacked_digits`, `tfds:NAME[:SPLIT]`, `folder:PATH`; and for the
image-to-image translation models (`load_translation`) the paired sets `digits_rot90` and `pairs:folder:PATH`,
or any two image sets as the domains A and B. Images are kept (and cached) as uint8 in [0, 255] and scaled
to [-1, 1] per batch, as the lecture notes advise; vector data is float32. Every pipeline repeats forever
and drops the last partial batch, so the training step is traced once.
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
    paired: bool = False  # examples are (a, b) image pairs (digits_rot90, pairs:folder:PATH)


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
    if kind in ("digits", "digits_rot90"):
        size = image_size or 8
        return DataInfo(name, "image", (size, size, channels or 1), num_classes=10, paired=kind == "digits_rot90")
    if kind == "pairs":
        files = _pair_files(arg)
        size = image_size or _pair_height(files[0])
        return DataInfo(name, "image", (size, size, channels or 3), paired=True)
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
    kind = dataset_names.parse(name)[0]
    if data_info.paired:
        raise ValueError(f"Dataset `{name}` holds (a, b) image pairs for the translation models (tfgan.Pix2Pix, "
                         f"tfgan.CycleGAN); read it with tfgan.data.load_translation.")
    if labels and not data_info.num_classes:
        raise ValueError(f"Dataset `{name}` has no labels, but a conditional model needs (samples, labels).")
    ds = _examples(name, data_info, seed, data_dir)
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


def _examples(name, data_info, seed=None, data_dir=None):
    """The unbatched `(example, label)` dataset of a data set that is not paired, images fitted to
    `data_info.shape` (uint8)."""
    kind, arg, split = dataset_names.parse(name)
    if kind == "toy1d":
        x = np.random.default_rng(seed).normal(data_info.mean, data_info.std, (NUM_POINTS, 1)).astype(np.float32)
        return tf.data.Dataset.from_tensor_slices((x, np.zeros(len(x), np.int32)))
    if kind in ("ring", "grid"):
        x, y = mixture_samples(kind, NUM_POINTS, seed)
        return tf.data.Dataset.from_tensor_slices((x, y))
    if kind == "digits":
        images, y = digits_arrays()
        ds = tf.data.Dataset.from_tensor_slices((images, y.astype(np.int32)))
    elif kind == "stacked_digits":
        ds = stacked_digits_dataset(seed)
    elif kind == "folder":
        ds = _folder_dataset(arg, data_info.shape[-1])
    else:
        ds = _tfds_dataset(arg, split, data_dir)
    if not (kind == "stacked_digits" and data_info.shape[:2] == (8, 8)):
        ds = ds.map(lambda x, y: (_fit_image(x, data_info.shape), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds


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


# ---------------------------------------------------------------- image-to-image translation

def digits_rot90_arrays():
    """The `digits_rot90` pairs: A the 1,797 embedded digits, B the same digits rotated by 90 degrees
    (counter-clockwise, `np.rot90`), uint8 `[N, 8, 8, 1]` each, and their labels uint8 `[N]`."""
    images, labels = digits_arrays()
    return images, np.rot90(images, k=1, axes=(1, 2)).copy(), labels


def split_pair(image):
    """The two halves of a pix2pix-layout image `[H, 2W, C]`, A on the left and B on the right: `(a, b)`."""
    image = tf.convert_to_tensor(image)
    width = tf.shape(image)[1] // 2
    return image[:, :width], image[:, width:2 * width]


def _pair_files(path):
    """The readable images of a pairs folder, each checked (from its header) to be twice as wide as high."""
    files, _ = _folder_files(path, f"pairs:folder:{path}")
    return _checked_pairs(path, tuple(files))


@functools.lru_cache(maxsize=4)
def _checked_pairs(path, files):
    """`files` when each is twice as wide as high (headers only; cached: `info` and `load` both ask)."""
    from PIL import Image

    for file in files:
        with Image.open(file) as image:
            width, height = image.size
        if width != 2 * height:
            raise ValueError(f"`dataset=pairs:folder:{path}` holds A and B side by side, so each image must be twice "
                             f"as wide as high; {file} is {width}x{height} (width x height).")
    return files


def _pair_height(file):
    from PIL import Image

    with Image.open(file) as image:
        return image.size[1]


def _pair_examples(name, data_info):
    """The unbatched `(a, b)` uint8 pairs of a paired data set, each image fitted to `data_info.shape`."""
    kind, arg, _ = dataset_names.parse(name)
    shape = data_info.shape
    if kind == "digits_rot90":
        a, b, _ = digits_rot90_arrays()
        ds = tf.data.Dataset.from_tensor_slices((a, b))
        if shape == a.shape[1:]:
            return ds
    else:
        channels = shape[-1]
        ds = tf.data.Dataset.from_tensor_slices(list(_pair_files(arg)))
        ds = ds.map(lambda file: split_pair(tf.io.decode_image(tf.io.read_file(file), channels=channels,
                                                               expand_animations=False)),
                    num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
    return ds.map(lambda a, b: (_fit_image(a, shape), _fit_image(b, shape)), num_parallel_calls=tf.data.AUTOTUNE)


def translation_info(name, name_b=None, image_size=None, channels=None, data_dir=None):
    """The `DataInfo` of domain A for a translation data set: a paired set (`name_b=None`), or A = `name`
    and B = `name_b`, two image sets whose B images are fitted to A's shape. Checks both names at once."""
    data_info = info(name, image_size, channels, data_dir=data_dir)
    if data_info.kind != "image":
        raise ValueError(f"`{name}` holds vectors; image-to-image translation needs images.")
    if name_b is None:
        return data_info
    if data_info.paired:
        raise ValueError(f"`{name}` holds both domains as pairs already; give a second data set only when A "
                         f"and B are two sets of images (dataset_b={name_b!r}).")
    info_b = info(name_b, data_info.shape[0], data_info.shape[-1], data_dir=data_dir)
    if info_b.kind != "image" or info_b.paired:
        raise ValueError(f"`{name_b}` must be a set of images for domain B (not vectors or pairs).")
    return dataclasses.replace(data_info, num_classes=0)


def load_translation(name, batch_size, *, name_b=None, paired=True, seed=None, image_size=None, channels=None,
                     data_dir=None, shuffle_buffer=10_000, start_batch=0, max_examples=0):
    """Returns `(dataset, info)`: an endless `tf.data.Dataset` of `(a, b)` batches, float32 `[batch, H, W, C]`
    images in [-1, 1] of domains A and B, and the `DataInfo` of A, for `tfgan.Pix2Pix` and `tfgan.CycleGAN`.

    - `paired=True` (Pix2Pix): `name` is a paired set, `digits_rot90` (A a digit, B the same digit
      rotated by 90 degrees) or `pairs:folder:PATH` (pix2pix's layout: A and B side by side in one
      file, A on the left); row i of `b` is the counterpart of row i of `a`.
    - `paired=False` (CycleGAN): A and B are shuffled independently, each with its own seed, so a
      batch's rows are no pairs: the two halves of a paired set when `name_b` is None, or the images
      of `name` (A) and of `name_b` (B, fitted to A's size and channels).

    The order is a function of `seed` alone, and `start_batch=n` continues where the n-th batch of a
    fresh stream would be. `max_examples=n` uses the first n examples (pairs, or images of each domain)
    only, so the rest are held out.
    """
    checks.positive_int("batch_size", batch_size)
    checks.non_negative_int("start_batch", start_batch)
    checks.non_negative_int("max_examples", max_examples)
    checks.boolean("paired", paired)
    data_info = translation_info(name, name_b, image_size, channels, data_dir)
    if not data_info.paired and name_b is None:
        raise ValueError(f"`{name}` is one set of images; translation needs pairs (digits_rot90, "
                         f"pairs:folder:PATH) or a second set for domain B (name_b).")
    if paired and not data_info.paired:
        raise ValueError(f"Paired translation (Pix2Pix) needs a paired data set, digits_rot90 or pairs:folder:PATH. "
                         f"Received: `name={name!r}`, `name_b={name_b!r}`.")

    def stream(ds, stream_seed):
        if max_examples:
            ds = ds.take(max_examples)
        ds = ds.cache().shuffle(shuffle_buffer, seed=stream_seed).repeat()
        if start_batch:
            ds = ds.skip(start_batch * batch_size)
        return ds.batch(batch_size, drop_remainder=True)

    seed_b = None if seed is None else seed + 1  # B's order differs from A's: no pairs in unpaired batches
    if data_info.paired:
        pairs = _pair_examples(name, data_info)
        if paired:
            ds = stream(pairs, seed)
        else:
            ds = tf.data.Dataset.zip((stream(pairs.map(_domain_a), seed), stream(pairs.map(_domain_b), seed_b)))
    else:
        info_b = info(name_b, data_info.shape[0], data_info.shape[-1], data_dir=data_dir)
        ds = tf.data.Dataset.zip((stream(_examples(name, data_info, seed, data_dir).map(_domain_a), seed),
                                  stream(_examples(name_b, info_b, seed_b, data_dir).map(_domain_a), seed_b)))
    ds = ds.map(lambda a, b: (_scale_images(a), _scale_images(b)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE), data_info


def _domain_a(a, b):
    """The first of a pair (or an image without its label)."""
    return a


def _domain_b(a, b):
    return b


def translation_examples(name, count, name_b=None, offset=0, image_size=None, channels=None, data_dir=None):
    """Fixed examples to watch a translation model on: `(a, b)` float32 numpy arrays in [-1, 1] of the
    examples `offset` to `offset + count` in the data's own order (pairs for a paired set, the first images
    of each domain otherwise); from the start when fewer than `count` are left after `offset`."""
    checks.positive_int("count", count)
    checks.non_negative_int("offset", offset)
    data_info = translation_info(name, name_b, image_size, channels, data_dir)
    if data_info.paired:
        ds = _pair_examples(name, data_info)
    else:
        info_b = info(name_b, data_info.shape[0], data_info.shape[-1], data_dir=data_dir)
        ds = tf.data.Dataset.zip((_examples(name, data_info, 0, data_dir).map(_domain_a),
                                  _examples(name_b, info_b, 0, data_dir).map(_domain_a)))
    taken = list(ds.skip(offset).take(count).as_numpy_iterator())
    if len(taken) < count:
        taken = list(ds.take(count).as_numpy_iterator())
    a, b = (np.stack([pair[k] for pair in taken]) for k in (0, 1))
    return a.astype(np.float32) / 127.5 - 1.0, b.astype(np.float32) / 127.5 - 1.0


def read_images(files, shape):
    """Image files as uint8 `[N, H, W, C]`, each center-cropped and resized to `shape` = (H, W, C)."""
    images = [_fit_image(tf.io.decode_image(tf.io.read_file(f), channels=shape[-1], expand_animations=False), shape)
              for f in files]
    return np.stack([image.numpy() for image in images]) if images else np.zeros((0,) + tuple(shape), np.uint8)


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


def _folder_files(path, name=None):
    """Image files under `path` and the class names (sub-folders), or an error naming the folder (as the
    data set `name`, by default `folder:PATH`)."""
    name = name or f"folder:{path}"
    if not os.path.isdir(path):
        raise ValueError(f"`dataset={name}`: no such directory.")
    files, classes = [], sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
    for root, _, names in os.walk(path):
        files += [os.path.join(root, n) for n in sorted(names) if n.lower().endswith(IMAGE_EXTENSIONS)]
    if not files:
        raise ValueError(f"`dataset={name}` contains no images; expected {', '.join(IMAGE_EXTENSIONS)} files.")
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
