"""tfgan.augment: each augmentation against numpy, its probability, gradients, shared parameters, XLA, ada_update."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import augment as ada

H = W = 16


def images(batch, seed=0, height=H, width=W, channels=3):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, height, width, channels)).astype(np.float32)


def run(x, p, policy=ada.AUGMENTATIONS, copies=1, seed=1):
    return ada.augment(tf.constant(x), tf.constant(p, tf.float32), keras.random.SeedGenerator(seed),
                       policy=policy, copies=copies).numpy()


def changed(x, y):
    """Per image: does y differ from x anywhere?"""
    return np.any(x != y, axis=(1, 2, 3))


# ---------------------------------------------------------------- each operation against numpy


@pytest.mark.parametrize("policy", [("flip",), ("translation",), ("color",), ("cutout",), ada.AUGMENTATIONS])
def test_probability_zero_is_exactly_the_identity(policy):
    x = images(32)
    np.testing.assert_array_equal(run(x, 0.0, policy), x)
    np.testing.assert_array_equal(run(x, 0.0, policy, copies=2), x)


def test_flip_with_probability_one_is_np_flip():
    x = images(8)
    np.testing.assert_array_equal(run(x, 1.0, ("flip",)), np.flip(x, axis=2))


def np_translate(x, dy, dx):
    """Shift by (dy, dx), reflect-filled: pad with numpy's reflect and cut the window out."""
    m = max(abs(dy), abs(dx))
    padded = np.pad(x, [(m, m), (m, m), (0, 0)], mode="reflect")
    h, w = x.shape[:2]
    return padded[m - dy:m - dy + h, m - dx:m - dx + w]


def test_translate_with_given_shifts_matches_numpy_reflect_padding():
    x = images(6)
    dy = np.array([0, 2, -2, 1, -1, 2])
    dx = np.array([0, -2, 2, 0, 1, 2])
    got = ada.translate(tf.constant(x), dy, dx).numpy()
    for i in range(len(x)):
        np.testing.assert_array_equal(got[i], np_translate(x[i], dy[i], dx[i]))
    # Content moves: the pixel at (r, c) is at (r + dy, c + dx) afterwards.
    np.testing.assert_array_equal(got[1, 2 + 2:, :W - 2], x[1, 2:H - 2, 2:])


def test_translation_with_probability_one_is_an_integer_shift_of_at_most_an_eighth():
    x = images(64)
    got = run(x, 1.0, ("translation",))
    assert ada.max_translation(x.shape) == (2, 2)
    shifts = set()
    for i in range(len(x)):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(got[i], np_translate(x[i], dy, dx))]
        assert len(found) == 1, i
        shifts.add(found[0])
    assert len(shifts) > 15  # most of the 25 shifts are drawn


def np_color(x, b, s, k):
    x = x.astype(np.float64) + b
    x = (x - x.mean(axis=2, keepdims=True)) * s + x.mean(axis=2, keepdims=True)
    return (x - x.mean()) * k + x.mean()


def test_color_with_given_factors_matches_numpy():
    x = images(3)
    b, s, k = np.array([0.3, -0.5, 0.0]), np.array([0.0, 1.7, 1.0]), np.array([1.4, 0.5, 1.0])
    got = ada.color(tf.constant(x), b, s, k).numpy()
    for i in range(3):
        np.testing.assert_allclose(got[i], np_color(x[i], b[i], s[i], k[i]), rtol=1e-5, atol=1e-5)


def test_cutout_with_given_corner_matches_numpy():
    x = images(3)
    top, left = np.array([2, -3, 12]), np.array([5, 10, -1])
    got = ada.cutout(tf.constant(x), top, left, (8, 8)).numpy()
    for i in range(3):
        want = x[i].copy()
        want[max(top[i], 0):max(top[i] + 8, 0), max(left[i], 0):max(left[i] + 8, 0)] = 0.0
        np.testing.assert_array_equal(got[i], want)


