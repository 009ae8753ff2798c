import os
import re

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from tfgan import data


def first(ds):
    return next(iter(ds))


def test_digits_shapes_range_and_labels():
    ds, info = data.load("digits", 32, labels=True, seed=0)
    x, y = first(ds)
    assert info.shape == (8, 8, 1) and info.num_classes == 10 and info.kind == "image"
    assert x.shape == (32, 8, 8, 1) and x.dtype == tf.float32 and y.dtype == tf.int32
    assert -1.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
    assert float(tf.reduce_min(x)) == -1.0  # background pixels are 0 -> -1
    images, labels = data.digits_arrays()
    assert images.shape == (1797, 8, 8, 1) and images.dtype == np.uint8 and images.max() == 255
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_resized_and_d_steps_batches():
    ds, info = data.load("digits", 16, d_steps=3, image_size=32, channels=3)
    x = first(ds)
    assert x.shape == (48, 32, 32, 3) and info.shape == (32, 32, 3)


@pytest.mark.parametrize("name,modes,std", [("ring", 8, 0.01), ("grid", 25, 0.05)])
def test_mixtures_match_their_definition(name, modes, std):
    x, y = data.mixture_samples(name, 20_000, seed=0)
    info = data.info(name)
    assert info.modes.shape == (modes, 2) and info.mode_std == std
    offsets = x - info.modes[y]
    assert offsets.std() == pytest.approx(std, rel=0.05)
    assert np.abs(offsets.mean()) < 3 * std / np.sqrt(len(x)) * 10
    assert np.bincount(y, minlength=modes).min() > 0.8 * len(x) / modes  # equal weights
    if name == "ring":
        np.testing.assert_allclose(np.linalg.norm(info.modes, axis=1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(np.arctan2(info.modes[2, 1], info.modes[2, 0]), 2 * np.pi * 2 / 8, rtol=1e-6)
    else:
        assert sorted(set(info.modes[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    batch = first(data.load(name, 64, seed=0)[0])
    assert batch.shape == (64, 2) and batch.dtype == tf.float32


def test_toy1d_is_normal_5_1():
    x = first(data.load("toy1d", 4096, seed=0)[0]).numpy()
    assert x.shape == (4096, 1)
    assert x.mean() == pytest.approx(5.0, abs=0.1) and x.std() == pytest.approx(1.0, abs=0.05)


def write_images(root, count, size=(12, 20), classes=("a", "b")):
    rng = np.random.default_rng(0)
    for c in classes:
        os.makedirs(os.path.join(root, c), exist_ok=True)
        for i in range(count):
            image = rng.integers(0, 256, size + (3,), dtype=np.uint8)
            ext = "png" if i % 2 else "jpg"
            encode = tf.io.encode_png if ext == "png" else tf.io.encode_jpeg
            tf.io.write_file(os.path.join(root, c, f"{i}.{ext}"), encode(image))


def test_folder_resizes_center_crops_and_labels_subfolders(tmp_path):
    write_images(str(tmp_path), 3)
    ds, info = data.load(f"folder:{tmp_path}", 6, labels=True, image_size=16, seed=0)
    x, y = first(ds)
    assert info.num_classes == 2 and info.shape == (16, 16, 3)
    assert x.shape == (6, 16, 16, 3) and float(tf.reduce_max(tf.abs(x))) <= 1.0
    assert sorted(y.numpy().tolist()) == [0, 0, 0, 1, 1, 1]


def test_folder_center_crop_keeps_the_middle(tmp_path):
    image = np.zeros((10, 30, 3), np.uint8)
    image[:, 10:20] = 255  # a white square in the middle of a wide image
    tf.io.write_file(str(tmp_path / "x.png"), tf.io.encode_png(image))
    x = first(data.load(f"folder:{tmp_path}", 1, image_size=8)[0]).numpy()
    assert x.min() > 0.9  # the crop is all white


def test_empty_or_missing_folder_names_the_path(tmp_path):
    with pytest.raises(ValueError, match=re.escape(f"folder:{tmp_path}") + "` contains no images"):
        data.load(f"folder:{tmp_path}", 4)
    with pytest.raises(ValueError, match="no such directory"):
        data.load(f"folder:{tmp_path}/missing", 4)


def test_tfds_with_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=20):
        ds, info = data.load("tfds:mnist", 8, labels=True, image_size=32, seed=0)
        x, y = first(ds)
    assert info.shape == (32, 32, 1) and info.num_classes == 10
    assert x.shape == (8, 32, 32, 1) and y.shape == (8,)
    assert -1.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0


def test_tfds_not_on_disk_says_how_to_get_it(tmp_path):
    with pytest.raises(ValueError, match=r"not on disk.*tfds build mnist.*--data_dir"):
        data.load("tfds:mnist", 8, data_dir=str(tmp_path))


@pytest.mark.parametrize("name", ["mnist", "tfds:", "folder:", "", "ring2"])
def test_unknown_dataset_names_list_what_is_accepted(name):
    with pytest.raises(ValueError, match="dataset="):
        data.load(name, 8)


def test_labels_asked_of_unlabelled_data():
    with pytest.raises(ValueError, match="toy1d` has no labels"):
        data.load("toy1d", 8, labels=True)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size=0"):
        data.load("ring", 0)


# ---- stacked_digits ---------------------------------------------------------------------------------

def stacked_examples(count, seed=0):
    """`count` unbatched stacked examples as numpy: uint8 images [count, 8, 8, 3] and labels [count]."""
    x, y = first(data.stacked_digits_dataset(seed).batch(count))
    return x.numpy(), y.numpy()


def test_stacked_digits_shapes_dtype_range_and_info():
    info = data.info("stacked_digits")
    assert (info.kind, info.shape, info.num_classes) == ("image", (8, 8, 3), 1000)
    ds, loaded_info = data.load("stacked_digits", 32, labels=True, seed=0)
    assert loaded_info == info
    x, y = first(ds)
    assert x.shape == (32, 8, 8, 3) and x.dtype == tf.float32 and y.shape == (32,) and y.dtype == tf.int32
    assert float(tf.reduce_min(x)) == -1.0 and float(tf.reduce_max(x)) <= 1.0
    assert 0 <= int(tf.reduce_min(y)) and int(tf.reduce_max(y)) < 1000
    images, labels = stacked_examples(32)
    assert images.dtype == np.uint8 and images.max() == 255  # the digits' own range, scaled per batch by `load`
    np.testing.assert_allclose(x.numpy(), images / 127.5 - 1.0, atol=1e-6)  # `load` is the uint8 stream, scaled
    np.testing.assert_array_equal(y.numpy(), labels)
    assert first(data.load("stacked_digits", 8, d_steps=2, image_size=16)[0]).shape == (16, 16, 16, 3)


def test_stacked_digits_labels_are_the_channels_digits():
    images, labels = stacked_examples(600, seed=1)
    digit_images, digit_labels = data.digits_arrays()
    classes_of = {}  # an embedded image -> the labels it carries (an image may occur more than once)
    for image, label in zip(digit_images[..., 0], digit_labels):
        classes_of.setdefault(image.tobytes(), set()).add(int(label))
    claimed = np.stack([labels // 100, labels // 10 % 10, labels % 10], axis=1)  # 100 d_R + 10 d_G + d_B
    for i in range(len(images)):
        for channel in range(3):
            assert claimed[i, channel] in classes_of[images[i, :, :, channel].tobytes()], (i, channel)


def test_stacked_digits_channels_are_independent_uniform_draws():
    images, labels = stacked_examples(6000, seed=2)
    digits = np.stack([labels // 100, labels // 10 % 10, labels % 10], axis=1)
    for a, b in [(0, 1), (0, 2), (1, 2)]:  # pairs of channels: no dependence between their digits
        table = np.zeros((10, 10), int)
        np.add.at(table, (digits[:, a], digits[:, b]), 1)
        assert scipy.stats.chi2_contingency(table).pvalue > 0.001, (a, b)
    frequencies = np.bincount(data.digits_arrays()[1], minlength=10) / 1797  # each index equally likely
    for channel in range(3):
        observed = np.bincount(digits[:, channel], minlength=10)
        assert scipy.stats.chisquare(observed, frequencies * len(digits)).pvalue > 0.001, channel
    # Three draws, not one index used three times: equal channels only as often as chance (~1/1797) allows.
    same = [np.mean(np.all(images[..., a] == images[..., b], axis=(1, 2))) for a, b in [(0, 1), (0, 2), (1, 2)]]
    assert max(same) < 0.003
    assert not np.any(np.all(images[..., :1] == images, axis=(1, 2, 3)))


def test_stacked_digits_is_reproducible_from_the_seed_alone_and_does_not_cycle():
    images, labels = stacked_examples(3 * data.STACKED_BLOCK, seed=5)
    tf.random.set_seed(123)  # the global seed plays no part
    again_images, again_labels = stacked_examples(3 * data.STACKED_BLOCK, seed=5)
    np.testing.assert_array_equal(images, again_images)
    np.testing.assert_array_equal(labels, again_labels)
    assert not np.array_equal(labels, stacked_examples(3 * data.STACKED_BLOCK, seed=6)[1])
    blocks = labels.reshape(3, data.STACKED_BLOCK)  # consecutive blocks of draws differ
    assert not np.array_equal(blocks[0], blocks[1]) and not np.array_equal(blocks[1], blocks[2])
    x1, y1 = first(data.load("stacked_digits", 64, labels=True, seed=7)[0])
    x2, y2 = first(data.load("stacked_digits", 64, labels=True, seed=7)[0])
    np.testing.assert_array_equal(x1.numpy(), x2.numpy())
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())


def test_stacked_digits_rejects_other_channels_and_bad_seeds():
    with pytest.raises(ValueError, match="Received: `channels=1`"):
        data.info("stacked_digits", channels=1)
    with pytest.raises(ValueError, match="Received: `seed=-1`"):
        data.load("stacked_digits", 8, seed=-1)
