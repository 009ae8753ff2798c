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
from tfgan import nan_guard as nan_guard_lib  # noqa: E402
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
flags.DEFINE_enum("architecture", "auto", ["auto", "mlp", "dcgan", "sngan", "toy_shift"],
                  "Networks: auto picks mlp for vectors and dcgan for images; mlp also takes images; "
                  "sngan is the SNGAN ResNet (images).")
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
# --- conditional GANs (docs/conditional.md) ---
flags.DEFINE_enum("model", "gan", ["gan", "cgan", "acgan"],
                  "gan: unconditional; cgan: G and D see the class (Mirza & Osindero); acgan: D also classifies.")
flags.DEFINE_enum("conditioning", "projection", list(tfgan.nets.D_CONDITIONING),
                  "How the cgan discriminator sees the class: concat (one-hot input) or projection (Miyato & Koyama).")
flags.DEFINE_enum("g_conditioning", "embedding", list(tfgan.nets.G_CONDITIONING),
                  "How the generator sees the class: a learned embedding or a one-hot vector, concatenated to z.")
flags.DEFINE_integer("embedding_dim", 16, "Size of the generator's class embedding.")
flags.DEFINE_enum("fake_labels", "uniform", list(tfgan.models.FAKE_LABELS),
                  "Classes asked of the generator: uniform, or with the data's label frequencies.")
flags.DEFINE_float("aux_weight", 1.0, "acgan: weight of the class cross-entropy terms.")
flags.DEFINE_bool("fake_class", False, "acgan: read D's C+1 outputs as C classes plus a 'fake' class.")
# --- reliability ---
flags.DEFINE_integer("max_nan_steps", 100, "Stop after this many steps in a row whose loss or gradient is not "
                     "finite (their updates are skipped); 0: never stop.")
flags.DEFINE_bool("deterministic", False, "Deterministic ops (tf.config.experimental.enable_op_determinism): "
                  "the same recipe and --seed give the same metrics.jsonl and samples on the same machine.")

# --- scaling (docs/scaling.md) ---
flags.DEFINE_enum("strategy", "default", list(tfgan.distribute.STRATEGIES),
                  "tf.distribute strategy; multi_worker_mirrored reads TF_CONFIG. --batch_size is the global batch.")
flags.DEFINE_bool("sync_batchnorm", False, "BatchNorm statistics over the global batch instead of each replica's.")
flags.DEFINE_enum("mixed_precision", "float32", ["float32", "mixed_float16", "mixed_bfloat16"],
                  "Keras dtype policy; mixed_float16 adds dynamic loss scaling to both optimizers.")
# --- lipschitz: penalties, weight clipping, spectral / layer norm (docs/lipschitz.md) ---
flags.DEFINE_enum("penalty", "none", ["none", "gp", "r1", "r2"],
                  "Penalty on D's gradient: gp (WGAN-GP at interpolates), r1 (at reals), r2 (at fakes).")
flags.DEFINE_float("penalty_weight", 10.0, "lambda of gp, gamma of r1 / r2 (>= 0).")
flags.DEFINE_float("penalty_target", 1.0, "Gradient norm gp pulls towards (>= 0).")
flags.DEFINE_bool("one_sided", False, "gp penalises only norms above --penalty_target.")
flags.DEFINE_integer("penalty_every", 1, "Lazy penalty: compute it every N steps, scaled by N (StyleGAN2).")
flags.DEFINE_float("clip", 0.0, "WGAN weight clipping: clip every D weight to [-clip, clip] after each D "
                   "update (0: off).")
flags.DEFINE_bool("critic_schedule", False, "WGAN's schedule: 100 critic updates before each of the first 25 "
                  "G updates and every 500th.")
flags.DEFINE_bool("spectral_norm", False, "Spectral normalization on every D layer (no BatchNorm in D).")
flags.DEFINE_bool("layer_norm", False, "LayerNorm instead of BatchNorm in D (for gradient-penalty critics).")
flags.DEFINE_integer("d_fourier_features", 0, "MLP D only: feed D x and this many fixed random Fourier features "
                     "of x (an even number; 0: off); lets a spectrally normalized critic resolve 2-D data.")
