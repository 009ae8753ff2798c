"""SavedModel export of a trained generator, loadable with plain `tf.saved_model.load`.

Signatures:
- `serving_default`: `z` float32 `[batch, latent_dim]` -> `images` uint8 `[batch, H, W, C]` for image
  generators, `samples` float32 `[batch, dim]` for vector generators.
- `sample`: `n`, `seed` int32 scalars -> the same output for `n` noise vectors drawn statelessly from
  `seed`, so the same seed gives the same samples in any process.
- Conditional generators (`ConditionalGeneratorModule`) also take `labels` int32 `[batch]` in both.
- InfoGAN generators (`InfoGeneratorModule`): `serving_default(z, categorical, continuous)` and
  `sample(n, seed, categorical)`, `categorical` int32 `[batch, number of categorical codes]`.
- Image-to-image translation models (`TranslationModule`: `tfgan.Pix2Pix`, `tfgan.CycleGAN`):
  `serving_default` takes `images` float32 `[batch, H, W, C]` in [-1, 1] (domain A) and returns `images`
  uint8 (domain B); a CycleGAN also has `b_to_a`, the same from B to A. No `sample`: there is no noise.
  `translate_folder` runs one of them on a folder of image files.
"""

import os
import shutil

import tensorflow as tf

from tfgan import data as data_lib


class GeneratorModule(tf.Module):
    """A `tf.Module` holding the generator and its two serving functions."""

    def __init__(self, generator, latent_dim, noise="normal"):
        super().__init__(name="generator_module")
        self.generator = generator
        self.latent_dim = latent_dim
        self.noise = noise
        self.is_image = len(generator.output.shape) == 4
        # Read by loaders that draw their own z (tools/sample.py's interpolations).
        self.uniform_noise = tf.Variable(noise == "uniform", trainable=False, name="uniform_noise")
        self.serve = tf.function(self._serve, input_signature=[
            tf.TensorSpec([None, latent_dim], tf.float32, name="z")])
        self.sample = tf.function(self._sample, input_signature=[
            tf.TensorSpec([], tf.int32, name="n"), tf.TensorSpec([], tf.int32, name="seed")])

    def _serve(self, z):
        with tf.control_dependencies([self._check_width(z)]):
            return self._outputs(self.generator(z, training=False))

    def _check_width(self, z):
        """A caller can pass a `z` the signature does not fit; it is then named, not a matmul's shapes."""
        return tf.debugging.assert_equal(tf.shape(z)[1], self.latent_dim,
                                         message=f"`z` must be [batch, {self.latent_dim}] (latent_dim={self.latent_dim})")

    def _sample(self, n, seed):
        return self._serve(self._noise(n, seed))

    def _outputs(self, outputs):
        """uint8 `images` for image generators, float32 `samples` for vector ones."""
        if self.is_image:
            return {"images": data_lib.to_uint8(outputs)}
        return {"samples": tf.cast(outputs, tf.float32)}

    def _noise(self, n, seed):
        """`n` noise vectors drawn statelessly from `seed`: the same seed, the same z anywhere."""
        shape = tf.stack([n, self.latent_dim])
        seeds = tf.stack([seed, 0])
        if self.noise == "uniform":
            return tf.random.stateless_uniform(shape, seeds, -1.0, 1.0)
        return tf.random.stateless_normal(shape, seeds)

    def signatures(self):
        return {"serving_default": self.serve, "sample": self.sample}


def export_generator(model, path, module=None):
    """Writes `model.generator` as a SavedModel at `path` (replacing what is there only once the new
    one is complete). `module` overrides the `GeneratorModule` (conditional models pass theirs).
    The weights saved are `model.sampling_weights()`'s: the moving average when a `GeneratorEMA` is on."""
    module = module or generator_module(model)
    path = os.path.abspath(path)
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with model.sampling_weights():
        tf.saved_model.save(module, tmp, signatures=module.signatures())
    old = path + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(path):
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def load_generator(path):
    """Loads an exported generator: a callable object with `.signatures["serving_default"]` and `.sample`."""
    if not os.path.isdir(path):
        raise ValueError(f"`generator={path}` is not a SavedModel directory (expected tools/train.py's "
                         f"WORKDIR/generator).")
    return tf.saved_model.load(path)


