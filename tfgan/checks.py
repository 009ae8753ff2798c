"""Argument checks shared by every constructor: each returns the checked value or raises `ValueError`
naming the argument and echoing what it received, as Keras does ("Received: `every=0`").

Pure Python (no TensorFlow), so `tfgan.recipes` can check a recipe before TensorFlow is imported.
"""

import math
import numbers


def _fail(name, value, expected):
    raise ValueError(f"`{name}` must be {expected}. Received: `{name}={value!r}`.")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name, value, minimum=1):
    """`value` as an int >= `minimum` (1 unless given)."""
    if not _is_int(value) or value < minimum:
        _fail(name, value, "a positive integer" if minimum == 1 else f"an integer >= {minimum}")
    return int(value)


def non_negative_int(name, value):
    """`value` as an int >= 0."""
    if not _is_int(value) or value < 0:
        _fail(name, value, "a non-negative integer")
    return int(value)


def number(name, value, low=None, high=None, *, low_open=False, high_open=False):
    """`value` as a finite float within the bounds given (closed unless `low_open` / `high_open`)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        if low is not None and high is not None:
            bounds = f" in {left}{low}, {high}{right}"
        elif low is not None:
            bounds = f" {'>' if low_open else '>='} {low}"
        elif high is not None:
            bounds = f" {'<' if high_open else '<='} {high}"
        else:
            bounds = ""
        _fail(name, value, f"a finite number{bounds}")
    return float(value)


def probability(name, value):
    """`value` as a float in [0, 1]."""
    return number(name, value, 0.0, 1.0)


def boolean(name, value):
    """`value` when it is True or False."""
    if not isinstance(value, bool):
        _fail(name, value, "True or False")
    return value


def choice(name, value, choices):
    """`value` when it is one of `choices`."""
    if value not in choices:
        _fail(name, value, f"one of {tuple(choices)}")
    return value
