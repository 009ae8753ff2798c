"""Data faults: unreadable files in `folder:` data, images outside [-1, 1] handed to `GAN.fit`."""

import logging
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan


def write_png(path, value, size=8):
    image = np.full((size, size, 3), value, np.uint8)
    tf.io.write_file(str(path), tf.io.encode_png(image))


@pytest.fixture
def faulty_folder(tmp_path):
    """Three good PNGs (grey levels 0, 128, 255), one truncated PNG, one text file, one empty file."""
    folder = tmp_path / "images"
    folder.mkdir()
    for value in (0, 128, 255):
        write_png(folder / f"good_{value}.png", value)
    write_png(folder / "truncated.png", 60, size=64)
    data = (folder / "truncated.png").read_bytes()
    (folder / "truncated.png").write_bytes(data[:len(data) // 2])
    (folder / "notes.jpg").write_text("not an image")
    (folder / "empty.png").write_bytes(b"")
    return folder


def test_unreadable_files_are_skipped_with_a_count_and_their_names(faulty_folder, caplog):
    tfgan.data._readable_images.cache_clear()
    with caplog.at_level(logging.WARNING):
        dataset, info = tfgan.data.load(f"folder:{faulty_folder}", 3, seed=0, image_size=8)
    lines = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(lines) == 1  # one line for the whole folder
    assert "skipping 2 unreadable image files of 6" in lines[0]
    assert "empty.png" in lines[0] and "notes.jpg" in lines[0]
    # The truncated body passes the header check and is dropped by the pipeline: only the three
    # good images (pixels -1, 128/127.5 - 1, 1) ever come out.
    seen = set()
    for batch in dataset.take(8):
        seen |= {round(float(v), 4) for v in np.unique(batch.numpy())}
    assert seen == {-1.0, round(128 / 127.5 - 1, 4), 1.0}
    assert info.shape == (8, 8, 3)


def test_a_folder_with_no_readable_image_is_rejected_naming_the_files(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.png").write_text("x")
    (folder / "b.jpg").write_bytes(b"\xff\xd8 not really")
    with pytest.raises(ValueError, match=r"none of its 2 image files can be read \(e\.g\. .*a\.png, .*b\.jpg\)"):
        tfgan.data.info(f"folder:{folder}")


def test_grey_and_rgb_files_mix_in_one_folder(tmp_path):
    """Files are decoded to the data's channels, so a grey PNG among RGB ones is read, not dropped."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_png(folder / "rgb.png", 255)
    tf.io.write_file(str(folder / "grey.png"), tf.io.encode_png(np.zeros((8, 8, 1), np.uint8)))
    dataset, _ = tfgan.data.load(f"folder:{folder}", 2, seed=0, image_size=8, channels=3)
    batch = next(iter(dataset)).numpy()
    assert sorted(batch.reshape(2, -1).mean(1).tolist()) == [-1.0, 1.0]


def small_image_gan():
    g = tfgan.nets.mlp_generator((4, 4, 1), 4, (8,))
    gan = tfgan.GAN(g, tfgan.nets.mlp_discriminator((4, 4, 1), (8,)), 4, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def fit_and_catch(gan, images, epochs=1):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=epochs, verbose=0)
    return [str(w.message) for w in caught if "outside the [-1, 1]" in str(w.message)]


def test_uint8_range_images_given_to_fit_warn_once_with_their_range():
    images = np.random.default_rng(0).integers(0, 256, (16, 4, 4, 1)).astype(np.float32)
    gan = small_image_gan()
    first = fit_and_catch(gan, images, epochs=2)
    assert len(first) == 1  # once, although 8 steps ran
    low, high = images[:4].min(), images[:4].max()  # the first batch's range
    assert f"[{low:g}, {high:g}]" in first[0]
    assert fit_and_catch(gan, images) == []  # and not again on the next fit


def test_images_in_range_give_no_warning():
    images = np.random.default_rng(0).uniform(-1, 1, (16, 4, 4, 1)).astype(np.float32)
    assert fit_and_catch(small_image_gan(), images) == []
