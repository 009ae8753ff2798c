"""Builds and trains what a `tfgan.recipes.Recipe` describes: the networks for the data, the model with
its loss, penalty and optimizers, the tricks in the order they must run, the dataset, and the
callbacks of a workdir; `train` resumes, trains and exports. `tfgan.recipes.build` / `.train` call it.
"""

import dataclasses
import math
import os
import re
import sys
import time
import warnings

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgan import callbacks as callbacks_lib
from tfgan import data as data_lib
from tfgan import constraints, distribute, export, losses, metrics, models, nets, penalties, tricks
from tfgan.evaluation import Evaluator, metric_outputs, resolve_metrics
import tfgan.recipes.config as config  # the module, not the package (whose __init__ imports this one lazily)
from tfgan.recipes.config import RecipeError
from tfgan.recipes.workdir import Workdir, WorkdirError  # noqa: F401  (WorkdirError: part of this module's API)


CONDITIONAL_MODELS = ("cgan", "acgan")  # the models that train on (samples, labels)
SAMPLE_EXAMPLES = 16  # examples (columns) in a translation model's sample grids


class TrainingStopped(RuntimeError):
    """Training ended early (the NaN guard); the message names the last good checkpoint."""


@dataclasses.dataclass
class Build:
    """What `build` returns: unpacks as `model, dataset, callbacks`."""

    model: keras.Model
    dataset: tf.data.Dataset
    callbacks: list
    info: data_lib.DataInfo

    def __iter__(self):
        return iter((self.model, self.dataset, self.callbacks))


# ---------------------------------------------------------------- data

def translates(recipe):
    """Whether the recipe's model is an image-to-image translation model (pix2pix, cyclegan)."""
    return recipe.model in config.TRANSLATION_MODELS


def data_info(recipe):
    try:
        if translates(recipe):
            return data_lib.translation_info(recipe.dataset, recipe.dataset_b, recipe.image_size or None,
                                             recipe.channels or None, recipe.data_dir)
        return data_lib.info(recipe.dataset, recipe.image_size or None, recipe.channels or None, recipe.toy_mean,
                             recipe.toy_std, recipe.data_dir)
    except ValueError as error:
        name = "dataset_b" if recipe.dataset_b is not None and recipe.dataset_b in str(error) else "dataset"
        raise RecipeError(name, getattr(recipe, name), str(error)) from None


def dataset(recipe, step=0):
    """The endless training dataset: batches of `batch_size * d_steps`, (samples, labels) for the
    conditional models, in an order fixed by `seed`; from `step` on, the batches an uninterrupted run
    would see from that step (so a resumed run continues the same stream). For the translation models,
    batches of (a, b) images: pairs for pix2pix, independently shuffled domains for cyclegan."""
    if translates(recipe):
        ds, _ = data_lib.load_translation(recipe.dataset, recipe.batch_size, name_b=recipe.dataset_b,
                                          paired=recipe.model == "pix2pix", seed=recipe.seed,
                                          image_size=recipe.image_size or None, channels=recipe.channels or None,
                                          data_dir=recipe.data_dir, start_batch=step, max_examples=recipe.max_examples)
        return ds
    ds, _ = data_lib.load(recipe.dataset, recipe.batch_size, d_steps=recipe.d_steps, seed=recipe.seed,
                          labels=recipe.model in CONDITIONAL_MODELS, image_size=recipe.image_size or None,
                          channels=recipe.channels or None, toy_mean=recipe.toy_mean, toy_std=recipe.toy_std,
                          data_dir=recipe.data_dir, start_batch=step, max_examples=recipe.max_examples)
    return ds


def real_samples_for_plots(recipe, info):
    """Real points drawn under 1-D / 2-D sample plots; real digits for the monitor's diversity."""
    if info.kind != "vector":
        if recipe.dataset == "digits" and info.shape == (8, 8, 1):
            return data_lib.digits_arrays()[0][:512].astype(np.float32) / 127.5 - 1.0
        return None
    if recipe.dataset == "toy1d":
        return np.random.default_rng(1).normal(info.mean, info.std, (2000, 1)).astype(np.float32)
    return data_lib.mixture_samples(recipe.dataset, 2000, seed=1)[0]


# ---------------------------------------------------------------- networks and model

def _architecture(recipe, info):
    architecture = recipe.architecture
    if architecture == "auto":
        architecture = "dcgan" if info.kind == "image" else "mlp"
    if architecture in ("dcgan", "sngan") and info.kind != "image":
        raise RecipeError("architecture", architecture, f"needs images, but --dataset={recipe.dataset} has vectors "
                                                        f"of shape {info.shape}; use mlp.")
    return architecture


