"""A recipe's settings: the `Recipe` dataclass (every default stated once), the one `check` of its
values, and reading it from flagfiles or absl flags. Pure Python: nothing here imports TensorFlow."""

import dataclasses
import math
import os
import typing

from absl import flags as absl_flags

from tfgan import dataset_names

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECIPES_DIR = os.path.join(ROOT, "flags")

# Allowed values (the library's own tables, written out here so that a recipe is checked without
# importing TensorFlow; tests/test_recipes.py checks they agree with the library).
MODELS = ("gan", "cgan", "acgan", "infogan", "pix2pix", "cyclegan")
TRANSLATION_MODELS = ("pix2pix", "cyclegan")
LOSSES = ("hinge", "jensen_shannon", "kl", "least_squares", "minimax", "non_saturating", "pearson",
          "relativistic_average", "relativistic_average_hinge", "relativistic_average_least_squares",
          "reverse_kl", "squared_hellinger", "wasserstein")
ARCHITECTURES = ("auto", "mlp", "dcgan", "sngan", "toy_shift", "unet", "resnet", "linear")
TRANSLATION_ARCHITECTURES = ("auto", "unet", "resnet", "mlp", "linear")
NORMS = ("batch", "instance", "none")
NOISES = ("normal", "uniform")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
LR_SCHEDULES = ("constant", "cosine", "linear")
STRATEGIES = ("default", "one_device", "mirrored", "multi_worker_mirrored", "tpu")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
PENALTIES = ("none", "gp", "r1", "r2", "bcr")
D_CONDITIONING = ("concat", "projection")
G_CONDITIONING = ("embedding", "one_hot")
FAKE_LABELS = ("uniform", "data")
DECAYS = ("linear", "exponential", "none")
AUGMENTATIONS = ("color", "translation", "cutout")
ADA_AUGMENTATIONS = ("flip", "translation", "color", "cutout")
MINIBATCH = ("none", "stddev", "discrimination")
UPSAMPLING = ("transpose", "pixel_shuffle")
DOWNSAMPLING = ("stride", "avgpool")


