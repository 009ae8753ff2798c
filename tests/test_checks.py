"""tfgan.checks: every check returns the value it accepts and names the argument and value it rejects."""

import math

import numpy as np
import pytest

from tfgan import checks


@pytest.mark.parametrize("check,args,value,expected", [
    (checks.positive_int, (), 3, 3),
    (checks.positive_int, (), np.int64(2), 2),
    (checks.positive_int, (4,), 4, 4),
    (checks.non_negative_int, (), 0, 0),
    (checks.number, (0.0, 1.0), 1.0, 1.0),
    (checks.number, (0.0, None), 7, 7.0),
    (checks.probability, (), 0.25, 0.25),
    (checks.boolean, (), False, False),
    (checks.choice, (("a", "b"),), "b", "b"),
])
def test_accepted_values_come_back(check, args, value, expected):
    result = check("arg", value, *args)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("check,args,kwargs,value,phrase", [
    (checks.positive_int, (), {}, 0, "a positive integer"),
    (checks.positive_int, (), {}, True, "a positive integer"),
    (checks.positive_int, (), {}, 2.0, "a positive integer"),
    (checks.positive_int, (4,), {}, 3, "an integer >= 4"),
    (checks.non_negative_int, (), {}, -1, "a non-negative integer"),
    (checks.number, (0.0, 1.0), {}, 1.5, "a finite number in [0.0, 1.0]"),
    (checks.number, (0.0, 1.0), {"high_open": True}, 1.0, "a finite number in [0.0, 1.0)"),
    (checks.number, (0.0,), {"low_open": True}, 0.0, "a finite number > 0.0"),
    (checks.number, (), {}, math.nan, "a finite number"),
    (checks.number, (), {}, "1", "a finite number"),
    (checks.probability, (), {}, -0.1, "in [0.0, 1.0]"),
    (checks.boolean, (), {}, 1, "True or False"),
    (checks.choice, (("a", "b"),), {}, "c", "one of ('a', 'b')"),
])
def test_rejected_values_are_named_with_what_is_accepted(check, args, kwargs, value, phrase):
    with pytest.raises(ValueError) as error:
        check("arg", value, *args, **kwargs)
    assert phrase in str(error.value) and f"Received: `arg={value!r}`" in str(error.value)