def _image_nets(recipe, build_networks):
    """`build_networks()` with a size the nets cannot take reported against the data."""
    try:
        return build_networks()
    except ValueError as error:
        raise RecipeError("image_size", recipe.image_size, f"--dataset={recipe.dataset} gives images the networks "
                                                           f"cannot take: {error}") from None


def translation_networks(recipe, info):
    """The translation nets for the data: pix2pix's `(G, D)` with D judging (input, output) pairs, or
    cyclegan's `(G_ab, G_ba, D_a, D_b)`; the U-Net or ResNet generator and PatchGAN discriminators."""
    size, _, channels = info.shape
    norm = recipe.translation_norm
    if norm == "auto":
        norm = "batch" if recipe.model == "pix2pix" else "instance"

    def generator(name):
        if config.translation_generator(recipe) in ("mlp", "linear"):
            hidden = recipe.g_hidden if config.translation_generator(recipe) == "mlp" else ()
            return nets.mlp_translator(size, channels, hidden_units=hidden, name=name)
        if config.translation_generator(recipe) == "unet":
            return nets.unet_generator(size, channels, base_filters=recipe.base_filters, norm=norm,
                                       dropout=recipe.g_dropout, name=name)
        return nets.resnet_generator(size, channels, base_filters=recipe.base_filters,
                                     num_blocks=recipe.resnet_blocks or None, norm=norm, name=name)

    def discriminator(name, conditional_channels=0):
        return nets.patch_discriminator(size, channels, base_filters=config.d_filters(recipe), norm=norm,
                                        conditional_channels=conditional_channels, spectral_norm=recipe.spectral_norm,
                                        name=name)

    if recipe.model == "pix2pix":
        return _image_nets(recipe, lambda: (generator("generator"), discriminator("discriminator", channels)))
    return _image_nets(recipe, lambda: (generator("generator_ab"), generator("generator_ba"),
                                        discriminator("discriminator_a"), discriminator("discriminator_b")))


def networks(recipe, info):
    """The generator and discriminator for the data (D built for `pack` samples at once)."""
    if translates(recipe):
        return translation_networks(recipe, info)
    architecture = _architecture(recipe, info)
    if recipe.model in CONDITIONAL_MODELS:
        return _conditional_networks(recipe, info, architecture)
    d_shape = info.shape[:-1] + (info.shape[-1] * recipe.pack,)
    minibatch = None if recipe.minibatch == "none" else recipe.minibatch
    d_options = dict(spectral_norm=recipe.spectral_norm, layer_norm=recipe.layer_norm, minibatch=minibatch)
    if recipe.model == "infogan":
        return _infogan_networks(recipe, info, architecture, d_options)
    if architecture == "toy_shift":
        return nets.toy_shift_generator(recipe.initial_theta), nets.mlp_discriminator(1, list(recipe.d_hidden))
    if architecture == "mlp":
        return (nets.mlp_generator(info.shape, recipe.latent_dim, list(recipe.g_hidden), dropout=recipe.g_dropout),
                nets.mlp_discriminator(d_shape, list(recipe.d_hidden), **d_options,
                                       fourier_features=recipe.d_fourier_features,
                                       fourier_scale=recipe.d_fourier_scale))
    size, _, channels = info.shape
    if architecture == "sngan":
        return _image_nets(recipe, lambda: (
            nets.sngan_generator(size, channels, recipe.latent_dim, 2 * recipe.base_filters),
            nets.sngan_discriminator(size, d_shape[-1], config.d_filters(recipe))))
    return _image_nets(recipe, lambda: (
        nets.dcgan_generator(size, channels, recipe.latent_dim, recipe.base_filters, dropout=recipe.g_dropout,
                             upsampling=recipe.g_upsampling),
        nets.dcgan_discriminator(size, d_shape[-1], config.d_filters(recipe), **d_options,
                                 downsampling=recipe.d_downsampling)))


