"""Feature extractors for the metrics: a shipped `digits` classifier and InceptionV3 (weights on disk).

Both take images in [-1, 1] (what the generators output) or uint8 in [0, 255] (what the exported
SavedModel returns), `[N, H, W, C]`, and return numpy arrays ready for `tfgan.metrics`:

>>> classifier = digits_classifier()
>>> images, labels = tfgan.data.digits_arrays()
>>> tfgan.metrics.class_coverage(classifier.predict(images), num_classes=10)["classes_covered"]
10

Everything here works offline: the digits classifier's weights ship in `tfgan/assets/`; InceptionV3's
must be downloaded once by hand (this machine has no network) and passed as `weights_path`.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

ASSETS = os.path.join(os.path.dirname(__file__), "assets")
DIGITS_WEIGHTS = os.path.join(ASSETS, "digits_classifier.weights.h5")
DIGITS_RECORD = os.path.join(ASSETS, "digits_classifier.json")
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                         + INCEPTION_WEIGHTS_FILE)
INCEPTION_SIZE = 299


def _as_images(images, shape=None):
    """`images` ([N, H, W, C] or [N, H, W]; uint8 in [0, 255] or floats in [-1, 1]) as float32 in [-1, 1]."""
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or (shape is not None and array.shape[1:] != shape):
        expected = f"[N, {', '.join(map(str, shape))}]" if shape else "[N, H, W, C]"
        raise ValueError(f"`images` must have shape {expected}. Received: `images` with shape {np.shape(images)}.")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 127.5 - 1.0
    return array.astype(np.float32)


def digits_split(seed, test_fraction=0.2):
    """Seeded split of the 1,797 embedded digits: `(train_indices, test_indices)`, disjoint and sorted."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"`test_fraction` must be in (0, 1). Received: `test_fraction={test_fraction!r}`.")
    from tfgan.data import digits_arrays

    num_examples = len(digits_arrays()[1])
    order = np.random.default_rng(seed).permutation(num_examples)
    num_test = int(round(test_fraction * num_examples))
    return np.sort(order[num_test:]), np.sort(order[:num_test])


def build_digits_classifier(dropout=0.3):
    """The evaluation CNN for 8x8x1 digits in [-1, 1]: two 3x3 convs, max-pool, a 128-unit `features` layer."""
    inputs = keras.Input((8, 8, 1), name="images")
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Dense(128, activation="relu", name="features")(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digits_classifier")


class DigitsClassifier:
    """A trained `build_digits_classifier` network: `features` (penultimate layer) and `predict` (probabilities).

    Args:
        weights_path: a `.weights.h5` file written by `tools/train_classifier.py`. Defaults to the
            shipped `tfgan/assets/digits_classifier.weights.h5`.
    """

    def __init__(self, weights_path=DIGITS_WEIGHTS):
        if not os.path.isfile(weights_path):
            raise FileNotFoundError(f"Digits classifier weights not found: `weights_path={weights_path!r}`. "
                                    "Run `python tools/train_classifier.py` to write them.")
        self.weights_path = weights_path
        self.model = build_digits_classifier()
        self.model.load_weights(weights_path)
        self.feature_model = keras.Model(self.model.inputs, self.model.get_layer("features").output)

    def features(self, images, batch_size=512):
        """`[N, 128]` float64 penultimate-layer activations of 8x8x1 images."""
        return self.feature_model.predict(_as_images(images, (8, 8, 1)), batch_size=batch_size,
                                          verbose=0).astype(np.float64)

    def predict(self, images, batch_size=512):
        """`[N, 10]` float64 class probabilities of 8x8x1 images."""
        return self.model.predict(_as_images(images, (8, 8, 1)), batch_size=batch_size, verbose=0).astype(np.float64)


def digits_classifier(weights_path=DIGITS_WEIGHTS):
    """The shipped `digits` evaluation classifier (see `digits_record()` for its held-out accuracy)."""
    return DigitsClassifier(weights_path)


def digits_record(path=DIGITS_RECORD):
    """What `tools/train_classifier.py` recorded: held-out accuracy, split seed and size, command."""
    with open(path) as f:
        return json.load(f)


def default_inception_weights():
    """Where Keras caches the InceptionV3 no-top weights: `$KERAS_HOME/models/` (default `~/.keras/models/`)."""
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(keras_home, "models", INCEPTION_WEIGHTS_FILE)


def check_inception_weights(weights_path=None):
    """The InceptionV3 weights path (`default_inception_weights()` when None), or a `FileNotFoundError`
    saying what to download and where, raised before anything is built."""
    weights_path = weights_path or default_inception_weights()
    if not os.path.isfile(weights_path):
        raise FileNotFoundError(
            f"InceptionV3 weights not found: `weights_path={weights_path!r}`. This machine cannot download "
            f"them. Download `{INCEPTION_WEIGHTS_FILE}` from {INCEPTION_WEIGHTS_URL} on a machine with a "
            f"network, copy it to {default_inception_weights()} (the default) or anywhere and pass its path "
            "as `weights_path`.")
    return weights_path


def inception_preprocess(images):
    """[N, H, W, 1 or 3] images in [-1, 1] or uint8 -> float32 [N, 299, 299, 3] in [-1, 1], as InceptionV3 expects.

    Grey images are repeated to RGB, resized bilinearly to 299x299, mapped to [0, 255] and passed through
    `keras.applications.inception_v3.preprocess_input`.
    """
    x = _as_images(images)
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"`images` must have 1 or 3 channels. Received: `images` with shape {x.shape}.")
    x = tf.image.resize(np.repeat(x, 3 // x.shape[-1], axis=-1), (INCEPTION_SIZE, INCEPTION_SIZE))
    return keras.applications.inception_v3.preprocess_input(tf.clip_by_value((x + 1.0) * 127.5, 0.0, 255.0))


class InceptionFeatures:
    """2048-d pool features of InceptionV3 (ImageNet weights), the network behind FID, KID and IS papers.

    The weights are read from disk, never downloaded: fetch `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`
    once on a machine with a network and pass its path. Images are resized to 299x299 (bilinear),
    grey images repeated to RGB, and scaled as `keras.applications.inception_v3.preprocess_input` expects.

    Note: these are Keras's ImageNet weights, not the TF1 graph of the original FID code, so absolute
    values differ slightly from published FIDs; compare numbers computed with the same extractor.

    Args:
        weights_path: the no-top weights file. Defaults to `default_inception_weights()`, i.e.
            `~/.keras/models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`.

    Reference:
        Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision",
        https://arxiv.org/abs/1512.00567
    """

    def __init__(self, weights_path=None):
        weights_path = check_inception_weights(weights_path)
        self.weights_path = weights_path
        self.model = keras.applications.InceptionV3(
            include_top=False, weights=None, pooling="avg", input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))
        self.model.load_weights(weights_path)

    def features(self, images, batch_size=32):
        """`[N, 2048]` float64 average-pool features, computed `batch_size` images at a time."""
        images = _as_images(images)
        out = [self.model.predict_on_batch(inception_preprocess(images[i:i + batch_size]))
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out).astype(np.float64) if out else np.zeros((0, 2048))