class ConditionalGeneratorModule(GeneratorModule):
    """The `GeneratorModule` of a class-conditional generator `G([z, labels])`.

    Signatures: `serving_default` takes `z` float32 `[batch, latent_dim]` and `labels` int32 `[batch]`;
    `sample` takes `n`, `seed` int32 scalars and `labels` int32 `[n]` (z drawn as in the
    unconditional `sample`). Labels outside `[0, num_classes)` fail with an error saying so. The
    module's `num_classes` variable tells a loader how many classes there are.
    """

    def __init__(self, generator, latent_dim, num_classes, noise="normal"):
        super().__init__(generator, latent_dim, noise)
        self.num_classes = tf.Variable(num_classes, dtype=tf.int32, trainable=False, name="num_classes")
        labels = tf.TensorSpec([None], tf.int32, name="labels")
        self.serve = tf.function(self._serve_conditional, input_signature=[
            tf.TensorSpec([None, latent_dim], tf.float32, name="z"), labels])
        self.sample = tf.function(self._sample_conditional, input_signature=[
            tf.TensorSpec([], tf.int32, name="n"), tf.TensorSpec([], tf.int32, name="seed"), labels])

    def _serve_conditional(self, z, labels):
        message = "`labels` must be class indices in [0, num_classes)"
        checks = [tf.debugging.assert_non_negative(labels, message=message),
                  tf.debugging.assert_less(labels, self.num_classes, message=message),
                  tf.debugging.assert_equal(tf.shape(labels)[0], tf.shape(z)[0],
                                            message="`labels` must hold one label per row of `z`"),
                  self._check_width(z)]
        with tf.control_dependencies(checks):
            return self._outputs(self.generator([z, labels], training=False))

    def _sample_conditional(self, n, seed, labels):
        return self._serve_conditional(self._noise(n, seed), labels)


class InfoGeneratorModule(GeneratorModule):
    """The `GeneratorModule` of an InfoGAN generator `G([z, categorical, continuous])`.

    Signatures: `serving_default` takes `z` float32 `[batch, latent_dim]`, `categorical` int32
    `[batch, J]` (code j in `[0, K_j)`) and `continuous` float32 `[batch, C]` (trained on U(-1, 1));
    `sample` takes `n`, `seed` int32 scalars and `categorical` int32 `[n, J]`, and draws z (as the
    unconditional `sample`) and the continuous codes ~ U(-1, 1) statelessly from `seed`. Codes out of
    range fail with an error saying so. The module's `categorical_codes` (the K_j, int32 `[J]`) and
    `continuous_codes` (C) variables tell a loader what to pass.
    """

    def __init__(self, generator, latent_dim, categorical_codes, continuous_codes, noise="normal"):
        super().__init__(generator, latent_dim, noise)
        self.categorical_codes = tf.Variable(tf.constant(list(categorical_codes), tf.int32, [len(categorical_codes)]),
                                             trainable=False, name="categorical_codes")
        self.continuous_codes = tf.Variable(continuous_codes, dtype=tf.int32, trainable=False, name="continuous_codes")
        self._continuous = continuous_codes
        categorical = tf.TensorSpec([None, len(categorical_codes)], tf.int32, name="categorical")
        self.serve = tf.function(self._serve_codes, input_signature=[
            tf.TensorSpec([None, latent_dim], tf.float32, name="z"), categorical,
            tf.TensorSpec([None, continuous_codes], tf.float32, name="continuous")])
        self.sample = tf.function(self._sample_codes, input_signature=[
            tf.TensorSpec([], tf.int32, name="n"), tf.TensorSpec([], tf.int32, name="seed"), categorical])

    def _serve_codes(self, z, categorical, continuous):
        message = "`categorical` codes must lie in [0, K_j) for each code j (see the module's categorical_codes)"
        rows = "`categorical` and `continuous` must hold one row of codes per row of `z`"
        checks = [tf.debugging.assert_non_negative(categorical, message=message),
                  tf.debugging.assert_less(categorical, self.categorical_codes[None, :], message=message),
                  tf.debugging.assert_equal(tf.shape(categorical)[0], tf.shape(z)[0], message=rows),
                  tf.debugging.assert_equal(tf.shape(continuous)[0], tf.shape(z)[0], message=rows),
                  self._check_width(z)]
        with tf.control_dependencies(checks):
            return self._outputs(self.generator([z, categorical, continuous], training=False))

    def _sample_codes(self, n, seed, categorical):
        continuous = tf.random.stateless_uniform(tf.stack([n, self._continuous]), tf.stack([seed, 1]), -1.0, 1.0)
        return self._serve_codes(self._noise(n, seed), categorical, continuous)


