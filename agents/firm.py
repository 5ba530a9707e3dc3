"""The firm's levers: everything a scenario's ``strategy`` block can set.

Each lever is a typed block with defaults a mid-sized firm might start from, and each
has an array-level decision function (who gets which care tier, who looks at risk, who is
unprofitable) that both engines call on a snapshot of the population at a policy epoch, so
policy code is written once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from agents.staff import AccountManagerParams, ServiceDeskParams, rank_groups
from agents.units import Days, Frozen

__all__ = [
    "AcquisitionParams",
    "BassParams",
    "CareTier",
    "CareTiersParams",
    "ComplaintParams",
    "EarlyWarningParams",
    "FollowUpParams",
    "FollowUpStep",
    "LoyaltyParams",
    "PerHandling",
    "PriceChange",
    "PricingParams",
    "QualityParams",
    "SelectionParams",
    "StrategyParams",
    "WinBackParams",
    "WinBackResponse",
    "assign_tiers",
    "unprofitable",
    "warning_score",
]

Owner = Literal["account_manager", "consultant", "service", "automated"]
ContactValue = Literal["personalised_contact", "useful_information", "help_in_difficulty"]


class QualityParams(Frozen):
    """What the firm delivers at each purchase (performance on the 0–1 expectation scale)."""

    product: float = Field(default=0.65, ge=0.0, le=1.0, description="mean performance")
    sd: float = Field(default=0.15, ge=0.0, le=1.0, description="spread of performance")
    failure_margin: float = Field(
        default=0.2, ge=0.0, description="shortfall below expectation that counts as a failure"
    )
    exceed_margin: float = Field(
        default=0.1, ge=0.0, description="surplus above expectation that earns a deposit"
    )
    on_time: float = Field(default=0.95, ge=0.0, le=1.0, description="deliveries kept on time")
    delight: float = Field(
        default=0.0, ge=0.0, le=1.0, description="chance of an attractive surprise per purchase"
    )
    delight_size: float = Field(default=0.3, ge=0.0, le=1.0)


class CareTier(Frozen):
    """One care tier (客户关怀体系): who is in it and how they are looked after."""

    name: str = Field(min_length=1)
    share: float = Field(gt=0.0, le=1.0, description="share of active customers, by value rank")
    every: Days | None = Field(description="contact cadence; null = no scheduled contact")
    owner: Owner = "automated"
    channel: Literal["visit", "call", "email", "message", "mail"] = "email"
    cost: float = Field(default=0.5, ge=0.0, description="money per contact")
    value: ContactValue = "useful_information"
    strength: float = Field(default=1.0, ge=0.0, le=3.0, description="deposit multiplier")


class CareTiersParams(Frozen):
    """Care tiers assigned by value rank at every period; the course's four tiers by default."""

    enabled: bool = False
    tiers: tuple[CareTier, ...] = (
        CareTier(name="strategic", share=0.05, every=7.0, owner="account_manager",
                 channel="visit", cost=30.0, value="help_in_difficulty"),
        CareTier(name="important", share=0.15, every=30.4375, owner="consultant",
                 channel="call", cost=8.0, value="useful_information", strength=1.5),
        CareTier(name="growth", share=0.3, every=91.3125, owner="service", channel="email",
                 cost=1.0, value="useful_information"),
        CareTier(name="general", share=0.5, every=182.625, owner="automated",
                 channel="email", cost=0.2, value="useful_information", strength=0.5),
    )  # fmt: skip

    @model_validator(mode="after")
    def _shares(self) -> CareTiersParams:
        total = sum(t.share for t in self.tiers)
        if self.enabled and abs(total - 1.0) > 1e-9:
            raise ValueError(f"care tier shares sum to {total:g}; they must sum to 1")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"care tier names must be unique, got {names}")
        return self


class FollowUpStep(Frozen):
    """A post-sale follow-up step, e.g. the 24-hour thank-you letter."""

    after: Days = Field(ge=0.0)
    channel: Literal["letter", "call", "visit", "email", "message"] = "call"
    cost: float = Field(default=5.0, ge=0.0)
    value: ContactValue = "personalised_contact"


class FollowUpParams(Frozen):
    """Post-sale follow-up sequence (car-dealer lesson, seed 003)."""

    enabled: bool = False
    trigger: Literal["first_purchase", "every_purchase"] = "first_purchase"
    steps: tuple[FollowUpStep, ...] = ()
    recurring: Days | None = Field(default=None, description="keep in touch every … (e.g. 61d)")
    recurring_cost: float = Field(default=5.0, ge=0.0)
    on_time: float = Field(
        default=0.95, ge=0.0, le=1.0, description="steps done on time; the rest break a promise"
    )


class PerHandling(Frozen):
    """A value for each complaint-handling quality that handles complaints."""

    basic: float = Field(ge=0.0)
    lescant: float = Field(ge=0.0)

    def of(self, handling: str) -> float:
        """The value for ``handling`` ("basic" or "lescant")."""
        return float(getattr(self, handling))


