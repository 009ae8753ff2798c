"""Generator and discriminator builders: MLPs for 1-D / 2-D data, DCGAN for images, the 1-D toy.

Every builder returns a functional `keras.Model`, so any of them can be mixed with a user's own
networks of matching shapes.
"""

import math

import keras

from tfgan import layers as layers_lib

MINIBATCH = (None, "stddev", "discrimination")
UPSAMPLING = ("transpose", "pixel_shuffle")
DOWNSAMPLING = ("stride", "avgpool")


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: `{name}={value!r}`.")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}. Received: `{name}={value!r}`.")


def _check_dropout(dropout):
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be a number in [0, 1). Received: `dropout={dropout!r}`.")


def _minibatch_layer(minibatch, x):
    """D's minibatch features before its last layer (flattened activations)."""
    if minibatch == "stddev":
        return layers_lib.MinibatchStdDev(name="minibatch_stddev")(x)
    if minibatch == "discrimination":
        return layers_lib.MinibatchDiscrimination(name="minibatch_discrimination")(x)
    return x


def _check_units(hidden_units):
    if not hidden_units or any(isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in hidden_units):
        raise ValueError(f"`hidden_units` must be a non-empty sequence of positive integers. "
                         f"Received: `hidden_units={hidden_units!r}`.")


@keras.saving.register_keras_serializable(package="tfgan")
class Shift(keras.layers.Layer):
    """x = z + theta: the generator of the 1-D toy (Prince, Understanding Deep Learning, eq. 15.1)."""

    def __init__(self, initial_theta=3.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_theta = float(initial_theta)

    def build(self, input_shape):
        self.theta = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.initial_theta),
                                     name="theta")

    def call(self, z):
        return z + self.theta

    def get_config(self):
        return {**super().get_config(), "initial_theta": self.initial_theta}


def toy_shift_generator(initial_theta=3.0):
    """The 1-D toy generator x = z + theta, theta starting at `initial_theta`; z is 1-D."""
    z = keras.Input((1,), name="z")
    return keras.Model(z, Shift(initial_theta, name="shift")(z), name="toy_shift_generator")


def _shape(name, value):
    shape = (value,) if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if not shape or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape):
        raise ValueError(f"`{name}` must be a positive integer or a shape of them. Received: `{name}={value!r}`.")
    return shape


def mlp_generator(output_shape, latent_dim, hidden_units=(128, 128), activation="relu", name="mlp_generator",
                  dropout=0.0):
    """A fully connected generator: z -> hidden layers -> `output_shape`.

    The output is linear for vectors (`output_shape` an int or a 1-tuple) and tanh for images (a
    rank-3 shape), matching data scaled to [-1, 1]. `dropout` > 0 adds a `NoiseDropout` after each
    hidden layer, on at sampling time too (ganhacks #17).
    """
    shape = _shape("output_shape", output_shape)
    _check_positive_int("latent_dim", latent_dim)
    _check_units(hidden_units)
    _check_dropout(dropout)
    z = keras.Input((latent_dim,), name="z")
    x = z
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
        if dropout:
            x = layers_lib.NoiseDropout(dropout, name=f"noise_dropout_{i}")(x)
    x = keras.layers.Dense(math.prod(shape), activation="tanh" if len(shape) > 1 else None, name="output")(x)
    if len(shape) > 1:
        x = keras.layers.Reshape(shape)(x)
    return keras.Model(z, x, name=name)


def mlp_discriminator(input_shape, hidden_units=(128, 128), negative_slope=0.2, name="mlp_discriminator",
                      minibatch=None):
    """A fully connected discriminator: x (flattened) -> LeakyReLU hidden layers -> one logit.

    `minibatch` (`"stddev"` or `"discrimination"`) adds minibatch features before the logit.
    """
    shape = _shape("input_shape", input_shape)
    _check_units(hidden_units)
    _check_choice("minibatch", minibatch, MINIBATCH)
    inputs = keras.Input(shape, name="x")
    x = keras.layers.Flatten()(inputs) if len(shape) > 1 else inputs
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope, name=f"leaky_relu_{i}")(x)
    x = _minibatch_layer(minibatch, x)
    x = keras.layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, x, name=name)


def _dcgan_levels(image_size):
    """Start resolution and number of 2x resamplings between it and `image_size`.

    Halves the size while it stays even and above 4 (8x8 goes down to 2x2): 64 -> 4 (4 levels),
    28 -> 7 (2 levels), 8 -> 2 (2 levels).
    """
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"`image_size` must be an integer of at least 8. Received: `image_size={image_size!r}`.")
    start, levels = image_size, 0
    while start % 2 == 0 and (start > 4 or image_size == 8 and start > 2):
        start, levels = start // 2, levels + 1
    if start > 8:
        raise ValueError(f"`image_size` must be a multiple of 2 at least twice down to 8 or less "
                         f"(e.g. 8, 16, 28, 32, 64). Received: `image_size={image_size!r}`.")
    return start, levels


