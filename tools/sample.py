r"""Draws samples from an exported generator (tools/train.py's WORKDIR/generator), from the SavedModel alone.

    python tools/sample.py --generator=runs/dcgan_digits/generator --output_dir=runs/dcgan_digits/sampled

Writes to OUTPUT_DIR:
- `grid.png`: `--num_samples` samples (images tiled; 2-D points as a scatter);
- `interpolation_slerp.png`, `interpolation_linear.png`: image strips along a path between two noise
  vectors, spherical (slerp, White 2016: stays where N(0, I) noise has its mass) and straight;
- `samples.npz`: the noise and outputs of all of them (`z`, `outputs`, `slerp_z`, `slerp_outputs`,
  `linear_z`, `linear_outputs`).
The same `--seed` gives the same files.

    python tools/sample.py --generator=runs/cgan_grid/generator --output=runs/cgan_grid/classes.png

For a conditional generator (one whose signatures take `labels`) it writes a class grid instead: one row of
`--per_class` samples for each class (2-D samples: a scatter coloured by class). With `--dataset` it
also prints how often the samples land on the class asked for: within 3 std of the mode for
`ring` / `grid`, the shipped classifier's prediction for `digits`. An InfoGAN generator (one whose
signatures take `categorical`) gets the same grid with one row per value of its first categorical code
(the other codes 0, the continuous codes drawn from `--seed`); with `--dataset=digits` it prints the code's
purity (`tfgan.metrics.code_purity`: the majority class of each value and how pure it is).

    python tools/sample.py --generator=runs/pix2pix_digits_rot90/generator --input_dir=photos --output_dir=out

For an image-to-image export (pix2pix, cyclegan: signatures that take `images`) it translates every image
file of `--input_dir` into a PNG of the same name in `--output_dir` (default GENERATOR/../translated),
from domain A to B, or from B to A with `--direction=b_to_a` (cyclegan). Images are center-cropped and
resized to the export's size and channels.

The flags are checked before TensorFlow is imported; bad input is one line (`error: --name=value: ...`)
with exit code 1. `--verbosity=0` shows TensorFlow's and absl's own log lines, `--verbosity=1` also the
traceback of an error.
"""

import json
import os
import sys

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import tfgan  # noqa: E402  (lazy: its TensorFlow modules load when first used, after the checks)
from tfgan import console  # noqa: E402

FLAGS = flags.FLAGS

flags.DEFINE_string("generator", None, "An exported generator (SavedModel directory).")
# --- grids, interpolations, arrays ---
flags.DEFINE_string("output_dir", None, "Where to write (default: GENERATOR/../sampled).")
flags.DEFINE_integer("num_samples", 64, "Samples in the grid.")
flags.DEFINE_integer("interpolation_steps", 10, "Points on each interpolation path, both ends included.")
flags.DEFINE_integer("seed", 0, "Seed of the noise (the same seed gives the same outputs).")

# --- class grids of conditional generators ---
flags.DEFINE_string("output", None, "Class-grid PNG of a conditional generator (default: GENERATOR/../class_grid.png).")
flags.DEFINE_integer("per_class", 8, "Samples per class in a class grid.")
flags.DEFINE_enum("dataset", None, ["ring", "grid", "digits"],
                  "Also score a conditional generator's samples against this data's classes (prints JSON).")

# --- image-to-image translation ---
flags.DEFINE_string("input_dir", None, "Folder of images to translate with an image-to-image export (pix2pix, cyclegan).")
flags.DEFINE_enum("direction", "a_to_b", ["a_to_b", "b_to_a"], "Translate from domain A to B, or B to A (cyclegan).")

INTERPOLATIONS = ("slerp", "linear")
SIGNATURES = {"a_to_b": "serving_default", "b_to_a": "b_to_a"}


def latent_dim(generator):
    return int(generator.signatures["serving_default"].structured_input_signature[1]["z"].shape[-1])


def draw_noise(generator, n, seed):
    """z as the generator was trained on: N(0, I), or U(-1, 1) when the export says so."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    shape = (n, latent_dim(generator))
    uniform = bool(getattr(generator, "uniform_noise", tf.constant(False)).numpy())
    return (rng.uniform(-1.0, 1.0, shape) if uniform else rng.standard_normal(shape)).astype(np.float32)


def slerp(a, b, t):
    """Spherical interpolation (Shoemake 1985; White 2016 for GAN latents): constant angular speed
    from `a` to `b`; straight interpolation when they are (anti)parallel."""
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return (1.0 - t) * a + t * b
    return (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolate(a, b, steps, method):
    ts = np.linspace(0.0, 1.0, steps)
    if method == "slerp":
        return np.stack([slerp(a, b, t) for t in ts]).astype(np.float32)
    return np.stack([(1.0 - t) * a + t * b for t in ts]).astype(np.float32)


def generate(generator, z):
    """The SavedModel's output for `z`: uint8 images or float samples."""
    import tensorflow as tf

    outputs = generator.signatures["serving_default"](z=tf.constant(z))
    return next(iter(outputs.values())).numpy()


