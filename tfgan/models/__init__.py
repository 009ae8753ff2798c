"""GAN models: one class for every loss (`GAN`), and the models whose step adds to it."""

from tfgan.models.conditional import ACGAN, FAKE_LABELS, ConditionalGAN
from tfgan.models.gan import GAN, NOISE_DISTRIBUTIONS
from tfgan.models.hooks import TrainingHook

__all__ = ["ACGAN", "ConditionalGAN", "FAKE_LABELS", "GAN", "NOISE_DISTRIBUTIONS", "TrainingHook"]
