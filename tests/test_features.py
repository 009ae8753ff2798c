"""Tests for tfgan.features: the shipped digits classifier and the offline InceptionV3 extractor."""

import os

import keras
import numpy as np
import pytest

from tfgan import data, features, metrics


@pytest.fixture(scope="module")
def classifier():
    return features.digits_classifier()


def test_digits_split_is_seeded_disjoint_and_complete():
    train, test = features.digits_split(0, 0.2)
    assert len(test) == round(0.2 * 1797) and len(train) + len(test) == 1797
    assert np.array_equal(np.union1d(train, test), np.arange(1797))
    again = features.digits_split(0, 0.2)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert not np.array_equal(test, features.digits_split(1, 0.2)[1])
    with pytest.raises(ValueError, match="Received: `test_fraction=1.0`"):
        features.digits_split(0, 1.0)


def test_shipped_classifier_reaches_recorded_held_out_accuracy(classifier):
    record = features.digits_record()
    assert os.path.getsize(features.DIGITS_WEIGHTS) < 2 * 1024**2
    assert record["held_out_accuracy"] >= 0.97
    images, labels = data.digits_arrays()
    _, test = features.digits_split(record["split_seed"], record["test_fraction"])
    assert len(test) == record["num_test"]
    accuracy = np.mean(classifier.predict(images[test]).argmax(axis=1) == labels[test])
    assert accuracy >= record["held_out_accuracy"] - 1.0 / len(test)  # at most one borderline digit may flip
    assert accuracy >= 0.97


def test_classifier_outputs_and_input_scales(classifier):
    images, labels = data.digits_arrays()
    probs = classifier.predict(images[:50])
    assert probs.shape == (50, 10) and probs.dtype == np.float64
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    scaled = images[:50].astype(np.float32) / 127.5 - 1.0  # uint8 and [-1, 1] inputs agree
    np.testing.assert_allclose(classifier.predict(scaled), probs, atol=1e-6)
    np.testing.assert_allclose(classifier.predict(scaled[..., 0]), probs, atol=1e-6)  # [N, 8, 8] accepted
    feats = classifier.features(images[:50])
    assert feats.shape == (50, 128) and np.all(feats >= 0) and np.any(feats > 0)  # ReLU layer


def test_classifier_features_separate_real_digits_from_noise(classifier):
    images, labels = data.digits_arrays()
    real_a, real_b = classifier.features(images[::2]), classifier.features(images[1::2])
    noise = np.random.default_rng(0).uniform(-1, 1, (len(real_b), 8, 8, 1))
    assert metrics.frechet_distance(real_a, classifier.features(noise)) > 10 * metrics.frechet_distance(real_a, real_b)
    coverage = metrics.class_coverage(classifier.predict(images), num_classes=10)
    assert coverage["classes_covered"] == 10 and coverage["kl"] < 0.01  # the digits are nearly balanced


def test_classifier_rejects_bad_images_and_missing_weights(classifier, tmp_path):
    with pytest.raises(ValueError, match=r"`images` must have shape \[N, 8, 8, 1\]"):
        classifier.predict(np.zeros((2, 28, 28, 1)))
    with pytest.raises(FileNotFoundError, match="train_classifier.py"):
        features.digits_classifier(str(tmp_path / "missing.weights.h5"))


def test_inception_features_missing_file_fails_before_building(monkeypatch, tmp_path):
    def fail(*args, **kwargs):
        raise AssertionError("InceptionV3 was built before the weights file was checked")

    monkeypatch.setattr(keras.applications, "InceptionV3", fail)
    missing = str(tmp_path / "nowhere.h5")
    with pytest.raises(FileNotFoundError) as error:
        features.InceptionFeatures(missing)
    message = str(error.value)
    assert missing in message and "weights_path" in message
    assert "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" in message


def test_inception_features_default_path_is_the_keras_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    expected = str(tmp_path / "models" / features.INCEPTION_WEIGHTS_FILE)
    assert features.default_inception_weights() == expected
    with pytest.raises(FileNotFoundError, match=expected):
        features.InceptionFeatures()


def test_inception_preprocess():
    gray = np.zeros((2, 8, 8, 1), np.uint8)
    gray[0] = 255
    x = np.asarray(features.inception_preprocess(gray))
    assert x.shape == (2, 299, 299, 3)
    np.testing.assert_allclose(x[0], 1.0, atol=1e-5)
    np.testing.assert_allclose(x[1], -1.0, atol=1e-5)
    rgb = np.random.default_rng(0).uniform(-1, 1, (1, 299, 299, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(features.inception_preprocess(rgb)), rgb, atol=1e-5)  # no resize needed
    with pytest.raises(ValueError, match="1 or 3 channels"):
        features.inception_preprocess(np.zeros((1, 8, 8, 2)))


@pytest.mark.slow
def test_inception_features_load_a_keras_notop_file(tmp_path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    model = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg")
    path = str(tmp_path / features.INCEPTION_WEIGHTS_FILE)
    with h5py.File(path, "w") as f:  # the legacy layout of the file Keras downloads
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    extractor = features.InceptionFeatures(path)
    images = np.random.default_rng(0).uniform(-1, 1, (3, 8, 8, 1))
    out = extractor.features(images, batch_size=2)
    assert out.shape == (3, 2048) and np.all(np.isfinite(out))
    expected = model.predict(np.asarray(features.inception_preprocess(images)), verbose=0)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
