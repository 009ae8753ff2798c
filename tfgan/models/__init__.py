"""The models: `GAN` (one class for every loss), the models whose step adds to it (`ConditionalGAN`,
`ACGAN`), the image-to-image translation models (`Pix2Pix`, `CycleGAN`) and what they share
(`AdversarialModel`, `TrainingHook`, `ReplayPool`)."""

from tfgan.models.base import AdversarialModel
from tfgan.models.conditional import ACGAN, FAKE_LABELS, ConditionalGAN
from tfgan.models.gan import GAN, NOISE_DISTRIBUTIONS
from tfgan.models.hooks import TrainingHook
from tfgan.models.infogan import InfoGAN
from tfgan.models.replay import ReplayPool
from tfgan.models.translation import DIRECTIONS, CycleGAN, Pix2Pix, mean_absolute_error

__all__ = ["ACGAN", "AdversarialModel", "ConditionalGAN", "CycleGAN", "DIRECTIONS", "FAKE_LABELS", "GAN", "InfoGAN",
           "NOISE_DISTRIBUTIONS", "Pix2Pix", "ReplayPool", "TrainingHook", "mean_absolute_error"]
