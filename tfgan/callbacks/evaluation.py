"""`Evaluation`: sample-quality metrics every N steps of `fit`, and the best generator kept."""

import json
import os

import tensorflow as tf

from tfgan import checks
from tfgan import export as export_lib
from tfgan.callbacks.base import MetricsFile, PeriodicCallback, model_step
from tfgan.evaluation import Evaluator, is_better


class Evaluation(PeriodicCallback):
    """Every `every` steps, computes sample-quality metrics and keeps the best generator.

    The generator's samples for a fixed noise batch of `num_samples` go through an `Evaluator`; the
    numbers are appended to `metrics_path` (the JSON-lines file `MetricsLogger` writes, one object a
    line with `step`) and written to TensorBoard under `log_dir/eval`. With `best_metric` set, each
    evaluation that beats the best so far saves `model.training_state()` to `best_directory` (one
    checkpoint, numbered by its step), writes `best_directory/best.json` (`step`, `metric`, `value`)
    and exports the generator to `export_directory`: DCGANs often get worse late in training.
    A resumed run reads `best.json` so it only replaces the best with a better one.

    Args:
        evaluator: an `Evaluator`, or a dataset name to build one with its default metrics.
        every: steps between evaluations; training also ends with one. Defaults to `1000`.
        num_samples: generated samples per evaluation. Defaults to `1000`.
        metrics_path: JSON-lines file to append to. Defaults to `None` (not written).
        log_dir: TensorBoard directory. Defaults to `None`.
        best_metric: an output of the evaluator (e.g. `"kl"`, `"fd"`) to keep the best generator by.
            Defaults to `None` (no best kept).
        best_directory: checkpoint directory of the best state. Defaults to `None`; needed with `best_metric`.
        export_directory: where the best generator's SavedModel goes. Defaults to `None` (not exported).
        seed: seed of the fixed noise batch. Defaults to `0`.
    """

    def __init__(self, evaluator, every=1000, num_samples=1000, metrics_path=None, log_dir=None, best_metric=None,
                 best_directory=None, export_directory=None, seed=0):
        super().__init__(every)
        self.evaluator = Evaluator(evaluator) if isinstance(evaluator, str) else evaluator
        if not isinstance(self.evaluator, Evaluator):
            raise ValueError(f"`evaluator` must be a tfgan.evaluation.Evaluator or a dataset name. "
                             f"Received: `evaluator={evaluator!r}`.")
        self.num_samples = checks.positive_int("num_samples", num_samples, minimum=2)
        if best_metric is not None:
            checks.choice("best_metric", best_metric, self.evaluator.outputs)
        if best_metric is not None and not best_directory:
            raise ValueError(f"`best_directory` is needed with `best_metric={best_metric!r}`.")
        self.metrics = None if metrics_path is None else (
            metrics_path if isinstance(metrics_path, MetricsFile) else MetricsFile(metrics_path))
        self.log_dir = log_dir
        self.best_metric = best_metric
        self.best_directory = best_directory
        self.export_directory = export_directory
        self.seed = seed
        self.history = []
        self.best = None
        self._writer = None
        self._manager = None
        self._z = None
        self._last_step = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        step = model_step(self.model)
        if self.metrics is not None:
            self.metrics.truncate(step)
        if self.log_dir and self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "eval"))
        self._z = self.model.fixed_noise(self.num_samples, self.seed)
        self._last_step = None
        self.best = self._read_best() if self.best_metric else None
        self._manager = None

    def _best_file(self):
        return os.path.join(self.best_directory, "best.json")

    def _read_best(self):
        try:
            with open(self._best_file()) as f:
                record = json.load(f)
        except (OSError, ValueError):
            return None
        return record if record.get("metric") == self.best_metric else None

    def on_train_batch_end(self, batch, logs=None):
        step = model_step(self.model)
        if self.due(step):
            self.evaluate(step)

    def on_train_end(self, logs=None):
        step = model_step(self.model)
        if self._last_step != step:
            self.evaluate(step)
        if self._writer is not None:
            self._writer.flush()

    def generate(self):
        """The samples of the fixed noise batch, drawn with the model's sampling weights."""
        return self.model.sample(self._z, self.model.balanced_labels(len(self._z)))

    def evaluate(self, step):
        """Evaluates the model now; logs, keeps the best, returns the dict of numbers."""
        results = self.evaluator(self.generate())
        self._last_step = step
        record = {"step": step, **results}
        self.history.append(record)
        if self.metrics is not None:
            self.metrics.append(record)
        if self._writer is not None:
            with self._writer.as_default():
                for key, value in results.items():
                    tf.summary.scalar(key, value, step=step)
        if self.best_metric and is_better(self.best_metric, results[self.best_metric],
                                          None if self.best is None else self.best["value"]):
            self._save_best(step, results[self.best_metric])
        return results

    def _save_best(self, step, value):
        if self._manager is None:
            checkpoint = tf.train.Checkpoint(**self.model.training_state())
            self._manager = tf.train.CheckpointManager(checkpoint, self.best_directory, max_to_keep=1)
        self._manager.save(checkpoint_number=step)
        if self.export_directory:
            export_lib.export_generator(self.model, self.export_directory)
        self.best = {"step": step, "metric": self.best_metric, "value": value}
        tmp = self._best_file() + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.best, f)
        os.replace(tmp, self._best_file())