def _setting(default, help, *, choices=None, run=False):
    """A recipe field. `run=True` marks a setting a resumed run may change (the length of training,
    logging, sampling, checkpoint cadence, how the steps execute); every other setting changes the
    model, its data, loss or batch, and a workdir refuses a change of it."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices, "run": run})


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Every setting of a training job. Field names are `tools/train.py`'s flags."""

    # --- data
    dataset: str = _setting("digits", "toy1d, ring, grid, digits, stacked_digits, tfds:NAME[:SPLIT] or folder:PATH; "
                                      "for pix2pix / cyclegan: digits_rot90 or pairs:folder:PATH (A and B side by "
                                      "side in each image), or domain A's images with --dataset_b.")
    dataset_b: typing.Optional[str] = _setting(None, "cyclegan: domain B's images (e.g. folder:PATH) when --dataset "
                                                     "holds domain A's alone; unset for paired data, whose halves "
                                                     "cyclegan reads unpaired.")
    data_dir: typing.Optional[str] = _setting(None, "tensorflow-datasets data directory (for tfds: data sets).",
                                              run=True)
    max_examples: int = _setting(0, "Train on the first N examples of the data set only (0: all of them).")
    image_size: int = _setting(0, "Resize images to this size (0: the data's own).")
    channels: int = _setting(0, "Image channels (0: the data's own).")
    toy_mean: float = _setting(5.0, "Mean of the toy1d data N(mean, std).")
    toy_std: float = _setting(1.0, "Std of the toy1d data.")
    # --- model
    model: str = _setting("gan", "gan: unconditional; cgan: G and D see the class (Mirza & Osindero); "
                                 "acgan: D also classifies (Odena et al.); infogan: G also takes latent codes that "
                                 "a Q head on D recovers (Chen et al.; unlabelled data); pix2pix: paired "
                                 "image-to-image translation (Isola et al.); cyclegan: unpaired translation (Zhu et "
                                 "al.).", choices=MODELS)
    loss: str = _setting("non_saturating", "Adversarial loss (tfgan.losses.LOSSES).", choices=LOSSES)
    architecture: str = _setting("auto", "Networks: auto picks mlp for vectors and dcgan for images (for pix2pix the "
                                         "U-Net, for cyclegan the ResNet generator, with PatchGAN discriminators); "
                                         "mlp also takes images (and for pix2pix / cyclegan is tfgan.nets.mlp_translator); "
                                         "sngan is the SNGAN ResNet (images); unet / resnet / linear (mlp_translator "
                                         "without hidden layers) choose the translation generator.", choices=ARCHITECTURES)
    latent_dim: int = _setting(64, "Size of the noise vector z.")
    noise: str = _setting("normal", "Distribution of z.", choices=NOISES)
    g_hidden: typing.Tuple[int, ...] = _setting((128, 128), "Hidden units of the MLP generator.")
    d_hidden: typing.Tuple[int, ...] = _setting((128, 128), "Hidden units of the MLP discriminator.")
    base_filters: int = _setting(64, "Filters of the DCGAN nets' widest (D first / G last) layer.")
    d_base_filters: int = _setting(0, "Filters of D's first layer when D should be wider or narrower than G "
                                      "(0: --base_filters).")
    initial_theta: float = _setting(3.0, "Starting shift of the toy_shift generator.")
    pack: int = _setting(1, "PacGAN: D scores this many samples at once, concatenated on the channels.")
    concat_real_fake: bool = _setting(False, "Score real and fake in one D call on the stacked batch.")
    conditioning: str = _setting("projection", "How the cgan discriminator sees the class: concat (one-hot input) or "
                                               "projection (Miyato & Koyama).", choices=D_CONDITIONING)
    g_conditioning: str = _setting("embedding", "How the generator sees the class: a learned embedding or a one-hot "
                                                "vector, concatenated to z.", choices=G_CONDITIONING)
    embedding_dim: int = _setting(16, "Size of the generator's class embedding.")
    fake_labels: str = _setting("uniform", "Classes asked of the generator: uniform, or with the data's label "
                                           "frequencies.", choices=FAKE_LABELS)
    aux_weight: float = _setting(1.0, "acgan: weight of the class cross-entropy terms.")
    l1_weight: float = _setting(100.0, "pix2pix: weight of the L1 distance to the target (lambda, Isola et al.).")
    cycle_weight: float = _setting(10.0, "cyclegan: weight of the cycle-consistency terms (lambda, Zhu et al.).")
    identity_weight: float = _setting(0.5, "cyclegan: weight of the identity terms, relative to --cycle_weight "
                                           "(0: off).")
    distance_weight: float = _setting(0.0, "cyclegan: weight of the DistanceGAN term (Benaim & Wolf 2017), which "
                                           "keeps the distances between a batch's images through each translation "
                                           "(0: off).")
    geometry_weight: float = _setting(0.0, "cyclegan: weight of the GcGAN term (Fu et al. 2019): each translator "
                                           "must commute with --geometry (0: off).")
    geometry: str = _setting("rot90", "cyclegan: the transformation of the GcGAN term, one the translation "
                                      "commutes with.", choices=("rot90", "vertical_flip"))
    resnet_blocks: int = _setting(0, "Residual blocks of the resnet translation generator (0: 6, or 9 from 256x256).")
    translation_norm: str = _setting("auto", "Normalization in the translation nets: auto (batch for pix2pix, "
                                             "instance for cyclegan, as the papers), batch, instance or none.",
                                     choices=("auto",) + NORMS)
    restarts: int = _setting(1, "pix2pix / cyclegan: train from this many seeds (--seed, --seed + 1, ...) and go on "
                                "with the one whose translations are closest to the other domain (Frechet distance "
                                "of the pixels: no labels or pairs), chosen by successive halving: all are compared "
                                "at --restart_steps, the closer half trains on to twice the steps and is compared "
                                "again, until one is left. 1: off.")
    restart_steps: int = _setting(0, "Steps of the restarts' first comparison (0: the one that puts the last "
                                     "comparison half-way through --train_steps).")
    fake_class: bool = _setting(False, "acgan: read D's C+1 outputs as C classes plus a 'fake' class.")
    categorical_codes: typing.Tuple[int, ...] = _setting((10,), "infogan: values of each categorical code, e.g. 10 "
                                                                "or 10,2 (empty: none).")
    continuous_codes: int = _setting(2, "infogan: continuous codes ~ U(-1, 1).")
    info_weight: float = _setting(1.0, "infogan: weight of the categorical codes' mutual-information term.")
    continuous_weight: float = _setting(1.0, "infogan: weight of the continuous codes' mutual-information term.")
    learn_std: bool = _setting(False, "infogan: Q also predicts the continuous codes' log std (else std 1).")
    q_units: int = _setting(128, "infogan: hidden units of the Q head on D's body (0: linear).")
    # --- optimisation
    train_steps: int = _setting(2000, "Training steps in all (one step = d_steps D updates + g_steps G).", run=True)
    batch_size: int = _setting(64, "Examples per D update (each step reads batch_size * d_steps).")
    d_steps: int = _setting(1, "Discriminator updates per step.")
    g_steps: int = _setting(1, "Generator updates per step.")
    d_optimizer: str = _setting("adam", "Discriminator optimizer.", choices=OPTIMIZERS)
    g_optimizer: str = _setting("adam", "Generator optimizer.", choices=OPTIMIZERS)
    d_lr: float = _setting(2e-4, "Discriminator learning rate.")
    g_lr: float = _setting(2e-4, "Generator learning rate.")
    d_beta1: float = _setting(0.5, "Adam beta_1 (SGD momentum) of D.")
    g_beta1: float = _setting(0.5, "Adam beta_1 (SGD momentum) of G.")
    d_beta2: float = _setting(0.999, "Adam beta_2 of D.")
    g_beta2: float = _setting(0.999, "Adam beta_2 of G.")
    lr_schedule: str = _setting("constant", "Learning-rate schedule of both networks, decaying to 0 over "
                                            "--lr_decay_steps.", choices=LR_SCHEDULES)
    lr_decay_steps: int = _setting(0, "Training steps over which --lr_schedule decays to 0 (0: --train_steps). Set it "
                                      "to keep a recipe's schedule when --train_steps changes.")
    seed: int = _setting(0, "Seed of weights, noise and data order.")
    # --- output
    sample_every: int = _setting(500, "Steps between sample grids.", run=True)
    checkpoint_every: int = _setting(500, "Steps between checkpoints.", run=True)
    keep_checkpoints: int = _setting(3, "Checkpoints kept.", run=True)
    log_every: int = _setting(10, "Steps between lines of metrics.jsonl.", run=True)
    steps_per_epoch: int = _setting(200, "Steps between Keras progress lines.", run=True)
    verbose: int = _setting(2, "Keras fit verbosity (0 silent, 1 progress bar, 2 one line an epoch).", run=True)
    # --- execution
    steps_per_execution: int = _setting(0, "Training steps per call of the compiled step (0: the largest that keeps "
                                           "the logging, sampling and checkpoint cadence).", run=True)
    jit_compile: bool = _setting(True, "Compile the training step with XLA (faster on this CPU; see "
                                       "docs/RESULTS.md).", run=True)
    deterministic: bool = _setting(False, "Deterministic ops (tf.config.experimental.enable_op_determinism): the same "
                                          "recipe and --seed give the same metrics.jsonl and samples on the same "
                                          "machine.", run=True)
    max_nan_steps: int = _setting(100, "Stop after this many steps in a row whose loss or gradient is not finite "
                                       "(their updates are skipped); 0: never stop.", run=True)
    # --- scaling
    strategy: str = _setting("default", "tf.distribute strategy; multi_worker_mirrored reads TF_CONFIG. --batch_size "
                                        "is the global batch.", choices=STRATEGIES, run=True)
    sync_batchnorm: bool = _setting(False, "BatchNorm statistics over the global batch instead of each replica's.")
    mixed_precision: str = _setting("float32", "Keras dtype policy; mixed_float16 adds dynamic loss scaling to both "
                                               "optimizers.", choices=PRECISIONS)
    # --- Lipschitz: penalties, clipping, normalization
    penalty: str = _setting("none", "Penalty on D: gp (WGAN-GP at interpolates), r1 (at reals), r2 (at fakes), bcr "
                                    "(balanced consistency regularization: D(x) = D(T(x)) on reals and fakes, images "
                                    "only).", choices=PENALTIES)
    penalty_weight: float = _setting(10.0, "lambda of gp and bcr, gamma of r1 / r2 (>= 0).")
    penalty_target: float = _setting(1.0, "Gradient norm gp pulls towards (>= 0).")
    one_sided: bool = _setting(False, "gp penalises only norms above --penalty_target.")
    penalty_every: int = _setting(1, "Lazy penalty: compute it every N steps, scaled by N (StyleGAN2).")
    bcr_policy: typing.Tuple[str, ...] = _setting(("flip", "translation"), "bcr: the augmentations T, a list of "
                                                                          "flip, translation, color, cutout.")
    clip: float = _setting(0.0, "WGAN weight clipping: clip every D weight to [-clip, clip] after each D update "
                                "(0: off).")
    critic_schedule: bool = _setting(False, "WGAN's schedule: 100 critic updates before each of the first 25 G "
                                            "updates and every 500th.")
    spectral_norm: bool = _setting(False, "Spectral normalization on every D layer (no BatchNorm in D).")
    layer_norm: bool = _setting(False, "LayerNorm instead of BatchNorm in D (for gradient-penalty critics).")
    d_fourier_features: int = _setting(0, "MLP D only: feed D x and this many fixed random Fourier features of x (an "
                                          "even number; 0: off).")
    d_fourier_scale: float = _setting(1.0, "Std of those features' frequencies (radians per unit of x).")
    # --- evaluation and diagnosis
    eval_every: int = _setting(0, "Steps between sample-quality evaluations written to metrics.jsonl (0: none).",
                               run=True)
    eval_metrics: typing.Optional[typing.Tuple[str, ...]] = _setting(
        None, "Metrics of each evaluation (default: the data's offline metrics; see tools/evaluate.py).", run=True)
    eval_samples: int = _setting(1000, "Generated samples per evaluation.", run=True)
    best_metric: typing.Optional[str] = _setting(None, "Keep the best generator by this evaluation metric in "
                                                       "checkpoints/best/ and generator_best/ (needs --eval_every).",
                                                 run=True)
    inception_weights: typing.Optional[str] = _setting(None, "InceptionV3 weights file, for --eval_metrics=fid.",
                                                       run=True)
    monitor: bool = _setting(True, "Name training failures (D wins, NaN, collapse ...) in the log and metrics.jsonl.",
                             run=True)
    # --- tricks (docs/tricks.md)
    label_smoothing: float = _setting(1.0, "Real target of one-sided label smoothing, e.g. 0.9 (1: off).")
    noisy_labels: bool = _setting(False, "Noisy targets: real ~ U(0.7, 1.2), fake ~ U(0.0, 0.3).")
    label_flip: float = _setting(0.0, "Probability of swapping an example's D target (0: off).")
    label_decay_steps: int = _setting(0, "Smoothing strength and flip probability decay linearly to 0 over this many "
                                         "steps (0: constant).")
    instance_noise: float = _setting(0.0, "Std of Gaussian noise on D's real and fake inputs (0: off).")
    instance_noise_decay: str = _setting("linear", "Anneal of the instance noise: to 0 at --instance_noise_steps "
                                                   "(linear), halved every --instance_noise_steps (exponential), or "
                                                   "constant.", choices=DECAYS)
    instance_noise_steps: int = _setting(0, "See --instance_noise_decay (0: --train_steps).")
    replay_size: int = _setting(0, "Experience replay: fakes kept in the pool (0: off); for cyclegan the pool of "
                                   "past fakes per domain (the paper's 50).")
    replay_prob: float = _setting(0.5, "Experience replay: probability a fake is swapped for a pooled one.")
    swap_every: int = _setting(0, "Checkpoint swap: steps between swaps to an older G (0: off).")
    swap_steps: int = _setting(5, "Checkpoint swap: steps a swap lasts.")
    swap_discriminator: bool = _setting(False, "Checkpoint swap: every other swap trains G against an older D.")
    ema_decay: float = _setting(0.0, "Decay of the generator's weight average used for samples and export (0: off).")
    ema_start: int = _setting(0, "First step of the generator's weight average.")
    top_k: float = _setting(1.0, "Top-k training: the fraction of each batch's fakes, those D scores highest, that G "
                                 "trains on at the end of the schedule (1: off; Sinha et al. 2020 use 0.5-0.75).")
    top_k_decay_steps: int = _setting(100, "Top-k training: the kept fraction shrinks by 1% every this many steps.")
    diffaugment: typing.Tuple[str, ...] = _setting((), "DiffAugment policy: a list of color, translation, cutout "
                                                       "(empty: off).")
    ada_target: float = _setting(0.0, "Adaptive discriminator augmentation (ADA): the E[sign(D(x_real))] to hold, "
                                      "e.g. 0.6 (0: off). Images only.")
    ada_interval: int = _setting(4, "ADA: steps between updates of the augmentation probability p.")
    ada_adjust_images: int = _setting(500_000, "ADA: real images over which p can go from 0 to 1.")
    ada_policy: typing.Tuple[str, ...] = _setting(ADA_AUGMENTATIONS, "ADA: augmentations, in order: a list of flip, "
                                                                     "translation, color, cutout.")
    lecam: float = _setting(0.0, "LeCam regularization weight (Tseng et al.; e.g. 0.3; 0: off), with any loss.")
    lecam_decay: float = _setting(0.99, "LeCam: decay of the moving averages of D's outputs.")
    minibatch: str = _setting("none", "Minibatch features in D.", choices=MINIBATCH)
    d_downsampling: str = _setting("stride", "DCGAN D downsampling.", choices=DOWNSAMPLING)
    g_upsampling: str = _setting("transpose", "DCGAN G upsampling.", choices=UPSAMPLING)
    g_dropout: float = _setting(0.0, "Dropout rate in G, kept on at sampling time (0: off).")
    d_steps_schedule: str = _setting("", "D updates per G update by G updates done: N[:UNTIL],..., e.g. 100:25,5 (100 "
                                         "before each of the first 25 G updates, then 5). Empty: off.")

    def replace(self, **overrides):
        """A copy with `overrides` applied and checked."""
        unknown = sorted(set(overrides) - set(field_names()))
        if unknown:
            raise RecipeError(unknown[0], overrides[unknown[0]], "is not a recipe setting; see "
                                                                 "tfgan.recipes.field_names()")
        return check(dataclasses.replace(self, **{k: _coerce(k, v) for k, v in overrides.items()}))