def test_cutout_with_probability_one_zeroes_one_square_of_half_the_size():
    x = np.ones((200, H, W, 1), np.float32)
    got = run(x, 1.0, ("cutout",))
    assert ada.cutout_size(x.shape) == (8, 8)
    whole = 0
    for g in got[..., 0]:
        rows, cols = np.nonzero(np.any(g == 0, axis=1))[0], np.nonzero(np.any(g == 0, axis=0))[0]
        assert len(rows) and len(cols)
        # The zeros are exactly a rectangle: the product of a contiguous run of rows and of columns.
        assert rows[-1] - rows[0] + 1 == len(rows) and cols[-1] - cols[0] + 1 == len(cols)
        want = np.ones_like(g)
        want[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = 0
        np.testing.assert_array_equal(g, want)
        # 8 x 8, unless the image's edge cuts it off.
        assert len(rows) == 8 or rows[0] == 0 or rows[-1] == H - 1
        assert len(cols) == 8 or cols[0] == 0 or cols[-1] == W - 1
        assert len(rows) <= 8 and len(cols) <= 8
        whole += len(rows) == len(cols) == 8
    assert whole > 50  # the uncut square is common (centre in [4, 12]^2 of [0, 16]^2: 9/17 per axis)


# ---------------------------------------------------------------- probability, gradients, shared parameters


@pytest.mark.parametrize("p", [0.2, 0.8])
@pytest.mark.parametrize("name", ada.AUGMENTATIONS)
def test_fraction_of_images_changed_is_about_p(name, p):
    x = images(2000)
    fraction = changed(x, run(x, p, (name,))).mean()
    # A translation can draw the zero shift: 1 in 25 of the applied ones on 16 x 16 images.
    want = p * (1 - 1 / 25) if name == "translation" else p
    assert abs(fraction - want) < 0.04, (name, p, fraction)


def test_augmentations_are_drawn_independently_of_each_other():
    x = images(2000)
    p = 0.5
    untouched = 1 - changed(x, run(x, p)).mean()
    # Each of the 4 leaves an image alone with probability 1 - p (translation a little more often).
    want = (1 - p) ** 3 * (1 - p * (1 - 1 / 25))
    assert abs(untouched - want) < 0.03, untouched


@pytest.mark.parametrize("policy", [("flip",), ("translation",), ("color",), ("cutout",), ada.AUGMENTATIONS])
def test_gradients_with_respect_to_the_images_are_finite_and_non_zero(policy):
    x = tf.Variable(images(16))
    weights = tf.constant(images(16, seed=5))
    with tf.GradientTape() as tape:
        y = ada.augment(x, tf.constant(0.9), keras.random.SeedGenerator(2), policy=policy)
        loss = tf.reduce_sum(y * weights)
    grad = tape.gradient(loss, x).numpy()
    assert np.all(np.isfinite(grad))
    assert np.all(np.any(grad != 0, axis=(1, 2, 3)))


def test_flip_gradient_is_the_flipped_upstream_gradient():
    x = tf.Variable(images(4))
    weights = images(4, seed=5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(ada.augment(x, 1.0, keras.random.SeedGenerator(2), policy="flip") * weights)
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), np.flip(weights, axis=2))


def test_copies_share_their_parameters():
    a = images(64)
    # The same images in both copies come out the same ...
    both = run(np.concatenate([a, a]), 0.5, copies=2)
    np.testing.assert_array_equal(both[:64], both[64:])
    assert changed(a, both[:64]).mean() > 0.5
    # ... and other images get the same flips, shifts and cutouts: the geometric part is linear.
    geometric = ("flip", "translation", "cutout")
    both = run(np.concatenate([a, 2 * a]), 0.5, geometric, copies=2)
    np.testing.assert_array_equal(both[64:], 2 * both[:64])
    # Without copies the two halves get their own parameters.
    alone = run(np.concatenate([a, a]), 0.5)
    assert np.any(alone[:64] != alone[64:])


def test_the_same_seed_gives_the_same_augmentation_and_calls_advance_it():
    x = images(32)
    np.testing.assert_array_equal(run(x, 0.5, seed=7), run(x, 0.5, seed=7))
    seed = keras.random.SeedGenerator(7)
    first = ada.augment(x, 0.5, seed).numpy()
    second = ada.augment(x, 0.5, seed).numpy()
    assert np.any(first != second)


def test_runs_under_xla_and_a_changing_p_does_not_retrace():
    traces = []
    seed = keras.random.SeedGenerator(3)

    @tf.function(jit_compile=True)
    def step(x, p):
        traces.append(1)
        return ada.augment(x, p, seed, copies=2)

    a = images(8)
    x = tf.constant(np.concatenate([a, a]))
    outputs = {p: step(x, tf.constant(p)).numpy() for p in (0.0, 0.5, 1.0, 0.3)}
    assert len(traces) == 1
    np.testing.assert_array_equal(outputs[0.0], x.numpy())
    for out in outputs.values():
        assert out.shape == x.shape and np.all(np.isfinite(out))
        np.testing.assert_array_equal(out[:8], out[8:])
    assert changed(a, outputs[1.0][:8]).all()

    @tf.function(jit_compile=True)
    def flip_only(x, p):
        return ada.augment(x, p, seed, policy="flip")

    np.testing.assert_array_equal(flip_only(x, tf.constant(1.0)).numpy(), np.flip(x.numpy(), axis=2))