def _infogan_networks(recipe, info, architecture, d_options):
    codes = dict(categorical_codes=recipe.categorical_codes, continuous_codes=recipe.continuous_codes)
    q = dict(learn_std=recipe.learn_std, q_units=recipe.q_units, **d_options)
    if architecture == "mlp":
        return (nets.infogan_mlp_generator(info.shape, recipe.latent_dim, **codes, hidden_units=list(recipe.g_hidden)),
                nets.infogan_mlp_discriminator(info.shape, **codes, hidden_units=list(recipe.d_hidden), **q))
    if architecture != "dcgan":
        raise RecipeError("architecture", architecture, "has no InfoGAN form; use mlp or dcgan with --model=infogan.")
    size, _, channels = info.shape
    return _image_nets(recipe, lambda: (
        nets.infogan_dcgan_generator(size, channels, recipe.latent_dim, **codes, base_filters=recipe.base_filters,
                                     upsampling=recipe.g_upsampling, dropout=recipe.g_dropout),
        nets.infogan_dcgan_discriminator(size, channels, **codes, base_filters=config.d_filters(recipe),
                                         downsampling=recipe.d_downsampling, **q)))


def _conditional_networks(recipe, info, architecture):
    if not info.num_classes:
        raise RecipeError("model", recipe.model, f"needs labelled data, but --dataset={recipe.dataset} has no "
                                                 f"labels; use ring, grid, digits, a tfds: set with labels or "
                                                 f"folder:PATH with class sub-folders.")
    if architecture == "toy_shift":
        raise RecipeError("architecture", architecture, f"has no conditional form; use mlp or dcgan with "
                                                        f"--model={recipe.model}.")
    classes = info.num_classes
    g_args = dict(conditioning=recipe.g_conditioning, embedding_dim=recipe.embedding_dim)
    if architecture == "mlp":
        generator = nets.conditional_mlp_generator(info.shape, recipe.latent_dim, classes, list(recipe.g_hidden),
                                                   **g_args)
        if recipe.model == "acgan":
            return generator, nets.acgan_mlp_discriminator(info.shape, classes, list(recipe.d_hidden))
        return generator, nets.conditional_mlp_discriminator(info.shape, classes, list(recipe.d_hidden),
                                                             conditioning=recipe.conditioning)
    if architecture == "sngan":
        raise RecipeError("architecture", architecture, f"has no conditional form; use dcgan with "
                                                        f"--model={recipe.model}.")
    size, _, channels = info.shape

    def build():
        generator = nets.conditional_dcgan_generator(size, channels, recipe.latent_dim, classes, recipe.base_filters,
                                                     **g_args)
        if recipe.model == "acgan":
            return generator, nets.acgan_dcgan_discriminator(size, channels, classes, config.d_filters(recipe))
        return generator, nets.conditional_dcgan_discriminator(size, channels, classes, config.d_filters(recipe),
                                                               conditioning=recipe.conditioning)

    return _image_nets(recipe, build)


def optimizer(recipe, kind, lr, beta1, beta2, updates_per_step):
    """An optimizer whose learning rate follows `lr_schedule` over `lr_decay_steps` (default: the
    run's `train_steps`) steps, i.e. that many times `updates_per_step` updates."""
    total = (recipe.lr_decay_steps or recipe.train_steps) * updates_per_step
    if recipe.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, total)
    elif recipe.lr_schedule == "linear":
        lr = keras.optimizers.schedules.PolynomialDecay(lr, total, end_learning_rate=0.0)
    if kind == "adam":
        return keras.optimizers.Adam(lr, beta_1=beta1, beta_2=beta2)
    if kind == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.SGD(lr, momentum=beta1)


def penalty(recipe):
    if recipe.penalty == "none":
        return None
    return penalties.get(recipe.penalty, recipe.penalty_weight, every=recipe.penalty_every,
                         target=recipe.penalty_target, one_sided=recipe.one_sided, seed=recipe.seed,
                         policy=recipe.bcr_policy)


def schedule_warning(recipe):
    """The warning for a run shorter than its learning-rate schedule, or None."""
    if recipe.lr_schedule == "constant" or recipe.train_steps >= recipe.lr_decay_steps:
        return None
    return (f"--train_steps={recipe.train_steps} ends before --lr_schedule={recipe.lr_schedule} reaches 0 at "
            f"--lr_decay_steps={recipe.lr_decay_steps}; set --lr_decay_steps={recipe.train_steps} to decay over this "
            f"shorter run.")


def steps_per_execution(recipe):
    """`steps_per_execution`, or when 0 the largest divisor of every cadence (logging, samples,
    checkpoints, evaluation, progress lines) up to 100, so each of them lands on its step."""
    if recipe.steps_per_execution:
        return recipe.steps_per_execution
    cadences = [recipe.log_every, recipe.sample_every, recipe.checkpoint_every, recipe.steps_per_epoch]
    if recipe.eval_every:
        cadences.append(recipe.eval_every)
    return math.gcd(100, *cadences)


