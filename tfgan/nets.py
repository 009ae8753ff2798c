"""Generator and discriminator builders: MLPs for 1-D / 2-D data, DCGAN and SNGAN-ResNet for images, the 1-D toy,
the conditional, ACGAN and InfoGAN (a Q head sharing D's body) forms, and the image-to-image translation nets of pix2pix and CycleGAN (U-Net, ResNet generator, PatchGAN).

Every builder returns a functional `keras.Model`, so any of them can be mixed with a user's own
networks of matching shapes.
"""

import math

import keras

from tfgan import checks
from tfgan import layers as layers_lib

MINIBATCH = (None, "stddev", "discrimination")
UPSAMPLING = ("transpose", "pixel_shuffle")
DOWNSAMPLING = ("stride", "avgpool")


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
    checks.positive_int("latent_dim", latent_dim)
    _check_units(hidden_units)
    checks.number("dropout", dropout, 0.0, 1.0, high_open=True)
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


def _maybe_sn(layer, spectral_norm):
    """Wraps `layer` in `keras.layers.SpectralNormalization` (Miyato et al. 2018) when asked.

    It normalizes the kernel only when called with `training=True`, which `tfgan.GAN` does in every
    training path; its power-iteration vector `u` is a (non-trainable) weight, so checkpoints keep it.
    """
    return keras.layers.SpectralNormalization(layer, name=f"sn_{layer.name}") if spectral_norm else layer


