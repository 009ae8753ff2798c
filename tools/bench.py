r"""Training throughput of tfgan's step against a hand-written TensorFlow loop, on this machine.

    python tools/bench.py [--cases=dcgan_digits,dcgan28_random] [--repeats=5] [--steps=100] [--json]

For each case the library's `GAN.fit` and the hand-written loop of `benchmarks/handwritten.py` train the
same nets with the same optimizers on the same input pipeline, interleaved, `--repeats` times each after
a warm-up; the median images/s of each and their ratio (library / hand-written) are reported, with the
achieved GFLOP/s (FLOPs of one step counted by the TensorFlow profiler) against this machine's measured
float32 matmul peak, and the input pipeline's own images/s.
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402

import tfgan  # noqa: E402
from benchmarks import handwritten  # noqa: E402

CASES = {
    # name: (dataset, image size, channels, base_filters, latent_dim, loss, gradient-penalty weight)
    "dcgan_digits": ("digits", 8, 1, 32, 64, "non_saturating", 0.0),
    "dcgan28_random": ("random", 28, 1, 64, 100, "non_saturating", 0.0),
}

flags.DEFINE_list("cases", list(CASES), f"Cases to run, from {sorted(CASES)}.")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_integer("steps", 100, "Training steps per timed repeat.")
flags.DEFINE_integer("repeats", 5, "Timed repeats of each of library and hand-written (median reported).")
flags.DEFINE_integer("warmup", 20, "Untimed steps first.")
flags.DEFINE_bool("json", False, "Print one JSON object instead of a table.")
FLAGS = flags.FLAGS


def dataset(name, size, channels, batch_size):
    if name == "random":
        images = np.random.default_rng(0).integers(0, 256, (2048, size, size, channels), dtype=np.uint8)
        ds = tf.data.Dataset.from_tensor_slices(images).cache().shuffle(2048).repeat()
        return ds.batch(batch_size, drop_remainder=True).map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0) \
            .prefetch(tf.data.AUTOTUNE)
    return tfgan.data.load(name, batch_size, image_size=size, channels=channels, seed=0)[0]


def networks(size, channels, filters, latent_dim):
    return (tfgan.nets.dcgan_generator(size, channels, latent_dim, filters),
            tfgan.nets.dcgan_discriminator(size, channels, filters))


def optimizer():
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def penalty_for(weight):
    if not weight:
        return None
    return tfgan.GradientPenalty(weight)


def matmul_peak_gflops(n=2048, repeats=10):
    """float32 GFLOP/s of an n x n matmul, the best of `repeats`."""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    matmul()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        matmul().numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def step_flops(step, batch):
    """FLOPs of one hand-written step, counted on its graph by the TensorFlow profiler."""
    graph = step.get_concrete_function(tf.TensorSpec(batch.shape, tf.float32)).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def pipeline_rate(ds, batch_size, batches=300):
    iterator = iter(ds)
    next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def run_case(name):
    data_name, size, channels, filters, latent_dim, loss, gp = CASES[name]
    batch = FLAGS.batch_size
    ds = dataset(data_name, size, channels, batch)

    keras.utils.set_random_seed(0)
    gan = tfgan.GAN(*networks(size, channels, filters, latent_dim), latent_dim, loss=loss, penalty=penalty_for(gp))
    gan.compile(d_optimizer=optimizer(), g_optimizer=optimizer())
    keras.utils.set_random_seed(0)
    generator, discriminator = networks(size, channels, filters, latent_dim)
    step = handwritten.make_step(generator, discriminator, optimizer(), optimizer(), latent_dim, loss, gp)
    iterator = iter(ds)

    def library(steps):
        gan.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)

    def by_hand(steps):
        for _ in range(steps):
            d_loss, _ = step(next(iterator))
        d_loss.numpy()

    library(FLAGS.warmup)
    by_hand(FLAGS.warmup)
    times = {"library": [], "handwritten": []}
    for _ in range(FLAGS.repeats):
        for label, run in (("library", library), ("handwritten", by_hand)):
            start = time.perf_counter()
            run(FLAGS.steps)
            times[label].append(time.perf_counter() - start)
    rate = {k: FLAGS.steps * batch / statistics.median(v) for k, v in times.items()}
    flops = step_flops(step, next(iterator))
    return {
        "library_images_per_s": rate["library"],
        "handwritten_images_per_s": rate["handwritten"],
        "ratio": rate["library"] / rate["handwritten"],
        "library_images_per_s_all": [FLAGS.steps * batch / t for t in times["library"]],
        "handwritten_images_per_s_all": [FLAGS.steps * batch / t for t in times["handwritten"]],
        "gflops_per_step": flops / 1e9,
        "library_gflops_per_s": flops * rate["library"] / batch / 1e9,
        "pipeline_images_per_s": pipeline_rate(ds, batch),
    }


def main(argv):
    del argv
    unknown = [c for c in FLAGS.cases if c not in CASES]
    if unknown:
        print(f"error: --cases={','.join(FLAGS.cases)}: unknown {unknown}; expected some of {sorted(CASES)}.",
              file=sys.stderr)
        sys.exit(1)
    logging.set_verbosity(logging.WARNING)
    result = {"machine": {"cpus": os.cpu_count(), "tensorflow": tf.__version__, "keras": keras.__version__,
                          "matmul_peak_gflops": matmul_peak_gflops()},
              "batch_size": FLAGS.batch_size, "steps": FLAGS.steps, "repeats": FLAGS.repeats, "cases": {}}
    for case in FLAGS.cases:
        result["cases"][case] = run_case(case)
        result["cases"][case]["peak_fraction"] = (result["cases"][case]["library_gflops_per_s"]
                                                  / result["machine"]["matmul_peak_gflops"])
    if FLAGS.json:
        print(json.dumps(result))
        return
    print(f"matmul peak: {result['machine']['matmul_peak_gflops']:.1f} GFLOP/s on {os.cpu_count()} CPUs")
    print(f"{'case':<16}{'library img/s':>14}{'hand img/s':>12}{'ratio':>7}{'GFLOP/s':>9}{'of peak':>8}{'input img/s':>13}")
    for case, r in result["cases"].items():
        print(f"{case:<16}{r['library_images_per_s']:>14.0f}{r['handwritten_images_per_s']:>12.0f}{r['ratio']:>7.2f}"
              f"{r['library_gflops_per_s']:>9.2f}{r['peak_fraction']:>8.1%}{r['pipeline_images_per_s']:>13.0f}")


if __name__ == "__main__":
    app.run(main)
