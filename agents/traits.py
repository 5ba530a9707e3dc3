"""Who the customers are: segments and the heterogeneous traits drawn within them.

Each segment is a recipe for customers: how often they buy (NBD heterogeneity,
λ ~ Gamma(r, α)), how much they spend per purchase (Gamma–Gamma), how they drop out
(BG: per purchase p ~ Beta(a, b); Pareto: lifetime rate μ ~ Gamma(s, β); contractual sBG:
per period θ ~ Beta(α, β)), and what they expect, tolerate and prefer. Traits are drawn
as arrays in one pass by :func:`draw_traits` so that both engines, handed the same random
stream, start from exactly the same customers.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from agents.dropout import BGDropout, ConstantDropout, Dropout, SBGDropout
from agents.units import (
    HOUR,
    MAX_MONEY,
    MAX_PURCHASES_PER_DAY,
    MAX_SHAPE,
    MAX_TIME_SCALE,
    Days,
    Frozen,
    limit_text,
)

__all__ = [
    "Beta01",
    "Level",
    "PositiveTrait",
    "PurchaseParams",
    "SegmentParams",
    "SpendParams",
    "Traits",
    "draw_traits",
    "prior_value",
]


class Level(IntEnum):
    """Relationship ladder levels, lowest first (DOMAIN §1, seed 004)."""

    transactional = 0
    collaborative = 1
    trust = 2
    strategic = 3


class Beta01(Frozen):
    """A trait on [0, 1] drawn from a Beta distribution given by mean and concentration.

    ``concentration`` = a + b; large values make the segment homogeneous. A concentration
    of 0 means "every customer has exactly the mean".
    """

    mean: float = Field(
        ge=0.0, le=1.0, description="segment mean of the trait on its 0–1 scale (index)"
    )
    concentration: float = Field(
        default=20.0,
        ge=0.0,
        le=MAX_SHAPE,
        description="a + b of the Beta draw: higher = more alike (20: sd ≈ 0.1 at mean 0.5); "
        "0 = everyone at the mean; assumption, calibrate per lesson",
    )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values (exactly ``mean`` when concentration is 0 or mean is 0/1)."""
        if self.concentration == 0.0 or self.mean in (0.0, 1.0):
            return np.full(n, self.mean)
        a = self.mean * self.concentration
        return rng.beta(a, self.concentration - a, size=n)