def mlp_discriminator(input_shape, hidden_units=(128, 128), negative_slope=0.2, name="mlp_discriminator", *,
                      spectral_norm=False, layer_norm=False, minibatch=None, fourier_features=0, fourier_scale=1.0):
    """A fully connected discriminator: x (flattened) -> LeakyReLU hidden layers -> one logit.

    `spectral_norm=True` wraps every Dense layer in spectral normalization (SNGAN); `layer_norm=True`
    adds LayerNormalization after each hidden Dense layer, the normalization WGAN-GP allows in a
    critic (BatchNorm would couple the examples the per-example gradient penalty treats apart);
    `minibatch` (`"stddev"` or `"discrimination"`) adds minibatch features before the logit;
    `fourier_features=n` feeds the first layer x and n fixed random Fourier features of it, of frequency
    std `fourier_scale` (`tfgan.layers.FourierFeatures`), what lets an SN critic resolve 2-D data.
    """
    shape = _shape("input_shape", input_shape)
    _check_units(hidden_units)
    checks.boolean("spectral_norm", spectral_norm)
    checks.boolean("layer_norm", layer_norm)
    checks.choice("minibatch", minibatch, MINIBATCH)
    inputs = keras.Input(shape, name="x")
    x = keras.layers.Flatten()(inputs) if len(shape) > 1 else inputs
    if fourier_features:
        x = layers_lib.FourierFeatures(fourier_features, fourier_scale, name="fourier_features")(x)
    for i, units in enumerate(hidden_units):
        x = _maybe_sn(keras.layers.Dense(units, name=f"dense_{i}"), spectral_norm)(x)
        if layer_norm:
            x = keras.layers.LayerNormalization(name=f"layer_norm_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope, name=f"leaky_relu_{i}")(x)
    x = _minibatch_layer(minibatch, x)
    x = _maybe_sn(keras.layers.Dense(1, name="logit"), spectral_norm)(x)
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
    checks.positive_int("channels", channels)
    checks.positive_int("latent_dim", latent_dim)
    checks.positive_int("base_filters", base_filters)
    checks.choice("upsampling", upsampling, UPSAMPLING)
    checks.number("dropout", dropout, 0.0, 1.0, high_open=True)
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


def dcgan_discriminator(image_size, channels, base_filters=64, negative_slope=0.2, name="dcgan_discriminator", *,
                        spectral_norm=False, layer_norm=False, downsampling="stride", minibatch=None):
    """DCGAN discriminator (Radford et al. 2015): stride-2 convolutions with LeakyReLU(0.2), BatchNorm
    on every convolution but the first (D's input), no pooling, and a linear logit.

    `spectral_norm=True` (SNGAN) wraps every convolution and the logit layer in spectral normalization
    and drops BatchNorm; `layer_norm=True` (WGAN-GP critics) puts LayerNormalization where BatchNorm was.
    `downsampling="avgpool"` halves the resolution with a stride-1 convolution and 2x2 average
    pooling instead (ganhacks #5); `minibatch` (`"stddev"` or `"discrimination"`) adds minibatch
    features: a std-dev channel before the last convolution block's output is flattened, or
    minibatch-discrimination features of the flattened activations.
    """
    checks.positive_int("channels", channels)
    checks.positive_int("base_filters", base_filters)
    checks.boolean("spectral_norm", spectral_norm)
    checks.boolean("layer_norm", layer_norm)
    checks.choice("downsampling", downsampling, DOWNSAMPLING)
    checks.choice("minibatch", minibatch, MINIBATCH)
    _, levels = _dcgan_levels(image_size)
    batch_norm = not (spectral_norm or layer_norm)
    inputs = keras.Input((image_size, image_size, channels), name="images")
    x = inputs
    filters = base_filters
    for i in range(levels):
        strides = 2 if downsampling == "stride" else 1
        conv = keras.layers.Conv2D(filters, 4, strides=strides, padding="same", use_bias=i == 0 or not batch_norm,
                                   name=f"conv_{i}")
        x = _maybe_sn(conv, spectral_norm)(x)
        if downsampling == "avgpool":
            x = keras.layers.AveragePooling2D(2, name=f"avgpool_{i}")(x)
        if i > 0 and batch_norm:
            x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        if i > 0 and layer_norm:
            x = keras.layers.LayerNormalization(axis=[1, 2, 3], name=f"layer_norm_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope)(x)
        filters *= 2
    if minibatch == "stddev":
        x = layers_lib.MinibatchStdDev(name="minibatch_stddev")(x)
    x = keras.layers.Flatten()(x)
    if minibatch == "discrimination":
        x = layers_lib.MinibatchDiscrimination(name="minibatch_discrimination")(x)
    x = _maybe_sn(keras.layers.Dense(1, name="logit"), spectral_norm)(x)
    return keras.Model(inputs, x, name=name)


def _sngan_levels(image_size):
    if image_size not in (8, 16, 32, 64):
        raise ValueError(f"`image_size` must be one of 8, 16, 32, 64. Received: `image_size={image_size!r}`.")
    return int(math.log2(image_size // 4))


def _g_block(x, filters, name):
    """Generator ResBlock (Miyato et al. 2018, Fig. 8a): BN-ReLU-up-conv3-BN-ReLU-conv3 + up-conv1 shortcut."""
    h = keras.layers.BatchNormalization(name=f"{name}_bn_0")(x)
    h = keras.layers.ReLU()(h)
    h = keras.layers.UpSampling2D(name=f"{name}_up")(h)
    h = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv_0")(h)
    h = keras.layers.BatchNormalization(name=f"{name}_bn_1")(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv_1")(h)
    shortcut = keras.layers.UpSampling2D(name=f"{name}_shortcut_up")(x)
    shortcut = keras.layers.Conv2D(filters, 1, name=f"{name}_shortcut")(shortcut)
    return keras.layers.Add(name=f"{name}_add")([h, shortcut])


def _d_block(x, filters, downsample, first, name):
    """Discriminator ResBlock (Miyato et al. 2018, Fig. 8b), every conv spectrally normalized, no BatchNorm.

    The first block skips the leading ReLU (its input is the image) and pools before its shortcut conv.
    """
    sn = keras.layers.SpectralNormalization
    h = x if first else keras.layers.ReLU()(x)
    h = sn(keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv_0"), name=f"sn_{name}_conv_0")(h)
    h = keras.layers.ReLU()(h)
    h = sn(keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv_1"), name=f"sn_{name}_conv_1")(h)
    if downsample:
        h = keras.layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    shortcut = x
    if downsample or x.shape[-1] != filters:
        if first and downsample:
            shortcut = keras.layers.AveragePooling2D(2, name=f"{name}_shortcut_pool")(shortcut)
        shortcut = sn(keras.layers.Conv2D(filters, 1, name=f"{name}_shortcut"), name=f"sn_{name}_shortcut")(shortcut)
        if downsample and not first:
            shortcut = keras.layers.AveragePooling2D(2, name=f"{name}_shortcut_pool")(shortcut)
    return keras.layers.Add(name=f"{name}_add")([h, shortcut])


def sngan_generator(image_size, channels, latent_dim, filters=256, name="sngan_generator"):
    """SNGAN ResNet generator (Miyato et al. 2018, Table 4 for CIFAR-10 at `image_size=32`).

    z -> Dense to 4x4x`filters` -> one upsampling ResBlock per doubling up to `image_size` ->
    BN, ReLU, 3x3 conv to `channels`, tanh.
    """
    checks.positive_int("channels", channels)
    checks.positive_int("latent_dim", latent_dim)
    checks.positive_int("filters", filters)
    levels = _sngan_levels(image_size)
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(4 * 4 * filters, name="project")(z)
    x = keras.layers.Reshape((4, 4, filters))(x)
    for i in range(levels):
        x = _g_block(x, filters, f"block_{i}")
    x = keras.layers.BatchNormalization(name="bn_out")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(channels, 3, padding="same", activation="tanh", name="output")(x)
    return keras.Model(z, x, name=name)


def sngan_discriminator(image_size, channels, filters=128, name="sngan_discriminator"):
    """SNGAN ResNet discriminator (Miyato et al. 2018, Table 4 for CIFAR-10 at `image_size=32`).

    Downsampling ResBlocks to 4x4 (the first one "optimized", without a leading ReLU), two more
    ResBlocks at 4x4, ReLU, global sum pooling and a linear logit; spectral normalization on every
    convolution and on the logit layer, no BatchNorm.
    """
    checks.positive_int("channels", channels)
    checks.positive_int("filters", filters)
    levels = _sngan_levels(image_size)
    inputs = keras.Input((image_size, image_size, channels), name="images")
    x = inputs
    for i in range(levels):
        x = _d_block(x, filters, downsample=True, first=i == 0, name=f"block_{i}")
    for i in range(levels, levels + 2):
        x = _d_block(x, filters, downsample=False, first=False, name=f"block_{i}")
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Rescaling(16.0, name="sum_pool")(x)  # mean over the 4x4 map times 16: a global sum
    x = keras.layers.SpectralNormalization(keras.layers.Dense(1, name="logit"), name="sn_logit")(x)
    return keras.Model(inputs, x, name=name)


# ---------------------------------------------------------------- class-conditional nets

G_CONDITIONING = ("embedding", "one_hot")
D_CONDITIONING = ("concat", "projection")


def _label_code(labels, num_classes, conditioning, embedding_dim, name):
    """The label as a vector: a learned embedding, or one-hot (Mirza & Osindero 2014)."""
    if conditioning == "one_hot":
        return keras.layers.CategoryEncoding(num_classes, output_mode="one_hot", name=f"{name}_one_hot")(labels)
    return keras.layers.Embedding(num_classes, embedding_dim, name=f"{name}_embedding")(labels)


def _conditional_generator(base, latent_dim, num_classes, conditioning, embedding_dim, name):
    """Wraps an unconditional generator of `latent_dim + code` inputs: G(z, c) = base([z, code(c)])."""
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    code = _label_code(labels, num_classes, conditioning, embedding_dim, "label")
    return keras.Model([z, labels], base(keras.layers.Concatenate(name="z_and_label")([z, code])), name=name)


def _code_size(num_classes, conditioning, embedding_dim):
    checks.positive_int("num_classes", num_classes)
    checks.positive_int("embedding_dim", embedding_dim)
    checks.choice("conditioning", conditioning, G_CONDITIONING)
    return num_classes if conditioning == "one_hot" else embedding_dim


def conditional_mlp_generator(output_shape, latent_dim, num_classes, hidden_units=(128, 128), activation="relu",
                              conditioning="embedding", embedding_dim=16, name="conditional_mlp_generator"):
    """`mlp_generator` fed `[z, code(c)]`: takes `[z, labels]` (labels int32 `[batch]`).

    `conditioning` is `"embedding"` (a learned `embedding_dim`-vector per class) or `"one_hot"`
    (Mirza & Osindero 2014).
    """
    code = _code_size(num_classes, conditioning, embedding_dim)
    checks.positive_int("latent_dim", latent_dim)
    base = mlp_generator(output_shape, latent_dim + code, hidden_units, activation, name=f"{name}_body")
    return _conditional_generator(base, latent_dim, num_classes, conditioning, embedding_dim, name)


def conditional_dcgan_generator(image_size, channels, latent_dim, num_classes, base_filters=64,
                                conditioning="embedding", embedding_dim=16, name="conditional_dcgan_generator"):
    """`dcgan_generator` fed `[z, code(c)]`: takes `[z, labels]` (labels int32 `[batch]`)."""
    code = _code_size(num_classes, conditioning, embedding_dim)
    checks.positive_int("latent_dim", latent_dim)
    base = dcgan_generator(image_size, channels, latent_dim + code, base_filters, name=f"{name}_body")
    return _conditional_generator(base, latent_dim, num_classes, conditioning, embedding_dim, name)


def _features(discriminator):
    """The body of one of the discriminators above: everything before its `logit` layer."""
    return keras.Model(discriminator.inputs, discriminator.get_layer("logit").input, name=f"{discriminator.name}_body")


def _conditional_head(body, x, labels, features, num_classes, conditioning, name):
    """One logit: psi(phi(x)) [+ <embed(c), phi(x)> for the projection discriminator]."""
    logit = keras.layers.Dense(1, name="logit")(features)
    if conditioning == "projection":
        # Miyato & Koyama 2018, eq. 3: D(x, c) = psi(phi(x)) + embed(c)^T phi(x).
        embedded = keras.layers.Embedding(num_classes, features.shape[-1], name="projection_embedding")(labels)
        projection = keras.layers.Dot(axes=1, name="projection")([embedded, features])
        logit = keras.layers.Add(name="logit_plus_projection")([logit, projection])
    return keras.Model([x, labels], logit, name=name)


def conditional_mlp_discriminator(input_shape, num_classes, hidden_units=(128, 128), negative_slope=0.2,
                                  conditioning="projection", name="conditional_mlp_discriminator"):
    """`mlp_discriminator` that also sees the class: takes `[x, labels]`, returns one logit.

    `conditioning="concat"` appends the one-hot label to the flattened input (Mirza & Osindero 2014);
    `"projection"` adds the inner product of a class embedding with the last hidden layer to the
    logit (Miyato & Koyama 2018), which is what a discriminator of the form log p(c|x) + log q(x)
    computes.
    """
    shape = _shape("input_shape", input_shape)
    checks.positive_int("num_classes", num_classes)
    checks.choice("conditioning", conditioning, D_CONDITIONING)
    x = keras.Input(shape, name="x")
    labels = keras.Input((), dtype="int32", name="labels")
    flat = keras.layers.Flatten()(x) if len(shape) > 1 else x
    if conditioning == "concat":
        one_hot = keras.layers.CategoryEncoding(num_classes, output_mode="one_hot", name="label_one_hot")(labels)
        flat = keras.layers.Concatenate(name="x_and_label")([flat, one_hot])
    body = _features(mlp_discriminator(flat.shape[-1], hidden_units, negative_slope, name=f"{name}_base"))
    return _conditional_head(body, x, labels, body(flat), num_classes, conditioning, name)


def conditional_dcgan_discriminator(image_size, channels, num_classes, base_filters=64, negative_slope=0.2,
                                    conditioning="projection", name="conditional_dcgan_discriminator"):
    """`dcgan_discriminator` that also sees the class: takes `[images, labels]`, returns one logit.

    `conditioning="concat"` stacks the one-hot label as `num_classes` constant feature maps on the
    image channels (Mirza & Osindero 2014, as in the keras.io conditional GAN); `"projection"` adds
    `<embed(c), phi(x)>` on the flattened last feature map (Miyato & Koyama 2018).
    """
    checks.positive_int("channels", channels)
    checks.positive_int("num_classes", num_classes)
    checks.choice("conditioning", conditioning, D_CONDITIONING)
    _dcgan_levels(image_size)
    x = keras.Input((image_size, image_size, channels), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    inputs, in_channels = x, channels
    if conditioning == "concat":
        one_hot = keras.layers.CategoryEncoding(num_classes, output_mode="one_hot", name="label_one_hot")(labels)
        maps = keras.layers.Reshape((1, 1, num_classes))(one_hot)
        maps = keras.layers.UpSampling2D((image_size, image_size), name="label_maps")(maps)
        inputs, in_channels = keras.layers.Concatenate(name="images_and_label")([x, maps]), channels + num_classes
    body = _features(dcgan_discriminator(image_size, in_channels, base_filters, negative_slope, name=f"{name}_base"))
    return _conditional_head(body, x, labels, body(inputs), num_classes, conditioning, name)


def _auxiliary_classifier(body, x, num_classes, name):
    """1 real/fake logit followed by `num_classes` class logits (Odena et al. 2017): `[batch, 1 + C]`.
    The same `C + 1` outputs serve the variant whose last class is "fake" (`ACGAN(fake_class=True)`)."""
    logits = keras.layers.Dense(num_classes + 1, name="logits")(body(x))
    return keras.Model(x, logits, name=name)


def acgan_mlp_discriminator(input_shape, num_classes, hidden_units=(128, 128), negative_slope=0.2,
                            name="acgan_mlp_discriminator"):
    """`mlp_discriminator` with `1 + num_classes` outputs for `tfgan.ACGAN`; takes `x` alone."""
    checks.positive_int("num_classes", num_classes)
    body = _features(mlp_discriminator(input_shape, hidden_units, negative_slope, name=f"{name}_base"))
    return _auxiliary_classifier(body, keras.Input(body.inputs[0].shape[1:], name="x"), num_classes, name)


def acgan_dcgan_discriminator(image_size, channels, num_classes, base_filters=64, negative_slope=0.2,
                              name="acgan_dcgan_discriminator"):
    """`dcgan_discriminator` with `1 + num_classes` outputs for `tfgan.ACGAN`; takes images alone."""
    checks.positive_int("num_classes", num_classes)
    body = _features(dcgan_discriminator(image_size, channels, base_filters, negative_slope, name=f"{name}_base"))
    return _auxiliary_classifier(body, keras.Input(body.inputs[0].shape[1:], name="images"), num_classes, name)


# ---------------------------------------------------------------- InfoGAN nets


def _check_codes(categorical_codes, continuous_codes):
    categorical = tuple(checks.positive_int("categorical_codes", k, minimum=2) for k in categorical_codes)
    continuous = checks.non_negative_int("continuous_codes", continuous_codes)
    if not categorical and not continuous:
        raise ValueError(f"InfoGAN needs at least one code. Received: `categorical_codes={categorical_codes!r}`, "
                         f"`continuous_codes={continuous_codes!r}`.")
    return categorical, continuous


def q_outputs(categorical_codes, continuous_codes, learn_std=False):
    """The width of an InfoGAN Q head: K_0 + ... + K_{J-1} categorical logits, then a mean per continuous
    code, then (with `learn_std`) a log standard deviation per continuous code."""
    categorical, continuous = _check_codes(categorical_codes, continuous_codes)
    return sum(categorical) + continuous * (2 if learn_std else 1)


def _info_generator(base, latent_dim, categorical_codes, continuous_codes, name):
    """G(z, c) = base([z, one_hot(c_cat), c_cont]), taking `[z, categorical, continuous]`."""
    z = keras.Input((latent_dim,), name="z")
    categorical = keras.Input((len(categorical_codes),), dtype="int32", name="categorical")
    continuous = keras.Input((continuous_codes,), name="continuous")
    one_hot = layers_lib.OneHotCodes(categorical_codes, name="categorical_one_hot")(categorical)
    x = keras.layers.Concatenate(name="z_and_codes")([z, one_hot, continuous])
    return keras.Model([z, categorical, continuous], base(x), name=name)


def infogan_mlp_generator(output_shape, latent_dim, categorical_codes=(10,), continuous_codes=2,
                          hidden_units=(128, 128), activation="relu", name="infogan_mlp_generator"):
    """`mlp_generator` fed `[z, one-hot categorical codes, continuous codes]` for `tfgan.InfoGAN`: takes
    `[z, categorical, continuous]`, int32 `[batch, J]` and float32 `[batch, continuous_codes]`."""
    categorical, continuous = _check_codes(categorical_codes, continuous_codes)
    checks.positive_int("latent_dim", latent_dim)
    base = mlp_generator(output_shape, latent_dim + sum(categorical) + continuous, hidden_units, activation,
                         name=f"{name}_body")
    return _info_generator(base, latent_dim, categorical, continuous, name)


def infogan_dcgan_generator(image_size, channels, latent_dim, categorical_codes=(10,), continuous_codes=2,
                            base_filters=64, name="infogan_dcgan_generator", upsampling="transpose", dropout=0.0):
    """`dcgan_generator` fed `[z, one-hot categorical codes, continuous codes]` for `tfgan.InfoGAN`."""
    categorical, continuous = _check_codes(categorical_codes, continuous_codes)
    checks.positive_int("latent_dim", latent_dim)
    base = dcgan_generator(image_size, channels, latent_dim + sum(categorical) + continuous, base_filters,
                           name=f"{name}_body", upsampling=upsampling, dropout=dropout)
    return _info_generator(base, latent_dim, categorical, continuous, name)


def _q_head(discriminator, outputs, q_units, negative_slope, spectral_norm, name):
    """D's body (everything before its logit layer) with two heads: D's real/fake logit, and Q's
    `outputs` code parameters through `q_units` hidden units (none when 0) (Chen et al. 2016, sec. 6:
    Q shares all of D's convolutional layers and adds a fully connected layer)."""
    body = keras.Model(discriminator.inputs, discriminator.layers[-1].input, name=f"{discriminator.name}_body")
    x = keras.Input(body.inputs[0].shape[1:], name=discriminator.inputs[0].name)
    features = body(x)
    logit = _maybe_sn(keras.layers.Dense(1, name="logit"), spectral_norm)(features)
    q = features
    if q_units:
        q = keras.layers.Dense(q_units, name="q_hidden")(q)
        q = keras.layers.LeakyReLU(negative_slope, name="q_leaky_relu")(q)
    q = keras.layers.Dense(outputs, name="q_codes")(q)
    return keras.Model(x, keras.layers.Concatenate(name="logit_and_codes")([logit, q]), name=name)


def infogan_mlp_discriminator(input_shape, categorical_codes=(10,), continuous_codes=2, hidden_units=(128, 128),
                              negative_slope=0.2, name="infogan_mlp_discriminator", *, learn_std=False, q_units=128,
                              spectral_norm=False, layer_norm=False, minibatch=None):
    """`mlp_discriminator` with InfoGAN's Q head sharing its body: outputs `[batch, 1 + q_outputs(...)]`,
    the real/fake logit then the codes' parameters (see `q_outputs`)."""
    outputs = q_outputs(categorical_codes, continuous_codes, learn_std)
    checks.non_negative_int("q_units", q_units)
    base = mlp_discriminator(input_shape, hidden_units, negative_slope, name=f"{name}_base", spectral_norm=spectral_norm,
                             layer_norm=layer_norm, minibatch=minibatch)
    return _q_head(base, outputs, q_units, negative_slope, spectral_norm, name)


def infogan_dcgan_discriminator(image_size, channels, categorical_codes=(10,), continuous_codes=2, base_filters=64,
                                negative_slope=0.2, name="infogan_dcgan_discriminator", *, learn_std=False,
                                q_units=128, spectral_norm=False, layer_norm=False, downsampling="stride",
                                minibatch=None):
    """`dcgan_discriminator` with InfoGAN's Q head sharing its convolutions: outputs
    `[batch, 1 + q_outputs(...)]`, the real/fake logit then the codes' parameters (see `q_outputs`)."""
    outputs = q_outputs(categorical_codes, continuous_codes, learn_std)
    checks.non_negative_int("q_units", q_units)
    base = dcgan_discriminator(image_size, channels, base_filters, negative_slope, name=f"{name}_base",
                               spectral_norm=spectral_norm, layer_norm=layer_norm, downsampling=downsampling,
                               minibatch=minibatch)
    return _q_head(base, outputs, q_units, negative_slope, spectral_norm, name)


# ---------------------------------------------------------------- image-to-image translation nets

NORMS = ("batch", "instance", "none")


def _paper_init():
    """N(0, 0.02), the initialization of the pix2pix and CycleGAN papers (Isola et al. 2017, sec. 6.2)."""
    return keras.initializers.RandomNormal(stddev=0.02)


def _norm(norm, name):
    """The normalization layer `norm` names, or None for `"none"`."""
    if norm == "batch":
        return keras.layers.BatchNormalization(name=name)
    if norm == "instance":
        return layers_lib.instance_normalization(name=name)
    return None


def _conv_norm(x, conv, norm, name):
    """`conv`, then the `norm` layer if any (callers leave out the conv's bias when a norm, which shifts, follows)."""
    x = conv(x)
    layer = _norm(norm, f"{name}_norm")
    return layer(x) if layer is not None else x


def _check_image_size(image_size):
    return checks.positive_int("image_size", image_size, minimum=8)


def unet_generator(image_size, channels, output_channels=None, base_filters=64, max_filters=512, norm="batch",
                   dropout=0.5, name="unet_generator"):
    """The pix2pix U-Net generator (Isola et al. 2017): maps `[B, H, W, channels]` images in [-1, 1] to
    `[B, H, W, output_channels]` images in [-1, 1], H = W = `image_size`.

    The encoder has log2(`image_size`) stride-2 4x4 convolutions, down to a 1x1 bottleneck (8 at 256x256,
    3 at 8x8), with `base_filters * 2**i` filters capped at `max_filters` (64-128-256-512-512-512-512-512
    at 256x256: the paper's C64-C128-C256-C512-C512-C512-C512-C512), each followed by LeakyReLU(0.2) and
    normalized except the first (the image) and the 1x1 bottleneck (a 1x1 map normalizes to a constant,
    which is why the reference code leaves it out too). The decoder mirrors it with stride-2 4x4
    transposed convolutions, normalization and ReLU, and concatenates each of its outputs with the
    encoder output of the same resolution (the skip connections that carry the low-level structure
    input and output share). Its first 3 blocks (those that output 2x2, 4x4 and 8x8 maps) apply
    dropout of rate `dropout`: the paper's only source of noise, which it keeps on at test time, so this
    dropout stays on when sampling too (`tfgan.layers.NoiseDropout`); pass `dropout=0.0` for a
    deterministic generator. A last transposed convolution to `output_channels` with tanh gives the
    output. Kernels start N(0, 0.02).

    Args:
        image_size: H = W, a power of 2 of at least 8.
        channels: channels of the input images.
        output_channels: channels of the output images. Defaults to `None` (= `channels`).
        base_filters: filters of the first encoder level. Defaults to `64`.
        max_filters: the most filters of any level. Defaults to `512`.
        norm: `"batch"` (the paper), `"instance"` or `"none"`. Defaults to `"batch"`.
        dropout: rate of the decoder's dropout, in [0, 1); 0 turns it off. Defaults to `0.5`.
        name: the model's name. Defaults to `"unet_generator"`.

    Example:

    >>> g = tfgan.nets.unet_generator(32, 3, base_filters=8)
    >>> g.output.shape
    (None, 32, 32, 3)

    Reference:
        Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, CVPR 2017,
        sec. 3.2.1 and 6.1.1; Ronneberger et al., U-Net, MICCAI 2015.
    """
    _check_image_size(image_size)
    if image_size & (image_size - 1):
        raise ValueError(f"`image_size` must be a power of 2 of at least 8. Received: `image_size={image_size!r}`.")
    checks.positive_int("channels", channels)
    output_channels = channels if output_channels is None else checks.positive_int("output_channels",
                                                                                    output_channels)
    checks.positive_int("base_filters", base_filters)
    checks.positive_int("max_filters", max_filters)
    checks.choice("norm", norm, NORMS)
    dropout = checks.number("dropout", dropout, 0.0, 1.0, high_open=True)
    levels = image_size.bit_length() - 1  # log2(image_size): the encoder goes down to 1x1
    filters = [min(base_filters * 2 ** i, max_filters) for i in range(levels)]
    inputs = keras.Input((image_size, image_size, channels), name="images")
    x, skips = inputs, []
    for i in range(levels):
        level_norm = norm if 0 < i < levels - 1 else "none"
        conv = keras.layers.Conv2D(filters[i], 4, strides=2, padding="same", use_bias=level_norm == "none",
                                   kernel_initializer=_paper_init(), name=f"encoder_{i}")
        x = _conv_norm(x, conv, level_norm, f"encoder_{i}")
        x = keras.layers.LeakyReLU(0.2, name=f"encoder_{i}_act")(x)
        skips.append(x)
    for j, i in enumerate(range(levels - 2, -1, -1)):  # decoder block j comes back up to encoder level i
        conv = keras.layers.Conv2DTranspose(filters[i], 4, strides=2, padding="same", use_bias=norm == "none",
                                            kernel_initializer=_paper_init(), name=f"decoder_{i}")
        x = _conv_norm(x, conv, norm, f"decoder_{i}")
        if j < 3 and dropout:
            x = layers_lib.NoiseDropout(dropout, name=f"decoder_{i}_dropout")(x)
        x = keras.layers.ReLU(name=f"decoder_{i}_act")(x)
        x = keras.layers.Concatenate(name=f"skip_{i}")([x, skips[i]])
    x = keras.layers.Conv2DTranspose(output_channels, 4, strides=2, padding="same", activation="tanh",
                                     kernel_initializer=_paper_init(), name="output")(x)
    return keras.Model(inputs, x, name=name)


def _resnet_downsamplings(image_size):
    """CycleGAN's 2 stride-2 downsamplings, fewer when the bottleneck would be smaller than 8x8."""
    downsamplings = 2
    while image_size % 2 ** downsamplings or image_size // 2 ** downsamplings < 8:
        downsamplings -= 1
    return downsamplings


def _residual_block(x, filters, norm, name):
    """ResBlock of Johnson et al. 2016 as CycleGAN has it: reflect-pad, conv3, norm, ReLU, reflect-pad,
    conv3, norm, plus the input (no ReLU after the sum)."""
    h = x
    for k in range(2):
        h = layers_lib.ReflectionPadding2D(1, name=f"{name}_pad_{k}")(h)
        conv = keras.layers.Conv2D(filters, 3, use_bias=norm == "none", kernel_initializer=_paper_init(),
                                   name=f"{name}_conv_{k}")
        h = _conv_norm(h, conv, norm, f"{name}_conv_{k}")
        if k == 0:
            h = keras.layers.ReLU(name=f"{name}_act")(h)
    return keras.layers.Add(name=f"{name}_add")([x, h])


def mlp_translator(image_size, channels, output_channels=None, hidden_units=(256, 256), name="mlp_translator"):
    """A fully connected image-to-image generator: `[B, H, W, channels]` in [-1, 1], flattened, through
    ReLU hidden layers of `hidden_units` to `[B, H, W, output_channels]` in [-1, 1] (tanh).

    It has no spatial prior: a geometric map such as a rotation (a permutation of the pixels) is as easy
    for it as a local one, where a U-Net's or ResNet's convolutions favour outputs aligned with their
    input. With `hidden_units=()` it is linear up to the tanh, so it cannot map one digit to another
    shape while its inverse undoes it (the hidden code that lets CycleGAN swap classes). For small
    images (the 8x8 digits) only.

    Args:
        image_size: H = W.
        channels: channels of the input images.
        output_channels: channels of the output images. Defaults to `None` (= `channels`).
        hidden_units: the hidden layers' widths; `()` for none. Defaults to `(256, 256)`.
        name: the model's name. Defaults to `"mlp_translator"`.
    """
    _check_image_size(image_size)
    checks.positive_int("channels", channels)
    output_channels = channels if output_channels is None else checks.positive_int("output_channels", output_channels)
    if hidden_units:
        _check_units(hidden_units)
    images = keras.Input((image_size, image_size, channels), name="images")
    x = keras.layers.Flatten()(images)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    x = keras.layers.Dense(image_size * image_size * output_channels, activation="tanh", name="output")(x)
    return keras.Model(images, keras.layers.Reshape((image_size, image_size, output_channels))(x), name=name)


def resnet_generator(image_size, channels, output_channels=None, base_filters=64, num_blocks=None, norm="instance",
                     name="resnet_generator"):
    """The CycleGAN ResNet generator (Zhu et al. 2017, after Johnson et al. 2016): maps `[B, H, W,
    channels]` images in [-1, 1] to `[B, H, W, output_channels]` images in [-1, 1], H = W = `image_size`.

    c7s1-64, d128, d256, `num_blocks` x R256, u128, u64, c7s1-3 in the paper's notation: a 7x7
    convolution, two stride-2 3x3 convolutions that double the filters, residual blocks of two 3x3
    convolutions, two stride-2 3x3 transposed convolutions that halve them, each followed by `norm` and
    ReLU, and a last 7x7 convolution to `output_channels` with tanh. The 7x7 and residual convolutions
    pad by reflection (`tfgan.layers.ReflectionPadding2D`), the strided ones with zeros ('same').
    Kernels start N(0, 0.02).

    Small images keep a bottleneck of at least 8x8 by downsampling less: 2 downsamplings from 32x32 up
    (a 256x256 image has a 64x64 bottleneck of `4 * base_filters` filters), 1 for 16x16 to 28x28 (8x8 to
    14x14 bottleneck of `2 * base_filters`), none for 8x8 to 15x15 (the residual blocks then work at full
    resolution on `base_filters` filters). More generally the most of 2 downsamplings that divide
    `image_size` and leave at least 8x8; any size of at least 8 works.

    Args:
        image_size: H = W, an integer of at least 8.
        channels: channels of the input images.
        output_channels: channels of the output images. Defaults to `None` (= `channels`).
        base_filters: filters of the first convolution. Defaults to `64`.
        num_blocks: residual blocks at the bottleneck. Defaults to `None`: 9 when `image_size >= 256`,
            6 below (the paper's choice for 256x256 and 128x128 images).
        norm: `"instance"` (the paper), `"batch"` or `"none"`. Defaults to `"instance"`.
        name: the model's name. Defaults to `"resnet_generator"`.

    Example:

    >>> g = tfgan.nets.resnet_generator(16, 1, base_filters=8, num_blocks=2)
    >>> g.output.shape
    (None, 16, 16, 1)

    Reference:
        Zhu et al., Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks,
        ICCV 2017, sec. 7.2; Johnson et al., Perceptual Losses for Real-Time Style Transfer and
        Super-Resolution, ECCV 2016.
    """
    _check_image_size(image_size)
    checks.positive_int("channels", channels)
    output_channels = channels if output_channels is None else checks.positive_int("output_channels",
                                                                                    output_channels)
    checks.positive_int("base_filters", base_filters)
    num_blocks = (9 if image_size >= 256 else 6) if num_blocks is None else checks.positive_int("num_blocks",
                                                                                                num_blocks)
    checks.choice("norm", norm, NORMS)
    downsamplings = _resnet_downsamplings(image_size)
    inputs = keras.Input((image_size, image_size, channels), name="images")
    x = layers_lib.ReflectionPadding2D(3, name="input_pad")(inputs)
    conv = keras.layers.Conv2D(base_filters, 7, use_bias=norm == "none", kernel_initializer=_paper_init(),
                               name="input_conv")
    x = keras.layers.ReLU(name="input_act")(_conv_norm(x, conv, norm, "input_conv"))
    filters = base_filters
    for i in range(downsamplings):
        filters *= 2
        conv = keras.layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=norm == "none",
                                   kernel_initializer=_paper_init(), name=f"down_{i}")
        x = keras.layers.ReLU(name=f"down_{i}_act")(_conv_norm(x, conv, norm, f"down_{i}"))
    for i in range(num_blocks):
        x = _residual_block(x, filters, norm, f"block_{i}")
    for i in range(downsamplings):
        filters //= 2
        conv = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", use_bias=norm == "none",
                                            kernel_initializer=_paper_init(), name=f"up_{i}")
        x = keras.layers.ReLU(name=f"up_{i}_act")(_conv_norm(x, conv, norm, f"up_{i}"))
    x = layers_lib.ReflectionPadding2D(3, name="output_pad")(x)
    x = keras.layers.Conv2D(output_channels, 7, activation="tanh", kernel_initializer=_paper_init(),
                            name="output")(x)
    return keras.Model(inputs, x, name=name)


def _patch_strides(image_size, num_layers):
    """Stride-2 layers of a PatchGAN: `num_layers`, fewer while the map they leave is under 3x3 (the two
    4x4 stride-1 convolutions after them take 2 pixels off, and at least 1x1 patch must remain)."""
    strides = num_layers
    while strides > 1 and -(-image_size // 2 ** strides) < 3:
        strides -= 1
    return strides


def patch_discriminator(image_size, channels, base_filters=64, num_layers=3, norm="instance", conditional_channels=0,
                        spectral_norm=False, name="patch_discriminator"):
    """PatchGAN discriminator (Isola et al. 2017): one raw logit per overlapping image patch, `[B, N, N, 1]`.

    `num_layers` stride-2 4x4 convolutions with `base_filters * min(2**n, 8)` filters, a stride-1 4x4
    convolution, then a stride-1 4x4 convolution to one channel (no activation); LeakyReLU(0.2) after
    every hidden convolution and `norm` on all but the first. The stride-1 convolutions pad 1 pixel on
    each side, as the reference code does, so each takes 1 pixel off the map. With the default
    `num_layers=3` that is the paper's 70x70 PatchGAN, C64-C128-C256-C512: a 256x256 image gives
    30x30 logits, each seeing a 70x70 patch. Kernels start N(0, 0.02).

    Small images use fewer stride-2 layers so that N >= 1: the most, up to `num_layers`, that leave a
    map of at least 3x3. N = ceil(image_size / 2**L) - 2 for L stride-2 layers, and each logit sees
    9 * 2**L - 2 pixels square. With `num_layers=3`:

    | image_size | stride-2 layers | N (logits N x N) | receptive field |
    |---|---|---|---|
    | 256 | 3 | 30 | 70 |
    | 128 | 3 | 14 | 70 |
    | 64 | 3 | 6 | 70 |
    | 32 | 3 | 2 | 70 |
    | 16 | 2 | 2 | 34 |
    | 8 | 1 | 2 | 16 |

    `conditional_channels=0` (CycleGAN) takes one input, the images `[B, H, W, channels]`. With
    `conditional_channels > 0` (pix2pix's conditional D) it takes two, `[input_image, output_image]` of
    `[B, H, W, conditional_channels]` and `[B, H, W, channels]`, and judges the pair, concatenated on
    the channels. `spectral_norm=True` wraps every convolution in `keras.layers.SpectralNormalization`
    (call D with `training=True` for it to normalize); `norm` still applies, so pass `norm="none"` for
    an SNGAN-style D.

    Args:
        image_size: H = W, an integer of at least 8.
        channels: channels of the (output) images judged.
        base_filters: filters of the first convolution. Defaults to `64`.
        num_layers: the most stride-2 convolutions. Defaults to `3`.
        norm: `"instance"` (CycleGAN), `"batch"` (pix2pix) or `"none"`. Defaults to `"instance"`.
        conditional_channels: channels of the input image D is conditioned on; 0 for an unconditional
            D. Defaults to `0`.
        spectral_norm: wrap every convolution in spectral normalization. Defaults to `False`.
        name: the model's name. Defaults to `"patch_discriminator"`.

    Example:

    >>> d = tfgan.nets.patch_discriminator(64, 3, base_filters=8, conditional_channels=1)
    >>> [tuple(x.shape) for x in d.inputs], d.output.shape
    ([(None, 64, 64, 1), (None, 64, 64, 3)], (None, 6, 6, 1))

    Reference:
        Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, CVPR 2017,
        sec. 2.2, 3.2.2 and 6.1.2; Zhu et al., Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks, ICCV 2017, sec. 7.2.
    """
    _check_image_size(image_size)
    checks.positive_int("channels", channels)
    checks.positive_int("base_filters", base_filters)
    checks.positive_int("num_layers", num_layers)
    checks.choice("norm", norm, NORMS)
    checks.non_negative_int("conditional_channels", conditional_channels)
    checks.boolean("spectral_norm", spectral_norm)
    strides = _patch_strides(image_size, num_layers)
    if conditional_channels:
        inputs = [keras.Input((image_size, image_size, conditional_channels), name="input_image"),
                  keras.Input((image_size, image_size, channels), name="output_image")]
        x = keras.layers.Concatenate(name="input_and_output")(inputs)
    else:
        inputs = x = keras.Input((image_size, image_size, channels), name="images")
    for n in range(strides + 1):
        if n == strides:
            x = keras.layers.ZeroPadding2D(1, name=f"conv_{n}_pad")(x)
        layer_norm = norm if n > 0 else "none"
        conv = keras.layers.Conv2D(base_filters * min(2 ** n, 8), 4, strides=2 if n < strides else 1,
                                   padding="same" if n < strides else "valid", use_bias=layer_norm == "none",
                                   kernel_initializer=_paper_init(), name=f"conv_{n}")
        x = _conv_norm(x, _maybe_sn(conv, spectral_norm), layer_norm, f"conv_{n}")
        x = keras.layers.LeakyReLU(0.2, name=f"conv_{n}_act")(x)
    x = keras.layers.ZeroPadding2D(1, name="logit_pad")(x)
    logit = keras.layers.Conv2D(1, 4, kernel_initializer=_paper_init(), name="logit")
    x = _maybe_sn(logit, spectral_norm)(x)
    return keras.Model(inputs, x, name=name)
