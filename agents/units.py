"""Units written in scenario files: durations in days, rates per day.

A trainer writes ``every: 30d`` or ``horizon: 3y``; the model thinks in days on one
clock (``env.now``). This module is the only place that turns the written form into
days, so a scenario reads like a lesson plan and the model never guesses a unit.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel as _PydanticBase
from pydantic import BeforeValidator, ConfigDict, PlainSerializer

__all__ = ["DAYS_PER_MONTH", "DAYS_PER_YEAR", "Days", "Frozen", "parse_duration"]

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0

#: Suffix → days. ``mo`` is a calendar-average month (365.25/12 days).
_UNITS: dict[str, float] = {
    "min": 1.0 / 1440.0,
    "h": 1.0 / 24.0,
    "d": 1.0,
    "w": 7.0,
    "mo": DAYS_PER_MONTH,
    "q": 3.0 * DAYS_PER_MONTH,
    "y": DAYS_PER_YEAR,
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(min|h|d|w|mo|q|y)\s*$")


def parse_duration(value: Any) -> Any:
    """Turn ``"30d"``, ``"4h"``, ``"1.5y"`` or a bare number of days into days.

    Anything that is not a duration is passed through unchanged so that pydantic
    reports it with the field path (never a silent repair).

    Args:
        value: a number (days) or a string with one of the units min, h, d, w, mo, q, y.

    Returns:
        The duration in days as a float, or ``value`` itself when it is not parseable.

    Raises:
        ValueError: a string that looks like a duration but has an unknown unit.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
        raise ValueError(
            f"{value!r} is not a duration; write a number and a unit, e.g. 30d, 4h, 2w, 6mo, 3y "
            "(units: min, h, d, w, mo, q, y)"
        )
    return value


#: A non-negative duration in days, written in a scenario as ``30d``, ``4h``, ``3y`` …
Days = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda v: v, return_type=float),
]


class Frozen(_PydanticBase):
    """Base of every parameter model: immutable, and unknown keys are errors.

    ``extra="forbid"`` turns a typo such as ``staf: 4`` into an error naming the field
    instead of silently running with the default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
