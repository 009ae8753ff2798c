"""Keras callbacks for GAN training: what must happen outside the graph (files, logs, checkpoints),
at execution boundaries, plus the tricks of `tfgan.tricks` (callbacks that install in-graph hooks).

All of them count steps with the model's own `step_counter` (training steps, not optimizer
iterations), so they continue where a resumed run left off, and act at the first execution boundary
at or after each multiple of their cadence (`steps_per_execution` steps make one execution).
"""

from tfgan.callbacks.base import MetricsFile, PeriodicCallback, model_step
from tfgan.callbacks.checkpoint import StopAtStep, TrainingCheckpoint
from tfgan.callbacks.evaluation import Evaluation
from tfgan.callbacks.metrics_logger import MetricsLogger
from tfgan.callbacks.monitor import TrainingMonitor
from tfgan.callbacks.nan_guard import NaNGuard
from tfgan.callbacks.sample_grid import SampleGrid, image_grid, plot_points_1d, plot_points_2d, translation_grid
from tfgan.tricks import (AdaptiveAugment, CheckpointSwap, CriticSchedule, DiffAugment, DStepsSchedule,
                          ExperienceReplay, GeneratorEMA, InstanceNoise, LabelFlipping, LabelSmoothing,
                          TopKGenerator)

__all__ = ["AdaptiveAugment", "CheckpointSwap", "CriticSchedule", "DStepsSchedule", "DiffAugment", "Evaluation",
           "ExperienceReplay", "GeneratorEMA", "InstanceNoise", "LabelFlipping", "LabelSmoothing", "MetricsFile",
           "MetricsLogger", "NaNGuard", "PeriodicCallback", "SampleGrid", "StopAtStep", "TopKGenerator",
           "TrainingCheckpoint", "TrainingMonitor", "image_grid", "model_step", "plot_points_1d", "plot_points_2d",
           "translation_grid"]
