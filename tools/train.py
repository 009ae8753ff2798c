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

# --- tricks (docs/tricks.md) ---
flags.DEFINE_float("label_smoothing", 1.0, "Real target of one-sided label smoothing, e.g. 0.9 (1: off).")
flags.DEFINE_boolean("noisy_labels", False, "Noisy targets: real ~ U(0.7, 1.2), fake ~ U(0.0, 0.3).")
flags.DEFINE_float("label_flip", 0.0, "Probability of swapping an example's D target (0: off).")
flags.DEFINE_integer("label_decay_steps", 0, "Smoothing strength and flip probability decay linearly to 0 over "
                     "this many steps (0: constant).")
flags.DEFINE_float("instance_noise", 0.0, "Std of Gaussian noise on D's real and fake inputs (0: off).")
flags.DEFINE_enum("instance_noise_decay", "linear", ["linear", "exponential", "none"],
                  "Anneal of the instance noise: to 0 at --instance_noise_steps (linear), halved every "
                  "--instance_noise_steps (exponential), or constant.")
flags.DEFINE_integer("instance_noise_steps", 0, "See --instance_noise_decay (0: --train_steps).")
flags.DEFINE_integer("replay_size", 0, "Experience replay: fakes kept in the pool (0: off).")
flags.DEFINE_float("replay_prob", 0.5, "Experience replay: probability a fake is swapped for a pooled one.")
flags.DEFINE_integer("swap_every", 0, "Checkpoint swap: steps between swaps to an older G (0: off).")
flags.DEFINE_integer("swap_steps", 5, "Checkpoint swap: steps a swap lasts.")
flags.DEFINE_boolean("swap_discriminator", False, "Checkpoint swap: every other swap trains G against an older D.")
flags.DEFINE_float("ema_decay", 0.0, "Decay of the generator's weight average used for samples and export (0: off).")
flags.DEFINE_integer("ema_start", 0, "First step of the generator's weight average.")
flags.DEFINE_list("diffaugment", [], "DiffAugment policy: a list of color, translation, cutout (empty: off).")
flags.DEFINE_enum("minibatch", "none", ["none", "stddev", "discrimination"], "Minibatch features in D.")
flags.DEFINE_enum("d_downsampling", "stride", ["stride", "avgpool"], "DCGAN D downsampling.")
flags.DEFINE_enum("g_upsampling", "transpose", ["transpose", "pixel_shuffle"], "DCGAN G upsampling.")
flags.DEFINE_float("g_dropout", 0.0, "Dropout rate in G, kept on at sampling time (0: off).")
flags.DEFINE_string("d_steps_schedule", "", "D updates per G update over steps: N[:UNTIL_STEP],..., e.g. "
                    "100:500,5 (100 until step 500, then 5). Empty: off.")
flags.DEFINE_boolean("concat_real_fake", False, "Score real and fake in one D call on the stacked batch.")

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
        generator = tfgan.nets.mlp_generator(info.shape, FLAGS.latent_dim, [int(u) for u in FLAGS.g_hidden],
                                             **trick_net_options("generator", architecture))
        discriminator = tfgan.nets.mlp_discriminator(info.shape, [int(u) for u in FLAGS.d_hidden],
                                                     **trick_net_options("discriminator", architecture))
    else:
        size, _, channels = info.shape
        try:
            generator = tfgan.nets.dcgan_generator(size, channels, FLAGS.latent_dim, FLAGS.base_filters,
                                                   **trick_net_options("generator", architecture))
            discriminator = tfgan.nets.dcgan_discriminator(size, channels, FLAGS.base_filters,
                                                           **trick_net_options("discriminator", architecture))
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
    generator, discriminator = build_networks(info)
    model = tfgan.GAN(generator, discriminator, FLAGS.latent_dim, loss=FLAGS.loss, d_steps=FLAGS.d_steps,
                      g_steps=FLAGS.g_steps, noise=FLAGS.noise, seed=FLAGS.seed,
                      concat_real_fake=FLAGS.concat_real_fake)
    model.compile(
        d_optimizer=make_optimizer(FLAGS.d_optimizer, FLAGS.d_lr, FLAGS.d_beta1, FLAGS.d_beta2, FLAGS.d_steps),
        g_optimizer=make_optimizer(FLAGS.g_optimizer, FLAGS.g_lr, FLAGS.g_beta1, FLAGS.g_beta2, FLAGS.g_steps))
    install_tricks(model)
    return model


# --- tricks (docs/tricks.md) ---
# The trick callbacks of this run, made by install_tricks before the checkpoint is restored (their
# state is part of it) and put first in fit's callbacks, before those that read the weights.
TRICKS = []