flags.DEFINE_float("d_fourier_scale", 1.0, "Std of those features' frequencies (radians per unit of x).")
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


def check_lipschitz_flags():
    for name in ("penalty_weight", "penalty_target", "clip"):
        if not getattr(FLAGS, name) >= 0:
            raise UsageError(f"--{name}={getattr(FLAGS, name)}: must be >= 0.")
    if FLAGS.penalty_every < 1:
        raise UsageError(f"--penalty_every={FLAGS.penalty_every}: must be a positive integer.")
    if FLAGS.spectral_norm and FLAGS.layer_norm:
        raise UsageError("--spectral_norm and --layer_norm: choose one normalization for D.")
    if FLAGS.d_fourier_features < 0 or FLAGS.d_fourier_features % 2:
        raise UsageError(f"--d_fourier_features={FLAGS.d_fourier_features}: must be 0 (off) or a positive even "
                         f"number.")
    if not FLAGS.d_fourier_scale > 0:
        raise UsageError(f"--d_fourier_scale={FLAGS.d_fourier_scale}: must be a positive number.")
    if FLAGS.critic_schedule and FLAGS.d_steps > 100:
        raise UsageError(f"--critic_schedule gives 100 critic updates on its steps; --d_steps={FLAGS.d_steps} "
                         f"must be at most 100.")


def discriminator_options():
    return dict(spectral_norm=FLAGS.spectral_norm, layer_norm=FLAGS.layer_norm)


def sngan_networks(info):
    """SNGAN's ResNet generator and discriminator (always spectrally normalized)."""
    if info.kind != "image":
        raise UsageError(f"--architecture=sngan needs images, but --dataset={FLAGS.dataset} has vectors.")
    size, _, channels = info.shape
    try:
        return (tfgan.nets.sngan_generator(size, channels, FLAGS.latent_dim, 2 * FLAGS.base_filters),
                tfgan.nets.sngan_discriminator(size, channels, FLAGS.base_filters))
    except ValueError as error:
        raise UsageError(f"--dataset={FLAGS.dataset} gives {size}x{size} images: {error} "
                         f"Set --image_size to one of them.") from None


def lipschitz_options():
    """`penalty` and `d_constraint` of the GAN from the --penalty* and --clip flags."""
    penalty = None
    if FLAGS.penalty == "gp":
        penalty = tfgan.GradientPenalty(FLAGS.penalty_weight, FLAGS.penalty_target, FLAGS.one_sided,
                                        every=FLAGS.penalty_every, seed=FLAGS.seed)
    elif FLAGS.penalty in ("r1", "r2"):
        penalty = {"r1": tfgan.R1, "r2": tfgan.R2}[FLAGS.penalty](FLAGS.penalty_weight, every=FLAGS.penalty_every)
    constraint = tfgan.constraints.WeightClip(FLAGS.clip) if FLAGS.clip > 0 else None
    return dict(penalty=penalty, d_constraint=constraint)


def lipschitz_callbacks():
    if not FLAGS.critic_schedule:
        return []
    dataset, _ = tfgan.data.load(FLAGS.dataset, FLAGS.batch_size, seed=FLAGS.seed + 1,
                                 image_size=FLAGS.image_size or None, channels=FLAGS.channels or None,
                                 toy_mean=FLAGS.toy_mean, toy_std=FLAGS.toy_std, data_dir=FLAGS.data_dir)
    return [tfgan.critic_schedule.CriticSchedule(dataset)]


def check_flags():
    check_lipschitz_flags()
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


