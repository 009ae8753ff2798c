"""Adaptive discriminator augmentation (ADA) as pure functions: the augmentations and the p update.

`augment` applies a policy of differentiable augmentations, each to each image independently with
probability p; `ada_update` moves p by the overfitting heuristic r_t = E[sign(D(x_real))]. Both are
pure TensorFlow, run under `tf.function(jit_compile=True)` with static shapes, and read p as a
tensor, so a changing p never retraces the step that uses them.

With p < 1 every augmentation leaves some images untouched, which is what keeps it from leaking into
the generator (Karras et al. 2020, sec. 2.2): D sees the augmented distribution of reals and fakes,
and matching those forces the fakes' own distribution to match the reals'.

Reference:
    Karras et al., Training Generative Adversarial Networks with Limited Data, NeurIPS 2020;
    https://keras.io/examples/generative/gan_ada/ (a Keras version);
    Zhao et al., Differentiable Augmentation for Data-Efficient GAN Training, NeurIPS 2020 (colour, cutout).
"""

import keras
import tensorflow as tf

from tfgan import checks

AUGMENTATIONS = ("flip", "translation", "color", "cutout")
TRANSLATION_FILLS = ("reflect", "zeros")
TRANSLATION_RATIO = 0.125  # largest shift, as a fraction of the image's height / width
CUTOUT_RATIO = 0.5  # side of the cutout square, as a fraction of the image's height / width


# ---------------------------------------------------------------- the operations, given their parameters
#
# Each takes images [B, H, W, C] and per-image parameters, and is exact where its parameters are the
# identity's, so the gates below can leave an image untouched bit for bit.

def flip(images, apply):
    """Mirrors the images with `apply[i]` true left to right (x-flip); the others are returned as they are."""
    return tf.where(_per_image(apply), tf.reverse(images, axis=[2]), images)


def _reflect(index, size):
    """Reflects an index into [0, size) without repeating the edge (numpy's and torch's "reflect")."""
    index = tf.abs(index)
    return (size - 1) - tf.abs((size - 1) - index)


def translate(images, dy, dx, fill="reflect"):
    """Shifts each image by integers `dy[i]` rows down and `dx[i]` columns right, `[B]` each, filling
    what comes in with the image's reflection about its edge (`fill="reflect"`, `np.pad(...,
    mode="reflect")`, as ADA does) or with zeros (`fill="zeros"`, as DiffAugment does). |dy| < H and
    |dx| < W."""
    checks.choice("fill", fill, TRANSLATION_FILLS)
    height, width = images.shape[1], images.shape[2]
    rows = tf.range(height)[None, :] - tf.cast(dy, tf.int32)[:, None]
    cols = tf.range(width)[None, :] - tf.cast(dx, tf.int32)[:, None]
    if fill == "zeros":
        inside = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[:, None, :]
        rows, cols = tf.clip_by_value(rows, 0, height - 1), tf.clip_by_value(cols, 0, width - 1)
    else:
        rows, cols = _reflect(rows, height), _reflect(cols, width)
    images = tf.gather(images, rows, axis=1, batch_dims=1)
    images = tf.gather(images, cols, axis=2, batch_dims=1)
    if fill == "zeros":
        images = images * tf.cast(inside, images.dtype)[..., None]
    return images


def color(images, brightness, saturation, contrast):
    """DiffAugment's colour transform with given per-image factors, `[B]` each:

        x <- x + b                                   brightness
        x <- (x - mean_c(x)) * s + mean_c(x)         saturation (mean over channels, per pixel)
        x <- (x - mean_hwc(x)) * k + mean_hwc(x)     contrast (mean over the image)
    """
    b, s, k = (_per_image(tf.cast(v, images.dtype)) for v in (brightness, saturation, contrast))
    images = images + b
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    images = (images - mean) * s + mean
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * k + mean


def cutout(images, top, left, size):
    """Zeroes in each image the `size = (rows, cols)` rectangle whose top-left pixel is
    (`top[i]`, `left[i]`), `[B]` each; the part of it outside the image is ignored."""
    height, width = images.shape[1], images.shape[2]
    top = tf.cast(top, tf.int32)[:, None, None]
    left = tf.cast(left, tf.int32)[:, None, None]
    rows = tf.range(height)[None, :, None]
    cols = tf.range(width)[None, None, :]
    inside = (rows >= top) & (rows < top + size[0]) & (cols >= left) & (cols < left + size[1])
    return images * tf.cast(tf.logical_not(inside), images.dtype)[..., None]