class TranslationModule(tf.Module):
    """The serving module of an image-to-image translation model: one signature per direction.

    `translators` maps a signature name to its generator (`model.translators()`: `serving_default`
    for A to B, `b_to_a` for CycleGAN's F). Each takes `images` float32 `[batch, H, W, C]` in [-1, 1]
    and returns `images` uint8 `[batch, H, W, C']`, the generator's output mapped from [-1, 1].
    """

    def __init__(self, translators):
        super().__init__(name="translation_module")
        self.generators = dict(translators)
        self.functions = {}
        for name, generator in self.generators.items():
            shape = tuple(generator.inputs[0].shape[1:])
            self.functions[name] = tf.function(_translation(generator), input_signature=[
                tf.TensorSpec((None,) + shape, tf.float32, name="images")])

    def signatures(self):
        return dict(self.functions)


def _translation(generator):
    def translate(images):
        return {"images": data_lib.to_uint8(generator(images, training=False))}

    return translate


def translate_folder(translator, input_dir, output_dir, signature="serving_default", batch_size=64):
    """Translates every image file in `input_dir` (not its sub-folders) with a loaded translation export
    (`load_generator`) and writes each result as a PNG of the same name into `output_dir`; returns the
    paths written. Images are center-cropped and resized to the export's input size and channels, and
    scaled to [-1, 1]; `signature` is `serving_default` (A to B) or `b_to_a` (CycleGAN)."""
    if signature not in translator.signatures:
        raise ValueError(f"The export has no `{signature}` signature; it has {', '.join(sorted(translator.signatures))}. "
                         f"Received: `signature={signature!r}`.")
    function = translator.signatures[signature]
    spec = function.structured_input_signature[1].get("images")
    if spec is None:
        raise ValueError("The export's signatures take no `images`: it is not an image-to-image translation model.")
    names = sorted(n for n in os.listdir(input_dir) if n.lower().endswith(data_lib.IMAGE_EXTENSIONS)
                   and os.path.isfile(os.path.join(input_dir, n)))
    if not names:
        raise ValueError(f"`input_dir={input_dir}` holds no {', '.join(data_lib.IMAGE_EXTENSIONS)} files.")
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for start in range(0, len(names), batch_size):
        batch = names[start:start + batch_size]
        images = data_lib.read_images([os.path.join(input_dir, n) for n in batch], tuple(spec.shape[1:]))
        outputs = function(images=tf.constant(images.astype("float32") / 127.5 - 1.0))["images"].numpy()
        for name, output in zip(batch, outputs):
            path = os.path.join(output_dir, os.path.splitext(name)[0] + ".png")
            tf.io.write_file(path, tf.io.encode_png(output))
            written.append(path)
    return written


def generator_module(model):
    """The serving module for `model`'s generator: conditional when the model has `num_classes`, InfoGAN's
    when it has `categorical_codes`, one signature per direction for a translation model (one with
    `translators`)."""
    if hasattr(model, "translators"):
        return TranslationModule(model.translators())
    if hasattr(model, "categorical_codes"):
        return InfoGeneratorModule(model.generator, model.latent_dim, model.categorical_codes,
                                   model.continuous_codes, model.noise)
    if getattr(model, "num_classes", 0):
        return ConditionalGeneratorModule(model.generator, model.latent_dim, model.num_classes, model.noise)
    return GeneratorModule(model.generator, model.latent_dim, model.noise)
