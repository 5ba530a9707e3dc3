"""Complaint handling by quality: what each quality sets, and how long its resolutions take.

A complaint the desk has finished is not yet put right: the fault is investigated, the fix
made, and the customer told (LESCANT's Act and Notify) — the same day, or a week later. The
customer feels the outcome only then, and judges its speed against the service promise
from the moment they complained. :func:`resolution_delay` is the one rule that turns a
customer's draw into that delay; both engines call it with the number they drew from the
customer's own ``resolution`` stream, so the same customer waits the same time on either.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field
from scipy.special import gammaincinv

from agents.units import MAX_HORIZON, Days, Frozen

__all__ = ["PerHandling", "ResolutionCV", "ResolutionTime", "resolution_delay"]


#: Largest PerHandling value: resolve is a probability (checked by its block), apology and
#: effort multipliers, where a hundredfold deposit or handling time is past any calibration.
_MAX_PER_HANDLING = 100.0
#: Largest coefficient of variation of a resolution time: at 10 (gamma shape 0.01) nearly
#: every complaint is put right at once and one in a few hundred takes a hundred times the
#: mean; past that no calibration tells the spread apart.
_MAX_CV = 10.0


class _ByHandling(Frozen):
    """A value for each complaint-handling quality, read with :meth:`of`."""

    def of(self, handling: str) -> float:
        """The value for ``handling`` ("basic" or "lescant")."""
        return float(getattr(self, handling))


class PerHandling(_ByHandling):
    """A value for each complaint-handling quality that handles complaints."""

    basic: float = Field(
        ge=0.0,
        le=_MAX_PER_HANDLING,
        description="value under basic handling (listen and fix); meaning as its block",
    )
    lescant: float = Field(
        ge=0.0,
        le=_MAX_PER_HANDLING,
        description="value under LESCANT handling (Listen, Express, State, Confirm, Act, Notify, "
        "Thank); meaning as its block",
    )


class ResolutionTime(_ByHandling):
    """Mean time from the desk finishing a complaint to its outcome, per handling quality."""

    basic: Days = Field(
        ge=0.0,
        le=MAX_HORIZON,
        description="mean resolution time under basic handling; 0 = the outcome as the desk "
        "finishes",
    )
    lescant: Days = Field(
        ge=0.0,
        le=MAX_HORIZON,
        description="mean resolution time under LESCANT handling; 0 = the outcome as the desk "
        "finishes",
    )


class ResolutionCV(_ByHandling):
    """Coefficient of variation of the resolution time, per handling quality."""

    basic: float = Field(
        ge=0.0,
        le=_MAX_CV,
        description="spread of resolution times under basic handling (gamma; 0 = every one "
        "takes exactly the mean)",
    )
    lescant: float = Field(
        ge=0.0,
        le=_MAX_CV,
        description="spread of resolution times under LESCANT handling (gamma; 0 = every one "
        "takes exactly the mean)",
    )


def resolution_delay(mean: float, cv: float, u: ArrayLike) -> NDArray[np.float64]:
    """Days from the desk finishing a complaint to its outcome, one per uniform of ``u``.

    A gamma of mean ``mean`` and coefficient of variation ``cv``, by inversion: with shape
    k = 1/cv², the delay is ``mean · G / k`` for G the standard Gamma(k) whose distribution
    function is ``u``. One uniform a delay (on the open interval (0, 1), as
    :func:`sim.streams.open_uniform` makes them), so a customer's delay is a pure function
    of their draw and moves smoothly with the parameters. ``cv = 0`` (or ``mean = 0``)
    gives exactly ``mean``, whatever ``u``.

    Args:
        mean: mean delay, days (``ctx.resolution_mean``).
        cv: coefficient of variation (``ctx.resolution_cv``).
        u: uniforms on (0, 1), a scalar or an array.

    Returns:
        The delays, in the shape of ``u``.
    """
    u = np.asarray(u, dtype=np.float64)
    if mean <= 0.0 or cv <= 0.0:
        return np.full(u.shape, float(mean))
    shape = 1.0 / (cv * cv)
    return np.asarray(mean * (gammaincinv(shape, u) / shape), dtype=np.float64)
