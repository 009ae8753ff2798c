"""What the callbacks share: the model's step, a cadence that survives `steps_per_execution`, and the
one writer of `metrics.jsonl`. A leaf: it imports nothing else from tfgan but `checks`."""

import json
import math
import os

import keras
import numpy as np

from tfgan import checks


def model_step(model):
    """The model's step counter (training steps done) as an int."""
    return int(model.step_counter.numpy())


class PeriodicCallback(keras.callbacks.Callback):
    """A callback that acts every `every` steps of the model's step counter.

    Keras calls `on_train_batch_end` once per execution (every `steps_per_execution` steps), so an
    action is due at the first call at or after each multiple of `every`; when `steps_per_execution`
    divides `every` that is the multiple itself.
    """

    def __init__(self, every):
        super().__init__()
        self.every = checks.positive_int("every", every)
        self._checked_step = 0

    def on_train_begin(self, logs=None):
        self._checked_step = model_step(self.model)

    def due(self, step):
        """Whether a multiple of `every` was reached since the last call (call it once per batch end)."""
        crossed = step // self.every > self._checked_step // self.every
        self._checked_step = step
        return crossed


def _json_number(value):
    """A JSON-safe value: an int, a finite float, None for NaN / inf, or the value itself when not a number."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    try:
        number = float(np.asarray(value))
    except (TypeError, ValueError):
        return value
    return number if math.isfinite(number) else None


class MetricsFile:
    """`metrics.jsonl`: one strict JSON object a line, each with `step`.

    Every writer of the file (the step logs, evaluations, the training monitor's warnings) goes
    through `append`; numbers that are not finite are written as `null` (the model counts those
    steps in `nan_steps`), so any JSON parser reads every line. `truncate(step)` drops the lines of
    later steps, which a resumed run trains and logs again.
    """

    def __init__(self, path):
        self.path = os.fspath(path)

    def append(self, record):
        record = {key: _json_number(value) for key, value in record.items()}
        line = json.dumps(record, allow_nan=False) + "\n"
        with open(self.path, "a") as f:
            f.write(line)
        return record

    def truncate(self, last_step):
        """Keeps the lines whose `step` is at most `last_step` (atomically rewritten)."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        if not os.path.exists(self.path):
            return
        with open(self.path) as f:
            lines = f.readlines()
        kept = []
        for line in lines:
            try:
                if json.loads(line)["step"] <= last_step:
                    kept.append(line if line.endswith("\n") else line + "\n")
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill
        if len(kept) != len(lines):
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                f.writelines(kept)
            os.replace(tmp, self.path)

    def records(self):
        """The file's records, in order (lines that do not parse are skipped)."""
        if not os.path.exists(self.path):
            return []
        records = []
        with open(self.path) as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records
