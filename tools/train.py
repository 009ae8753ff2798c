r"""Trains a GAN recipe and leaves checkpoints, samples, logs, metrics and the exported generator.

    python tools/train.py --flagfile=flags/dcgan_digits.flags --workdir=runs/dcgan_digits

WORKDIR gets `checkpoints/`, `samples/*.png`, `logs/` (TensorBoard), `metrics.jsonl` and
`generator/` (SavedModel). Running the command again on the same WORKDIR resumes from the last
checkpoint; a larger `--train_steps` trains on.
"""

import json
import math
import os
import sys

from absl import app, flags, logging

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfgan  # noqa: E402
from tfgan import callbacks as callbacks_lib  # noqa: E402
from tfgan import evaluation  # noqa: E402

FLAGS = flags.FLAGS

# Where and what.
flags.DEFINE_string("workdir", None, "Directory for checkpoints, samples, logs, metrics and the export.")
flags.DEFINE_string("dataset", "digits", "toy1d, ring, grid, digits, tfds:NAME[:SPLIT] or folder:PATH.")
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory (for tfds: data sets).")
flags.DEFINE_integer("image_size", 0, "Resize images to this size (0: the data's own size).")
flags.DEFINE_integer("channels", 0, "Image channels (0: the data's own).")
flags.DEFINE_float("toy_mean", 5.0, "Mean of the toy1d data N(mean, std).")
flags.DEFINE_float("toy_std", 1.0, "Std of the toy1d data.")
# Model.
flags.DEFINE_enum("loss", "non_saturating", sorted(tfgan.losses.LOSSES), "Adversarial loss.")
flags.DEFINE_enum("architecture", "auto", ["auto", "mlp", "dcgan", "toy_shift"],
                  "Networks: auto picks mlp for vectors and dcgan for images; mlp also takes images.")
flags.DEFINE_integer("latent_dim", 64, "Size of the noise vector z.")
flags.DEFINE_enum("noise", "normal", list(tfgan.models.NOISE_DISTRIBUTIONS), "Distribution of z.")
flags.DEFINE_list("g_hidden", ["128", "128"], "Hidden units of the MLP generator.")
flags.DEFINE_list("d_hidden", ["128", "128"], "Hidden units of the MLP discriminator.")
flags.DEFINE_integer("base_filters", 64, "Filters of the DCGAN nets' widest (D first / G last) layer.")
flags.DEFINE_float("initial_theta", 3.0, "Starting shift of the toy_shift generator.")
# Optimisation.
flags.DEFINE_integer("train_steps", 2000, "Training steps in all (one step = d_steps D updates + g_steps G).")
flags.DEFINE_integer("batch_size", 64, "Examples per D update (each step reads batch_size * d_steps).")
flags.DEFINE_integer("d_steps", 1, "Discriminator updates per step.")
flags.DEFINE_integer("g_steps", 1, "Generator updates per step.")
flags.DEFINE_enum("d_optimizer", "adam", ["adam", "rmsprop", "sgd"], "Discriminator optimizer.")
flags.DEFINE_enum("g_optimizer", "adam", ["adam", "rmsprop", "sgd"], "Generator optimizer.")
flags.DEFINE_float("d_lr", 2e-4, "Discriminator learning rate.")
flags.DEFINE_float("g_lr", 2e-4, "Generator learning rate.")
flags.DEFINE_float("d_beta1", 0.5, "Adam beta_1 (SGD momentum) of D.")
flags.DEFINE_float("g_beta1", 0.5, "Adam beta_1 (SGD momentum) of G.")
flags.DEFINE_float("d_beta2", 0.999, "Adam beta_2 of D.")
flags.DEFINE_float("g_beta2", 0.999, "Adam beta_2 of G.")
flags.DEFINE_enum("lr_schedule", "constant", ["constant", "cosine", "linear"],
                  "Learning-rate schedule of both networks over --train_steps (decaying to 0).")