class RecipeError(ValueError):
    """A setting with a value the recipe does not accept. `flag` renders it as the tool's flag."""

    def __init__(self, name, value, reason):
        self.setting, self.value, self.reason = name, value, reason
        super().__init__(f"`{name}={value!r}`: {reason}")

    @property
    def flag(self):
        return f"--{self.setting}={_flag_text(self.value)}: {self.reason}"


def field_names():
    return tuple(f.name for f in dataclasses.fields(Recipe))


def run_settings():
    """The settings a resumed run may change (see `_setting`)."""
    return tuple(f.name for f in dataclasses.fields(Recipe) if f.metadata["run"])


def defaults():
    return Recipe()


def _flag_text(value):
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


# ---------------------------------------------------------------- checks (the one place)

def _fail(name, value, reason):
    raise RecipeError(name, value, reason)


def _check_field(recipe, field):
    name, value = field.name, getattr(recipe, field.name)
    choices = field.metadata["choices"]
    if choices is not None and value not in choices:
        _fail(name, value, f"must be one of {', '.join(choices)}.")
    kind = _base_type(field)
    if kind is float and not (isinstance(value, (int, float)) and math.isfinite(value)):
        _fail(name, value, "must be a finite number.")


POSITIVE = ("latent_dim", "base_filters", "train_steps", "batch_size", "d_steps", "g_steps", "sample_every",
            "checkpoint_every", "keep_checkpoints", "log_every", "steps_per_epoch", "embedding_dim", "pack",
            "penalty_every", "swap_steps", "ada_interval", "ada_adjust_images", "top_k_decay_steps", "restarts")