def model(recipe, info):
    """The compiled model of the recipe (built in the current strategy scope)."""
    built = networks(recipe, info)
    if recipe.sync_batchnorm:
        built = tuple(distribute.sync_batchnorm(network) for network in built)
    if translates(recipe):
        gan = translation_model(recipe, built)
    else:
        gan = gan_model(recipe, info, *built)
    gan.compile(d_optimizer=optimizer(recipe, recipe.d_optimizer, recipe.d_lr, recipe.d_beta1, recipe.d_beta2,
                                      recipe.d_steps),
                g_optimizer=optimizer(recipe, recipe.g_optimizer, recipe.g_lr, recipe.g_beta1, recipe.g_beta2,
                                      recipe.g_steps),
                # Keras turns XLA off under op determinism (and warns): say so here instead.
                jit_compile=recipe.jit_compile and not recipe.deterministic,
                steps_per_execution=steps_per_execution(recipe))
    return gan


def translation_model(recipe, built):
    """Pix2Pix or CycleGAN on the translation nets `built`."""
    if recipe.model == "pix2pix":
        return models.Pix2Pix(*built, l1_weight=recipe.l1_weight, loss=recipe.loss)
    return models.CycleGAN(*built, cycle_weight=recipe.cycle_weight, identity_weight=recipe.identity_weight,
                           distance_weight=recipe.distance_weight, geometry_weight=recipe.geometry_weight,
                           geometry=recipe.geometry, loss=recipe.loss, pool_size=recipe.replay_size,
                           pool_probability=recipe.replay_prob, seed=recipe.seed)


def gan_model(recipe, info, generator, discriminator):
    """The noise-to-image model (gan, cgan, acgan, infogan) on `generator` and `discriminator`."""
    if recipe.penalty == "bcr" and info.kind != "image":
        raise RecipeError("penalty", recipe.penalty, f"augments images, but --dataset={recipe.dataset} has vectors.")
    loss = losses.with_lecam(recipe.loss, recipe.lecam, recipe.lecam_decay) if recipe.lecam else recipe.loss
    args = dict(loss=loss, d_steps=recipe.d_steps, g_steps=recipe.g_steps, noise=recipe.noise,
                seed=recipe.seed, concat_real_fake=recipe.concat_real_fake, penalty=penalty(recipe),
                d_constraint=weight_clip(recipe))
    if recipe.model == "gan":
        gan = models.GAN(generator, discriminator, recipe.latent_dim, pack=recipe.pack, **args)
    elif recipe.model == "infogan":
        gan = models.InfoGAN(generator, discriminator, recipe.latent_dim, recipe.categorical_codes,
                             recipe.continuous_codes, info_weight=recipe.info_weight,
                             continuous_weight=recipe.continuous_weight, learn_std=recipe.learn_std, **args)
    elif recipe.model == "acgan":
        gan = models.ACGAN(generator, discriminator, recipe.latent_dim, info.num_classes, fake_labels=recipe.fake_labels,
                           aux_weight=recipe.aux_weight, fake_class=recipe.fake_class, **args)
    else:
        gan = models.ConditionalGAN(generator, discriminator, recipe.latent_dim, info.num_classes,
                                    fake_labels=recipe.fake_labels, **args)
    return gan


def weight_clip(recipe):
    return constraints.WeightClip(recipe.clip) if recipe.clip > 0 else None


