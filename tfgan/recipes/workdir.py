"""A training job's directory and its promises: one writer at a time, the configuration it was started
with, checkpoints found by listing the files (a damaged one set aside), no leftovers of cut saves.

    WORKDIR/.lock              the writer: pid, host and start time (an flock the kernel frees when it dies)
    WORKDIR/config.json        the recipe of the first run; a resume that changes the model is refused
    WORKDIR/checkpoints/       ckpt-STEP.index + .data-*; set aside as damaged-ckpt-STEP.* when unreadable
    WORKDIR/metrics.jsonl  samples/  logs/  generator/
    WORKDIR/restarts/seed-N/   with --restarts: the workdir of each restart; restarts.json the comparison

Pure Python (`tf` only where checkpoints are read): `tfgan.recipes.training` uses it.
"""

import dataclasses
import datetime
import fcntl
import json
import os
import re
import shutil
import socket

from absl import logging

import tfgan.recipes.config as config  # the module, not the package (whose __init__ imports this one lazily)


class WorkdirError(ValueError):
    """A workdir that cannot be used as it is; nothing in it was changed."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """A checkpoint found on disk: its step and its path prefix (`.../ckpt-STEP`)."""

    step: int
    prefix: str


class Workdir:
    """The paths of a training job's outputs, its lock, its configuration and its checkpoints."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.checkpoints = os.path.join(self.path, "checkpoints")
        self.samples = os.path.join(self.path, "samples")
        self.logs = os.path.join(self.path, "logs")
        self.metrics = os.path.join(self.path, "metrics.jsonl")
        self.generator = os.path.join(self.path, "generator")
        self.config = os.path.join(self.path, "config.json")
        self.restarts = os.path.join(self.path, "restarts.json")
        self.lock_path = os.path.join(self.path, ".lock")
        self._lock = None

    def fail(self, reason):
        raise WorkdirError(f"--workdir={self.path}: {reason}")

    def check_writable(self):
        """Creates the workdir and checks every output path can be what it must be."""
        try:
            os.makedirs(self.path, exist_ok=True)
            probe = os.path.join(self.path, ".write_test")
            with open(probe, "w") as f:
                f.write("ok")
            os.remove(probe)
        except OSError as error:
            self.fail(f"cannot write there ({error.strerror}).")
        for path, kind in ((self.metrics, "file"), (self.config, "file"), (self.checkpoints, "directory"),
                           (self.samples, "directory"), (self.logs, "directory")):
            if os.path.exists(path) and os.path.isdir(path) != (kind == "directory"):
                self.fail(f"{path} must be a {kind}; move it away.")

    # ---------------------------------------------------------------- one writer

    def lock(self):
        """Takes the workdir's lock, or fails naming the process that holds it. The lock is an
        `flock` on `.lock`, which the kernel releases when its holder exits or is killed, so a lock
        left by a dead job is taken over. Taking it again in the same process does nothing."""
        if self._lock is not None:
            return
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            with open(self.lock_path) as f:
                owner = f.read().strip() or "another process"
            os.close(fd)
            self.fail(f"is in use by {owner}; wait for it to end, or use another --workdir.")
        owner = (f"pid {os.getpid()} on {socket.gethostname()} since "
                 f"{datetime.datetime.now().isoformat(timespec='seconds')}")
        os.ftruncate(fd, 0)
        os.write(fd, owner.encode())
        os.fsync(fd)
        self._lock = fd

    def unlock(self):
        if self._lock is not None:
            os.ftruncate(self._lock, 0)
            os.close(self._lock)
            self._lock = None

    # ---------------------------------------------------------------- configuration

    def check_config(self, recipe, allow_change=False, save=True):
        """Saves the recipe at the first run; on a resume, refuses a recipe that changes a setting a
        resumed run may not change (the model, data, loss, batch ...), naming each one and both values.
        With `allow_change` the new recipe is accepted (a warning lists the changes) and saved; with
        `save=False` it is only compared."""
        current = dataclasses.asdict(recipe)
        if os.path.exists(self.config):
            try:
                with open(self.config) as f:
                    saved = json.load(f)["recipe"]
            except (OSError, ValueError, KeyError, TypeError):
                self.fail(f"its {self.config} cannot be read; move it away to train on (the checkpoints stay).")
            guarded = set(config.field_names()) - set(config.run_settings())
            changed = [(name, saved[name], current[name]) for name in sorted(guarded & set(saved))
                       if _comparable(saved[name]) != _comparable(current[name])]
            if changed and not allow_change:
                listed = "; ".join(f"--{name}={_text(old)} in the workdir, {_text(new)} now"
                                   for name, old, new in changed)
                self.fail(f"was trained with other settings: {listed}. Use the workdir's settings, another "
                          f"--workdir, or --allow_config_change to continue with the new ones.")
            if changed and save:
                logging.warning("--allow_config_change: continuing %s with %s", self.path,
                                ", ".join(f"--{n}={_text(new)} (was {_text(old)})" for n, old, new in changed))
            if saved == current:
                return
        if save:
            _write_json(self.config, {"recipe": current})

    # ---------------------------------------------------------------- restarts

    def restart(self, seed):
        """The workdir of the restart from `seed`: WORKDIR/restarts/seed-N."""
        return Workdir(os.path.join(self.path, "restarts", f"seed-{seed}"))

    def read_restarts(self):
        """The restarts' comparison written by `write_restarts`, or None before it is made."""
        if not os.path.exists(self.restarts):
            return None
        try:
            with open(self.restarts) as f:
                return json.load(f)
        except (OSError, ValueError):
            self.fail(f"its {self.restarts} cannot be read; move it away to compare the restarts again.")

    def write_restarts(self, record):
        _write_json(self.restarts, record)

    def adopt(self, restart):
        """Moves the checkpoints, samples, logs and metrics of the chosen `restart` into this workdir,
        which goes on from them (its configuration and export stay); a repeat finishes a cut move."""
        for name in ("checkpoints", "samples", "logs", "metrics"):
            source, target = getattr(restart, name), getattr(self, name)
            if os.path.exists(source) and not os.path.exists(target):
                shutil.move(source, target)

    # ---------------------------------------------------------------- checkpoints

    def clean(self):
        """Removes what saves cut short left behind: `ckpt-N_temp/` folders and `*.tmp` files."""
        for folder in (self.checkpoints, self.path):
            if not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                path = os.path.join(folder, name)
                if name.endswith("_temp") and os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                elif name.endswith(".tmp") and name != ".tmp":
                    (shutil.rmtree if os.path.isdir(path) else os.remove)(path)

    def list_checkpoints(self, directory=None):
        """The checkpoints in `directory` (default: WORKDIR/checkpoints), newest first, found by
        listing the files (an index and at least one data file), not through the state file."""
        directory = directory or self.checkpoints
        if not os.path.isdir(directory):
            return []
        names = set(os.listdir(directory))
        found = []
        for name in names:
            match = re.fullmatch(r"ckpt-(\d+)\.index", name)
            if match and any(n.startswith(f"ckpt-{match.group(1)}.data-") for n in names):
                found.append(Checkpoint(int(match.group(1)), os.path.join(directory, f"ckpt-{match.group(1)}")))
        return sorted(found, key=lambda c: -c.step)

    def set_aside(self, checkpoint):
        """Renames a damaged checkpoint's files to `damaged-ckpt-STEP.*` (kept, never read again)."""
        directory, base = os.path.split(checkpoint.prefix)
        for name in os.listdir(directory):
            if name.startswith(base + "."):
                os.replace(os.path.join(directory, name), os.path.join(directory, "damaged-" + name))

    def write_checkpoint_state(self, kept):
        """Rewrites the checkpoint state file (TensorFlow's `CheckpointState`, in protobuf text format)
        to name `kept` (newest first) with their files' times, after the "last preserved" time, so that
        the run's `tf.train.CheckpointManager` goes on keeping and deleting them."""
        if not kept:
            return
        oldest_first = list(reversed(kept))
        times = [os.path.getmtime(c.prefix + ".index") for c in oldest_first]
        lines = [f'model_checkpoint_path: "{os.path.basename(kept[0].prefix)}"']
        lines += [f'all_model_checkpoint_paths: "{os.path.basename(c.prefix)}"' for c in oldest_first]
        lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in times]
        lines.append(f"last_preserved_timestamp: {min(times) - 1!r}")
        path = os.path.join(self.checkpoints, "checkpoint")
        with open(path + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(path + ".tmp", path)


def _comparable(value):
    return list(value) if isinstance(value, (tuple, list)) else value


def _text(value):
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)


def _write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(tmp, path)