NON_NEGATIVE = ("max_examples", "image_size", "channels", "seed", "max_nan_steps", "steps_per_execution", "lr_decay_steps",
                "eval_every", "label_decay_steps", "instance_noise_steps", "replay_size", "swap_every", "ema_start",
                "d_fourier_features", "continuous_codes", "q_units", "resnet_blocks", "restart_steps",
                "d_base_filters")


def check(recipe):
    """Returns `recipe` when every setting is allowed; raises `RecipeError` naming the first that is not.

    Checks what can be checked without TensorFlow or the data: each value, and the settings that
    only work together. What depends on the data (image sizes the nets take, labels) is checked by
    `build` before any step runs.
    """
    for field in dataclasses.fields(recipe):
        _check_field(recipe, field)
    for name in POSITIVE:
        if getattr(recipe, name) < 1:
            _fail(name, getattr(recipe, name), "must be a positive integer.")
    for name in NON_NEGATIVE:
        if getattr(recipe, name) < 0:
            _fail(name, getattr(recipe, name), "must be a non-negative integer.")
    for name in ("d_lr", "g_lr", "penalty_weight", "penalty_target", "clip", "instance_noise", "aux_weight",
                 "info_weight", "continuous_weight", "lecam", "l1_weight", "cycle_weight", "identity_weight",
                 "distance_weight", "geometry_weight"):
        if getattr(recipe, name) < 0:
            _fail(name, getattr(recipe, name), "must be >= 0.")
    for name in ("d_beta1", "g_beta1", "d_beta2", "g_beta2", "g_dropout", "ema_decay", "lecam_decay"):
        if not 0.0 <= getattr(recipe, name) < 1.0:
            _fail(name, getattr(recipe, name), "must be in [0, 1).")
    for name in ("label_flip", "replay_prob", "ada_target"):
        if not 0.0 <= getattr(recipe, name) <= 1.0:
            _fail(name, getattr(recipe, name), "must be in [0, 1].")
    if not 0.0 < recipe.top_k <= 1.0:
        _fail("top_k", recipe.top_k, "must be in (0, 1] (1: off).")
    if not 0.0 < recipe.label_smoothing <= 1.0:
        _fail("label_smoothing", recipe.label_smoothing, "must be in (0, 1] (1: off).")
    for name in ("dataset", "dataset_b"):
        if name == "dataset" or recipe.dataset_b is not None:
            try:
                dataset_names.parse(getattr(recipe, name))
            except ValueError as error:
                _fail(name, getattr(recipe, name), str(error))
    if recipe.dataset == "toy1d" and recipe.toy_std <= 0:
        _fail("toy_std", recipe.toy_std, "the toy data's standard deviation must be positive.")
    if not recipe.d_fourier_scale > 0:
        _fail("d_fourier_scale", recipe.d_fourier_scale, "must be a positive number.")
    if recipe.d_fourier_features % 2:
        _fail("d_fourier_features", recipe.d_fourier_features, "must be 0 (off) or a positive even number.")
    for name in ("g_hidden", "d_hidden"):
        units = getattr(recipe, name)
        if not units or any(isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in units):
            _fail(name, units, "expected positive integers, e.g. 128,128.")
    for augmentation in recipe.diffaugment:
        if augmentation not in AUGMENTATIONS:
            _fail("diffaugment", recipe.diffaugment, f"must name augmentations from {', '.join(AUGMENTATIONS)}.")
    for name in ("ada_policy", "bcr_policy"):
        if not getattr(recipe, name) or any(a not in ADA_AUGMENTATIONS for a in getattr(recipe, name)):
            _fail(name, getattr(recipe, name), f"must name augmentations from {', '.join(ADA_AUGMENTATIONS)}.")
    if any(isinstance(k, bool) or not isinstance(k, int) or k < 2 for k in recipe.categorical_codes):
        _fail("categorical_codes", recipe.categorical_codes, "expected integers >= 2, e.g. 10 or 10,2.")
    _check_combinations(recipe)
    return recipe


