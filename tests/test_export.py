import json
import os
import subprocess
import sys

import numpy as np

import tfgan

FRESH = r"""
import json, sys
import numpy as np
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
assert "tfgan" not in sys.modules
serve = m.signatures["serving_default"]
z = np.linspace(-1, 1, 3 * int(sys.argv[2]), dtype=np.float32).reshape(3, -1)
out = serve(z=tf.constant(z))
a = m.signatures["sample"](n=tf.constant(4), seed=tf.constant(7))
b = m.signatures["sample"](n=tf.constant(4), seed=tf.constant(7))
c = m.signatures["sample"](n=tf.constant(4), seed=tf.constant(8))
key = list(out)[0]
print(json.dumps({"key": key, "dtype": out[key].dtype.name, "shape": out[key].shape.as_list(),
                  "value": out[key].numpy().tolist(), "inputs": sorted(serve.structured_input_signature[1]),
                  "same_seed": bool((a[key].numpy() == b[key].numpy()).all()),
                  "other_seed": bool((a[key].numpy() != c[key].numpy()).any()), "sample_shape": a[key].shape.as_list()}))
"""


def run_fresh(path, latent_dim):
    out = subprocess.run([sys.executable, "-c", FRESH, path, str(latent_dim)], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_image_generator_export_loads_without_tfgan(tmp_path):
    gan = tfgan.GAN(tfgan.nets.dcgan_generator(8, 1, 6, 8), tfgan.nets.dcgan_discriminator(8, 1, 8), 6)
    path = tfgan.export.export_generator(gan, str(tmp_path / "generator"))
    got = run_fresh(path, 6)
    assert got["key"] == "images" and got["dtype"] == "uint8" and got["shape"] == [3, 8, 8, 1]
    assert got["inputs"] == ["z"] and got["same_seed"] and got["other_seed"] and got["sample_shape"] == [4, 8, 8, 1]
    z = np.linspace(-1, 1, 18, dtype=np.float32).reshape(3, -1)
    want = tfgan.data.to_uint8(gan.generator(z, training=False)).numpy()
    np.testing.assert_array_equal(np.array(got["value"]), want)


def test_vector_generator_export_gives_float_samples_and_replaces_atomically(tmp_path):
    gan = tfgan.GAN(tfgan.nets.mlp_generator(2, 3, (4,)), tfgan.nets.mlp_discriminator(2, (4,)), 3, noise="uniform")
    path = str(tmp_path / "generator")
    tfgan.export.export_generator(gan, path)
    gan.generator.get_layer("output").bias.assign([5.0, 5.0])
    tfgan.export.export_generator(gan, path)  # over the old one
    assert sorted(os.listdir(tmp_path)) == ["generator"]
    got = run_fresh(path, 3)
    assert got["key"] == "samples" and got["dtype"] == "float32" and got["shape"] == [3, 2]
    z = np.linspace(-1, 1, 9, dtype=np.float32).reshape(3, -1)
    np.testing.assert_allclose(np.array(got["value"]), gan.generator(z).numpy(), rtol=1e-5)
