r"""Training throughput of tfgan's step against a hand-written TensorFlow loop, on this machine.

    python tools/bench.py [--cases=dcgan_digits,wgan_gp_digits,sngan_digits,dcgan28_random] [--repeats=5]
        [--steps=N] [--steps_per_execution=10] [--json]

For each case the library's `GAN.fit` and the hand-written loop of `benchmarks/handwritten.py` train the
same nets with the same optimizers on the same input pipeline, interleaved (each epoch of one `fit` call is
followed by as many hand-written steps), `--repeats` times each after a warm-up; the median images/s of
each and their ratio (library / hand-written) are reported. The library runs twice: compiled with
`steps_per_execution=--steps_per_execution` (Keras runs that many steps per call, as the hand-written loop
cannot without writing its own inner loop) and with 1 (`ratio_steps_per_execution_1`: one Python round
trip through `fit`'s loop and callbacks per step). Also reported: the achieved GFLOP/s (FLOPs of one step
counted by the TensorFlow profiler) against this machine's measured float32 matmul peak, and the input
pipeline's own images/s.
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
    # The nets and optimizers of the recipe of the same name (flags/<name>.flags); dcgan28_random is a
    # 28x28 DCGAN on random images.
    "dcgan_digits": dict(data="digits", size=8, filters=32, latent_dim=64, loss="non_saturating"),
    "wgan_gp_digits": dict(data="digits", size=8, filters=32, latent_dim=64, loss="wasserstein", gp=10.0,
                           layer_norm=True, d_steps=5, lr=1e-4, beta_2=0.9),
    "sngan_digits": dict(data="digits", size=8, filters=32, latent_dim=64, loss="hinge", spectral_norm=True),
    "dcgan28_random": dict(data="random", size=28, filters=64, latent_dim=100, loss="non_saturating", steps=25),
}
DEFAULTS = dict(channels=1, gp=0.0, layer_norm=False, spectral_norm=False, d_steps=1, lr=2e-4, beta_2=0.999,
                steps=100)

flags.DEFINE_list("cases", list(CASES), f"Cases to run, from {sorted(CASES)}.")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_integer("steps", 0, "Training steps per timed repeat (0: each case's own, 100 or 25 for the "
                     "28x28 DCGAN, about 5 s each).")
flags.DEFINE_integer("repeats", 5, "Timed repeats of each of library and hand-written (median reported).")
flags.DEFINE_integer("warmup", 20, "Untimed hand-written steps first (the library warms up in an untimed "
                     "first epoch).")
flags.DEFINE_integer("steps_per_execution", 10, "Keras `compile(steps_per_execution=...)` of the library's main "
                     "measurement; it is measured at 1 too.")
flags.DEFINE_bool("json", False, "Print one JSON object instead of a table.")
FLAGS = flags.FLAGS


def dataset(name, size, channels, batch_size):
    if name == "random":
        images = np.random.default_rng(0).integers(0, 256, (2048, size, size, channels), dtype=np.uint8)
        ds = tf.data.Dataset.from_tensor_slices(images).cache().shuffle(2048).repeat()
        return ds.batch(batch_size, drop_remainder=True).map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0) \
            .prefetch(tf.data.AUTOTUNE)
    return tfgan.data.load(name, batch_size, image_size=size, channels=channels, seed=0)[0]


def networks(case):
    return (tfgan.nets.dcgan_generator(case["size"], case["channels"], case["latent_dim"], case["filters"]),
            tfgan.nets.dcgan_discriminator(case["size"], case["channels"], case["filters"],
                                           spectral_norm=case["spectral_norm"], layer_norm=case["layer_norm"]))


def optimizer(case):
    return keras.optimizers.Adam(case["lr"], beta_1=0.5, beta_2=case["beta_2"])


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
    case = {**DEFAULTS, **CASES[name]}
    steps = FLAGS.steps or case["steps"]
    # One step reads d_steps batches, one per D update; images/s counts them.
    batch = FLAGS.batch_size * case["d_steps"]
    ds = dataset(case["data"], case["size"], case["channels"], batch)

    keras.utils.set_random_seed(0)
    generator, discriminator = networks(case)
    step = handwritten.make_step(generator, discriminator, optimizer(case), optimizer(case), case["latent_dim"],
                                 case["loss"], case["gp"], case["d_steps"])
    iterator = iter(ds)

    def by_hand(steps):
        for _ in range(steps):
            d_loss, _ = step(next(iterator))
        d_loss.numpy()

    class Interleaved(keras.callbacks.Callback):
        """Times each epoch of `fit` and, after it, as many hand-written steps: one `fit` keeps one
        input iterator, as the hand-written loop does (a new one refills the shuffle buffer)."""

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            library = time.perf_counter() - self.start
            start = time.perf_counter()
            by_hand(steps)
            if epoch > 0:  # the first epoch is the warm-up (tracing)
                times["library"].append(library)
                times["handwritten"].append(time.perf_counter() - start)

    by_hand(FLAGS.warmup)
    result = {}
    for steps_per_execution, suffix in ((FLAGS.steps_per_execution, ""), (1, "_steps_per_execution_1")):
        times = {"library": [], "handwritten": []}
        keras.utils.set_random_seed(0)
        gan = tfgan.GAN(*networks(case), case["latent_dim"], loss=case["loss"], d_steps=case["d_steps"],
                        penalty=tfgan.GradientPenalty(case["gp"]) if case["gp"] else None)
        gan.compile(d_optimizer=optimizer(case), g_optimizer=optimizer(case), steps_per_execution=steps_per_execution)
        gan.fit(ds, steps_per_epoch=steps, epochs=FLAGS.repeats + 1, verbose=0, callbacks=[Interleaved()])
        rate = {k: steps * batch / statistics.median(v) for k, v in times.items()}
        result.update({
            f"library_images_per_s{suffix}": rate["library"],
            f"handwritten_images_per_s{suffix}": rate["handwritten"],
            f"ratio{suffix}": rate["library"] / rate["handwritten"],
            f"library_images_per_s_all{suffix}": [steps * batch / t for t in times["library"]],
            f"handwritten_images_per_s_all{suffix}": [steps * batch / t for t in times["handwritten"]],
        })
    flops = step_flops(step, next(iterator))
    result.update({
        "gflops_per_step": flops / 1e9,
        "library_gflops_per_s": flops * result["library_images_per_s"] / batch / 1e9,
        "pipeline_images_per_s": pipeline_rate(ds, batch),
    })
    result["steps"] = steps
    return result


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
              "batch_size": FLAGS.batch_size, "repeats": FLAGS.repeats,
              "steps_per_execution": FLAGS.steps_per_execution, "cases": {}}
    for case in FLAGS.cases:
        result["cases"][case] = run_case(case)
        result["cases"][case]["peak_fraction"] = (result["cases"][case]["library_gflops_per_s"]
                                                  / result["machine"]["matmul_peak_gflops"])
    if FLAGS.json:
        print(json.dumps(result))
        return
    print(f"matmul peak: {result['machine']['matmul_peak_gflops']:.1f} GFLOP/s on {os.cpu_count()} CPUs")
    print(f"{'case':<16}{'library img/s':>14}{'hand img/s':>12}{'ratio':>7}{'ratio spe=1':>12}{'GFLOP/s':>9}"
          f"{'of peak':>8}{'input img/s':>13}")
    for case, r in result["cases"].items():
        print(f"{case:<16}{r['library_images_per_s']:>14.0f}{r['handwritten_images_per_s']:>12.0f}{r['ratio']:>7.2f}"
              f"{r['ratio_steps_per_execution_1']:>12.2f}{r['library_gflops_per_s']:>9.2f}{r['peak_fraction']:>8.1%}"
              f"{r['pipeline_images_per_s']:>13.0f}")


if __name__ == "__main__":
    app.run(main)