# Settings of the noise-to-image models' step (tricks, penalties, packing ...) that the translation
# models do not have, with the value that leaves them off.
GAN_ONLY = (("d_steps", 1), ("g_steps", 1), ("pack", 1), ("concat_real_fake", False), ("penalty", "none"),
            ("clip", 0.0), ("critic_schedule", False), ("d_steps_schedule", ""), ("label_smoothing", 1.0),
            ("noisy_labels", False), ("label_flip", 0.0), ("instance_noise", 0.0), ("swap_every", 0),
            ("ema_decay", 0.0), ("diffaugment", ()), ("minibatch", "none"), ("d_fourier_features", 0),
            ("layer_norm", False), ("eval_every", 0), ("best_metric", None), ("top_k", 1.0), ("ada_target", 0.0),
            ("lecam", 0.0))
# The translation models' own settings, with their defaults, and the model that reads each.
TRANSLATION_ONLY = (("dataset_b", None, ("cyclegan",)), ("l1_weight", 100.0, ("pix2pix",)),
                    ("cycle_weight", 10.0, ("cyclegan",)), ("identity_weight", 0.5, ("cyclegan",)),
                    ("distance_weight", 0.0, ("cyclegan",)), ("geometry_weight", 0.0, ("cyclegan",)),
                    ("geometry", "rot90", ("cyclegan",)),
                    ("resnet_blocks", 0, TRANSLATION_MODELS), ("translation_norm", "auto", TRANSLATION_MODELS),
                    ("restarts", 1, TRANSLATION_MODELS), ("restart_steps", 0, TRANSLATION_MODELS))