def trick_callbacks(recipe, gan):
    """The tricks the recipe asks for, in the order their hooks run, each with its state built on
    `gan` (so a checkpoint restored next finds it). A trick that cannot apply names its setting."""
    made = []
    label_decay = ("linear", recipe.label_decay_steps) if recipe.label_decay_steps else (None, None)
    if recipe.noisy_labels:
        made.append(("noisy_labels", lambda: tricks.LabelSmoothing.noisy(
            decay=label_decay[0], decay_steps=label_decay[1], seed=recipe.seed)))
    if recipe.label_smoothing != 1.0:
        made.append(("label_smoothing", lambda: tricks.LabelSmoothing(
            recipe.label_smoothing, decay=label_decay[0], decay_steps=label_decay[1], seed=recipe.seed)))
    if recipe.label_flip:
        made.append(("label_flip", lambda: tricks.LabelFlipping(
            recipe.label_flip, decay=label_decay[0], decay_steps=label_decay[1], seed=recipe.seed)))
    if recipe.instance_noise:
        decay = None if recipe.instance_noise_decay == "none" else recipe.instance_noise_decay
        made.append(("instance_noise", lambda: tricks.InstanceNoise(
            recipe.instance_noise, decay, recipe.instance_noise_steps or recipe.train_steps, seed=recipe.seed)))
    if recipe.replay_size and not translates(recipe):  # cyclegan's pool is its own
        made.append(("replay_size", lambda: tricks.ExperienceReplay(recipe.replay_size, recipe.replay_prob,
                                                                    seed=recipe.seed)))
    if recipe.diffaugment:
        made.append(("diffaugment", lambda: tricks.DiffAugment(recipe.diffaugment, seed=recipe.seed)))
    if recipe.ada_target:
        made.append(("ada_target", lambda: tricks.AdaptiveAugment(
            recipe.ada_target, recipe.ada_interval, recipe.ada_adjust_images, policy=recipe.ada_policy,
            seed=recipe.seed)))
    if recipe.critic_schedule:
        made.append(("critic_schedule", lambda: tricks.DStepsSchedule(tricks.CriticSchedule(steps=recipe.d_steps))))
    if recipe.d_steps_schedule:
        boundaries, values = config.parse_d_steps_schedule(recipe.d_steps_schedule)
        made.append(("d_steps_schedule", lambda: tricks.DStepsSchedule(
            keras.optimizers.schedules.PiecewiseConstantDecay([b - 1 for b in boundaries], values))))
    if recipe.swap_every:
        made.append(("swap_every", lambda: tricks.CheckpointSwap(recipe.swap_every, recipe.swap_steps,
                                                                 recipe.swap_discriminator)))
    if recipe.top_k < 1.0:
        made.append(("top_k", lambda: tricks.TopKGenerator(recipe.top_k, decay_steps=recipe.top_k_decay_steps)))
    if recipe.ema_decay:
        made.append(("ema_decay", lambda: tricks.GeneratorEMA(recipe.ema_decay, recipe.ema_start)))
    built = []
    for setting, make in made:
        try:
            trick = make()
            trick.set_model(gan)
            trick.check_model(gan)
        except ValueError as error:
            raise RecipeError(setting, getattr(recipe, setting), str(error)) from None
        built.append(trick)
    return built


# ---------------------------------------------------------------- the callbacks of a workdir

def checkpoint_directory(workdir, strategy):
    """WORKDIR/checkpoints for the chief; every worker of a multi-worker job must save too (the save
    is collective), the others into WORKDIR/checkpoints/worker-N, which they never restore from."""
    if distribute.is_chief(strategy):
        return workdir.checkpoints
    return os.path.join(workdir.checkpoints, f"worker-{strategy.cluster_resolver.task_id}")


def evaluator(recipe, info):
    """The `Evaluator` of `eval_every` (checked before anything is built: names, the Inception file)."""
    try:
        metrics = resolve_metrics(recipe.dataset, recipe.eval_metrics, info.shape)
    except ValueError as error:
        raise RecipeError("eval_metrics", recipe.eval_metrics, str(error)) from None
    if recipe.best_metric is not None and recipe.best_metric not in metric_outputs(metrics):
        raise RecipeError("best_metric", recipe.best_metric, f"must be one of {', '.join(metric_outputs(metrics))}.")
    try:
        return Evaluator(recipe.dataset, recipe.eval_metrics, toy_mean=recipe.toy_mean, toy_std=recipe.toy_std,
                         inception_weights=recipe.inception_weights, data_dir=recipe.data_dir,
                         image_size=recipe.image_size or None, channels=recipe.channels or None)
    except FileNotFoundError as error:
        raise RecipeError("inception_weights", recipe.inception_weights, str(error)) from None


def output_callbacks(recipe, info, workdir, metrics_file):
    """Loggers, samples, evaluation and the training monitor (the chief's outputs)."""
    real = real_samples_for_plots(recipe, info)
    made = [callbacks_lib.MetricsLogger(metrics_file, recipe.log_every, workdir.logs),
            callbacks_lib.SampleGrid(workdir.samples, recipe.sample_every,
                                     real_samples=real if info.kind == "vector" else None, seed=recipe.seed,
                                     log_dir=workdir.logs, examples=translation_examples(recipe))]
    if recipe.eval_every:
        made.append(callbacks_lib.Evaluation(
            evaluator(recipe, info), recipe.eval_every, recipe.eval_samples, metrics_path=metrics_file,
            log_dir=workdir.logs, best_metric=recipe.best_metric,
            best_directory=os.path.join(workdir.checkpoints, "best"),
            export_directory=os.path.join(workdir.path, "generator_best"), seed=recipe.seed))
    if recipe.monitor:
        made.append(callbacks_lib.TrainingMonitor(metrics_path=metrics_file, real_samples=real, modes=info.modes,
                                                  mode_std=info.mode_std or None, seed=recipe.seed))
    return made


