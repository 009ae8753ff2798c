r"""Training throughput of the tool's default path against a hand-written TensorFlow loop, on this machine.

    python benchmarks/bench.py [--cases=dcgan_digits,wgan_gp_digits,sngan_digits,dcgan28_digits] [--repeats=5]
        [--steps=N] [--steps_per_execution=0] [--json]

Each case is a recipe (`flags/<recipe>.flags`, with a few overrides for the 28x28 case) and three ways of
training it, side by side in one run:
- `default`: what `tools/train.py` runs, the model, dataset and compile settings of
  `tfgan.recipes.build(recipe)`: the step compiled with XLA (`jit_compile=True`) and the recipe's
  `steps_per_execution` (by default the largest that keeps its logging, sampling and checkpoint cadence:
  10 for the digits recipes), timed as the epochs of one `GAN.fit` call;
- `handwritten`: the loop of `benchmarks/handwritten.py` (one `tf.function`, two `GradientTape`s) on the
  same nets, optimizers and input pipeline, without XLA;
- `handwritten_xla`: the same loop under `tf.function(jit_compile=True)`.
They are interleaved: each epoch of the `fit` call is followed by as many steps of each hand-written loop
(the two in alternating order), `--repeats` times after an untimed warm-up. Reported: the median images/s
of each, the ratios default / handwritten and default / handwritten_xla, the GFLOP/s of the default path
(FLOPs of one step counted by the TensorFlow profiler) against this machine's measured float32 matmul peak,
and the input pipeline's own images/s.
"""

import json
import os
import statistics
import sys
import time

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tfgan import console, recipes  # noqa: E402  (pure Python: TensorFlow is imported after the flags are checked)

# Case: (recipe, overrides, default steps per timed repeat, about 5 s each on this machine).
CASES = {
    "dcgan_digits": ("dcgan_digits", {}, 100),
    "wgan_gp_digits": ("wgan_gp_digits", {}, 100),
    "sngan_digits": ("sngan_digits", {}, 100),
    # The DCGAN of Radford et al. at 28x28 (64 base filters, a 100-D latent) on the digits resized to 28x28.
    "dcgan28_digits": ("dcgan_digits", dict(image_size=28, base_filters=64, latent_dim=100), 30),
}

flags.DEFINE_list("cases", list(CASES), f"Cases to run, from {', '.join(CASES)}.")
flags.DEFINE_integer("batch_size", 0, "Batch size per D update (0: each recipe's own, 64).")
flags.DEFINE_integer("steps", 0, "Training steps per timed repeat, rounded up to a multiple of the default path's "
                                 "steps_per_execution (0: each case's own).")
flags.DEFINE_integer("repeats", 5, "Timed repeats of each way of training (the median is reported).")
flags.DEFINE_integer("warmup", 20, "Untimed steps of each hand-written loop first (the default path warms up in an "
                                   "untimed first epoch).")
flags.DEFINE_integer("steps_per_execution", 0, "The default path's steps_per_execution (0: the recipe's, as "
                                               "tools/train.py chooses it).")
flags.DEFINE_bool("json", False, "Print one JSON object instead of a table.")
FLAGS = flags.FLAGS

WAYS = ("default", "handwritten", "handwritten_xla")


def case_recipes():
    """`{case: recipe}` for the flags; `console.UsageError` on bad flags (pure Python, before TensorFlow)."""
    unknown = [c for c in FLAGS.cases if c not in CASES]
    if unknown or not FLAGS.cases:
        what = f"unknown {', '.join(unknown)}" if unknown else "no case given"
        raise console.UsageError(f"--cases={','.join(FLAGS.cases)}: {what}; expected some of {', '.join(CASES)}.")
    for name, minimum in (("batch_size", 0), ("steps", 0), ("repeats", 1), ("warmup", 0),
                          ("steps_per_execution", 0)):
        if FLAGS[name].value < minimum:
            raise console.UsageError(f"--{name}={FLAGS[name].value}: must be an integer >= {minimum}.")
    made = {}
    for case in FLAGS.cases:
        recipe, overrides, _ = CASES[case]
        overrides = dict(overrides, steps_per_execution=FLAGS.steps_per_execution)
        if FLAGS.batch_size:
            overrides["batch_size"] = FLAGS.batch_size
        try:
            made[case] = recipes.load(recipe, **overrides)
        except recipes.RecipeError as error:
            raise console.UsageError(error.flag) from None
    return made


def matmul_peak_gflops(n=2048, repeats=10):
    """float32 GFLOP/s of an n x n matmul, the best of `repeats`."""
    import tensorflow as tf

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
    """FLOPs of one hand-written step (the same computation as the default path's), counted on its
    graph by the TensorFlow profiler."""
    import tensorflow as tf

    graph = step.get_concrete_function(tf.TensorSpec(batch.shape, tf.float32)).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def pipeline_rate(dataset, images_per_batch, batches=300):
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * images_per_batch / (time.perf_counter() - start)