def d_filters(recipe):
    """Filters of D's first layer: `--d_base_filters`, or `--base_filters` when it is 0."""
    return recipe.d_base_filters or recipe.base_filters


def restart_schedule(recipe):
    """The steps at which `--restarts` are compared, one per round of successive halving (Jamieson &
    Talwalkar 2016): K restarts, then the closer ceil(K / 2) at twice the steps, ... until one is left,
    ceil(log2 K) rounds in all; `[]` without restarts."""
    rounds = math.ceil(math.log2(recipe.restarts)) if recipe.restarts > 1 else 0
    first = recipe.restart_steps or recipe.train_steps // 2 ** rounds
    return [first * 2 ** r for r in range(rounds)]


def translation_generator(recipe):
    """`"unet"`, `"resnet"`, `"mlp"` or `"linear"`: the generator of a translation recipe (auto: the paper's)."""
    if recipe.architecture != "auto":
        return recipe.architecture
    return "unet" if recipe.model == "pix2pix" else "resnet"


def _check_translation(recipe):
    """What the translation models need (images, pairs or a second set) and the settings they do not read."""
    model = recipe.model
    for name, default, models in TRANSLATION_ONLY:
        if model not in models and getattr(recipe, name) != default:
            _fail(name, getattr(recipe, name), f"is a setting of --model={' or '.join(models)}, not of "
                                               f"--model={model}.")
    if model not in TRANSLATION_MODELS:
        if dataset_names.is_paired(recipe.dataset):
            _fail("dataset", recipe.dataset, "holds (a, b) image pairs for translation; use --model=pix2pix or "
                                             "--model=cyclegan.")
        if recipe.architecture in ("unet", "resnet", "linear"):
            _fail("architecture", recipe.architecture, "is a translation generator; use it with --model=pix2pix or "
                                                       "--model=cyclegan.")
        return
    for name, off in GAN_ONLY:
        if getattr(recipe, name) != off:
            _fail(name, getattr(recipe, name), f"is not a setting of --model={model} (its step has no tricks, "
                                               f"penalties or extra updates).")
    if recipe.architecture not in TRANSLATION_ARCHITECTURES:
        _fail("architecture", recipe.architecture, f"--model={model} takes auto, unet, resnet, mlp or linear.")
    if recipe.g_dropout and translation_generator(recipe) != "unet":
        _fail("g_dropout", recipe.g_dropout, f"the {translation_generator(recipe)} translator has no dropout; use "
                                             f"--architecture=unet.")
    if model == "pix2pix" and recipe.replay_size:
        _fail("replay_size", recipe.replay_size, "--model=pix2pix has no pool of past fakes (cyclegan has).")
    schedule = restart_schedule(recipe)
    if schedule and not schedule[0]:
        _fail("train_steps", recipe.train_steps, f"--restarts={recipe.restarts} needs at least {2 ** len(schedule)} "
                                                 f"steps (its {len(schedule)} comparisons come before the end).")
    if schedule and schedule[-1] >= recipe.train_steps:
        _fail("restart_steps", recipe.restart_steps, f"the last comparison of --restarts={recipe.restarts} (at "
                                                     f"{schedule[-1]} steps) must come before --train_steps="
                                                     f"{recipe.train_steps} (0: half-way).")
    if recipe.restarts > 1 and recipe.strategy == "multi_worker_mirrored":
        _fail("restarts", recipe.restarts, "the restarts are compared and moved by one process; use it with "
                                           "--strategy=default or mirrored.")
    for name in ("dataset", "dataset_b"):
        value = getattr(recipe, name)
        if value is not None and dataset_names.is_vector(value):
            _fail(name, value, f"holds vectors; --model={model} translates images.")
    paired = dataset_names.is_paired(recipe.dataset)
    if recipe.dataset_b is not None:
        if paired:
            _fail("dataset_b", recipe.dataset_b, f"--dataset={recipe.dataset} holds both domains already; leave "
                                                 f"--dataset_b out.")
        if dataset_names.is_paired(recipe.dataset_b):
            _fail("dataset_b", recipe.dataset_b, "must be domain B's images (e.g. folder:PATH), not pairs.")
    elif not paired:
        what = "paired data: digits_rot90 or pairs:folder:PATH" if model == "pix2pix" else \
            "paired data (digits_rot90, pairs:folder:PATH) or domain B's images in --dataset_b"
        _fail("dataset", recipe.dataset, f"is one set of images; --model={model} needs {what}.")


