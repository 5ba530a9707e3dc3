"""Units written in scenario files: durations in days, rates per day.

A trainer writes ``every: 30d`` or ``horizon: 3y``; the model thinks in days on one
clock (``env.now``). This module is the only place that turns the written form into
days, so a scenario reads like a lesson plan and the model never guesses a unit.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BaseModel as _PydanticBase
from pydantic import BeforeValidator, ConfigDict, PlainSerializer

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "HOUR",
    "MAX_CUSTOMERS",
    "MAX_HEADCOUNT",
    "MAX_HORIZON",
    "MAX_MONEY",
    "MAX_POINTS",
    "MAX_PRICE_INDEX",
    "MAX_PURCHASES_PER_DAY",
    "MAX_SHAPE",
    "MAX_TIME_SCALE",
    "MINUTE",
    "Days",
    "Frozen",
    "format_duration",
    "limit_text",
    "parse_duration",
]

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0
HOUR = 1.0 / 24.0
MINUTE = 1.0 / 1440.0

# ----------------------------------------------------------------------------- ceilings
# The bounds every numeric scenario field declares (``le=``, ``ge=``), shared so that one
# argument covers them all. A scenario file comes from anyone: a value that validates must
# not overflow, hang or exhaust memory for reasons the schema could have seen.

#: Longest horizon, in days (50 years), and so the latest day anything on the run's clock
#: (a promotion, a price change, a follow-up step, a delay) can be set to: later never comes.
MAX_HORIZON = 50 * DAYS_PER_YEAR

#: Longest time constant or mean interval, in days (about 270,000 years): exponential
#: memories, mean times between needs, Gamma rates written as durations, the service promise.
#: Far beyond any horizon, so a value there reads as "never" (tests switch mechanisms off
#: with 1e7 days); a hard ceiling keeps ``inf`` and 1e300 out of rates 1/x.
MAX_TIME_SCALE = 1e8

#: Largest price index (1 = the market average), for the market price and our list price;
#: the smallest is its inverse. Past ten times or a tenth, the price gap no longer describes
#: one market.
MAX_PRICE_INDEX = 10.0

#: Largest amount in any money field (a cost, fee, budget, salary, reward, spend scale or
#: threshold), in money units; also the largest mean spend per purchase of a segment. The
#: books add money in int64 cents per period and line (2**63 − 1 ≈ 9.22e18 cents; the
#: vector engine's tally is a numpy int64 array). One booking is then at most
#:
#: * MAX_MONEY on the eleven lines that book a set amount or spend at list price 1 (cogs),
#:   save salaries: MAX_HEADCOUNT × MAX_MONEY = 1e14 money, booked once a period;
#: * MAX_PRICE_INDEX × MAX_MONEY = 1e9 on revenue and on discounts, offers and loyalty,
#:   which give back at most what is paid (a discount < 1, loyalty checked by the strategy).
#:
#: One booking for each of the MAX_CUSTOMERS = 1e7 customers on every line of a period is
#: 1e7 × 100 cents × (4 × 1e9 + 11 × 1e8) = 5.1e18 cents: it fits even summed over all
#: lines, as a period's costs are. 1e9 would not; 1e8 still lets the library scale to
#: MAX_CUSTOMERS (``sim.scenario.scaling`` grows fixed costs and budgets with the customers,
#: to 8e7 at most). Single spend draws are heavy-tailed and event counts are not capped here:
#: the size estimate checks a run's events.
MAX_MONEY = 1e8

#: Most customers a scenario can start with (``population.initial``) or a Bass market can
#: hold: ten million customers' columns take several GiB in the vector engine.
MAX_CUSTOMERS = 10_000_000

#: Most service agents or account managers: far above the 6e4 a library scenario scaled to
#: MAX_CUSTOMERS needs, and small enough for the desk's per-agent list (8 MB).
MAX_HEADCOUNT = 1_000_000

#: Largest shape (or concentration) of a Gamma or Beta distribution. At 1e6 the coefficient
#: of variation is 0.1 %: the draw is its mean, and larger values only lose precision.
MAX_SHAPE = 1e6

#: Largest size of one trust-point entry (a deposit, a withdrawal, a size per unit). The
#: scale is 1.5 points for a personal contact; the tolerance buffer stops at 20 points by
#: default and overdraft is counted to 60, so an entry of 1000 points is all or nothing.
MAX_POINTS = 1e3

#: Most purchases a day a segment's average customer may make (r / alpha), before the
#: ladder's and the loyalty programme's wallet multipliers: one an hour, day and night.
MAX_PURCHASES_PER_DAY = 24.0

#: Suffix → days. ``mo`` is a calendar-average month (365.25/12 days).
_UNITS: dict[str, float] = {
    "min": MINUTE,
    "h": HOUR,
    "d": 1.0,
    "w": 7.0,
    "mo": DAYS_PER_MONTH,
    "q": 3.0 * DAYS_PER_MONTH,
    "y": DAYS_PER_YEAR,
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(min|h|d|w|mo|q|y)\s*$")


def parse_duration(value: Any) -> Any:
    """Turn ``"30d"``, ``"4h"``, ``"1.5y"`` or a bare number of days into days.

    Anything else that is not a duration is passed through unchanged so that pydantic
    reports it with the field path (never a silent repair).

    Args:
        value: a number (days) or a string with one of the units min, h, d, w, mo, q, y.

    Returns:
        The duration in days as a float, or ``value`` itself when it is not parseable.

    Raises:
        ValueError: a string that looks like a duration but has an unknown unit, or
            ``true``/``false`` (which pydantic would read as 1 and 0 days).
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write a number and a unit, e.g. 30d")
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


def format_duration(days: float) -> str:
    """A duration in the largest unit that writes it whole: ``50y``, ``1mo``, ``1h``, ``30d``.

    The inverse of :func:`parse_duration` for the bounds an error message or a parameter
    table names; a value no unit writes whole is given in days (``0.5d`` stays ``12h``).
    """
    for unit in ("y", "mo", "w", "d", "h", "min"):
        count = days / _UNITS[unit]
        if count >= 1 and abs(count - round(count)) < 1e-9 * count:
            return f"{round(count)}{unit}"
    return f"{days:g}d"


def limit_text(x: float, *, up: bool) -> str:
    """A limit for a message, to six decimals, rounded away from the side refused.

    Args:
        x: the exact limit, e.g. the smallest alpha that keeps r / alpha within bounds.
        up: round up (a floor) rather than down (a ceiling), so that the value a message
            names is itself allowed.

    Returns:
        Plain digits without an exponent: ``0.166667``, ``50000000``.
    """
    rounded = (math.ceil if up else math.floor)(x * 1e6) / 1e6
    return f"{rounded:.6f}".rstrip("0").rstrip(".")


class Frozen(_PydanticBase):
    """Base of every parameter model: immutable, and unknown keys are errors.

    ``extra="forbid"`` turns a typo such as ``staf: 4`` into an error naming the field
    instead of silently running with the default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
