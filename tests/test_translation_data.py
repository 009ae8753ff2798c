"""The translation data: the pix2pix layout (A | B side by side) split into pairs, `digits_rot90` paired
and unpaired, two folders as unpaired domains, and the recipe checks that choose between them."""

import re

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfgan import data, dataset_names, recipes


def _write(path, array):
    Image.fromarray(np.asarray(array, np.uint8).squeeze()).save(path)


@pytest.fixture
def pairs_folder(tmp_path):
    """Three 8x16 grey pix2pix-layout files: A (left) filled with 10 * k, B (right) with 10 * k + 100."""
    folder = tmp_path / "pairs"
    folder.mkdir()
    for k in range(3):
        _write(folder / f"{k}.png", np.concatenate([np.full((8, 8), 10 * k), np.full((8, 8), 10 * k + 100)], axis=1))
    return str(folder)


def test_split_pair_takes_a_from_the_left_and_b_from_the_right():
    image = np.arange(4 * 6 * 3).reshape(4, 6, 3)
    a, b = data.split_pair(image)
    np.testing.assert_array_equal(a.numpy(), image[:, :3])
    np.testing.assert_array_equal(b.numpy(), image[:, 3:])


def test_pairs_folder_gives_matching_pairs_scaled_to_minus_one_one(pairs_folder):
    name = f"pairs:folder:{pairs_folder}"
    assert dataset_names.is_paired(name)
    ds, info = data.load_translation(name, batch_size=3, seed=0, channels=1)
    assert info.paired and info.shape == (8, 8, 1)
    a, b = (x.numpy() for x in next(iter(ds)))
    assert a.shape == b.shape == (3, 8, 8, 1)
    a_pixels, b_pixels = (np.round((x[:, 0, 0, 0] + 1) * 127.5) for x in (a, b))
    assert sorted(a_pixels) == [0, 10, 20]
    np.testing.assert_array_equal(b_pixels, a_pixels + 100)  # row i of b is row i's counterpart
    assert np.all(a == a[:, :1, :1]) and np.all(b == b[:, :1, :1])  # each half is one file's half, whole


def test_pairs_folder_rejects_an_image_that_is_not_twice_as_wide(pairs_folder):
    _write(f"{pairs_folder}/square.png", np.zeros((8, 8)))
    with pytest.raises(ValueError, match="twice as wide as high.*square.png is 8x8"):
        data.load_translation(f"pairs:folder:{pairs_folder}", batch_size=2)


def test_digits_rot90_paired_batches_hold_each_digit_and_its_rotation():
    a, b = next(iter(data.load_translation("digits_rot90", batch_size=16, seed=1)[0]))
    np.testing.assert_array_equal(b.numpy(), np.rot90(a.numpy(), k=1, axes=(1, 2)))


def test_digits_rot90_unpaired_shuffles_the_domains_independently():
    ds, _ = data.load_translation("digits_rot90", batch_size=64, paired=False, seed=1, max_examples=128)
    a, b = (np.concatenate(x) for x in zip(*[(x.numpy(), y.numpy()) for x, y in ds.take(2)]))
    rotated = np.rot90(a, k=1, axes=(1, 2))
    assert np.mean(np.all(rotated == b, axis=(1, 2, 3))) < 0.1  # rows are no pairs
    # ... but over the 128 examples each domain holds the same digits, A upright and B rotated.
    key = lambda x: sorted(map(bytes, x.reshape(len(x), -1).round(4)))  # noqa: E731
    assert key(rotated) == key(b)


def test_two_folders_are_unpaired_domains_with_b_fitted_to_a(tmp_path):
    for name, value, size in (("A", 40, 8), ("B", 200, 16)):
        (tmp_path / name).mkdir()
        for k in range(4):
            _write(tmp_path / name / f"{k}.png", np.full((size, size), value + k))
    ds, info = data.load_translation(f"folder:{tmp_path / 'A'}", batch_size=4, name_b=f"folder:{tmp_path / 'B'}",
                                     paired=False, seed=0, image_size=8, channels=1)
    a, b = (x.numpy() for x in next(iter(ds)))
    assert info.shape == (8, 8, 1) and a.shape == b.shape == (4, 8, 8, 1)
    assert sorted(np.round((a[:, 0, 0, 0] + 1) * 127.5)) == [40, 41, 42, 43]
    assert sorted(np.round((b[:, 0, 0, 0] + 1) * 127.5)) == [200, 201, 202, 203]


