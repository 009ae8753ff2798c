"""`MetricsLogger`: the training step's logs in `metrics.jsonl` and TensorBoard."""

import os

import tensorflow as tf

from tfgan.callbacks.base import MetricsFile, PeriodicCallback, model_step


class MetricsLogger(PeriodicCallback):
    """Appends the step's logs to a JSON-lines file (one strict JSON object a line, each with `step`)
    and to TensorBoard scalars, every `every` steps.

    On `on_train_begin` it drops the lines of steps after the model's current step: after a resume
    from a checkpoint, the steps the killed run logged past that checkpoint are trained again and
    logged once, by the new run.

    Args:
        path: the JSON-lines file (a `MetricsFile` or its path).
        every: steps between lines. Defaults to `1`.
        log_dir: TensorBoard directory. Defaults to `None`.
    """

    def __init__(self, path, every=1, log_dir=None):
        super().__init__(every)
        self.metrics = path if isinstance(path, MetricsFile) else MetricsFile(path)
        self.log_dir = log_dir
        self._writer = None

    @property
    def path(self):
        return self.metrics.path

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.metrics.truncate(model_step(self.model))
        if self.log_dir and self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "train"))

    def on_train_batch_end(self, batch, logs=None):
        step = model_step(self.model)
        if self.due(step) and logs:
            self.write(step, logs)

    def write(self, step, values):
        record = self.metrics.append({"step": step, **values})
        if self._writer is not None:
            with self._writer.as_default():
                for key, value in record.items():
                    if key != "step" and isinstance(value, float):
                        tf.summary.scalar(key, value, step=step)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()