def translation_examples(recipe, count=SAMPLE_EXAMPLES):
    """The fixed `(a, b)` examples a translation model's sample grids show: the first `count` held out by
    `max_examples` when there are that many, else the first of the data; None for the other models."""
    if not translates(recipe):
        return None
    return data_lib.translation_examples(recipe.dataset, count, recipe.dataset_b, recipe.max_examples,
                                         recipe.image_size or None, recipe.channels or None, recipe.data_dir)


# ---------------------------------------------------------------- build and train

def _runtime(recipe):
    """Sets the process-wide state a recipe asks for and returns its strategy."""
    keras.utils.set_random_seed(recipe.seed)
    if recipe.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(recipe.mixed_precision)
    try:
        return distribute.get_strategy(recipe.strategy)
    except ValueError as error:
        raise RecipeError("strategy", recipe.strategy, str(error)) from None


def _model_and_tricks(recipe, info, strategy):
    if recipe.eval_every:
        evaluator(recipe, info)  # a bad metric or a missing Inception file fails before anything is built
    with strategy.scope():
        try:
            gan = model(recipe, info)
        except RecipeError:
            raise
        except ValueError as error:
            raise RecipeError("model", recipe.model, str(error)) from error
        return gan, trick_callbacks(recipe, gan)


def build(recipe, workdir=None):
    """See `tfgan.recipes.build`."""
    info = data_info(recipe)
    strategy = _runtime(recipe)
    gan, made = _model_and_tricks(recipe, info, strategy)
    callbacks = list(made)
    if workdir is not None:
        workdir = Workdir(workdir)
        workdir.check_writable()
        metrics_file = callbacks_lib.MetricsFile(workdir.metrics)
        callbacks += output_callbacks(recipe, info, workdir, metrics_file)
        callbacks.append(callbacks_lib.TrainingCheckpoint(workdir.checkpoints, recipe.checkpoint_every,
                                                          recipe.keep_checkpoints))
    return Build(gan, dataset(recipe), callbacks, info)