def _check_combinations(recipe):
    _check_translation(recipe)
    if recipe.spectral_norm and recipe.layer_norm:
        _fail("layer_norm", True, "choose one normalization for D: --spectral_norm or --layer_norm.")
    if recipe.critic_schedule and recipe.d_steps_schedule:
        _fail("d_steps_schedule", recipe.d_steps_schedule, "and --critic_schedule both set the D updates per G "
                                                           "update; choose one.")
    if recipe.d_steps_schedule:
        parse_d_steps_schedule(recipe.d_steps_schedule)
    if recipe.noisy_labels and recipe.label_smoothing != 1.0:
        _fail("label_smoothing", recipe.label_smoothing, "and --noisy_labels: choose one.")
    if recipe.architecture == "toy_shift" and (recipe.dataset != "toy1d" or recipe.latent_dim != 1):
        _fail("architecture", "toy_shift", f"makes 1-D samples from 1-D noise: it needs --dataset=toy1d and "
                                           f"--latent_dim=1 (got {recipe.dataset}, {recipe.latent_dim}).")
    if recipe.d_fourier_features and recipe.architecture not in ("auto", "mlp"):
        _fail("d_fourier_features", recipe.d_fourier_features, f"needs --architecture=mlp (got "
                                                               f"{recipe.architecture}).")
    if recipe.model == "infogan" and not recipe.categorical_codes and not recipe.continuous_codes:
        _fail("continuous_codes", 0, "and no --categorical_codes: an infogan needs at least one code.")
    if recipe.ada_target and recipe.diffaugment:
        _fail("ada_target", recipe.ada_target, "and --diffaugment both augment what D sees; choose one.")
    if recipe.model in ("cgan", "acgan", "infogan"):
        if recipe.d_fourier_features:
            _fail("d_fourier_features", recipe.d_fourier_features, f"the {recipe.model} discriminators have no "
                                                                   f"Fourier features; use it with --model=gan.")
        if recipe.pack != 1:
            _fail("pack", recipe.pack, f"packs unlabelled samples; use it with --model=gan (got "
                                       f"--model={recipe.model}).")
    if recipe.architecture not in ("auto", "dcgan"):
        for name, default in (("d_downsampling", "stride"), ("g_upsampling", "transpose")):
            if getattr(recipe, name) != default:
                _fail(name, getattr(recipe, name), f"needs --architecture=dcgan (got {recipe.architecture}).")
    if recipe.best_metric is not None and not recipe.eval_every:
        _fail("best_metric", recipe.best_metric, "needs --eval_every > 0.")
    if recipe.eval_every and recipe.eval_samples < 2:
        _fail("eval_samples", recipe.eval_samples, "must be at least 2.")


def parse_d_steps_schedule(text):
    """`N[:UNTIL],...` -> `(boundaries, values)`: N D updates per G update while fewer than UNTIL G
    updates are done (the last entry applies from then on)."""
    entries = []
    try:
        for part in text.split(","):
            n, _, until = part.partition(":")
            entries.append((int(n), int(until) if until else None))
        if any(n < 1 for n, _ in entries) or any(u is None or u < 1 for _, u in entries[:-1]) \
                or entries[-1][1] is not None:
            raise ValueError
        if any(a[1] >= b[1] for a, b in zip(entries[:-2], entries[1:-1])):
            raise ValueError
    except ValueError:
        _fail("d_steps_schedule", text, "expected N[:UNTIL],..., with positive N, increasing UNTIL on all but the "
                                        "last entry, e.g. 100:25,5.")
    return [until for _, until in entries[:-1]], [n for n, _ in entries]


# ---------------------------------------------------------------- flags and flagfiles

def _base_type(field):
    hint = field.type
    if typing.get_origin(hint) is typing.Union:
        hint = [a for a in typing.get_args(hint) if a is not type(None)][0]
    if typing.get_origin(hint) in (tuple, typing.Tuple):
        return tuple
    return hint


