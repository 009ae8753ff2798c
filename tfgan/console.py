"""What the command-line tools print: bad input in one line, no TensorFlow start-up noise, absl INFO
only when asked for.

Pure Python. TensorFlow writes a few lines ("oneDNN custom operations are on", "Could not find cuda
drivers", "All log messages before absl::InitializeLog() ...") from C++ while it is imported, before
its logging reads `TF_CPP_MIN_LOG_LEVEL`; `import_tensorflow` sends the process's stderr to /dev/null
for the import only. Later C++ messages obey `TF_CPP_MIN_LOG_LEVEL`, which `quiet` sets to 3.
"""

import logging
import os
import sys

from absl import flags as absl_flags
from absl import logging as absl_logging


class UsageError(ValueError):
    """Bad input a tool found: reported by `fail` as one line."""


def fail(message):
    """Reports bad input (or a stopped run) in one line, `error: ...`, and exits with code 1; with
    `--verbosity=1` the traceback is logged first."""
    absl_logging.debug("Error", exc_info=True)
    print(f"error: {getattr(message, 'flag', message)}", file=sys.stderr)
    sys.exit(1)


def flags_parser(flag_values, expand=None):
    """A `flags_parser` for `absl.app.run`: a flag absl cannot parse, or an argument `expand` rejects
    (`tfgan.recipes.expand_flagfiles`), is one line, not absl's usage text."""
    def parse(argv):
        try:
            args = expand(argv[1:]) if expand else argv[1:]
            return flag_values([argv[0]] + list(args))
        except (absl_flags.Error, ValueError) as error:
            fail(error)

    return parse


def quiet(verbose=False):
    """Sets up a tool's output: with `verbose` False, no C++ log lines, absl and TensorFlow Python
    logs at WARNING and above; with `verbose`, everything (absl's `--verbosity` decides)."""
    if verbose:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    absl_logging.set_verbosity(absl_logging.WARNING)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    absl_logging.get_absl_handler().addFilter(_LibraryWarnings())
    import_tensorflow()


class _LibraryWarnings(logging.Filter):
    """Drops the warnings TensorFlow's own libraries log through absl (tensorflow-datasets' "Variant
    folder ... has no dataset_info.json" before the one-line error that explains it), keeps tfgan's."""

    def filter(self, record):
        return record.levelno >= logging.ERROR or f"{os.sep}tensorflow_datasets{os.sep}" not in record.pathname


def import_tensorflow():
    """Imports TensorFlow with the process's stderr silenced for the import's C++ start-up lines."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