class ProgressLine(keras.callbacks.Callback):
    """One line every `every` steps on stderr: the step, images per second and the step's losses."""

    KEYS = ("d_loss", "g_loss", "d_real", "d_fake", "penalty", "wasserstein_estimate")

    def __init__(self, every, last_step, images_per_step, stream=None):
        super().__init__()
        self.every, self.last_step, self.images_per_step = every, last_step, images_per_step
        self.stream = stream
        self._mark = None

    def on_train_begin(self, logs=None):
        self._mark = (callbacks_lib.model_step(self.model), time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        step = callbacks_lib.model_step(self.model)
        if step // self.every == self._mark[0] // self.every and step < self.last_step:
            return
        now = time.perf_counter()
        rate = (step - self._mark[0]) * self.images_per_step / max(now - self._mark[1], 1e-9)
        self._mark = (step, now)
        values = " ".join(f"{k} {float(np.asarray(logs[k])):.4g}" for k in self.KEYS if logs and k in logs)
        print(f"step {step}/{self.last_step}  {rate:,.0f} img/s  {values}", file=self.stream or sys.stderr,
              flush=True)


# Errors of reading a checkpoint whose files are cut short or garbled (IndexError: a cut index).
DAMAGED = (tf.errors.DataLossError, tf.errors.OutOfRangeError, IndexError)


def _restore(checkpoint, workdir, gan, chief):
    """Restores the newest readable checkpoint of the workdir, found by listing its files; returns it
    or None. A damaged one (cut short, garbled) is set aside with a warning and the one before it
    restored; a checkpoint of another model stops the run, nothing changed. Every worker of a
    multi-worker job restores the chief's checkpoint (a shared workdir), so they resume together."""
    found = workdir.list_checkpoints()
    restored = None
    for candidate in found:
        try:
            tf.train.Checkpoint(**gan.training_state()).restore(candidate.prefix).assert_existing_objects_matched()
        except DAMAGED as error:
            if not chief:
                raise WorkdirError(f"--workdir={workdir.path}: {candidate.prefix} cannot be read.") from error
            logging.warning("%s is damaged (%s); it is set aside as damaged-%s.* and the checkpoint before it "
                            "restored.", candidate.prefix, type(error).__name__, os.path.basename(candidate.prefix))
            workdir.set_aside(candidate)
            continue
        except (AssertionError, ValueError, tf.errors.OpError) as error:
            raise WorkdirError(f"--workdir={workdir.path} holds a checkpoint of a different model ("
                               f"{candidate.prefix}); it is kept as it is. Use another --workdir or the settings "
                               f"that made it. ({type(error).__name__})") from None
        restored = candidate
        break
    if chief:
        workdir.write_checkpoint_state([c for c in found if restored and c.step <= restored.step])
    checkpoint.manager()  # reads the state file just written
    return restored


def train(recipe, workdir, progress=True, allow_config_change=False):
    """See `tfgan.recipes.train`; `workdir` is a path or a `Workdir` (perhaps locked already). With
    `progress`, says on stderr where a resumed run starts and, when `verbose` is 2, prints a progress
    line every `steps_per_epoch` steps."""
    workdir = workdir if isinstance(workdir, Workdir) else Workdir(workdir)
    info = data_info(recipe)  # bad data fails here, before the workdir is made
    workdir.check_writable()
    strategy = _runtime(recipe)
    chief = distribute.is_chief(strategy)
    if chief:  # only the chief writes the shared outputs; it alone holds the lock
        workdir.lock()
    try:
        recipe = _restarted(recipe, workdir, progress)
        keras.utils.set_random_seed(recipe.seed)  # the restarts' trainings reseeded the process
        if chief:
            workdir.check_config(recipe, allow_config_change)
            workdir.clean()
        gan, made = _model_and_tricks(recipe, info, strategy)
        checkpoint = callbacks_lib.TrainingCheckpoint(checkpoint_directory(workdir, strategy),
                                                      recipe.checkpoint_every, recipe.keep_checkpoints)
        checkpoint.set_model(gan)
        restored = _restore(checkpoint, workdir, gan, chief)
        step = callbacks_lib.model_step(gan)
        if restored and progress:
            print(f"Resumed from {restored.prefix} (step {step}).", file=sys.stderr, flush=True)
        try:
            if step < recipe.train_steps:
                _fit(recipe, info, workdir, gan, made, checkpoint, step, chief, progress and recipe.verbose == 2)
            if chief:
                export.export_generator(gan, workdir.generator)
        except (OSError, tf.errors.ResourceExhaustedError, tf.errors.PermissionDeniedError,
                tf.errors.FailedPreconditionError, tf.errors.UnknownError, tf.errors.InternalError) as error:
            _disk_fault(error, workdir)
    finally:
        workdir.unlock()
    return gan


def translation_distance(gan, recipe, examples=1024):
    """How far a translation model's outputs are from the domain they translate to, with no labels or
    pairs: the Frechet distance (`tfgan.metrics.frechet_distance`) between the pixels, area-resized to
    at most 16x16, of `examples` training images of A translated to B and as many images of B; for
    CycleGAN plus the same from B to A. What `--restarts` compares."""
    batches = dataset(recipe).take(-(-examples // recipe.batch_size))
    a, b = (np.concatenate(parts)[:examples] for parts in zip(*[(x.numpy(), y.numpy()) for x, y in batches]))

    def pixels(images):
        size = min(images.shape[1], 16)
        return tf.reshape(tf.image.resize(images, (size, size), method="area"), [len(images), -1]).numpy()

    distance = metrics.frechet_distance(pixels(gan.translate(a)), pixels(b))
    if recipe.model == "cyclegan":
        distance += metrics.frechet_distance(pixels(gan.translate(b, "b_to_a")), pixels(a))
    return float(distance)


def _restarted(recipe, workdir, progress):
    """The recipe the workdir trains on. With `restarts` > 1: trains the recipe from the seeds `seed`,
    `seed + 1`, ... in WORKDIR/restarts/seed-N (each resumable) and keeps the one whose translations are
    closest to the other domain (`translation_distance`) by successive halving (`_halve`), moves its
    checkpoints, samples and metrics into the workdir and returns the recipe with its seed, to go on
    from there: the run is then the one that seed makes uninterrupted. A CycleGAN that settles in a
    wrong mapping rarely leaves it (docs/translation.md); restarts are how its seeds are made to agree."""
    if recipe.restarts == 1:
        return recipe
    record = workdir.read_restarts()
    if record is None:
        if os.path.exists(workdir.config):
            workdir.fail(f"holds a run made without --restarts={recipe.restarts}; use another --workdir.")
        record = {"seed": recipe.seed, "rounds": []}
    elif record["seed"] != recipe.seed:
        workdir.fail(f"holds the restarts from --seed={record['seed']}, not --seed={recipe.seed}; use "
                     f"--seed={record['seed']} or another --workdir.")
    if "chosen" not in record:
        _halve(recipe, workdir, record, progress)
    workdir.adopt(workdir.restart(record["chosen"]))
    return dataclasses.replace(recipe, seed=record["chosen"])


def _halve(recipe, workdir, record, progress):
    """Successive halving (Jamieson & Talwalkar 2016) of the restarts: all of them train to the first
    steps of `config.restart_schedule` and are compared, the closer half (rounded up) trains on to the
    next and is compared again, until one is left; sets `record["chosen"]`. Each round's distances are
    written to WORKDIR/restarts.json as it ends, so a killed job goes on from the round it was in."""
    seeds = list(range(recipe.seed, recipe.seed + recipe.restarts))
    for steps in config.restart_schedule(recipe):
        done = next((r for r in record["rounds"] if r["steps"] == steps), None)
        if done is None:
            distances = {}
            for seed in seeds:
                candidate = dataclasses.replace(recipe, seed=seed, restarts=1, restart_steps=0, train_steps=steps,
                                                lr_decay_steps=recipe.lr_decay_steps or recipe.train_steps)
                distances[str(seed)] = translation_distance(train(candidate, workdir.restart(seed), progress),
                                                            candidate)
                logging.info("Restart from seed %d: translation distance %.4g after %d steps.", seed,
                             distances[str(seed)], steps)
            done = {"steps": steps, "distances": distances}
            record["rounds"].append(done)
            workdir.write_restarts(record)
        seeds = sorted(seeds, key=lambda seed: done["distances"][str(seed)])[:-(-len(seeds) // 2)]
        if progress:
            print(f"Restarts compared at {steps} steps (translation distances "
                  f"{', '.join(f'{k}: {v:.3g}' for k, v in done['distances'].items())}): going on with seed"
                  f"{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}.", file=sys.stderr, flush=True)
    record["chosen"] = seeds[0]
    workdir.write_restarts(record)


def _disk_fault(error, workdir):
    """Turns a failed write (disk full, read-only, a path in the way) into one line naming the path
    and the last good checkpoint; anything else is raised as it is."""
    text = getattr(error, "strerror", None) or getattr(error, "message", None) or str(error)
    path = getattr(error, "filename", None) or ""
    if not isinstance(error, OSError) and not any(
            word in text for word in ("No space left", "Read-only file system", "Is a directory", "Permission denied",
                                      "Not a directory", "Disk quota")):
        raise error
    # TensorFlow's messages wrap the path and reason in its own markup: "{{function_node ...}} ... [Op:SaveV2]".
    text = re.sub(r"\{\{[^}]*\}\}|\[Op:[^\]]*\]", "", text.strip().splitlines()[0]).strip()
    last = workdir.list_checkpoints()
    kept = f"the last good checkpoint is {last[0].prefix}" if last else "no checkpoint was written yet"
    where = f" {path}" if path else ""
    raise WorkdirError(f"--workdir={workdir.path}: writing{where} failed: {text}; {kept}; run again once it can be "
                       f"written to resume.") from error


def _fit(recipe, info, workdir, gan, made, checkpoint, step, chief, say):
    remaining = recipe.train_steps - step
    if schedule_warning(recipe):
        logging.warning(schedule_warning(recipe))
    guard = callbacks_lib.NaNGuard(recipe.max_nan_steps, workdir.checkpoints)
    callbacks = [guard] + made
    if chief:  # only the chief writes the outputs
        callbacks += output_callbacks(recipe, info, workdir, callbacks_lib.MetricsFile(workdir.metrics))
    # The checkpoint after the loggers: a step's lines are written before the checkpoint that covers it.
    callbacks += [checkpoint, callbacks_lib.StopAtStep(recipe.train_steps)]
    if say:
        callbacks.append(ProgressLine(recipe.steps_per_epoch, recipe.train_steps, recipe.batch_size * recipe.d_steps))
    # Keras runs whole executions: the steps of one must divide what is left, or the run overshoots.
    gan.steps_per_execution = math.gcd(steps_per_execution(recipe), remaining)
    steps_per_epoch = min(recipe.steps_per_epoch, remaining)
    steps_per_epoch -= steps_per_epoch % gan.steps_per_execution
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
        gan.fit(dataset(recipe, step), epochs=math.ceil(remaining / steps_per_epoch), steps_per_epoch=steps_per_epoch,
                callbacks=callbacks, verbose=recipe.verbose if recipe.verbose == 1 else 0, shuffle=False)
    if guard.message:
        raise TrainingStopped(guard.message)