# ---------------------------------------------------------------- random parameters and the policy

def _per_image(values):
    return tf.reshape(values, [-1, 1, 1, 1])


def max_translation(images_shape):
    """The largest shift (rows, cols) `augment` draws: 1/8 of the height and width, rounded."""
    return tuple(int(n * TRANSLATION_RATIO + 0.5) for n in images_shape[1:3])


def cutout_size(images_shape):
    """The cutout square's side (rows, cols): half the height and width, rounded."""
    return tuple(max(1, int(n * CUTOUT_RATIO + 0.5)) for n in images_shape[1:3])


def check_policy(policy, allowed=AUGMENTATIONS):
    """`policy` (a sequence or a comma-separated string of names from `allowed`) as a tuple of names;
    raises a `ValueError` naming it when it is empty or names anything else."""
    names = tuple(p.strip() for p in policy.split(",")) if isinstance(policy, str) else tuple(policy)
    if not names or any(p not in allowed for p in names):
        raise ValueError(f"`policy` must name augmentations from {allowed}. Received: `policy={policy!r}`.")
    return names


def _check_images(images, copies):
    shape = images.shape
    if shape.rank != 4 or shape[1] is None or shape[2] is None or shape[3] is None:
        raise ValueError(f"`images` must be a batch [B, H, W, C] with static H, W and C. "
                         f"Received: `images` of shape {shape}.")
    if shape[0] is not None and shape[0] % copies:
        raise ValueError(f"`copies` must divide the batch of {shape[0]} images. Received: `copies={copies!r}`.")


def augment(images, probability, seed_generator, policy=AUGMENTATIONS, copies=1, translation_fill="reflect"):
    """Applies each augmentation of `policy`, in order, to each image independently with probability p.

    - `"flip"`: mirror left to right;
    - `"translation"`: shift by integers drawn uniformly from [-H/8, H/8] rows and [-W/8, W/8]
      columns (rounded; a zero shift can be drawn), reflect- or zero-filled (`translation_fill`, see
      `translate`);
    - `"color"`: brightness + U(-0.5, 0.5), then saturation x U(0, 2), then contrast x U(0.5, 1.5)
      (DiffAugment's ranges, for images in [-1, 1]); one gate for the three;
    - `"cutout"`: zero a square of half the height and width whose centre is uniform over the
      image (the square may be cut off by the image's edge).

    An image an augmentation is not applied to is returned by it unchanged, bit for bit, so p = 0
    is the identity. Every operation is differentiable with respect to `images` (a gather, a
    `tf.where`, a multiply), so the generator's gradient flows through the fakes' augmentation.

    With `copies = k` the batch is k batches of n stacked, and image i of every copy gets the same
    random parameters: `augment(concat([real, fake]), p, seed, copies=2)` augments both alike.

    Args:
        images: float images `[k * n, H, W, C]` with static H, W, C.
        probability: p, a scalar (a float tensor, so it may change inside a `tf.function` without
            retracing). p <= 0 applies nothing, p >= 1 applies everything.
        seed_generator: the `keras.random.SeedGenerator` the parameters are drawn from.
        policy: names from `AUGMENTATIONS`, a sequence or a comma-separated string.
            Defaults to `("flip", "translation", "color", "cutout")`.
        copies: k, the number of stacked batches that share their parameters. Defaults to `1`.
        translation_fill: what a shift brings in, `"reflect"` (ADA) or `"zeros"` (DiffAugment).
            Defaults to `"reflect"`.

    Returns:
        The augmented images, of the shape and dtype of `images`.

    Example:

    ```python
    seed = keras.random.SeedGenerator(0)
    both = augment(tf.concat([real, fake], 0), p, seed, copies=2)
    real_aug, fake_aug = tf.split(both, 2)
    ```

    Reference:
        Karras et al., Training Generative Adversarial Networks with Limited Data, NeurIPS 2020, sec. 2-3
        and appendix B (pixel blitting: x-flip, integer translation; colour; cutout).
    """
    names = check_policy(policy)
    copies = checks.positive_int("copies", copies)
    checks.choice("translation_fill", translation_fill, TRANSLATION_FILLS)
    if not isinstance(seed_generator, keras.random.SeedGenerator):
        raise ValueError(f"`seed_generator` must be a keras.random.SeedGenerator. "
                         f"Received: `seed_generator={seed_generator!r}`.")
    if isinstance(probability, (int, float)):
        checks.probability("probability", probability)
    images = tf.convert_to_tensor(images)
    _check_images(images, copies)
    shape = images.shape
    n = shape[0] // copies if shape[0] is not None else tf.shape(images)[0] // copies
    p = tf.cast(probability, tf.float32)

    def draw(low=0.0, high=1.0):
        """n values ~ U(low, high), one per image of a copy, repeated for every copy."""
        return tf.tile(keras.random.uniform([n], low, high, seed=seed_generator), [copies])

    def draw_int(low, high):
        """n integers uniform in [low, high], repeated for every copy."""
        return tf.tile(keras.random.randint([n], low, high + 1, dtype="int32", seed=seed_generator), [copies])

    for name in names:
        apply = draw() < p
        if name == "flip":
            images = flip(images, apply)
        elif name == "translation":
            max_dy, max_dx = max_translation(shape)
            dy = tf.where(apply, draw_int(-max_dy, max_dy), 0)
            dx = tf.where(apply, draw_int(-max_dx, max_dx), 0)
            images = translate(images, dy, dx, translation_fill)
        elif name == "color":
            changed = color(images, draw(-0.5, 0.5), draw(0.0, 2.0), draw(0.5, 1.5))
            images = tf.where(_per_image(apply), changed, images)
        else:  # cutout
            size = cutout_size(shape)
            # The centre is uniform over [0, H] x [0, W] in pixel-edge coordinates, as ADA's.
            top = draw_int(0, shape[1]) - size[0] // 2
            left = draw_int(0, shape[2]) - size[1] // 2
            top = tf.where(apply, top, shape[1])  # a square below the image zeroes nothing
            images = cutout(images, top, left, size)
    return images


