"""GAN models: one class for every loss (`GAN`), and the models whose step adds to it."""

from tfgan.models.conditional import ACGAN, FAKE_LABELS, ConditionalGAN
from tfgan.models.gan import GAN, NOISE_DISTRIBUTIONS
from tfgan.models.hooks import TrainingHook
from tfgan.models.infogan import InfoGAN

__all__ = ["ACGAN", "ConditionalGAN", "FAKE_LABELS", "GAN", "InfoGAN", "NOISE_DISTRIBUTIONS", "TrainingHook"]
