"""NaNGuard: stops training after too many non-finite steps in a row, naming the last good checkpoint.

`GAN`'s step already skips any update whose loss or gradient is not finite (weights and optimizer
state unchanged) and counts it in `model.nan_steps`; this callback logs each run of such steps and
ends `fit` when one lasts `max_nan_steps` steps. `TrainingCheckpoint` saves nothing while a run
lasts, so the newest checkpoint is the last one written from a finite state.
"""

import keras
import tensorflow as tf
from absl import logging

from tfgan import checks
from tfgan.callbacks.base import model_step


class NaNGuard(keras.callbacks.Callback):
    """Ends `fit` after `max_nan_steps` consecutive steps with a non-finite loss or gradient.

    After it stops training, `message` says at which step and which checkpoint (the newest in
    `checkpoint_dir`) holds the last good state; it is `None` otherwise.

    Args:
        max_nan_steps: consecutive non-finite steps tolerated; `0` never stops. Defaults to `100`.
        checkpoint_dir: the `TrainingCheckpoint` directory named in the message. Defaults to `None`.

    Example:

    ```python
    guard = tfgan.callbacks.NaNGuard(max_nan_steps=20, checkpoint_dir="run/checkpoints")
    gan.fit(dataset, steps_per_epoch=1000, callbacks=[guard])
    if guard.message:
        raise SystemExit(guard.message)
    ```
    """

    def __init__(self, max_nan_steps=100, checkpoint_dir=None):
        super().__init__()
        self.max_nan_steps = checks.non_negative_int("max_nan_steps", max_nan_steps)
        self.checkpoint_dir = checkpoint_dir
        self.message = None

    def on_train_begin(self, logs=None):
        self.message = None
        self._streak = int(self.model.nan_streak.numpy())

    def on_train_batch_end(self, batch, logs=None):
        streak = int(self.model.nan_streak.numpy())
        if streak == self._streak or streak == 0:
            self._streak = streak
            return
        self._streak = streak
        step = model_step(self.model)
        if streak == 1:
            logging.warning("Step %d: non-finite loss or gradient, update skipped (nan_steps=%d).",
                            step, int(self.model.nan_steps.numpy()))
        if self.max_nan_steps and streak >= self.max_nan_steps:
            self.message = (f"stopped at step {step} after {streak} steps in a row with a non-finite loss or "
                            f"gradient (max_nan_steps={self.max_nan_steps}); the last good checkpoint is "
                            f"{self.last_good_checkpoint()}.")
            logging.error(self.message)
            self.model.stop_training = True

    def last_good_checkpoint(self):
        """The newest checkpoint in `checkpoint_dir` (none is written during a non-finite run)."""
        if self.checkpoint_dir is None:
            return "not kept (no checkpoint directory)"
        return tf.train.latest_checkpoint(self.checkpoint_dir) or f"none yet in {self.checkpoint_dir}"