class PositiveTrait(Frozen):
    """A positive trait drawn from a Gamma distribution given by mean and coefficient of variation.

    ``cv`` = 0 makes every customer equal to ``mean``. Durations are written with units.
    """

    mean: Days = Field(
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="segment mean of the trait (for preferred_contact: the contact interval "
        "the customer likes)",
    )
    cv: float = Field(
        default=0.3,
        ge=0.0,
        le=10.0,  # the Gamma's shape is 1/cv²: 0.01 at cv 10, where nearly all draws are ~0
        description="coefficient of variation (sd / mean) of the Gamma draw; 0 = everyone at "
        "the mean; 0.3: assumption, moderate spread",
    )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values with the given mean and coefficient of variation."""
        if self.cv == 0.0:
            return np.full(n, self.mean)
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size=n)


class PurchaseParams(Frozen):
    """Purchase rate heterogeneity λ ~ Gamma(shape r, rate α): NBD (Ehrenberg; Fader et al. 2005).

    ``alpha`` carries time units (λ is per day, so α is in days): ``alpha: 4.4w``.
    Mean purchases per day is r/α. Calibration example: CDNOW r=0.24, α=4.4 weeks.
    """

    r: float = Field(
        gt=0.0,
        le=MAX_SHAPE,
        description="shape r of λ ~ Gamma(r, α): smaller = more uneven buying habits "
        "(CDNOW: 0.24, Fader, Hardie & Lee 2005)",
    )
    alpha: Days = Field(
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="rate α of λ's Gamma, as a duration: mean purchases per day = r/α "
        "(CDNOW: 4.4w)",
    )

    @field_validator("alpha")
    @classmethod
    def _purchases_a_day(cls, alpha: float, info: ValidationInfo) -> float:
        # Only the ratio r / alpha says how many purchase events a customer makes: a tiny
        # alpha must not ask for billions of them, whatever r is.
        r = info.data.get("r")
        if r is not None and r / alpha > MAX_PURCHASES_PER_DAY:
            raise ValueError(
                f"r / alpha = {r / alpha:g} purchases per customer per day, more than "
                f"{MAX_PURCHASES_PER_DAY:g} (one an hour); with r = {r:g}, alpha must be at "
                f"least {limit_text(r / MAX_PURCHASES_PER_DAY, up=True)} days"
            )
        return alpha


class SpendParams(Frozen):
    """Spend per purchase, Gamma–Gamma (Fader, Hardie & Lee 2005), in money units.

    z ~ Gamma(p, ν), ν ~ Gamma(q, γ): a customer's mean spend is p/ν and the population mean
    is p·γ/(q − 1) (needs q > 1).
    """

    p: float = Field(
        gt=0.0,
        le=MAX_SHAPE,
        description="shape p of the spend per purchase z ~ Gamma(p, ν): higher = steadier "
        "baskets (CDNOW: 6.25, Fader, Hardie & Lee 2005)",
    )
    q: float = Field(
        gt=1.0,
        le=MAX_SHAPE,
        description="shape q of the customer's ν ~ Gamma(q, γ): higher = customers more alike; "
        "> 1 for a finite mean (CDNOW: 3.74)",
    )
    gamma: float = Field(
        gt=0.0,
        le=MAX_MONEY,
        description="rate γ of ν, in money: the population mean spend per purchase is "
        "p·γ/(q − 1) (CDNOW: 15.44)",
    )

    @field_validator("gamma")
    @classmethod
    def _mean_spend(cls, gamma: float, info: ValidationInfo) -> float:
        # The mean spend p·γ/(q − 1) passes any bound as q nears 1, and MAX_MONEY's
        # arithmetic (agents/units.py) needs it within MAX_MONEY.
        p, q = info.data.get("p"), info.data.get("q")
        if p is not None and q is not None and p * gamma / (q - 1.0) > MAX_MONEY:
            most = limit_text(MAX_MONEY * (q - 1.0) / p, up=False)
            raise ValueError(
                f"the mean spend per purchase p·gamma/(q − 1) = {p * gamma / (q - 1.0):g} is "
                f"more than {MAX_MONEY:.0f}; with p = {p:.10g} and q = {q:.10g}, gamma must be "
                f"at most {most}, or p lower or q higher"
            )
        return gamma


class SegmentParams(Frozen):
    """One customer segment: its share of arrivals and the recipe for its customers."""

    name: str = Field(
        min_length=1, description="segment label, unique; names it in the customers and mix tables"
    )
    share: float = Field(
        gt=0.0,
        le=1.0,
        description="share of the initial cohort and of every later arrival drawn from this "
        "segment; shares sum to 1",
    )
    purchase: PurchaseParams | None = Field(
        default=None,
        description="repeat-purchase rate heterogeneity (NBD); null = no repeat purchases "
        "(pure subscription); required in the noncontractual setting",
    )
    spend: SpendParams = Field(
        description="spend per purchase at list price 1 (Gamma–Gamma), in money"
    )
    dropout: Dropout = Field(
        description="baseline dropout (the 'baseline' churn reason): bg or pareto "
        "(noncontractual), sbg (contractual) or constant"
    )
    fee: float = Field(
        default=0.0,
        ge=0.0,
        le=MAX_MONEY,
        description="subscription fee charged at every renewal (contractual), money at list "
        "price 1; 0 = none",
    )
    expectation: Beta01 = Field(
        default=Beta01(mean=0.6, concentration=20.0),
        description="expectation E each experience is compared with (index, 0–1); default "
        "mean 0.6, concentration 20: just below quality 0.65, so most orders satisfy",
    )
    price_sensitivity: Beta01 = Field(
        default=Beta01(mean=0.5, concentration=10.0),
        description="weight of our price gap in churn and of price rises on trust (index, "
        "0–1); default mean 0.5, concentration 10: assumption, calibrate per lesson",
    )
    complaint_propensity: Beta01 = Field(
        default=Beta01(mean=0.3, concentration=10.0),
        description="probability a failure is voiced as a complaint, else a silent grudge; "
        "default mean 0.3 (TARP: most dissatisfied customers never complain)",
    )
    referral_rate: float = Field(
        default=0.5,
        ge=0.0,
        le=365.0,  # one referral a day per advocate: beyond, every advocate is a sales force
        description="referrals per year by a satisfied advocate at ladder multiplier 1 (the "
        "trust level); assumption, calibrate per lesson",
    )
    preferred_contact: PositiveTrait = Field(
        default=PositiveTrait(mean=30.0, cv=0.3),
        description="contact interval the customer likes: sooner annoys, much later is neglect; "
        "default mean 30d, cv 0.3 (seed 004: monthly care for important customers)",
    )
    service_interval: Days = Field(
        default=180.0,
        # Each service need is a ticket event: one an hour per customer at most. Up to
        # "never" (tests switch the desk off with 1e7 days).
        ge=HOUR,
        le=MAX_TIME_SCALE,
        description="mean time between service needs (Poisson tickets to the desk), the same "
        "for everyone in the segment; 180d: assumption",
    )
    initial_level: Literal["transactional", "collaborative", "trust", "strategic"] = Field(
        default="transactional",
        description="relationship level at acquisition, for the initial cohort and later "
        "arrivals alike (seed 004: new customers start price-driven)",
    )
    initial_satisfaction: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="satisfaction at acquisition (index, 0–1); 0.7: a customer who just chose "
        "us is fairly satisfied (assumption)",
    )


class Traits:
    """Arrays of customer traits (one entry per customer), the engines' common start.

    Attributes are plain numpy arrays so that an engine can slice them into agents or keep
    them as columns.
    """

    __slots__ = (
        "complaint_propensity",
        "dropout_p",
        "expectation",
        "fee",
        "initial_level",
        "initial_satisfaction",
        "lam",
        "mean_spend_nu",
        "mu",
        "preferred_contact",
        "price_sensitivity",
        "referral_rate",
        "segment",
        "service_rate",
        "spend_p",
    )

    segment: np.ndarray
    lam: np.ndarray
    spend_p: np.ndarray
    mean_spend_nu: np.ndarray
    dropout_p: np.ndarray
    mu: np.ndarray
    fee: np.ndarray
    expectation: np.ndarray
    price_sensitivity: np.ndarray
    complaint_propensity: np.ndarray
    preferred_contact: np.ndarray
    referral_rate: np.ndarray
    service_rate: np.ndarray
    initial_level: np.ndarray
    initial_satisfaction: np.ndarray

    def __init__(self, **arrays: np.ndarray) -> None:
        for key, value in arrays.items():
            setattr(self, key, value)

    def __len__(self) -> int:
        return len(self.segment)


def prior_value(lam: Any, spend_p: Any, spend_nu: Any, fee: Any, renewals_per_year: float) -> Any:
    """Expected yearly revenue at acquisition: the value rank of a customer with no history.

    Purchases a year × mean spend, plus the subscription fees.
    """
    return 365.25 * (lam * spend_p / spend_nu) + fee * renewals_per_year


def draw_traits(segments: tuple[SegmentParams, ...], rng: np.random.Generator, n: int) -> Traits:
    """Draw ``n`` customers: segment by share, then every trait from its segment's recipe.

    The order of draws is fixed (segment labels first, then one trait at a time over all
    customers) so the same stream always yields the same population.

    Args:
        segments: the scenario's segments (shares sum to 1, checked at load).
        rng: the population stream.
        n: number of customers to draw.

    Returns:
        The customers' traits; ``dropout_p`` holds p (BG), θ (sBG / constant) or NaN,
        ``mu`` holds the Pareto lifetime rate or 0.
    """
    shares = np.array([s.share for s in segments], dtype=float)
    seg = rng.choice(len(segments), size=n, p=shares / shares.sum()).astype(np.int16)
    lam = np.zeros(n)
    spend_p = np.zeros(n)
    nu = np.zeros(n)
    dropout_p = np.zeros(n)
    mu = np.zeros(n)
    fee = np.zeros(n)
    expectation = np.zeros(n)
    price_sens = np.zeros(n)
    complaint = np.zeros(n)
    preferred = np.zeros(n)
    referral = np.zeros(n)
    service_rate = np.zeros(n)
    level0 = np.zeros(n, dtype=np.int8)
    sat0 = np.zeros(n)
    for k, s in enumerate(segments):
        idx = np.flatnonzero(seg == k)
        m = idx.size
        if m == 0:
            continue
        if s.purchase is not None:
            lam[idx] = rng.gamma(s.purchase.r, 1.0 / s.purchase.alpha, size=m)
        spend_p[idx] = s.spend.p
        nu[idx] = rng.gamma(s.spend.q, 1.0 / s.spend.gamma, size=m)
        d = s.dropout
        if isinstance(d, BGDropout):
            dropout_p[idx] = rng.beta(d.a, d.b, size=m)
        elif isinstance(d, SBGDropout):
            dropout_p[idx] = rng.beta(d.alpha, d.beta, size=m)
        elif isinstance(d, ConstantDropout):
            dropout_p[idx] = d.theta
        else:
            mu[idx] = rng.gamma(d.s, 1.0 / d.beta, size=m)
        fee[idx] = s.fee
        expectation[idx] = s.expectation.draw(rng, m)
        price_sens[idx] = s.price_sensitivity.draw(rng, m)
        complaint[idx] = s.complaint_propensity.draw(rng, m)
        preferred[idx] = s.preferred_contact.draw(rng, m)
        referral[idx] = s.referral_rate / 365.25
        service_rate[idx] = 1.0 / s.service_interval
        level0[idx] = Level[s.initial_level]
        sat0[idx] = s.initial_satisfaction
    return Traits(
        segment=seg,
        lam=lam,
        spend_p=spend_p,
        mean_spend_nu=nu,
        dropout_p=dropout_p,
        mu=mu,
        fee=fee,
        expectation=expectation,
        price_sensitivity=price_sens,
        complaint_propensity=complaint,
        preferred_contact=preferred,
        referral_rate=referral,
        service_rate=service_rate,
        initial_level=level0,
        initial_satisfaction=sat0,
    )