# ---------------------------------------------------------------- the adaptive probability

def overfitting_heuristic(real_logits):
    """r_t = E[sign(D(x_real))] over the logits given (Karras et al. 2020, eq. 1): 0 when D is unsure
    of the reals, 1 when it is sure of every one, the sign of overfitting when it approaches 1."""
    return tf.reduce_mean(tf.sign(tf.cast(real_logits, tf.float32)))


def ada_update(probability, real_sign_mean, batch_size, *, target=0.6, interval=4, adjust_images=500_000,
               max_probability=0.99):
    """The next augmentation probability p from the overfitting heuristic (Karras et al. 2020, sec. 3).

        r_t    = E[sign(D(x_real))]                       over the last `interval` steps
        p_next = clip(p + sign(r_t - target) * batch_size * interval / adjust_images, 0, p_max)

    so p can go from 0 to 1 in `adjust_images` real images shown to D (500k in the paper), and moves
    up while D is more certain of the reals than `target` (0.6 in the paper), down while it is less.
    Call it every `interval` steps with the mean of `overfitting_heuristic` over them. The paper only
    clips at 0; p_max < 1 keeps every augmentation non-leaking (some images always pass untouched).

    Args:
        probability: the current p, a scalar (tensor or number).
        real_sign_mean: r_t, a scalar in [-1, 1] (tensor or number).
        batch_size: real images D sees per step (the global batch); an int or an int tensor.
        target: the r_t to hold, in [0, 1]. Defaults to `0.6`.
        interval: steps between updates, >= 1. Defaults to `4`.
        adjust_images: real images over which p can rise from 0 to 1, >= 1. Defaults to `500_000`.
        max_probability: the largest p, in [0, 1). Defaults to `0.99`.

    Returns:
        The new p, a float32 scalar tensor.

    Example:

    ```python
    p.assign(ada_update(p, tf.reduce_mean(signs), batch_size=64))
    ```
    """
    checks.number("target", target, 0.0, 1.0)
    checks.positive_int("interval", interval)
    checks.positive_int("adjust_images", adjust_images)
    checks.number("max_probability", max_probability, 0.0, 1.0, high_open=True)
    if isinstance(batch_size, (int, float)):
        checks.positive_int("batch_size", batch_size)
    p = tf.cast(probability, tf.float32)
    r = tf.cast(real_sign_mean, tf.float32)
    step = tf.cast(batch_size, tf.float32) * float(interval) / float(adjust_images)
    return tf.clip_by_value(p + tf.sign(r - target) * step, 0.0, max_probability)