def test_pix2pix_needs_pairs_and_a_single_folder_is_refused(tmp_path):
    (tmp_path / "A").mkdir()
    _write(tmp_path / "A" / "0.png", np.zeros((8, 8)))
    with pytest.raises(ValueError, match="needs pairs .* or a second set"):
        data.load_translation(f"folder:{tmp_path / 'A'}", batch_size=1, paired=False)
    with pytest.raises(ValueError, match="Paired translation .* needs a paired data set"):
        data.load_translation(f"folder:{tmp_path / 'A'}", batch_size=1, name_b=f"folder:{tmp_path / 'A'}")
    with pytest.raises(ValueError, match="load_translation"):
        data.load("digits_rot90", batch_size=4)


@pytest.mark.parametrize("args,name", [
    (dict(model="pix2pix", dataset="digits"), "dataset"),
    (dict(model="cyclegan", dataset="digits_rot90", dataset_b="folder:/x"), "dataset_b"),
    (dict(model="gan", dataset="digits_rot90"), "dataset"),
    (dict(model="pix2pix", dataset="digits_rot90", replay_size=50), "replay_size"),
    (dict(model="pix2pix", dataset="digits_rot90", penalty="gp"), "penalty"),
    (dict(model="gan", dataset="digits", l1_weight=3.0), "l1_weight"),
    (dict(model="gan", dataset="digits", restarts=2), "restarts"),
    (dict(model="pix2pix", dataset="digits_rot90", geometry_weight=1.0), "geometry_weight"),
    (dict(model="cyclegan", dataset="digits_rot90", geometry_weight=-1.0), "geometry_weight"),
    (dict(model="cyclegan", dataset="digits_rot90", geometry="rot45"), "geometry"),
    (dict(model="cyclegan", dataset="digits_rot90", restarts=2, train_steps=10, restart_steps=10), "restart_steps"),
    (dict(model="cyclegan", dataset="digits_rot90", restarts=2, train_steps=1), "train_steps"),
    (dict(model="cyclegan", dataset="digits_rot90", restarts=5, train_steps=7), "train_steps"),
    (dict(model="cyclegan", dataset="digits_rot90", restarts=5, train_steps=9000, restart_steps=3000),
     "restart_steps"),
    (dict(model="cyclegan", dataset="digits_rot90", restarts=2, strategy="multi_worker_mirrored"), "restarts"),
])
def test_recipe_checks_name_the_translation_flag(args, name):
    with pytest.raises(recipes.RecipeError, match=re.escape(f"`{name}={args[name]!r}`")):
        recipes.check(recipes.Recipe(**args))


@pytest.mark.parametrize("restarts,restart_steps,schedule", [(1, 0, []), (2, 0, [4500]), (2, 1000, [1000]),
                                                             (3, 0, [2250, 4500]), (5, 1000, [1000, 2000, 4000]),
                                                             (8, 0, [1125, 2250, 4500]), (9, 500, [500, 1000, 2000, 4000])])
def test_restart_schedule_halves_until_one_is_left(restarts, restart_steps, schedule):
    recipe = recipes.Recipe(model="cyclegan", dataset="digits_rot90", restarts=restarts, restart_steps=restart_steps,
                            train_steps=9000)
    assert recipes.config.restart_schedule(recipes.check(recipe)) == schedule


@pytest.mark.parametrize("name", ["pix2pix_digits_rot90", "cyclegan_digits_rot90"])
def test_translation_recipes_load(name):
    recipe = recipes.load(name)
    assert recipe.model == name.split("_")[0] and recipe.dataset == "digits_rot90"


def test_translation_examples_are_fixed_pairs():
    a, b = data.translation_examples("digits_rot90", 5, offset=1500)
    images = data.digits_arrays()[0][1500:1505].astype(np.float32) / 127.5 - 1
    np.testing.assert_allclose(a, images)
    np.testing.assert_allclose(b, np.rot90(images, k=1, axes=(1, 2)))
    assert tf.reduce_max(a) <= 1 and tf.reduce_min(a) >= -1
