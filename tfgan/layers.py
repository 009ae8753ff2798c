"""Layers for GAN networks: minibatch and Fourier features for D, sub-pixel upsampling and noise dropout for G,
reflection padding and instance normalization for image-to-image translation, InfoGAN's one-hot codes."""

import keras
import tensorflow as tf

from tfgan import checks


@keras.saving.register_keras_serializable(package="tfgan")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends to each example features of its closeness to the rest of the minibatch, so D can
    see a collapsed batch (Salimans et al. 2016, sec. 3.2).

        M_i = f(x_i) T   reshaped to [num_kernels, kernel_dim]
        c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_1)
        o(x_i)_b = sum_j c_b(x_i, x_j)          (j over the whole minibatch, i included)
        output = concat([x_i, o(x_i)])          shape [batch, features + num_kernels]

    Args:
        num_kernels: B, the number of features added. Defaults to `16`.
        kernel_dim: C, the size of each kernel's projection. Defaults to `8`.

    Reference:
        Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016, sec. 3.2.
    """

    def __init__(self, num_kernels=16, kernel_dim=8, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = checks.positive_int("num_kernels", num_kernels)
        self.kernel_dim = checks.positive_int("kernel_dim", kernel_dim)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"MinibatchDiscrimination takes [batch, features] inputs (flatten first). "
                             f"Received: input_shape={tuple(input_shape)}.")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
                                      initializer=keras.initializers.RandomNormal(stddev=0.02), name="kernel")

    def call(self, x):
        m = tf.reshape(tf.matmul(x, self.kernel), [-1, self.num_kernels, self.kernel_dim])
        l1 = tf.reduce_sum(tf.abs(m[:, None] - m[None]), axis=-1)  # [batch, batch, num_kernels]
        return tf.concat([x, tf.reduce_sum(tf.exp(-l1), axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + self.num_kernels,)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels, "kernel_dim": self.kernel_dim}


@keras.saving.register_keras_serializable(package="tfgan")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the minibatch standard deviation as one feature (Karras et al. 2018, sec. 3).

    The batch is split into groups of `group_size` (the whole batch when smaller); in each group,
    the std of every feature over the group's examples is averaged over features (and pixels), and
    that number is appended to every example of the group: as a channel for images `[B, H, W, C]`
    -> `[B, H, W, C + 1]`, as a feature for vectors `[B, F]` -> `[B, F + 1]`. Group g holds the
    examples g, g + B/G, g + 2B/G, ..., as in the reference code.

    Args:
        group_size: examples per group; must divide the batch when smaller than it. Defaults to `4`.
        epsilon: added to the variance before the square root. Defaults to `1e-8`.

    Reference:
        Karras et al., Progressive Growing of GANs, ICLR 2018, sec. 3.
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = checks.positive_int("group_size", group_size)
        if not epsilon >= 0:
            raise ValueError(f"`epsilon` must be >= 0. Received: `epsilon={epsilon!r}`.")
        self.epsilon = float(epsilon)

    def call(self, x):
        batch = tf.shape(x)[0]
        group = tf.minimum(self.group_size, batch)
        y = tf.reshape(x, tf.concat([[group, batch // group], tf.shape(x)[1:]], axis=0))
        std = tf.sqrt(tf.math.reduce_variance(y, axis=0) + self.epsilon)  # [B/G, ...]
        std = tf.reduce_mean(tf.reshape(std, [batch // group, -1]), axis=1)  # [B/G]
        std = tf.tile(std, [group])  # example i gets its group's (i mod B/G) value
        feature = tf.ones_like(x[..., :1]) * tf.reshape(std, [-1] + [1] * (x.shape.rank - 1))
        return tf.concat([x, feature], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="tfgan")
class FourierFeatures(keras.layers.Layer):
    """Fixed random Fourier features of low-dimensional inputs, next to the inputs themselves (Tancik et
    al. 2020; NeRF's positional encoding keeps x too):

        x [batch, d] -> concat([x, sin(x B), cos(x B)])   [batch, d + num_features],   B ~ N(0, scale^2)

    B, of shape [d, num_features / 2], is drawn once from `seed` and never trained (it is saved with the
    layer's weights). The Jacobian J satisfies J^T J = I + B B^T at every x, so the layer is exactly
    sqrt(1 + sigma_max(B)^2)-Lipschitz: in front of a spectrally normalized MLP it keeps the critic
    Lipschitz, with a known constant, while giving the first normalized layer d + num_features inputs
    instead of d. With d = 2 that layer's kernel has rank 2, so a spectral norm of 1 leaves its units
    almost no weight to share (see docs/lipschitz.md). x itself is kept because the sines and cosines are
    bounded: from them alone D is a quasi-periodic function far from the data, with local maxima that
    samples which stray there climb and never leave.

    Args:
        num_features: the number of sines and cosines, an even positive integer.
        scale: std of the frequencies B (radians per unit of x); sets the finest detail D can see.
        seed: seed of B.

    Reference:
        Tancik et al., Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional
        Domains, NeurIPS 2020.
    """

    def __init__(self, num_features=256, scale=1.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        checks.positive_int("num_features", num_features)
        if num_features % 2:
            raise ValueError(f"`num_features` must be even (a sine and a cosine per frequency). "
                             f"Received: `num_features={num_features!r}`.")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"`scale` must be a positive number. Received: `scale={scale!r}`.")
        self.num_features, self.scale, self.seed = num_features, float(scale), int(seed)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"FourierFeatures takes [batch, features] inputs. "
                             f"Received: input_shape={tuple(input_shape)}.")
        self.frequencies = self.add_weight(
            shape=(input_shape[-1], self.num_features // 2), trainable=False, name="frequencies",
            initializer=keras.initializers.RandomNormal(stddev=self.scale, seed=self.seed))

    def call(self, x):
        projection = tf.matmul(x, self.frequencies)
        return tf.concat([x, tf.sin(projection), tf.cos(projection)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + self.num_features,)

    def get_config(self):
        return {**super().get_config(), "num_features": self.num_features, "scale": self.scale, "seed": self.seed}


@keras.saving.register_keras_serializable(package="tfgan")
class PixelShuffle(keras.layers.Layer):
    """Sub-pixel upsampling: `[B, H, W, C * r^2]` -> `[B, H r, W r, C]` (`tf.nn.depth_to_space`),
    an upsampling without the checkerboard of strided transposed convolutions (ganhacks #5).

    Args:
        block_size: r, the upsampling factor. Defaults to `2`.

    Reference:
        Shi et al., Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
        Convolutional Neural Network, CVPR 2016.
    """

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = checks.positive_int("block_size", block_size)
        if block_size < 2:
            raise ValueError(f"`block_size` must be at least 2. Received: `block_size={block_size!r}`.")

    def build(self, input_shape):
        if input_shape[-1] % self.block_size ** 2:
            raise ValueError(f"PixelShuffle(block_size={self.block_size}) needs channels divisible by "
                             f"{self.block_size ** 2}. Received: input_shape={tuple(input_shape)}.")

    def call(self, x):
        return tf.nn.depth_to_space(x, self.block_size)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.block_size
        return (b, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


@keras.saving.register_keras_serializable(package="tfgan")
class NoiseDropout(keras.layers.Layer):
    """Dropout that stays on when sampling: pix2pix's "noise in the form of dropout" in G
    (ganhacks #17). Samples (and the exported generator's outputs) are then random for a fixed z.

    It draws with `tf.nn.dropout`'s stateful op rather than a Keras seed generator, so an exported
    generator holds no untracked seed state.

    Args:
        rate: fraction of units set to 0 (the rest scaled by 1 / (1 - rate)), in [0, 1).

    Reference:
        Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, CVPR 2017, sec. 3.1.
    """

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ValueError(f"`rate` must be a number in [0, 1). Received: `rate={rate!r}`.")
        self.rate = float(rate)

    def call(self, inputs, training=None):
        return tf.nn.dropout(inputs, self.rate) if self.rate else inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


@keras.saving.register_keras_serializable(package="tfgan")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by mirroring the border (`tf.pad(mode="REFLECT")`): `[B, H, W, C]` ->
    `[B, H + 2p, W + 2p, C]`. The convolution after it sees image-like values at the edges instead of
    zeros, which is how CycleGAN's ResNet generator pads its 7x7 and residual 3x3 convolutions.

    Args:
        padding: p, the pixels added on each side; less than the height and the width. Defaults to `1`.

    Reference:
        Zhu et al., Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks,
        ICCV 2017, sec. 7.2 (following Johnson et al. 2016).
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = checks.positive_int("padding", padding)

    def build(self, input_shape):
        if len(input_shape) != 4 or any(d is not None and d <= self.padding for d in input_shape[1:3]):
            raise ValueError(f"ReflectionPadding2D(padding={self.padding}) takes [batch, height, width, channels] "
                             f"inputs larger than the padding. Received: input_shape={tuple(input_shape)}.")

    def call(self, x):
        p = self.padding
        return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        p = 2 * self.padding
        return (b, None if h is None else h + p, None if w is None else w + p, c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def instance_normalization(epsilon=1e-5, name=None):
    """Instance normalization (Ulyanov et al. 2016): each example's channel is normalized over its own
    pixels, then scaled and shifted by a learned per-channel gamma and beta.

    This is Keras's own `keras.layers.GroupNormalization(groups=-1)` (one group per channel), so models
    that use it save and load with no custom object. `epsilon` is PyTorch's `InstanceNorm2d` default,
    which the pix2pix / CycleGAN reference code uses; a 1x1 feature map normalizes to `beta` alone.

    Args:
        epsilon: added to the variance. Defaults to `1e-5`.
        name: the layer's name. Defaults to `None` (a generated name).

    Reference:
        Ulyanov et al., Instance Normalization: The Missing Ingredient for Fast Stylization, 2016.
    """
    return keras.layers.GroupNormalization(groups=-1, epsilon=epsilon, name=name)


@keras.saving.register_keras_serializable(package="tfgan")
class OneHotCodes(keras.layers.Layer):
    """InfoGAN's categorical codes as one concatenated one-hot vector: int `[batch, J]`, code j in
    `[0, K_j)`, -> float `[batch, K_0 + ... + K_{J-1}]` (`[batch, 0]` when there are no codes).

    Args:
        categorical_codes: the values K_j of each code, a sequence of integers >= 2.
    """

    def __init__(self, categorical_codes, **kwargs):
        super().__init__(**kwargs)
        self.categorical_codes = tuple(checks.positive_int("categorical_codes", k, minimum=2)
                                       for k in categorical_codes)

    def call(self, codes):
        codes = tf.cast(codes, tf.int32)
        if not self.categorical_codes:
            return tf.zeros([tf.shape(codes)[0], 0], self.compute_dtype)
        return tf.concat([tf.one_hot(codes[:, j], k, dtype=self.compute_dtype)
                          for j, k in enumerate(self.categorical_codes)], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], sum(self.categorical_codes))

    def get_config(self):
        return {**super().get_config(), "categorical_codes": list(self.categorical_codes)}
