"""The people who serve customers: account managers and the service desk.

Account managers are the scarce resource of key-account management: a few people with a
fixed number of hours a week. Where those hours go — 60 % to the top 10 % of customers
(the course's pyramid) or an equal slice to everyone — is the key-account lesson.

The service desk is the gas station of customer service: tickets queue for a finite
number of agents, and the wait itself is an experience (a long one is a withdrawal from the
emotional account, one inside the promised response time a small deposit).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from agents.units import (
    MAX_HEADCOUNT,
    MAX_MONEY,
    MAX_TIME_SCALE,
    MINUTE,
    Days,
    Frozen,
)

__all__ = [
    "AccountManagerParams",
    "ServiceDeskParams",
    "allocate_hours",
    "apportion",
    "rank_groups",
]


class PyramidBand(Frozen):
    """One band of the customer pyramid: a share of customers and a share of AM time."""

    customers: float = Field(
        gt=0.0, le=1.0, description="share of customers in the band, ranked by value, top first"
    )
    time: float = Field(
        ge=0.0, le=1.0, description="share of the account managers' spare hours the band gets"
    )


class AccountManagerParams(Frozen):
    """Account managers: headcount, hours, and how their time is allocated."""

    count: int = Field(
        default=0,
        ge=0,
        le=MAX_HEADCOUNT,
        description="account managers (headcount); 0 = none: no AM visits of any kind",
    )
    hours_per_week: float = Field(
        default=30.0,
        gt=0.0,
        le=80.0,
        description="customer hours per account manager per week (30: assumption, the rest is "
        "admin and selling)",
    )
    hours_per_visit: float = Field(
        default=2.0,
        # Visits a period are the hours over this, each an event: a quarter of an hour at
        # least (a shorter one is a call), a working year (2000 h) at most.
        ge=0.25,
        le=2000.0,
        description="account-manager hours one visit takes, travel included (assumption)",
    )
    cost_per_visit: float = Field(
        default=20.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per visit (travel etc.), on top of salaries",
    )
    salary_per_period: float = Field(
        default=4000.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per account manager per period, booked whether or not the hours "
        "are used",
    )
    allocation: Literal["pyramid", "equal", "none"] = Field(
        default="none",
        description="how hours left after care-tier visits become visits: pyramid bands, an "
        "equal split, or none",
    )
    pyramid: tuple[PyramidBand, ...] = Field(
        default=(
            PyramidBand(customers=0.1, time=0.6),
            PyramidBand(customers=0.3, time=0.3),
            PyramidBand(customers=0.6, time=0.1),
        ),
        description="customer pyramid, top first; default 10 % / 30 % / 60 % of customers get "
        "60 % / 30 % / 10 % of the time (seed 001)",
    )

    @model_validator(mode="after")
    def _bands(self) -> AccountManagerParams:
        c = sum(b.customers for b in self.pyramid)
        t = sum(b.time for b in self.pyramid)
        if abs(c - 1.0) > 1e-9 or abs(t - 1.0) > 1e-9:
            raise ValueError(
                f"pyramid customer shares sum to {c:g} and time shares to {t:g}; both must be 1"
            )
        if self.allocation != "none" and self.count == 0:
            raise ValueError(f"allocation {self.allocation!r} needs count > 0 account managers")
        return self

    def hours_per_period(self, period_days: float) -> float:
        """Total account-manager hours available in one reporting period."""
        return self.count * self.hours_per_week * period_days / 7.0


class ServiceDeskParams(Frozen):
    """The service desk: staff, handling time, the response-time promise, FCR and costs.

    ``staff: null`` means unbounded staff (an M/M/∞ desk): nobody ever waits.
    """

    staff: int | None = Field(
        default=3,
        ge=1,
        le=MAX_HEADCOUNT,
        description="agents at the desk, the c of an M/M/c queue; null = unbounded (M/M/∞: "
        "nobody waits, no salaries)",
    )
    handling_time: Days = Field(
        default=0.25,
        ge=MINUTE,
        le=MAX_TIME_SCALE,
        description="mean handling time of a ticket, exponential; complaints take × effort "
        "(6h: assumption)",
    )
    promise: Days = Field(
        default=1.0,
        # No floor beyond > 0: a promise is only compared with waits and schedules nothing
        # (tests promise 1e-6 d to make every wait a long one).
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="promised response time: a wait within it deposits, a longer one withdraws; "
        "complaints resolved within it count as quick",
    )
    first_contact_resolution: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="probability a ticket is solved at first contact; otherwise the customer "
        "comes back with a new ticket (0.8: assumption)",
    )
    quality: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="mean performance of a handled ticket on the 0–1 expectation scale (index; "
        "spread strategy.quality.sd)",
    )
    cost_per_ticket: float = Field(
        default=8.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per ticket handled, × low_cost_factor for migrated customers",
    )
    salary_per_period: float = Field(
        default=3000.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per agent per period (none with unbounded staff)",
    )
    low_cost_factor: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="ticket-cost multiplier for customers migrated to the low-cost channel "
        "(seed 001: serve loss-makers through cheap channels)",
    )


def rank_groups(values: NDArray[np.float64], shares: NDArray[np.float64]) -> NDArray[np.int64]:
    """Assign each customer a group by value rank; group 0 gets the top ``shares[0]``.

    Ties are broken by position (stable sort), so the result depends only on the inputs.

    Args:
        values: one value score per customer.
        shares: group shares, top first, summing to 1.

    Returns:
        Group index per customer.
    """
    n = values.shape[0]
    order = np.argsort(-values, kind="stable")
    bounds = np.rint(np.cumsum(shares) * n).astype(np.int64)
    bounds[-1] = n
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return np.searchsorted(bounds, rank, side="right")


def allocate_hours(
    values: NDArray[np.float64], hours: float, params: AccountManagerParams
) -> NDArray[np.float64]:
    """Account-manager hours per customer for one period under the allocation policy.

    pyramid: each band's share of time split equally inside the band; equal: the same for
    everyone; none: nobody gets visits.
    """
    n = values.shape[0]
    if n == 0 or params.allocation == "none" or hours <= 0.0:
        return np.zeros(n)
    if params.allocation == "equal":
        return np.full(n, hours / n)
    band = rank_groups(values, np.array([b.customers for b in params.pyramid]))
    size = np.bincount(band, minlength=len(params.pyramid)).astype(float)
    time = np.array([b.time for b in params.pyramid]) * hours
    per = np.divide(time, size, out=np.zeros_like(time), where=size > 0)
    return per[band]


def apportion(expected: NDArray[np.float64], u: float) -> NDArray[np.int64]:
    """Whole visits per customer from fractional ones by systematic sampling.

    Each customer gets floor or ceil of its expected visits, with mean exactly the expected
    number, and the total never exceeds ⌈Σ expected⌉ (independent rounding could overshoot
    the account managers' hours by many visits). ``u`` is one uniform draw on [0, 1).
    """
    cum = np.floor(np.cumsum(expected) + u)
    return np.diff(np.concatenate(([np.floor(u)], cum))).astype(np.int64)