def check_reliability_flags():
    """Flag values that would otherwise fail mid-run or poison the weights without a NaN in a gradient."""
    if FLAGS.max_nan_steps < 0:
        raise UsageError(f"--max_nan_steps={FLAGS.max_nan_steps}: must be >= 0 (0: never stop).")
    if FLAGS.seed < 0:
        raise UsageError(f"--seed={FLAGS.seed}: must be a non-negative integer.")
    for name in ("d_lr", "g_lr", "toy_mean", "toy_std", "initial_theta"):
        if not math.isfinite(getattr(FLAGS, name)):
            raise UsageError(f"--{name}={getattr(FLAGS, name)}: must be a finite number.")
    for name in ("d_beta1", "g_beta1", "d_beta2", "g_beta2"):
        if not 0.0 <= getattr(FLAGS, name) < 1.0:
            raise UsageError(f"--{name}={getattr(FLAGS, name)}: must be in [0, 1).")
    if FLAGS.dataset == "toy1d" and FLAGS.toy_std <= 0:
        raise UsageError(f"--toy_std={FLAGS.toy_std}: the toy data's standard deviation must be positive.")
    if FLAGS.deterministic:
        tf.config.experimental.enable_op_determinism()


# Checks `check(model, info)` of the built model against the data, run before any data is read, each
# raising UsageError; the constructors' own checks (shapes, D's logits) already ran. Conditional
# models append theirs (labels present, label range).
MODEL_CHECKS = []


def checked_model(info):
    """`build_model` with constructor errors reported as usage errors, then `MODEL_CHECKS`."""
    try:
        model = build_model(info)
    except UsageError:
        raise
    except ValueError as error:
        raise UsageError(str(error)) from error
    for check in MODEL_CHECKS:
        check(model, info)
    return model


def nan_guard():
    return nan_guard_lib.NaNGuard(FLAGS.max_nan_steps, os.path.join(FLAGS.workdir, "checkpoints"))


