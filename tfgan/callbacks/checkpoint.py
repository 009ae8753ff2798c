"""`TrainingCheckpoint` (periodic `tf.train.CheckpointManager` saves of the whole training state) and
`StopAtStep`."""

import keras
import tensorflow as tf

from tfgan import checks
from tfgan.callbacks.base import PeriodicCallback, model_step


class TrainingCheckpoint(PeriodicCallback):
    """Saves `model.training_state()` with a `tf.train.CheckpointManager` every `every` steps and at
    the end of training; `restore()` loads the latest checkpoint before `fit`.

    TensorFlow writes a checkpoint's files before it updates the `checkpoint` index file, so a job
    killed while saving resumes from the previous checkpoint.
    """

    def __init__(self, directory, every=500, max_to_keep=3):
        super().__init__(every)
        self.directory = directory
        self.max_to_keep = checks.positive_int("max_to_keep", max_to_keep)
        self._manager = None

    def set_model(self, model):
        super().set_model(model)
        self._manager = None

    def manager(self):
        if self._manager is None:
            checkpoint = tf.train.Checkpoint(**self.model.training_state())
            self._manager = tf.train.CheckpointManager(checkpoint, self.directory, max_to_keep=self.max_to_keep,
                                                       step_counter=self.model.step_counter)
        # State registered after the first call (callbacks' `track_state` in `on_train_begin`, after
        # `restore`) joins the same checkpoint object, which restores it from the restored checkpoint
        # as it is attached (deferred restoration) and saves it from then on.
        checkpoint = self._manager.checkpoint
        for name, trackable in self.model.training_state().items():
            if getattr(checkpoint, name, None) is not trackable:
                setattr(checkpoint, name, trackable)
        return self._manager

    def restore(self):
        """Restores the latest checkpoint, if any; returns its path or None."""
        manager = self.manager()
        if manager.latest_checkpoint:
            manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        return manager.latest_checkpoint

    def on_train_batch_end(self, batch, logs=None):
        step = model_step(self.model)
        if self.due(step) and not _in_nan_streak(self.model):
            self.manager().save(checkpoint_number=step)

    def on_train_end(self, logs=None):
        step = model_step(self.model)
        manager = self.manager()
        if _in_nan_streak(self.model):
            return  # the newest checkpoint stays the last good one (see NaNGuard)
        if manager.latest_checkpoint is None or not manager.latest_checkpoint.endswith(f"-{step}"):
            manager.save(checkpoint_number=step)


def _in_nan_streak(model):
    """True while the model's last steps skipped their updates for non-finite values."""
    streak = getattr(model, "nan_streak", None)
    return streak is not None and int(streak.numpy()) > 0


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit` once the model's step counter reaches `last_step`."""

    def __init__(self, last_step):
        super().__init__()
        self.last_step = checks.non_negative_int("last_step", last_step)

    def on_train_batch_end(self, batch, logs=None):
        if model_step(self.model) >= self.last_step:
            self.model.stop_training = True