def trick_net_options(role, architecture):
    """Keyword arguments of the network builders from the trick flags."""
    if architecture != "dcgan":
        for name, default in (("d_downsampling", "stride"), ("g_upsampling", "transpose")):
            if getattr(FLAGS, name) != default:
                raise UsageError(f"--{name}={getattr(FLAGS, name)}: needs --architecture=dcgan (got {architecture}).")
    if not 0.0 <= FLAGS.g_dropout < 1.0:
        raise UsageError(f"--g_dropout={FLAGS.g_dropout}: must be in [0, 1).")
    minibatch = None if FLAGS.minibatch == "none" else FLAGS.minibatch
    if role == "generator":
        options = {"dropout": FLAGS.g_dropout}
        return options if architecture != "dcgan" else {**options, "upsampling": FLAGS.g_upsampling}
    options = {"minibatch": minibatch}
    return options if architecture != "dcgan" else {**options, "downsampling": FLAGS.d_downsampling}


def parse_d_steps_schedule(text):
    """`N[:UNTIL],...` -> a function from the step to N (the last entry applies forever)."""
    entries = []
    try:
        for part in text.split(","):
            n, _, until = part.partition(":")
            entries.append((int(n), int(until) if until else None))
        if any(n < 1 for n, _ in entries) or any(u is None for _, u in entries[:-1]):
            raise ValueError
    except ValueError:
        raise UsageError(f"--d_steps_schedule={text}: expected N[:UNTIL_STEP],..., with positive N and an "
                         f"UNTIL_STEP on all but the last entry, e.g. 100:500,5.") from None
    return lambda step: next((n for n, until in entries if until is None or step < until), entries[-1][0])


def make_tricks():
    """The trick callbacks the flags ask for, each tagged with the flag that configures it."""
    made = []
    decay = ("linear", FLAGS.label_decay_steps) if FLAGS.label_decay_steps > 0 else (None, None)
    if FLAGS.noisy_labels and FLAGS.label_smoothing != 1.0:
        raise UsageError(f"--label_smoothing={FLAGS.label_smoothing} and --noisy_labels: choose one.")
    if FLAGS.noisy_labels:
        made.append(("noisy_labels", lambda: tfgan.callbacks.LabelSmoothing.noisy(
            decay=decay[0], decay_steps=decay[1], seed=FLAGS.seed)))
    if FLAGS.label_smoothing != 1.0:
        made.append(("label_smoothing", lambda: tfgan.callbacks.LabelSmoothing(
            FLAGS.label_smoothing, decay=decay[0], decay_steps=decay[1], seed=FLAGS.seed)))
    if FLAGS.label_flip:
        made.append(("label_flip", lambda: tfgan.callbacks.LabelFlipping(
            FLAGS.label_flip, decay=decay[0], decay_steps=decay[1], seed=FLAGS.seed)))
    if FLAGS.instance_noise:
        noise_decay = None if FLAGS.instance_noise_decay == "none" else FLAGS.instance_noise_decay
        made.append(("instance_noise", lambda: tfgan.callbacks.InstanceNoise(
            FLAGS.instance_noise, noise_decay, FLAGS.instance_noise_steps or FLAGS.train_steps, seed=FLAGS.seed)))
    if FLAGS.replay_size:
        made.append(("replay_size", lambda: tfgan.callbacks.ExperienceReplay(
            FLAGS.replay_size, FLAGS.replay_prob, seed=FLAGS.seed)))
    if FLAGS.swap_every:
        made.append(("swap_every", lambda: tfgan.callbacks.CheckpointSwap(
            FLAGS.swap_every, FLAGS.swap_steps, FLAGS.swap_discriminator)))
    if FLAGS.ema_decay:
        made.append(("ema_decay", lambda: tfgan.callbacks.GeneratorEMA(FLAGS.ema_decay, FLAGS.ema_start)))
    if FLAGS.diffaugment:
        made.append(("diffaugment", lambda: tfgan.callbacks.DiffAugment(FLAGS.diffaugment, seed=FLAGS.seed)))
    if FLAGS.d_steps_schedule:
        if FLAGS.lr_schedule != "constant":
            raise UsageError(f"--d_steps_schedule={FLAGS.d_steps_schedule} sets G's learning rate; it needs "
                             f"--lr_schedule=constant (got {FLAGS.lr_schedule}).")
        schedule = parse_d_steps_schedule(FLAGS.d_steps_schedule)
        made.append(("d_steps_schedule", lambda: tfgan.callbacks.DStepsSchedule(schedule)))
    return made


def install_tricks(model):
    """Makes the trick callbacks and lets them create (and track) their state on `model`."""
    TRICKS.clear()
    for flag, make in make_tricks():
        try:
            trick = make()
            trick.set_model(model)
            if hasattr(trick, "check_model"):
                trick.check_model(model)
        except ValueError as error:
            value = FLAGS[flag].value
            raise UsageError(f"--{flag}={','.join(value) if isinstance(value, list) else value}: {error}") from None
        TRICKS.append(trick)


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
    callbacks = TRICKS + [
        callbacks_lib.MetricsLogger(os.path.join(workdir, "metrics.jsonl"), FLAGS.log_every, log_dir),
        callbacks_lib.SampleGrid(os.path.join(workdir, "samples"), FLAGS.sample_every,
                                 real_samples=real_samples_for_plots(info), seed=FLAGS.seed, log_dir=log_dir),
        checkpoint,
        callbacks_lib.StopAtStep(FLAGS.train_steps),
    ]
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
