"""tfgan: generative adversarial networks trained the Keras way."""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfgan import callbacks, data, distribute, export, features, layers, losses, metrics, models, nets  # noqa: E402
from tfgan import constraints, critic_schedule, diagnosis, evaluation, nan_guard, penalties, tricks  # noqa: E402
from tfgan.models import ACGAN, GAN, ConditionalGAN, TrainingHook  # noqa: E402
from tfgan.penalties import R1, R2, GradientPenalty  # noqa: E402

__version__ = "0.1.0"

__all__ = ["ACGAN", "ConditionalGAN", "GAN", "GradientPenalty", "R1", "R2", "TrainingHook", "callbacks", "constraints",
           "critic_schedule", "data", "diagnosis", "distribute", "evaluation", "export", "features", "layers", "losses",
           "metrics", "models", "nan_guard", "nets", "penalties", "tricks"]
