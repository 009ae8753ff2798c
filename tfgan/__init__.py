"""tfgan: generative adversarial networks trained the Keras way."""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfgan import callbacks, data, export, features, layers, losses, metrics, models, nets, tricks  # noqa: E402
from tfgan.models import GAN, TrainingHook  # noqa: E402

__version__ = "0.1.0"

__all__ = ["GAN", "TrainingHook", "callbacks", "data", "layers", "export", "features", "losses", "metrics", "models", "nets", "tricks"]