flags.DEFINE_integer("seed", 0, "Seed of weights, noise and data order.")
# Output.
flags.DEFINE_integer("sample_every", 500, "Steps between sample grids.")
flags.DEFINE_integer("checkpoint_every", 500, "Steps between checkpoints.")
flags.DEFINE_integer("keep_checkpoints", 3, "Checkpoints kept.")
flags.DEFINE_integer("log_every", 10, "Steps between lines of metrics.jsonl.")
flags.DEFINE_integer("steps_per_epoch", 200, "Steps between Keras progress lines.")
flags.DEFINE_integer("verbose", 2, "Keras fit verbosity (0 silent, 1 progress bar, 2 one line an epoch).")
# --- evaluation and diagnosis ---
flags.DEFINE_integer("eval_every", 0, "Steps between sample-quality evaluations written to metrics.jsonl (0: none).")
flags.DEFINE_list("eval_metrics", None, "Metrics of each evaluation (default: the data's offline metrics; see "
                                        "tools/evaluate.py).")
flags.DEFINE_integer("eval_samples", 1000, "Generated samples per evaluation.")
flags.DEFINE_string("best_metric", None, "Keep the best generator by this evaluation metric in checkpoints/best/ "
                                         "and its export in generator_best/ (needs --eval_every).")
flags.DEFINE_string("inception_weights", None, "InceptionV3 weights file, for --eval_metrics=fid.")
flags.DEFINE_boolean("monitor", True, "Name training failures (D wins, NaN, collapse ...) in the log and "
                                      "metrics.jsonl.")

POSITIVE = ("latent_dim", "base_filters", "train_steps", "batch_size", "d_steps", "g_steps", "sample_every",
            "checkpoint_every", "keep_checkpoints", "log_every", "steps_per_epoch")


class UsageError(ValueError):
    """Bad input found before training: reported as one line, exit code 1."""


def check_flags():
    for name in POSITIVE:
        if getattr(FLAGS, name) < 1:
            raise UsageError(f"--{name}={getattr(FLAGS, name)}: must be a positive integer.")
    for name in ("image_size", "channels"):
        if getattr(FLAGS, name) < 0:
            raise UsageError(f"--{name}={getattr(FLAGS, name)}: must be 0 (the data's own) or positive.")
    for name in ("d_lr", "g_lr"):
        if getattr(FLAGS, name) < 0:
            raise UsageError(f"--{name}={getattr(FLAGS, name)}: a learning rate must be >= 0.")
    for name in ("g_hidden", "d_hidden"):
        try:
            units = [int(u) for u in getattr(FLAGS, name)]
        except ValueError:
            units = [0]
        if not units or min(units) < 1:
            raise UsageError(f"--{name}={','.join(getattr(FLAGS, name))}: expected positive integers, e.g. 128,128.")


def data_info():
    try:
        return tfgan.data.info(FLAGS.dataset, FLAGS.image_size or None, FLAGS.channels or None,
                               FLAGS.toy_mean, FLAGS.toy_std, FLAGS.data_dir)
    except ValueError as error:
        raise UsageError(f"--dataset={FLAGS.dataset}: {error}") from None


def build_networks(info):
    """The generator and discriminator for the data, from the flags."""
    architecture = FLAGS.architecture
    if architecture == "auto":
        architecture = "dcgan" if info.kind == "image" else "mlp"
    if architecture == "dcgan" and info.kind != "image":
        raise UsageError(f"--architecture=dcgan needs images, but --dataset={FLAGS.dataset} has vectors of "
                         f"shape {info.shape}; use mlp.")
    if architecture == "toy_shift":
        if info.shape != (1,) or FLAGS.latent_dim != 1:
            raise UsageError(f"--architecture=toy_shift makes 1-D samples from 1-D noise: it needs "
                             f"--dataset=toy1d and --latent_dim=1 (got {FLAGS.dataset}, {FLAGS.latent_dim}).")
        generator = tfgan.nets.toy_shift_generator(FLAGS.initial_theta)
        discriminator = tfgan.nets.mlp_discriminator(1, [int(u) for u in FLAGS.d_hidden])
    elif architecture == "mlp":
        generator = tfgan.nets.mlp_generator(info.shape, FLAGS.latent_dim, [int(u) for u in FLAGS.g_hidden])
        discriminator = tfgan.nets.mlp_discriminator(info.shape, [int(u) for u in FLAGS.d_hidden])
    else:
        size, _, channels = info.shape
        try:
            generator = tfgan.nets.dcgan_generator(size, channels, FLAGS.latent_dim, FLAGS.base_filters)
            discriminator = tfgan.nets.dcgan_discriminator(size, channels, FLAGS.base_filters)
        except ValueError as error:
            raise UsageError(f"--dataset={FLAGS.dataset} gives {size}x{size} images: {error} "
                             f"Set --image_size to one of them.") from None
    return generator, discriminator


