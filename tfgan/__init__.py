"""tfgan: generative adversarial networks trained the Keras way.

Submodules load on first use (PEP 562), so `import tfgan.recipes` (pure Python) reads and checks a
recipe without importing TensorFlow; `tfgan.GAN` and the other names below import it when touched.
"""

import importlib
import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_SUBMODULES = ("augment", "callbacks", "checks", "constraints", "data", "diagnosis", "distribute", "evaluation",
               "export", "features", "layers", "losses", "metrics", "models", "nets", "penalties", "recipes",
               "tricks")
_NAMES = {"GAN": "models", "ConditionalGAN": "models", "ACGAN": "models", "InfoGAN": "models", "TrainingHook": "models",
          "Pix2Pix": "models", "CycleGAN": "models",
          "GradientPenalty": "penalties", "R1": "penalties", "R2": "penalties",
          "ConsistencyRegularization": "penalties"}

__all__ = sorted(_NAMES) + list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"tfgan.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"tfgan.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'tfgan' has no attribute {name!r}")


def __dir__():
    return __all__
