"""The image-to-image translation nets (pix2pix U-Net, CycleGAN ResNet generator, PatchGAN) and their layers:
shapes per image size, the U-Net's skips, the PatchGAN's receptive field, argument checks, one XLA step each."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import layers, nets


def _images(size, channels, batch=2, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, size, size, channels)).astype(np.float32)


# ---------------------------------------------------------------- layers

def test_reflection_padding_matches_numpy_and_round_trips():
    x = _images(5, 2)
    out = layers.ReflectionPadding2D(2)(x).numpy()
    np.testing.assert_array_equal(out, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect"))
    again = layers.ReflectionPadding2D.from_config(layers.ReflectionPadding2D(3).get_config())
    assert again.padding == 3 and again.compute_output_shape((None, 8, 8, 1)) == (None, 14, 14, 1)


def test_instance_normalization_is_keras_group_norm_per_channel():
    layer = layers.instance_normalization()
    assert type(layer) is keras.layers.GroupNormalization
    x = _images(4, 3) * np.array([1.0, 5.0, 0.1], np.float32) + 2.0
    out = layer(x).numpy()
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- PatchGAN

# image_size -> N with num_layers=3: 3 stride-2 layers from 32 up (N = size / 8 - 2), fewer below.
PATCHES = {8: 2, 16: 2, 32: 2, 64: 6, 128: 14, 256: 30}


@pytest.mark.parametrize("size", sorted(PATCHES))
@pytest.mark.parametrize("conditional_channels", [0, 2])
def test_patch_discriminator_gives_one_logit_per_patch(size, conditional_channels):
    d = nets.patch_discriminator(size, 3, base_filters=4, conditional_channels=conditional_channels)
    n = PATCHES[size]
    assert d.output.shape == (None, n, n, 1)
    if conditional_channels:
        assert [tuple(x.shape) for x in d.inputs] == [(None, size, size, 2), (None, size, size, 3)]
        assert d.get_layer("input_and_output").output.shape[-1] == 5
    else:
        assert [tuple(x.shape) for x in d.inputs] == [(None, size, size, 3)]
    if size <= 64:
        inputs = [_images(size, 2), _images(size, 3)] if conditional_channels else _images(size, 3)
        assert d(inputs, training=True).shape == (2, n, n, 1)


def test_conditional_patch_discriminator_judges_the_pair():
    d = nets.patch_discriminator(16, 1, base_filters=4, norm="none", conditional_channels=1)
    a, b = _images(16, 1, seed=1), _images(16, 1, seed=2)
    logits = d([a, b]).numpy()
    assert not np.allclose(d([a[::-1], b]).numpy(), logits)  # the same output image, another input image
    assert not np.allclose(d([a, b[::-1]]).numpy(), logits)


def test_patch_discriminator_has_the_70x70_receptive_field():
    d = nets.patch_discriminator(128, 1, base_filters=2, norm="none")  # instance norm would couple all pixels
    x = tf.constant(_images(128, 1, batch=1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        logit = d(x)[0, 7, 7, 0]
    seen = np.nonzero(np.abs(tape.gradient(logit, x).numpy()[0, ..., 0]).sum(axis=1))[0]
    assert seen.max() - seen.min() + 1 == 70


def test_patch_discriminator_options_build_their_layers():
    d = nets.patch_discriminator(32, 3, base_filters=4, num_layers=2, norm="batch", spectral_norm=True)
    kinds = [type(layer).__name__ for layer in d.layers]
    assert kinds.count("SpectralNormalization") == 4 and "BatchNormalization" in kinds  # 3 convs and the logit
    assert d.output.shape == (None, 6, 6, 1)  # 32 / 4 - 2
    d = nets.patch_discriminator(32, 3, base_filters=4, norm="none")
    assert not {"BatchNormalization", "GroupNormalization"} & {type(layer).__name__ for layer in d.layers}


# ---------------------------------------------------------------- U-Net

@pytest.mark.parametrize("size", [8, 16, 32, 64])
def test_unet_output_has_the_input_shape(size):
    g = nets.unet_generator(size, 3, base_filters=4, max_filters=16)
    x = _images(size, 3)
    y = g(x, training=True).numpy()
    assert g.output.shape == (None, size, size, 3) and y.shape == x.shape
    assert np.all(np.abs(y) <= 1.0)
    levels = int(np.log2(size))
    assert g.get_layer(f"encoder_{levels - 1}").output.shape[1:3] == (1, 1)  # down to a 1x1 bottleneck
    assert nets.unet_generator(size, 3, output_channels=1, base_filters=4).output.shape == (None, size, size, 1)


def test_unet_builds_at_256():
    g = nets.unet_generator(256, 3, base_filters=2)
    assert g(_images(256, 3, batch=1)).shape == (1, 256, 256, 3)
    assert len([layer for layer in g.layers if isinstance(layer, keras.layers.Concatenate)]) == 7
    assert [g.get_layer(f"encoder_{i}").filters for i in range(8)] == [2, 4, 8, 16, 32, 64, 128, 256]
    assert sum(isinstance(layer, layers.NoiseDropout) for layer in g.layers) == 3  # the first 3 decoder blocks


@pytest.mark.parametrize("size", [8, 32])
def test_unet_concatenates_each_encoder_level_to_the_decoder_level_of_its_resolution(size):
    g = nets.unet_generator(size, 1, base_filters=4, norm="instance")
    concats = [layer for layer in g.layers if isinstance(layer, keras.layers.Concatenate)]
    levels = int(np.log2(size))
    assert len(concats) == levels - 1  # every level but the 1x1 bottleneck
    for i in range(levels - 1):
        concat = g.get_layer(f"skip_{i}")
        decoded, skipped = concat.input
        encoded = g.get_layer(f"encoder_{i}_act").output
        assert skipped is encoded  # the very tensor of encoder level i, not a copy of its shape
        resolution = size // 2 ** (i + 1)
        assert decoded.shape[1:3] == skipped.shape[1:3] == (resolution, resolution)
        assert concat.output.shape[-1] == decoded.shape[-1] + encoded.shape[-1]


def test_unet_output_reaches_the_first_encoder_level_through_the_skip():
    g = nets.unet_generator(16, 1, base_filters=4, dropout=0.0)
    # Zero every encoder convolution after the first: the bottleneck (and every deeper level) is then
    # the same for every input, so only the skip from level 0 can carry the input to the output.
    for i in range(1, 4):
        for weight in g.get_layer(f"encoder_{i}").weights:
            weight.assign(tf.zeros_like(weight))
    a, b = _images(16, 1, seed=1), _images(16, 1, seed=2)
    assert g.get_layer("encoder_3_act").output.shape == (None, 1, 1, 32)
    bottleneck = keras.Model(g.input, g.get_layer("encoder_3_act").output)
    np.testing.assert_array_equal(bottleneck(a).numpy(), bottleneck(b).numpy())
    assert np.abs(g(a).numpy() - g(b).numpy()).max() > 1e-4
    for weight in g.get_layer("encoder_0").weights:  # cut the skip's source too: the output is constant
        weight.assign(tf.zeros_like(weight))
    np.testing.assert_allclose(g(a).numpy(), g(b).numpy(), atol=1e-6)


def test_unet_dropout_is_the_papers_noise_and_stays_on_when_sampling():
    x = _images(8, 1)
    noisy = nets.unet_generator(8, 1, base_filters=4)
    assert not np.allclose(noisy(x, training=False).numpy(), noisy(x, training=False).numpy())
    plain = nets.unet_generator(8, 1, base_filters=4, dropout=0.0)
    np.testing.assert_array_equal(plain(x, training=False).numpy(), plain(x, training=False).numpy())


# ---------------------------------------------------------------- ResNet generator

@pytest.mark.parametrize("size,downsamplings", [(8, 0), (16, 1), (28, 1), (64, 2)])
def test_resnet_generator_output_has_the_input_shape(size, downsamplings):
    g = nets.resnet_generator(size, 3, output_channels=2, base_filters=4, num_blocks=2)
    assert g.output.shape == (None, size, size, 2)
    assert g(_images(size, 3), training=True).shape == (2, size, size, 2)
    strided = [layer for layer in g.layers if isinstance(layer, keras.layers.Conv2D) and layer.strides == (2, 2)]
    assert len(strided) == downsamplings
    bottleneck = g.get_layer("block_0_add").output.shape
    assert bottleneck[1] == size // 2 ** downsamplings >= 8 and bottleneck[-1] == 4 * 2 ** downsamplings


def test_resnet_generator_default_blocks_and_reflection_padding():
    count = lambda g, kind: sum(isinstance(layer, kind) for layer in g.layers)
    small, large = nets.resnet_generator(64, 1, base_filters=2), nets.resnet_generator(256, 1, base_filters=2)
    assert count(small, keras.layers.Add) == 6 and count(large, keras.layers.Add) == 9
    assert count(large, layers.ReflectionPadding2D) == 2 + 2 * 9  # the two 7x7 convs and every residual conv
    assert count(large, keras.layers.GroupNormalization) == 1 + 2 + 2 * 9 + 2  # instance norm by default
    assert large.get_layer("block_0_add").output.shape[1:] == (64, 64, 8)


@pytest.mark.parametrize("make", [
    lambda: nets.unet_generator(8, 1, base_filters=4, norm="instance", dropout=0.0),
    lambda: nets.resnet_generator(8, 1, base_filters=4, num_blocks=1),
    lambda: nets.patch_discriminator(8, 1, base_filters=4, conditional_channels=1, spectral_norm=True),
], ids=["unet", "resnet", "patch"])
def test_nets_round_trip_through_keras_files(make, tmp_path):
    net = make()
    inputs = [_images(8, 1, seed=k) for k in range(len(net.inputs))]
    inputs = inputs if len(inputs) > 1 else inputs[0]
    net.save(tmp_path / "net.keras")
    again = keras.saving.load_model(tmp_path / "net.keras")
    np.testing.assert_allclose(again(inputs).numpy(), net(inputs).numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- arguments

@pytest.mark.parametrize("make,match", [
    (lambda: nets.unet_generator(48, 3), "image_size=48"),
    (lambda: nets.unet_generator(4, 3), "image_size=4"),
    (lambda: nets.unet_generator(16, 0), "channels=0"),
    (lambda: nets.unet_generator(16, 3, output_channels=0), "output_channels=0"),
    (lambda: nets.unet_generator(16, 3, max_filters=0), "max_filters=0"),
    (lambda: nets.unet_generator(16, 3, norm="layer"), "norm='layer'"),
    (lambda: nets.unet_generator(16, 3, dropout=1.0), "dropout=1.0"),
    (lambda: nets.resnet_generator(6, 3), "image_size=6"),
    (lambda: nets.resnet_generator(16, 3, num_blocks=0), "num_blocks=0"),
    (lambda: nets.resnet_generator(16, 3, base_filters=2.5), "base_filters=2.5"),
    (lambda: nets.resnet_generator(16, 3, norm="group"), "norm='group'"),
    (lambda: nets.patch_discriminator(16, 3, num_layers=0), "num_layers=0"),
    (lambda: nets.patch_discriminator(16, 3, conditional_channels=-1), "conditional_channels=-1"),
    (lambda: nets.patch_discriminator(16, 3, spectral_norm=1), "spectral_norm=1"),
    (lambda: nets.patch_discriminator(16, 3, norm=None), "norm=None"),
    (lambda: layers.ReflectionPadding2D(0), "padding=0"),
])
def test_invalid_values_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---------------------------------------------------------------- XLA

@pytest.mark.slow
def test_every_net_trains_one_step_under_xla():
    # One XLA function for all four nets (XLA compiles slowly on CPU; one compile instead of four): a
    # pix2pix-like pair (U-Net -> conditional PatchGAN with spectral norm and batch norm) and a CycleGAN-like
    # one (ResNet generator -> unconditional PatchGAN with instance norm). SGD, as Adam doubles the compile.
    unet = nets.unet_generator(16, 1, base_filters=4)
    resnet = nets.resnet_generator(16, 1, base_filters=4, num_blocks=1)
    d_pair = nets.patch_discriminator(16, 1, base_filters=4, norm="batch", conditional_channels=1,
                                      spectral_norm=True)
    d = nets.patch_discriminator(16, 1, base_filters=4)
    variables = [v for net in (unet, resnet, d_pair, d) for v in net.trainable_variables]
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(variables)

    @tf.function(jit_compile=True)
    def step(a):
        with tf.GradientTape() as tape:
            b = unet(a, training=True)
            loss = (tf.reduce_mean(d_pair([a, b], training=True) ** 2)
                    + tf.reduce_mean(d(resnet(b, training=True), training=True) ** 2))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    before = [v.numpy().copy() for v in variables]
    power_iteration = [v for v in d_pair.non_trainable_variables if "vector_u" in v.path]
    u_before = [v.numpy().copy() for v in power_iteration]
    assert np.isfinite(step(tf.constant(_images(16, 1))).numpy())
    assert len(variables) == len(before) and all(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables))
    assert len(power_iteration) == 4  # spectral norm ran in training mode: its power iteration moved u
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(u_before, power_iteration))


def test_mlp_translator_maps_images_to_images_and_is_linear_without_hidden_layers():
    deep = nets.mlp_translator(8, 1, output_channels=3, hidden_units=(16,))
    assert deep.output.shape == (None, 8, 8, 3)
    linear = nets.mlp_translator(8, 1, hidden_units=())
    kernel, bias = linear.get_layer("output").get_weights()
    x = _images(8, 1)
    want = np.tanh(x.reshape(2, -1) @ kernel + bias).reshape(2, 8, 8, 1)
    np.testing.assert_allclose(linear(x).numpy(), want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="hidden_units"):
        nets.mlp_translator(8, 1, hidden_units=(0,))
