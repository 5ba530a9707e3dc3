"""The customer portfolio: who the firm takes on and who it lets go.

Acquisition through a paid funnel (prospect → contact → needs → proposal → close, seed 004),
referrals from advocates, or pure Bass diffusion; and customer selection (seeds 000/001):
not every buyer is worth serving, so loss-makers can be migrated to a low-cost channel or
let go. ``unprofitable`` is the array policy.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from agents.units import (
    MAX_CUSTOMERS,
    MAX_HORIZON,
    MAX_MONEY,
    MAX_TIME_SCALE,
    Days,
    Frozen,
)

__all__ = [
    "AcquisitionParams",
    "BassParams",
    "SelectionParams",
    "ValuationParams",
    "unprofitable",
]


class BassParams(Frozen):
    """Pure Bass diffusion: market potential M, innovation p and imitation q (per year)."""

    market_potential: int = Field(
        gt=0,
        le=MAX_CUSTOMERS,
        description="M: customers who will ever adopt, the initial ones included",
    )
    # Coefficients per year: at 100 (3000× the typical p) the whole market adopts within
    # days, so larger values draw the same step.
    p: float = Field(
        gt=0.0,
        le=100.0,
        description="innovation coefficient per year (Bass 1969; typical ≈ 0.03)",
    )
    q: float = Field(
        ge=0.0,
        le=100.0,
        description="imitation (word-of-mouth) coefficient per year (Bass 1969; typical ≈ 0.38)",
    )

    def adoption_times(
        self, initial: int, horizon: float, g: np.random.Generator
    ) -> NDArray[np.float64]:
        """Adoption times before ``horizon``, exact event by event: hazard (M − N)(p + qN/M).

        The ``n``-th adoption's gap is the ``n``-th exponential of ``g`` (the run's ``bass``
        stream), all ``M − initial`` drawn up front, so the times do not depend on the
        horizon and both engines, handed the same stream, adopt at the same moments.
        """
        mp = self.market_potential
        k = np.arange(initial, max(mp, initial), dtype=float)
        rate = (mp - k) * (self.p / 365.25 + self.q / 365.25 * k / mp)
        times = np.cumsum(g.standard_exponential(k.size) / rate)
        return times[times < horizon]


class AcquisitionParams(Frozen):
    """New customers: paid acquisition through a funnel, referrals, or pure Bass diffusion."""

    budget_per_period: float = Field(
        default=0.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per period spent on paid leads; 0 = none; ignored under bass",
    )
    cost_per_lead: float = Field(
        default=40.0,
        # A cent at least: leads are budget / cost, and a cost near 0 asks Poisson for an
        # infinite mean.
        ge=0.01,
        le=MAX_MONEY,
        description="money per lead: leads per period ~ Poisson(budget / cost) (assumption)",
    )
    funnel: dict[str, float] = Field(
        default={"contact": 0.6, "needs": 0.6, "proposal": 0.7, "close": 0.5},
        description="conversion probability per funnel stage, in order (seed 004); defaults "
        "give 12.6 % lead to customer (assumption)",
    )
    referral_conversion: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="probability a referral becomes a customer; 0 = no referrals (assumption)",
    )
    referral_reward: float = Field(
        default=20.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money paid to the referrer per referred customer (seed 003: referral rewards)",
    )
    advocate_satisfaction: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="satisfaction (index) at or above which a customer refers others",
    )
    bass: BassParams | None = Field(
        default=None,
        description="pure Bass diffusion in place of paid leads; null = no Bass diffusion; "
        "referrals still run unless referral_conversion is 0",
    )

    @model_validator(mode="after")
    def _funnel(self) -> AcquisitionParams:
        for stage, rate in self.funnel.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"funnel.{stage}={rate} is not a conversion rate in [0, 1]")
        return self

    def conversion(self) -> float:
        """Lead-to-customer conversion through the whole funnel.

        Multiplied in sorted stage order, so the result (and every draw made with it) is the
        same whatever order the file lists the stages in — as the scenario hash assumes.
        """
        return math.prod(self.funnel[k] for k in sorted(self.funnel))


class SelectionParams(Frozen):
    """Customer selection: migrate or fire customers who cost more than they bring."""

    policy: Literal["none", "migrate", "fire"] = Field(
        default="none",
        description="what happens to unprofitable customers: nothing, migrate to the low-cost "
        "channel, or fire (seed 000)",
    )
    min_tenure: Days = Field(
        default=180.0,
        ge=0.0,
        le=MAX_HORIZON,
        description="customers younger than this are never judged (assumption)",
    )
    lookback: Days = Field(
        default=365.25,
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="time constant of the exponential memory of margin and cost to serve "
        "(not a hard window)",
    )
    threshold: float = Field(
        default=0.0,
        ge=-MAX_MONEY,
        le=MAX_MONEY,
        description="money: margin − cost to serve over the lookback below which a customer "
        "is unprofitable (0 = loss-making)",
    )


class ValuationParams(Frozen):
    """How the firm values a customer when it ranks them (care tiers, visits, early warning)."""

    memory: Days = Field(
        default=365.25,
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="time constant of the exponential memory of revenue the ranking uses; a "
        "newcomer's expected yearly value fades with it too (one year: assumption)",
    )


def unprofitable(
    margin: NDArray[np.float64],
    cost_to_serve: NDArray[np.float64],
    tenure: NDArray[np.float64],
    params: SelectionParams,
) -> NDArray[np.bool_]:
    """Customers whose profit over the lookback is below the threshold (tenure permitting)."""
    return (margin - cost_to_serve < params.threshold) & (tenure >= params.min_tenure)