def _item_type(field):
    hint = field.type
    if typing.get_origin(hint) is typing.Union:
        hint = [a for a in typing.get_args(hint) if a is not type(None)][0]
    return typing.get_args(hint)[0]


def _coerce(name, value):
    """A Python value for a field given as a flag would give it (lists for tuples)."""
    field = {f.name: f for f in dataclasses.fields(Recipe)}[name]
    if _base_type(field) is tuple and value is not None:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        item = _item_type(field)
        try:
            return tuple(item(v) for v in value)
        except (TypeError, ValueError):
            _fail(name, _flag_text(value), "expected positive integers, e.g. 128,128." if item is int
                  else "expected a comma-separated list of names.")
    if _base_type(field) is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def define_flags(flag_values=absl_flags.FLAGS):
    """Defines one absl flag per recipe setting (help text and default from the field)."""
    for field in dataclasses.fields(Recipe):
        kind, help_text = _base_type(field), field.metadata["help"]
        if field.metadata["choices"]:
            help_text += f" One of: {', '.join(field.metadata['choices'])}."
        if kind is bool:
            absl_flags.DEFINE_bool(field.name, field.default, help_text, flag_values=flag_values)
        elif kind is int:
            absl_flags.DEFINE_integer(field.name, field.default, help_text, flag_values=flag_values)
        elif kind is float:
            absl_flags.DEFINE_float(field.name, field.default, help_text, flag_values=flag_values)
        elif kind is tuple:
            default = None if field.default is None else list(map(str, field.default))
            absl_flags.DEFINE_list(field.name, default, help_text, flag_values=flag_values)
        else:
            absl_flags.DEFINE_string(field.name, field.default, help_text, flag_values=flag_values)


def from_flags(flag_values=absl_flags.FLAGS):
    """The recipe the parsed flags describe, checked."""
    values = {}
    for field in dataclasses.fields(Recipe):
        value = flag_values[field.name].value
        values[field.name] = _coerce(field.name, value)
    return check(Recipe(**values))


def to_flags(recipe):
    """The flag lines that give `recipe` (only the settings that differ from the defaults)."""
    lines = []
    for field in dataclasses.fields(Recipe):
        value = getattr(recipe, field.name)
        if value == field.default:
            continue
        if isinstance(value, bool):
            lines.append(f"--{field.name}" if value else f"--no{field.name}")
        else:
            lines.append(f"--{field.name}={_flag_text(value)}")
    return lines


def recipe_path(path_or_name):
    """`flags/NAME.flags` for a recipe name; a path as it is. `RecipeError` when there is no such file."""
    path = path_or_name
    if not path.endswith(".flags"):
        path = os.path.join(RECIPES_DIR, f"{path_or_name}.flags")
    if not os.path.isfile(path):
        known = sorted(n[:-len(".flags")] for n in os.listdir(RECIPES_DIR) if n.endswith(".flags")) \
            if os.path.isdir(RECIPES_DIR) else []
        _fail("flagfile", path_or_name, f"no such recipe file {path}; recipes: {', '.join(known)}.")
    return path


def expand_flagfiles(args):
    """`args` with each `--flagfile=PATH` replaced by the lines of PATH, recursively. A nested
    flagfile's path is read relative to the file that includes it, then to the working directory,
    so recipes run from any directory."""
    out = []
    for arg in args:
        if arg.startswith("--flagfile="):
            out += _flagfile_lines(arg[len("--flagfile="):], os.getcwd(), ())
        else:
            out.append(arg)
    return out


def _flagfile_lines(path, base, stack):
    candidates = [path] if os.path.isabs(path) else [os.path.join(base, path), path]
    found = next((p for p in candidates if os.path.isfile(p)), None)
    if found is None:
        _fail("flagfile", path, "cannot be read (no such file).")
    found = os.path.abspath(found)
    if found in stack:
        _fail("flagfile", path, "includes itself.")
    lines = []
    with open(found) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("//"):
                continue
            if line.startswith("--flagfile="):
                lines += _flagfile_lines(line[len("--flagfile="):], os.path.dirname(found), stack + (found,))
            else:
                lines.append(line)
    return lines


def load(path_or_name, **overrides):
    """The recipe of a flagfile (`"flags/wgan_gp_grid.flags"`) or recipe name (`"wgan_gp_grid"`), with
    `overrides` (setting names and Python values, e.g. `train_steps=500`) applied, checked."""
    path = recipe_path(path_or_name)
    flag_values = absl_flags.FlagValues()
    define_flags(flag_values)
    args = expand_flagfiles([f"--flagfile={os.path.abspath(path)}"])
    try:
        flag_values(["recipe"] + args)
    except absl_flags.Error as error:
        raise RecipeError("flagfile", path_or_name, str(error)) from None
    return from_flags(flag_values).replace(**overrides)