class ComplaintParams(Frozen):
    """Complaint handling quality: none, basic, or LESCANT (seed 004).

    LESCANT (Listen, Express, State, Confirm, Act, Notify, Thank) resolves more, apologises
    better and takes longer; the defaults encode that ordering, not measured rates.
    """

    handling: Literal["none", "basic", "lescant"] = "basic"
    resolve: PerHandling = Field(
        default=PerHandling(basic=0.6, lescant=0.9), description="chance a complaint is resolved"
    )
    apology: PerHandling = Field(
        default=PerHandling(basic=1.0, lescant=1.5), description="apology_fix deposit multiplier"
    )
    effort: PerHandling = Field(
        default=PerHandling(basic=1.0, lescant=1.5), description="handling-time multiplier"
    )
    cost_per_complaint: float = Field(default=15.0, ge=0.0)

    @model_validator(mode="after")
    def _probabilities(self) -> ComplaintParams:
        for k in ("basic", "lescant"):
            v = self.resolve.of(k)
            if v > 1.0:
                raise ValueError(f"resolve.{k}={v} is not a probability in [0, 1]")
        return self


class LoyaltyParams(Frozen):
    """Loyalty programme: points, their cost (liability) and their hold on members."""

    enabled: bool = False
    points_per_money: float = Field(default=1.0, ge=0.0)
    point_value: float = Field(default=0.01, ge=0.0, description="money per point redeemed")
    redemption_rate: float = Field(default=0.7, ge=0.0, le=1.0)
    switching_cost: float = Field(
        default=0.2, ge=0.0, lt=1.0, description="relative cut of members' churn hazard"
    )
    wallet_uplift: float = Field(default=0.05, ge=0.0, le=1.0)
    fixed_cost_per_period: float = Field(default=500.0, ge=0.0)


class PriceChange(Frozen):
    """A scheduled change of our list price index."""

    at: Days = Field(ge=0.0)
    to: float = Field(gt=0.0)


class PricingParams(Frozen):
    """List price (index; 1.0 = market average), standing discount, scheduled changes."""

    list_price: float = Field(default=1.0, gt=0.0)
    discount: float = Field(default=0.0, ge=0.0, lt=1.0)
    changes: tuple[PriceChange, ...] = ()

    def list_price_at(self, t: float) -> float:
        """List price index in force at day ``t``."""
        price = self.list_price
        for change in sorted(self.changes, key=lambda c: c.at):
            if change.at <= t:
                price = change.to
        return price


class EarlyWarningParams(Frozen):
    """Churn early warning: a score from observable signals, a threshold, an intervention."""

    enabled: bool = False
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    window: Days = Field(default=90.0, gt=0.0, description="'will churn within' truth window")
    intervene: bool = True
    offer: float = Field(default=0.1, ge=0.0, lt=1.0, description="retention discount")
    offer_duration: Days = Field(default=90.0, gt=0.0)
    cost_per_intervention: float = Field(default=10.0, ge=0.0, description="the call, money")
    value_share: float = Field(
        default=1.0, gt=0.0, le=1.0, description="only the top share by value is eligible"
    )
    weights: tuple[float, float, float, float] = Field(
        default=(-2.0, 1.2, 0.8, 1.5),
        description="intercept, log recency ratio, recent failures, unresolved complaints",
    )


class WinBackResponse(Frozen):
    """Base chance that a lapsed customer answers a win-back call, by why they left.

    Those lost to price or neglect come back most readily (the fix is cheap); those whose
    trust was overdrawn rarely do (seed 004: understand why they left before the offer).
    """

    baseline: float = Field(default=0.05, ge=0.0, le=1.0)
    dissatisfaction: float = Field(default=0.10, ge=0.0, le=1.0)
    overdrawn: float = Field(default=0.03, ge=0.0, le=1.0)
    price: float = Field(default=0.25, ge=0.0, le=1.0)
    neglect: float = Field(default=0.30, ge=0.0, le=1.0)
    fired: float = Field(default=0.0, ge=0.0, le=1.0)


class WinBackParams(Frozen):
    """Win-back campaign for lapsed customers (seed 004: 82 % of targeted high-value churners)."""

    enabled: bool = False
    delay: Days = Field(default=30.0, ge=0.0)
    offer: float = Field(default=0.2, ge=0.0, lt=1.0)
    offer_elasticity: float = Field(default=2.0, ge=0.0)
    cost_per_attempt: float = Field(default=25.0, ge=0.0)
    min_revenue: float = Field(default=0.0, ge=0.0, description="lifetime revenue to qualify")
    restart_satisfaction: float = Field(
        default=0.6, ge=0.0, le=1.0, description="satisfaction floor of a won-back customer"
    )
    deposit: float = Field(default=3.0, ge=0.0, description="trust points of the win-back call")
    response: WinBackResponse = Field(
        default_factory=lambda: WinBackResponse(),
        description="base chance of returning, by churn reason",
    )

    def response_array(self) -> NDArray[np.float64]:
        """Base response by churn-reason code (ChurnReason order)."""
        r = self.response
        return np.array(
            [r.baseline, r.dissatisfaction, r.overdrawn, r.price, r.neglect, r.fired], dtype=float
        )