def exit_if_stopped(guard):
    """Ends the job (exit code 1) when the NaN guard stopped training; checkpoints stay as they are."""
    if guard.message:
        print(f"error: {guard.message}", file=sys.stderr)
        sys.exit(1)


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
    if FLAGS.d_fourier_features and architecture != "mlp":
        raise UsageError(f"--d_fourier_features={FLAGS.d_fourier_features}: needs --architecture=mlp "
                         f"(got {architecture}).")
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
                                                     **discriminator_options(),
                                                     **trick_net_options("discriminator", architecture),
                                                     fourier_features=FLAGS.d_fourier_features,
                                                     fourier_scale=FLAGS.d_fourier_scale)
    elif architecture == "sngan":
        generator, discriminator = sngan_networks(info)
    else:
        size, _, channels = info.shape
        try:
            generator = tfgan.nets.dcgan_generator(size, channels, FLAGS.latent_dim, FLAGS.base_filters,
                                                   **trick_net_options("generator", architecture))
            discriminator = tfgan.nets.dcgan_discriminator(size, channels, FLAGS.base_filters,
                                                           **discriminator_options(),
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
    check_evaluation_flags(info)
    networks = build_networks(info) if FLAGS.model == "gan" else conditional_networks(info)
    generator, discriminator = scale_networks(*networks)
    model_class, conditional_args = conditional_model(info)
    model = model_class(generator, discriminator, FLAGS.latent_dim, loss=FLAGS.loss, d_steps=FLAGS.d_steps,
                        g_steps=FLAGS.g_steps, noise=FLAGS.noise, seed=FLAGS.seed,
                        concat_real_fake=FLAGS.concat_real_fake, **conditional_args, **lipschitz_options())
    model.compile(
        d_optimizer=make_optimizer(FLAGS.d_optimizer, FLAGS.d_lr, FLAGS.d_beta1, FLAGS.d_beta2, FLAGS.d_steps),
        g_optimizer=make_optimizer(FLAGS.g_optimizer, FLAGS.g_lr, FLAGS.g_beta1, FLAGS.g_beta2, FLAGS.g_steps))
    install_tricks(model)
    return model


def conditional_networks(info):
    """The class-conditional generator and discriminator for --model=cgan|acgan, from the flags."""
    if not info.num_classes:
        raise UsageError(f"--model={FLAGS.model} needs labelled data, but --dataset={FLAGS.dataset} has no labels; "
                         f"use ring, grid, digits, a tfds: set with labels or folder:PATH with class sub-folders.")
    if FLAGS.architecture == "toy_shift":
        raise UsageError(f"--architecture=toy_shift has no conditional form; use mlp or dcgan with --model={FLAGS.model}.")
    if FLAGS.embedding_dim < 1:
        raise UsageError(f"--embedding_dim={FLAGS.embedding_dim}: must be a positive integer.")
    if FLAGS.aux_weight < 0:
        raise UsageError(f"--aux_weight={FLAGS.aux_weight}: must be >= 0.")
    if FLAGS.d_fourier_features:
        raise UsageError(f"--d_fourier_features={FLAGS.d_fourier_features}: the conditional discriminators have no "
                         f"Fourier features; use it with --model=gan.")
    architecture = FLAGS.architecture
    if architecture == "auto":
        architecture = "dcgan" if info.kind == "image" else "mlp"
    if architecture == "dcgan" and info.kind != "image":
        raise UsageError(f"--architecture=dcgan needs images, but --dataset={FLAGS.dataset} has vectors of "
                         f"shape {info.shape}; use mlp.")
    nets, classes = tfgan.nets, info.num_classes
    g_args = dict(conditioning=FLAGS.g_conditioning, embedding_dim=FLAGS.embedding_dim)
    if architecture == "mlp":
        g_hidden, d_hidden = [int(u) for u in FLAGS.g_hidden], [int(u) for u in FLAGS.d_hidden]
        generator = nets.conditional_mlp_generator(info.shape, FLAGS.latent_dim, classes, g_hidden, **g_args)
        if FLAGS.model == "acgan":
            return generator, nets.acgan_mlp_discriminator(info.shape, classes, d_hidden)
        return generator, nets.conditional_mlp_discriminator(info.shape, classes, d_hidden,
                                                             conditioning=FLAGS.conditioning)
    size, _, channels = info.shape
    try:
        generator = nets.conditional_dcgan_generator(size, channels, FLAGS.latent_dim, classes, FLAGS.base_filters,
                                                     **g_args)
        if FLAGS.model == "acgan":
            return generator, nets.acgan_dcgan_discriminator(size, channels, classes, FLAGS.base_filters)
        return generator, nets.conditional_dcgan_discriminator(size, channels, classes, FLAGS.base_filters,
                                                               conditioning=FLAGS.conditioning)
    except ValueError as error:
        raise UsageError(f"--dataset={FLAGS.dataset} gives {size}x{size} images: {error} "
                         f"Set --image_size to one of them.") from None


def conditional_model(info):
    """The model class for --model and the constructor arguments it adds to GAN's."""
    if FLAGS.model == "gan":
        return tfgan.GAN, {}
    args = dict(num_classes=info.num_classes, fake_labels=FLAGS.fake_labels)
    if FLAGS.model == "acgan":
        return tfgan.ACGAN, dict(args, aux_weight=FLAGS.aux_weight, fake_class=FLAGS.fake_class)
    return tfgan.ConditionalGAN, args


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
    check_reliability_flags()
    info = data_info()
    check_workdir(FLAGS.workdir)
    keras.utils.set_random_seed(FLAGS.seed)
    strategy = scaling_setup()
    with strategy.scope():  # the networks, the GAN and both optimizers (built in compile)
        model = checked_model(info)
    workdir = FLAGS.workdir
    checkpoint = callbacks_lib.TrainingCheckpoint(checkpoint_directory(strategy), FLAGS.checkpoint_every,
                                                  FLAGS.keep_checkpoints)
    checkpoint.set_model(model)
    try:
        restored = restore_checkpoint(checkpoint)
    except (tf.errors.DataLossError, tf.errors.OutOfRangeError, IndexError) as error:  # cut short: IndexError
        raise UsageError(f"--workdir={workdir}: its latest checkpoint is damaged and cannot be read; it is kept "
                         f"as it is. Move it out of {workdir}/checkpoints or use another --workdir.") from error
    except (AssertionError, ValueError, tf.errors.OpError) as error:
        raise UsageError(f"--workdir={workdir} holds a checkpoint of a different model; it is kept as it is. "
                         f"Use another --workdir or the flags that made it. ({type(error).__name__})") from None
    return info, model, checkpoint, restored


# --- scaling ---
def scaling_setup():
    """Sets the dtype policy (before any layer is built) and returns the strategy of --strategy."""
    keras.mixed_precision.set_global_policy(FLAGS.mixed_precision)
    try:
        return tfgan.distribute.get_strategy(FLAGS.strategy)
    except ValueError as error:
        raise UsageError(f"--strategy={FLAGS.strategy}: {error}") from None


def scale_networks(generator, discriminator):
    if FLAGS.sync_batchnorm:
        return tfgan.distribute.sync_batchnorm(generator), tfgan.distribute.sync_batchnorm(discriminator)
    return generator, discriminator


def checkpoint_directory(strategy):
    """WORKDIR/checkpoints for the chief; every worker of a multi-worker job must save too (the save
    is collective), the others into WORKDIR/checkpoints/worker-N, which they never restore from."""
    directory = os.path.join(FLAGS.workdir, "checkpoints")
    if tfgan.distribute.is_chief(strategy):
        return directory
    return os.path.join(directory, f"worker-{strategy.cluster_resolver.task_id}")


def restore_checkpoint(checkpoint):
    """Every worker restores the chief's latest checkpoint (a shared WORKDIR, as TF's multi-worker guide
    assumes), so all of them resume from the same step."""
    chief = tf.train.latest_checkpoint(os.path.join(FLAGS.workdir, "checkpoints"))
    if chief and checkpoint.directory != os.path.dirname(chief):
        checkpoint.manager().checkpoint.restore(chief).assert_existing_objects_matched()
        return chief
    return checkpoint.restore()


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
                                 labels=FLAGS.model != "gan",
                                 image_size=FLAGS.image_size or None, channels=FLAGS.channels or None,
                                 toy_mean=FLAGS.toy_mean, toy_std=FLAGS.toy_std, data_dir=FLAGS.data_dir)
    log_dir = os.path.join(workdir, "logs")
    guard = nan_guard()
    callbacks = [guard] + TRICKS
    if tfgan.distribute.is_chief(model.distribute_strategy):  # --- scaling: only the chief writes outputs
        callbacks += [
            callbacks_lib.MetricsLogger(os.path.join(workdir, "metrics.jsonl"), FLAGS.log_every, log_dir),
            callbacks_lib.SampleGrid(os.path.join(workdir, "samples"), FLAGS.sample_every,
                                     real_samples=real_samples_for_plots(info), seed=FLAGS.seed, log_dir=log_dir),
        ] + evaluation_callbacks(info)
    # The checkpoint after the loggers: a step's lines are written before the checkpoint that covers it.
    callbacks += [checkpoint, callbacks_lib.StopAtStep(FLAGS.train_steps)] + lipschitz_callbacks()
    steps_per_epoch = min(FLAGS.steps_per_epoch, remaining)
    logging.info("Training %s on %s from step %d to %d.", FLAGS.loss, FLAGS.dataset, step, FLAGS.train_steps)
    model.fit(dataset, epochs=math.ceil(remaining / steps_per_epoch), steps_per_epoch=steps_per_epoch,
              callbacks=callbacks, verbose=FLAGS.verbose, shuffle=False)
    exit_if_stopped(guard)


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
    if not tfgan.distribute.is_chief(model.distribute_strategy):
        return
    path = tfgan.export.export_generator(model, os.path.join(FLAGS.workdir, "generator"))
    summary = {"step": int(model.step_counter.numpy()), "generator": path,
               "samples": os.path.join(FLAGS.workdir, "samples")}
    print(json.dumps(summary))


if __name__ == "__main__":
    flags.mark_flag_as_required("workdir")
    app.run(main)