def _upsample(upsampling, filters, name, activation=None):
    """Doubles the resolution: a stride-2 transposed convolution, or a convolution to 4x the
    filters and a PixelShuffle (sub-pixel convolution)."""
    if upsampling == "transpose":
        return keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=activation is not None,
                                            activation=activation, name=name)
    conv = keras.layers.Conv2D(4 * filters, 3, padding="same", use_bias=activation is not None, name=name)
    return lambda x: keras.layers.Activation(activation or "linear")(layers_lib.PixelShuffle(2)(conv(x)))


def dcgan_generator(image_size, channels, latent_dim, base_filters=64, name="dcgan_generator",
                    upsampling="transpose", dropout=0.0):
    """DCGAN generator (Radford et al. 2015) for `image_size` x `image_size` x `channels` images
    (8x8 up; any size that halves twice to 8 or less: 8, 16, 28, 32, 64, 128).

    z -> Dense to a start x start feature map -> stride-2 transposed convolutions that halve the
    filters and double the resolution, each followed by BatchNorm and ReLU -> a last transposed
    convolution to `channels` with tanh and no BatchNorm, so outputs lie in [-1, 1].
    `upsampling="pixel_shuffle"` uses convolutions and `PixelShuffle` instead of transposed
    convolutions; `dropout` > 0 adds a `NoiseDropout` (on at sampling time) after each hidden block.
    """
    _check_positive_int("channels", channels)
    _check_positive_int("latent_dim", latent_dim)
    _check_positive_int("base_filters", base_filters)
    _check_choice("upsampling", upsampling, UPSAMPLING)
    _check_dropout(dropout)
    start, levels = _dcgan_levels(image_size)
    z = keras.Input((latent_dim,), name="z")
    filters = base_filters * 2 ** (levels - 1)
    x = keras.layers.Dense(start * start * filters, use_bias=False, name="project")(z)
    x = keras.layers.Reshape((start, start, filters))(x)
    x = keras.layers.BatchNormalization(name="bn_project")(x)
    x = keras.layers.ReLU()(x)
    for i in range(levels - 1):
        filters //= 2
        x = _upsample(upsampling, filters, f"deconv_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.ReLU()(x)
        if dropout:
            x = layers_lib.NoiseDropout(dropout, name=f"noise_dropout_{i}")(x)
    x = _upsample(upsampling, channels, "output", activation="tanh")(x)
    return keras.Model(z, x, name=name)


def dcgan_discriminator(image_size, channels, base_filters=64, negative_slope=0.2, name="dcgan_discriminator",
                        downsampling="stride", minibatch=None):
    """DCGAN discriminator (Radford et al. 2015): stride-2 convolutions with LeakyReLU(0.2), BatchNorm
    on every convolution but the first (D's input), no pooling, and a linear logit.

    `downsampling="avgpool"` halves the resolution with a stride-1 convolution and 2x2 average
    pooling instead (ganhacks #5); `minibatch` (`"stddev"` or `"discrimination"`) adds minibatch
    features: a std-dev channel before the last convolution block's output is flattened, or
    minibatch-discrimination features of the flattened activations.
    """
    _check_positive_int("channels", channels)
    _check_positive_int("base_filters", base_filters)
    _check_choice("downsampling", downsampling, DOWNSAMPLING)
    _check_choice("minibatch", minibatch, MINIBATCH)
    _, levels = _dcgan_levels(image_size)
    inputs = keras.Input((image_size, image_size, channels), name="images")
    x = inputs
    filters = base_filters
    for i in range(levels):
        strides = 2 if downsampling == "stride" else 1
        x = keras.layers.Conv2D(filters, 4, strides=strides, padding="same", use_bias=i == 0, name=f"conv_{i}")(x)
        if downsampling == "avgpool":
            x = keras.layers.AveragePooling2D(2, name=f"avgpool_{i}")(x)
        if i > 0:
            x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope)(x)
        filters *= 2
    if minibatch == "stddev":
        x = layers_lib.MinibatchStdDev(name="minibatch_stddev")(x)
    x = keras.layers.Flatten()(x)
    if minibatch == "discrimination":
        x = layers_lib.MinibatchDiscrimination(name="minibatch_discrimination")(x)
    x = keras.layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, x, name=name)