class BassParams(Frozen):
    """Pure Bass diffusion: market potential M, innovation p and imitation q (per year)."""

    market_potential: int = Field(gt=0)
    p: float = Field(gt=0.0, description="innovation coefficient per year")
    q: float = Field(ge=0.0, description="imitation (referral) coefficient per year")


class AcquisitionParams(Frozen):
    """New customers: paid acquisition through a funnel, referrals, or pure Bass diffusion."""

    budget_per_period: float = Field(default=0.0, ge=0.0)
    cost_per_lead: float = Field(default=40.0, gt=0.0)
    funnel: dict[str, float] = Field(
        default={"contact": 0.6, "needs": 0.6, "proposal": 0.7, "close": 0.5},
        description="conversion per funnel stage, in order",
    )
    referral_conversion: float = Field(default=0.3, ge=0.0, le=1.0)
    referral_reward: float = Field(default=20.0, ge=0.0)
    advocate_satisfaction: float = Field(default=0.6, ge=0.0, le=1.0)
    bass: BassParams | None = None

    @model_validator(mode="after")
    def _funnel(self) -> AcquisitionParams:
        for stage, rate in self.funnel.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"funnel.{stage}={rate} is not a conversion rate in [0, 1]")
        return self

    def conversion(self) -> float:
        """Lead-to-customer conversion through the whole funnel."""
        return float(np.prod(list(self.funnel.values()))) if self.funnel else 1.0


class SelectionParams(Frozen):
    """Customer selection: migrate or fire customers who cost more than they bring."""

    policy: Literal["none", "migrate", "fire"] = "none"
    min_tenure: Days = Field(default=180.0, ge=0.0)
    lookback: Days = Field(default=365.25, gt=0.0)
    threshold: float = Field(default=0.0, description="profit over the lookback below which …")


class StrategyParams(Frozen):
    """All levers of the firm; each block's costs flow into the economics ledger."""

    quality: QualityParams = QualityParams()
    pricing: PricingParams = PricingParams()
    care_tiers: CareTiersParams = CareTiersParams()
    account_managers: AccountManagerParams = AccountManagerParams()
    follow_up: FollowUpParams = FollowUpParams()
    service: ServiceDeskParams = ServiceDeskParams()
    complaints: ComplaintParams = ComplaintParams()
    loyalty: LoyaltyParams = LoyaltyParams()
    early_warning: EarlyWarningParams = EarlyWarningParams()
    win_back: WinBackParams = WinBackParams()
    acquisition: AcquisitionParams = AcquisitionParams()
    selection: SelectionParams = SelectionParams()

    @model_validator(mode="after")
    def _capacity(self) -> StrategyParams:
        if self.care_tiers.enabled and self.account_managers.count == 0:
            for tier in self.care_tiers.tiers:
                if tier.owner == "account_manager" and tier.every is not None:
                    raise ValueError(
                        f"care tier {tier.name!r} is owned by account managers but "
                        "account_managers.count is 0; add account managers or change the owner"
                    )
        return self


# --------------------------------------------------------------------------- policies
def assign_tiers(values: NDArray[np.float64], tiers: CareTiersParams) -> NDArray[np.int64]:
    """Care tier per customer by value rank (0 = top tier)."""
    return rank_groups(values, np.array([t.share for t in tiers.tiers]))


def warning_score(
    recency_ratio: NDArray[np.float64],
    recent_failures: NDArray[np.float64],
    recent_unresolved: NDArray[np.float64],
    weights: tuple[float, float, float, float],
) -> NDArray[np.float64]:
    """Churn-risk score in (0, 1) from signals the firm can observe (RFM-style).

    ``recency_ratio`` is days since the last purchase over the customer's own mean
    inter-purchase time: a falling purchase frequency is the course's first warning sign.
    """
    w0, w1, w2, w3 = weights
    z = (
        w0
        + w1 * np.log(np.maximum(recency_ratio, 1e-3))
        + w2 * recent_failures
        + w3 * recent_unresolved
    )
    return 1.0 / (1.0 + np.exp(-z))


def unprofitable(
    margin: NDArray[np.float64],
    cost_to_serve: NDArray[np.float64],
    tenure: NDArray[np.float64],
    params: SelectionParams,
) -> NDArray[np.bool_]:
    """Customers whose profit over the lookback is below the threshold (tenure permitting)."""
    return (margin - cost_to_serve < params.threshold) & (tenure >= params.min_tenure)