def hand_written_loop(recipe, jit_compile):
    """`(run(steps), step, iterator)`: the hand-written loop on the nets, optimizers and dataset the
    recipe builds (a model of its own, from the same seed as the default path's)."""
    from benchmarks import handwritten

    if recipe.penalty not in ("none", "gp"):
        raise ValueError(f"The hand-written loop has no --penalty={recipe.penalty}.")
    model, dataset, _ = recipes.build(recipe)
    step = handwritten.make_step(model.generator, model.discriminator, model.d_optimizer, model.g_optimizer,
                                 recipe.latent_dim, recipe.loss,
                                 recipe.penalty_weight if recipe.penalty == "gp" else 0.0, recipe.d_steps,
                                 jit_compile=jit_compile)
    iterator = iter(dataset)

    def run(steps):
        d_loss = None
        for _ in range(steps):
            d_loss, _ = step(next(iterator))
        if d_loss is not None:
            d_loss.numpy()  # waits for the last step

    return run, step, iterator


def run_case(case, recipe):
    import keras

    model, dataset, callbacks = recipes.build(recipe)  # what tools/train.py trains, compiled as it compiles it
    spe = model.steps_per_execution
    steps = FLAGS.steps or CASES[case][2]
    steps = -(-steps // spe) * spe  # Keras runs whole executions: an epoch is a multiple of them
    # One step reads d_steps batches, one per D update; images/s counts them.
    images = recipe.batch_size * recipe.d_steps
    loops = {"handwritten": hand_written_loop(recipe, False), "handwritten_xla": hand_written_loop(recipe, True)}
    for run, _, _ in loops.values():
        run(FLAGS.warmup)
    times = {way: [] for way in WAYS}

    class Interleaved(keras.callbacks.Callback):
        """Times each epoch of `fit` and, after it, as many steps of each hand-written loop: one `fit`
        keeps one input iterator, as the hand-written loops do (a new one refills the shuffle buffer)."""

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            took = {"default": time.perf_counter() - self.start}
            for way in sorted(loops, reverse=epoch % 2 == 1):
                start = time.perf_counter()
                loops[way][0](steps)
                took[way] = time.perf_counter() - start
            if epoch > 0:  # the first epoch is the warm-up (tracing, XLA compilation)
                for way, seconds in took.items():
                    times[way].append(seconds)

    model.fit(dataset, steps_per_epoch=steps, epochs=FLAGS.repeats + 1, verbose=0, shuffle=False,
              callbacks=list(callbacks) + [Interleaved()])
    rate = {way: steps * images / statistics.median(times[way]) for way in WAYS}
    _, step, iterator = loops["handwritten"]
    flops = step_flops(step, next(iterator))
    result = {"recipe": CASES[case][0], "overrides": CASES[case][1], "batch_size": recipe.batch_size,
              "d_steps": recipe.d_steps, "jit_compile": model.jit_compile, "steps_per_execution": spe,
              "steps": steps}
    for way in WAYS:
        result[f"{way}_images_per_s"] = rate[way]
        result[f"{way}_images_per_s_all"] = [steps * images / t for t in times[way]]
    result.update({
        "ratio_handwritten": rate["default"] / rate["handwritten"],
        "ratio_handwritten_xla": rate["default"] / rate["handwritten_xla"],
        "gflops_per_step": flops / 1e9,
        "default_gflops_per_s": flops * rate["default"] / images / 1e9,
        "pipeline_images_per_s": pipeline_rate(dataset, images),
    })
    return result


def print_table(result):
    print(f"matmul peak: {result['machine']['matmul_peak_gflops']:.1f} GFLOP/s on {result['machine']['cpus']} CPUs")
    print(f"{'case':<16}{'spe':>4}{'default img/s':>14}{'hand img/s':>12}{'hand XLA':>10}{'/hand':>7}"
          f"{'/hand XLA':>10}{'GFLOP/s':>9}{'of peak':>8}{'input img/s':>13}")
    for case, r in result["cases"].items():
        print(f"{case:<16}{r['steps_per_execution']:>4}{r['default_images_per_s']:>14.0f}"
              f"{r['handwritten_images_per_s']:>12.0f}{r['handwritten_xla_images_per_s']:>10.0f}"
              f"{r['ratio_handwritten']:>7.2f}{r['ratio_handwritten_xla']:>10.2f}{r['default_gflops_per_s']:>9.2f}"
              f"{r['peak_fraction']:>8.1%}{r['pipeline_images_per_s']:>13.0f}")


def main(argv):
    if len(argv) > 1:
        console.fail(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        made = case_recipes()
    except console.UsageError as error:
        console.fail(error)
    console.quiet(verbose=FLAGS["verbosity"].present)
    import keras
    import tensorflow as tf

    result = {"machine": {"cpus": os.cpu_count(), "tensorflow": tf.__version__, "keras": keras.__version__,
                          "matmul_peak_gflops": matmul_peak_gflops()},
              "repeats": FLAGS.repeats, "cases": {}}
    for case, recipe in made.items():
        result["cases"][case] = run_case(case, recipe)
        result["cases"][case]["peak_fraction"] = (result["cases"][case]["default_gflops_per_s"]
                                                  / result["machine"]["matmul_peak_gflops"])
    if FLAGS.json:
        print(json.dumps(result))
    else:
        print_table(result)


if __name__ == "__main__":
    app.run(main, flags_parser=console.flags_parser(FLAGS))