def make_optimizer(kind, lr, beta1, beta2, updates_per_step):
    """An optimizer whose learning rate follows --lr_schedule over the run's updates."""
    total = FLAGS.train_steps * updates_per_step
    if FLAGS.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, total)
    elif FLAGS.lr_schedule == "linear":
        lr = keras.optimizers.schedules.PolynomialDecay(lr, total, end_learning_rate=0.0)
    if kind == "adam":
        return keras.optimizers.Adam(lr, beta_1=beta1, beta_2=beta2)
    if kind == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.SGD(lr, momentum=beta1)


def build_model(info):
    check_evaluation_flags(info)
    generator, discriminator = build_networks(info)
    model = tfgan.GAN(generator, discriminator, FLAGS.latent_dim, loss=FLAGS.loss, d_steps=FLAGS.d_steps,
                      g_steps=FLAGS.g_steps, noise=FLAGS.noise, seed=FLAGS.seed)
    model.compile(
        d_optimizer=make_optimizer(FLAGS.d_optimizer, FLAGS.d_lr, FLAGS.d_beta1, FLAGS.d_beta2, FLAGS.d_steps),
        g_optimizer=make_optimizer(FLAGS.g_optimizer, FLAGS.g_lr, FLAGS.g_beta1, FLAGS.g_beta2, FLAGS.g_steps))
    return model


def real_samples_for_plots(info):
    """Real points drawn under 1-D / 2-D sample plots."""
    if info.kind != "vector":
        return None
    if FLAGS.dataset == "toy1d":
        return np.random.default_rng(1).normal(info.mean, info.std, (2000, 1)).astype(np.float32)
    return tfgan.data.mixture_samples(FLAGS.dataset, 2000, seed=1)[0]


def check_workdir(path):
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, ".write_test")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError as error:
        raise UsageError(f"--workdir={path}: cannot write there ({error.strerror}).") from None


def setup():
    """Everything that can fail on bad input, before any data is read or any step runs."""
    check_flags()
    info = data_info()
    check_workdir(FLAGS.workdir)
    keras.utils.set_random_seed(FLAGS.seed)
    model = build_model(info)
    workdir = FLAGS.workdir
    checkpoint = callbacks_lib.TrainingCheckpoint(os.path.join(workdir, "checkpoints"), FLAGS.checkpoint_every,
                                                  FLAGS.keep_checkpoints)
    checkpoint.set_model(model)
    try:
        restored = checkpoint.restore()
    except (AssertionError, ValueError, tf.errors.OpError) as error:
        raise UsageError(f"--workdir={workdir} holds a checkpoint of a different model; it is kept as it is. "
                         f"Use another --workdir or the flags that made it. ({type(error).__name__})") from None
    return info, model, checkpoint, restored


def check_evaluation_flags(info):
    """Fails on bad evaluation flags before anything is built (a missing Inception file included)."""
    if FLAGS.eval_every < 0 or FLAGS.eval_samples < 2:
        raise UsageError(f"--eval_every={FLAGS.eval_every} --eval_samples={FLAGS.eval_samples}: expected "
                         f"--eval_every >= 0 and --eval_samples >= 2.")
    try:
        shape = info.shape if FLAGS.eval_every else None
        metrics = evaluation.resolve_metrics(FLAGS.dataset, FLAGS.eval_metrics, shape)
    except ValueError as error:
        raise UsageError(f"--eval_metrics={','.join(FLAGS.eval_metrics or [])}: {error}") from None
    outputs = evaluation.metric_outputs(metrics)
    if FLAGS.best_metric is not None and (FLAGS.best_metric not in outputs or not FLAGS.eval_every):
        raise UsageError(f"--best_metric={FLAGS.best_metric}: needs --eval_every > 0 and one of {','.join(outputs)}.")
    if FLAGS.eval_every and "fid" in metrics:
        try:
            tfgan.features.check_inception_weights(FLAGS.inception_weights)
        except FileNotFoundError as error:
            weights = FLAGS.inception_weights or tfgan.features.default_inception_weights()
            raise UsageError(f"--inception_weights={weights}: {error}") from None


