"""Who the customers are: segments and the heterogeneous traits drawn within them.

Each segment is a recipe for customers: how often they buy (NBD heterogeneity,
λ ~ Gamma(r, α)), how much they spend per purchase (Gamma–Gamma), how they drop out
(BG: per purchase p ~ Beta(a, b); Pareto: lifetime rate μ ~ Gamma(s, β); contractual sBG:
per period θ ~ Beta(α, β)), and what they expect, tolerate and prefer. Traits are drawn
as arrays by :func:`draw_traits`, each customer's from their own population stream, so
both engines, in every arm of a comparison, start the same arrival as the same customer.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from agents.dropout import BGDropout, ConstantDropout, Dropout, ParetoDropout, SBGDropout
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

if TYPE_CHECKING:
    from agents.world import TraitDraws

__all__ = [
    "TRAIT_SLOTS",
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


#: The population stream's slot of each drawn trait (:class:`agents.world.TraitDraws`): a
#: trait's slot is its identity (renumbering one redraws it for everybody).
TRAIT_SLOTS = {
    "segment": 0, "lam": 1, "mean_spend_nu": 2, "dropout": 3, "expectation": 4,
    "price_sensitivity": 5, "complaint_propensity": 6, "preferred_contact": 7,
}  # fmt: skip
#: A dropout law's two parameters (a Pareto μ ~ Gamma(s, rate β); a constant θ twice).
_DROPOUT = {BGDropout: ("a", "b"), SBGDropout: ("alpha", "beta"),
            ParetoDropout: ("s", "beta"), ConstantDropout: ("theta", "theta")}  # fmt: skip


def _beta(draws: TraitDraws, slot: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Beta(a, b) per customer at ``slot``; NaN where ``a`` or ``b`` is 0 (a placeholder)."""
    live = (a > 0.0) & (b > 0.0)
    x = draws.beta(np.where(live, a, 1.0), np.where(live, b, 1.0), slot)
    return np.where(live, x, np.nan)


def draw_traits(segments: tuple[SegmentParams, ...], draws: TraitDraws) -> Traits:
    """Draw a batch of customers: segment by share, then every trait from its segment's recipe.

    Every customer draws every trait from their own population stream, at the trait's slot
    (:data:`TRAIT_SLOTS`), so a customer's traits depend on nothing but their stream: the
    same in a batch of one or of thousands, in either engine, in every arm of a comparison.

    Args:
        segments: the scenario's segments (shares sum to 1, checked at load).
        draws: the batch's population draws (one customer each).

    Returns:
        The customers' traits; ``dropout_p`` holds p (BG), θ (sBG / constant) or 0,
        ``mu`` holds the Pareto lifetime rate or 0.
    """
    shares = np.array([s.share for s in segments], dtype=float)
    edges = np.cumsum(shares / shares.sum())
    u = draws.uniform(TRAIT_SLOTS["segment"])
    seg = np.minimum(np.searchsorted(edges, u, side="right"), len(segments) - 1).astype(np.int16)

    def per(values: list[Any]) -> np.ndarray:
        return np.asarray(values, dtype=float)[seg]

    buys = per([s.purchase is not None for s in segments]) > 0.0
    r = per([s.purchase.r if s.purchase else 1.0 for s in segments])
    alpha = per([s.purchase.alpha if s.purchase else 1.0 for s in segments])
    lam = np.where(buys, draws.gamma(r, TRAIT_SLOTS["lam"]) / alpha, 0.0)
    q, rate = per([s.spend.q for s in segments]), per([s.spend.gamma for s in segments])
    nu = draws.gamma(q, TRAIT_SLOTS["mean_spend_nu"]) / rate
    # Dropout, all laws at one slot: a Beta (BG's p, sBG's θ), Pareto's μ or a constant θ.
    kinds = [s.dropout for s in segments]
    first, second = (per([getattr(d, _DROPOUT[type(d)][j]) for d in kinds]) for j in (0, 1))
    beta_law = per([isinstance(d, BGDropout | SBGDropout) for d in kinds]) > 0.0
    pareto = per([isinstance(d, ParetoDropout) for d in kinds]) > 0.0
    slot = TRAIT_SLOTS["dropout"]
    p = _beta(draws, slot, np.where(beta_law, first, 0.0), np.where(beta_law, second, 0.0))
    mu = draws.gamma(np.where(pareto, first, 1.0), slot) / np.where(pareto, second, 1.0)
    mixed = {}
    for name in ("expectation", "price_sensitivity", "complaint_propensity"):
        mean = per([getattr(s, name).mean for s in segments])
        conc = per([getattr(s, name).concentration for s in segments])
        fixed = (conc == 0.0) | (mean == 0.0) | (mean == 1.0)
        a = np.where(fixed, 0.0, mean * conc)
        mixed[name] = np.where(fixed, mean, _beta(draws, TRAIT_SLOTS[name], a, conc - a))
    mean = per([s.preferred_contact.mean for s in segments])
    cv = per([s.preferred_contact.cv for s in segments])
    shape = 1.0 / np.where(cv > 0.0, cv, 1.0) ** 2
    g = draws.gamma(shape, TRAIT_SLOTS["preferred_contact"])
    return Traits(
        segment=seg,
        lam=lam,
        spend_p=per([s.spend.p for s in segments]),
        mean_spend_nu=nu,
        dropout_p=np.where(beta_law, p, np.where(pareto, 0.0, first)),
        mu=np.where(pareto, mu, 0.0),
        fee=per([s.fee for s in segments]),
        **mixed,
        preferred_contact=np.where(cv > 0.0, g * (mean / shape), mean),
        referral_rate=per([s.referral_rate / 365.25 for s in segments]),
        service_rate=per([1.0 / s.service_interval for s in segments]),
        initial_level=per([int(Level[s.initial_level]) for s in segments]).astype(np.int8),
        initial_satisfaction=per([s.initial_satisfaction for s in segments]),
    )