def test_gradients_flow_under_xla():
    seed = keras.random.SeedGenerator(4)
    weights = tf.constant(images(8, seed=5))

    @tf.function(jit_compile=True)
    def grad(x, p):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(ada.augment(x, p, seed) * weights)
        return tape.gradient(loss, x)

    x = tf.constant(images(8))
    g = grad(x, tf.constant(0.7)).numpy()
    assert np.all(np.isfinite(g)) and np.all(np.any(g != 0, axis=(1, 2, 3)))
    np.testing.assert_array_equal(grad(x, tf.constant(0.0)).numpy(), weights.numpy())  # the identity's gradient


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_images_keep_their_dtype(dtype):
    x = tf.cast(images(4), dtype)
    y = ada.augment(x, 0.5, keras.random.SeedGenerator(0))
    assert y.dtype == x.dtype and y.shape == x.shape
    assert np.all(np.isfinite(tf.cast(y, tf.float32).numpy()))


def test_a_dynamic_batch_is_accepted():
    seed = keras.random.SeedGenerator(0)
    fn = tf.function(lambda x, p: ada.augment(x, p, seed, copies=2),
                     input_signature=[tf.TensorSpec([None, H, W, 3]), tf.TensorSpec([])])
    x = images(6)
    np.testing.assert_array_equal(fn(x, 0.0).numpy(), x)


@pytest.mark.parametrize("kwargs,match", [
    ({"policy": ("flip", "rotate")}, "policy=('flip', 'rotate')"),
    ({"policy": ()}, "policy=()"),
    ({"copies": 0}, "copies=0"),
    ({"copies": 3}, "copies=3"),
    ({"probability": 1.5}, "probability=1.5"),
    ({"seed_generator": 3}, "seed_generator=3"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = {"images": images(4), "probability": 0.5, "seed_generator": keras.random.SeedGenerator(0), **kwargs}
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        ada.augment(**args)


def test_images_must_be_a_batch_of_images():
    with pytest.raises(ValueError, match="images"):
        ada.augment(np.zeros((4, 16, 3), np.float32), 0.5, keras.random.SeedGenerator(0))


# ---------------------------------------------------------------- the adaptive probability


def test_overfitting_heuristic_is_the_mean_sign():
    assert ada.overfitting_heuristic([[2.0], [-1.0], [3.0], [0.5]]).numpy() == pytest.approx(0.5)


def test_ada_update_moves_p_by_the_papers_step_towards_the_target():
    step = 64 * 4 / 500_000
    assert ada.ada_update(0.3, 0.9, 64).numpy() == pytest.approx(0.3 + step)
    assert ada.ada_update(0.3, 0.2, 64).numpy() == pytest.approx(0.3 - step)
    assert ada.ada_update(0.3, 0.6, 64).numpy() == pytest.approx(0.3)
    assert ada.ada_update(0.3, 1.0, 32, target=0.8, interval=1, adjust_images=100).numpy() == pytest.approx(0.62)


def test_ada_update_keeps_p_in_zero_to_below_one():
    up, down = tf.constant(0.0), tf.constant(0.5)
    update = tf.function(ada.ada_update)
    for _ in range(200):
        up = update(up, tf.constant(1.0), 1000, adjust_images=10_000)
        down = update(down, tf.constant(-1.0), 1000, adjust_images=10_000)
        assert 0.0 <= up.numpy() < 1.0 and 0.0 <= down.numpy() < 1.0
    assert up.numpy() == pytest.approx(0.99)
    assert down.numpy() == 0.0


@pytest.mark.parametrize("kwargs,match", [
    ({"target": 1.5}, "target=1.5"),
    ({"interval": 0}, "interval=0"),
    ({"adjust_images": -1}, "adjust_images=-1"),
    ({"max_probability": 1.0}, "max_probability=1.0"),
    ({"batch_size": 0}, "batch_size=0"),
])
def test_ada_update_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ada.ada_update(**{"probability": 0.1, "real_sign_mean": 0.5, "batch_size": 64, **kwargs})