def evaluation_callbacks(info):
    """Evaluation every --eval_every steps (keeping the best by --best_metric) and the TrainingMonitor."""
    workdir = FLAGS.workdir
    metrics_path = os.path.join(workdir, "metrics.jsonl")
    callbacks = []
    if FLAGS.eval_every:
        evaluator = evaluation.Evaluator(FLAGS.dataset, FLAGS.eval_metrics, toy_mean=FLAGS.toy_mean,
                                         toy_std=FLAGS.toy_std, inception_weights=FLAGS.inception_weights,
                                         data_dir=FLAGS.data_dir, image_size=FLAGS.image_size or None,
                                         channels=FLAGS.channels or None)
        callbacks.append(callbacks_lib.Evaluation(
            evaluator, FLAGS.eval_every, FLAGS.eval_samples, metrics_path=metrics_path,
            log_dir=os.path.join(workdir, "logs"), best_metric=FLAGS.best_metric,
            best_directory=os.path.join(workdir, "checkpoints", "best"),
            export_directory=os.path.join(workdir, "generator_best"), seed=FLAGS.seed))
    if FLAGS.monitor:
        real = real_samples_for_plots(info)
        if FLAGS.dataset == "digits" and info.shape == (8, 8, 1):
            real = tfgan.data.digits_arrays()[0][:512].astype(np.float32) / 127.5 - 1.0
        callbacks.append(callbacks_lib.TrainingMonitor(metrics_path=metrics_path, real_samples=real, modes=info.modes,
                                                       mode_std=info.mode_std or None, seed=FLAGS.seed))
    return callbacks


def train(info, model, checkpoint):
    workdir = FLAGS.workdir
    step = int(model.step_counter.numpy())
    remaining = FLAGS.train_steps - step
    if remaining <= 0:
        logging.info("Step %d already reaches --train_steps=%d; nothing to train.", step, FLAGS.train_steps)
        return
    dataset, _ = tfgan.data.load(FLAGS.dataset, FLAGS.batch_size, d_steps=FLAGS.d_steps, seed=FLAGS.seed + step,
                                 image_size=FLAGS.image_size or None, channels=FLAGS.channels or None,
                                 toy_mean=FLAGS.toy_mean, toy_std=FLAGS.toy_std, data_dir=FLAGS.data_dir)
    log_dir = os.path.join(workdir, "logs")
    callbacks = [
        callbacks_lib.MetricsLogger(os.path.join(workdir, "metrics.jsonl"), FLAGS.log_every, log_dir),
        callbacks_lib.SampleGrid(os.path.join(workdir, "samples"), FLAGS.sample_every,
                                 real_samples=real_samples_for_plots(info), seed=FLAGS.seed, log_dir=log_dir),
        checkpoint,
        callbacks_lib.StopAtStep(FLAGS.train_steps),
    ] + evaluation_callbacks(info)
    steps_per_epoch = min(FLAGS.steps_per_epoch, remaining)
    logging.info("Training %s on %s from step %d to %d.", FLAGS.loss, FLAGS.dataset, step, FLAGS.train_steps)
    model.fit(dataset, epochs=math.ceil(remaining / steps_per_epoch), steps_per_epoch=steps_per_epoch,
              callbacks=callbacks, verbose=FLAGS.verbose, shuffle=False)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    try:
        info, model, checkpoint, restored = setup()
    except UsageError as error:
        logging.debug("Usage error", exc_info=True)
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    if restored:
        logging.info("Resumed from %s (step %d).", restored, int(model.step_counter.numpy()))
    train(info, model, checkpoint)
    path = tfgan.export.export_generator(model, os.path.join(FLAGS.workdir, "generator"))
    summary = {"step": int(model.step_counter.numpy()), "generator": path,
               "samples": os.path.join(FLAGS.workdir, "samples")}
    print(json.dumps(summary))


if __name__ == "__main__":
    flags.mark_flag_as_required("workdir")
    app.run(main)