def image_strip(images):
    """uint8 images `[N, H, W, C]` in one row with 1-pixel borders, upscaled like the grids."""
    factor = max(1, -(-32 // images.shape[2]))
    images = images.repeat(factor, axis=1).repeat(factor, axis=2)
    n, h, w, c = images.shape
    row = np.full((h + 2, n * (w + 1) + 1, c), 128, np.uint8)
    for i, image in enumerate(images):
        row[1:h + 1, 1 + i * (w + 1):(i + 1) * (w + 1)] = image
    return row


def write_picture(path, outputs):
    """A PNG of uint8 images (grid or strip) or a scatter of 2-D samples; other vectors get none."""
    import tensorflow as tf

    if outputs.dtype == np.uint8:
        tf.io.write_file(path, tf.io.encode_png(outputs))
        return path
    if outputs.ndim == 2 and outputs.shape[1] == 2:
        figure = tfgan.callbacks.plot_points_2d(outputs)
        figure.savefig(path, dpi=80)
        import matplotlib.pyplot as plt

        plt.close(figure)
        return path
    return None


def sample(generator, output_dir, num_samples=64, steps=10, seed=0):
    """Writes the grid, the interpolation strips and `samples.npz`; returns the paths written."""
    os.makedirs(output_dir, exist_ok=True)
    arrays = {"z": draw_noise(generator, num_samples, seed)}
    arrays["outputs"] = generate(generator, arrays["z"])
    is_image = arrays["outputs"].dtype == np.uint8
    grid = tfgan.callbacks.image_grid(arrays["outputs"], 32) if is_image else arrays["outputs"]
    written = [write_picture(os.path.join(output_dir, "grid.png"), grid)]
    a, b = draw_noise(generator, 2, seed + 1)
    for method in INTERPOLATIONS:
        arrays[f"{method}_z"] = interpolate(a, b, steps, method)
        arrays[f"{method}_outputs"] = generate(generator, arrays[f"{method}_z"])
        if is_image:
            written.append(write_picture(os.path.join(output_dir, f"interpolation_{method}.png"),
                                         image_strip(arrays[f"{method}_outputs"])))
    path = os.path.join(output_dir, "samples.npz")
    np.savez(path, **arrays)
    return [p for p in written if p] + [path]


def is_translation(generator):
    """Whether the export translates images (its serving_default takes `images`, not `z`)."""
    return "images" in generator.signatures["serving_default"].structured_input_signature[1]


def translate(generator):
    """Translates --input_dir into --output_dir; returns the JSON summary."""
    output_dir = FLAGS.output_dir or os.path.join(os.path.dirname(os.path.abspath(FLAGS.generator)), "translated")
    try:
        written = tfgan.export.translate_folder(generator, FLAGS.input_dir, output_dir, SIGNATURES[FLAGS.direction])
    except ValueError as error:
        raise console.UsageError(f"--input_dir={FLAGS.input_dir} (--direction={FLAGS.direction}): {error}") from None
    return {"translated": len(written), "direction": FLAGS.direction, "output_dir": output_dir}


def is_conditional(generator):
    inputs = generator.signatures["serving_default"].structured_input_signature[1]
    return "labels" in inputs or "categorical" in inputs


def is_infogan(generator):
    return "categorical" in generator.signatures["serving_default"].structured_input_signature[1]


def class_grid(generator, per_class=8, seed=0, min_pixels=32):
    """Samples of every class from a loaded conditional SavedModel, through its `sample` signature.

    Returns `(picture, outputs, labels)`: `picture` a uint8 `[H, W, C]` grid with one row per class
    for image generators, or a matplotlib scatter coloured by class for 2-D ones; `outputs` the raw
    samples (uint8 images or float points) and `labels` their classes, class by class.
    """
    import tensorflow as tf

    if is_infogan(generator):
        codes = generator.categorical_codes.numpy()
        labels = np.repeat(np.arange(codes[0], dtype=np.int32), per_class)
        categorical = np.zeros((len(labels), len(codes)), np.int32)
        categorical[:, 0] = labels
        outputs = generator.signatures["sample"](n=tf.constant(len(labels)), seed=tf.constant(seed),
                                                 categorical=tf.constant(categorical))
    else:
        num_classes = int(generator.num_classes.numpy())
        labels = np.repeat(np.arange(num_classes, dtype=np.int32), per_class)
        outputs = generator.signatures["sample"](n=tf.constant(len(labels)), seed=tf.constant(seed),
                                                 labels=tf.constant(labels))
    if "images" in outputs:
        images = outputs["images"].numpy()
        return tfgan.callbacks.image_grid(images, min_pixels, cols=per_class), images, labels
    samples = outputs["samples"].numpy()
    return tfgan.callbacks.plot_points_2d(samples, labels=labels), samples, labels


def score(outputs, labels, dataset):
    """How often the samples land on the class asked for (see the module docstring)."""
    if dataset == "digits":
        probabilities = tfgan.features.digits_classifier().predict(outputs)
        return {"class_accuracy": tfgan.metrics.conditional_class_accuracy(probabilities, labels)}
    info = tfgan.data.info(dataset)
    return {"mode_accuracy": tfgan.metrics.conditional_mode_accuracy(outputs, labels, info.modes, info.mode_std)}


def write_class_grid(generator):
    """One row per class to --output, scored against --dataset when given; returns the JSON summary."""
    import tensorflow as tf

    output = FLAGS.output or os.path.join(os.path.dirname(os.path.abspath(FLAGS.generator)), "class_grid.png")
    picture, outputs, labels = class_grid(generator, FLAGS.per_class, FLAGS.seed)
    if isinstance(picture, np.ndarray):
        tf.io.write_file(output, tf.io.encode_png(picture))
    else:
        picture.savefig(output, dpi=80)
    summary = {"output": output, "num_classes": int(labels.max()) + 1, "per_class": FLAGS.per_class}
    if FLAGS.dataset and is_infogan(generator):
        if FLAGS.dataset != "digits":
            console.fail(f"--dataset={FLAGS.dataset}: an InfoGAN code's purity is measured on digits only.")
        purity = tfgan.metrics.code_purity(tfgan.features.digits_classifier().predict(outputs), labels, 10)
        summary.update({k: purity[k] for k in ("majority", "purity", "mean_purity", "distinct")})
    elif FLAGS.dataset:
        summary.update(score(outputs, labels, FLAGS.dataset))
    return summary


def check_flags():
    """Everything about the flags that needs no TensorFlow; `console.UsageError` naming the first bad one."""
    if not FLAGS.generator:
        raise console.UsageError("--generator is required: the SavedModel directory tools/train.py exports "
                         "(WORKDIR/generator).")
    for name, minimum in (("num_samples", 1), ("interpolation_steps", 2), ("per_class", 1)):
        if FLAGS[name].value < minimum:
            raise console.UsageError(f"--{name}={FLAGS[name].value}: must be at least {minimum}.")
    if not os.path.isfile(os.path.join(FLAGS.generator, "saved_model.pb")):
        what = "no such directory" if not os.path.exists(FLAGS.generator) else \
            "is not a SavedModel directory (no saved_model.pb in it)"
        raise console.UsageError(f"--generator={FLAGS.generator}: {what}; expected tools/train.py's WORKDIR/generator.")
    if FLAGS.input_dir is not None and not os.path.isdir(FLAGS.input_dir):
        raise console.UsageError(f"--input_dir={FLAGS.input_dir}: no such directory (expected a folder of images to "
                                 f"translate).")
    if FLAGS.output_dir and os.path.exists(FLAGS.output_dir) and not os.path.isdir(FLAGS.output_dir):
        raise console.UsageError(f"--output_dir={FLAGS.output_dir}: is a file, not a directory.")
    if FLAGS.output:
        parent = os.path.dirname(os.path.abspath(FLAGS.output))
        if not os.path.isdir(parent):
            raise console.UsageError(f"--output={FLAGS.output}: its directory {parent} does not exist.")
        if os.path.isdir(FLAGS.output):
            raise console.UsageError(f"--output={FLAGS.output}: is a directory; name the PNG file to write.")


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        check_flags()
    except console.UsageError as error:
        console.fail(error)
    console.quiet(verbose=FLAGS["verbosity"].present)
    try:
        generator = tfgan.export.load_generator(FLAGS.generator)
    except (ValueError, OSError) as error:
        console.fail(f"--generator={FLAGS.generator}: cannot be loaded ({error}).")
    if is_translation(generator):
        if not FLAGS.input_dir:
            console.fail(f"--generator={FLAGS.generator} translates images: give the folder to translate with "
                         f"--input_dir.")
        try:
            print(json.dumps(translate(generator)))
        except console.UsageError as error:
            console.fail(error)
        return
    if FLAGS.input_dir:
        console.fail(f"--input_dir={FLAGS.input_dir}: --generator={FLAGS.generator} generates from noise; only "
                     f"image-to-image exports (pix2pix, cyclegan) translate a folder.")
    if is_conditional(generator):
        print(json.dumps(write_class_grid(generator)))
        return
    if "z" not in generator.signatures["serving_default"].structured_input_signature[1]:
        console.fail(f"--generator={FLAGS.generator} has no `z` input in serving_default; expected a tfgan export.")
    output_dir = FLAGS.output_dir or os.path.join(os.path.dirname(os.path.abspath(FLAGS.generator)), "sampled")
    paths = sample(generator, output_dir, FLAGS.num_samples, FLAGS.interpolation_steps, FLAGS.seed)
    print(json.dumps({"written": paths}))


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS))
