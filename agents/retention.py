"""Retention levers: complaint handling, loyalty, early warning and win-back.

The course's retention toolkit: handle complaints well (LESCANT; "complaints are a gift"),
lock members in with points and privileges, spot the customers drifting away before they
go and intervene at the key moment, and win back the ones who left, by the reason they left.
``warning_score`` is the array policy that scores risk from what the firm can observe and
``at_risk`` the one that turns scores into flags.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from agents.handling import PerHandling, ResolutionCV, ResolutionTime
from agents.units import MAX_HORIZON, MAX_MONEY, MAX_POINTS, MAX_TIME_SCALE, Days, Frozen

__all__ = [
    "ComplaintParams",
    "EarlyWarningParams",
    "LoyaltyParams",
    "PerHandling",
    "WinBackParams",
    "WinBackResponse",
    "at_risk",
    "recency_ratio",
    "warning_score",
]


#: A logistic score weight: at ±100 one unit of a signal already makes the score certain.
_Weight = Annotated[float, Field(ge=-100.0, le=100.0)]


class ComplaintParams(Frozen):
    """Complaint handling quality: none, basic, or LESCANT (seed 004).

    LESCANT (Listen, Express, State, Confirm, Act, Notify, Thank) resolves more, apologises
    better and takes longer; the defaults encode that ordering, not measured rates. A
    complaint's outcome comes ``resolution_time`` after the desk finishes it (the rule:
    :func:`agents.handling.resolution_delay`), and the customer judges its speed from the
    moment they complained.
    """

    handling: Literal["none", "basic", "lescant"] = Field(
        default="basic",
        description="none (complaints go nowhere: all unresolved), basic, or lescant (seed 004)",
    )
    resolve: PerHandling = Field(
        default=PerHandling(basic=0.6, lescant=0.9),
        description="probability a handled complaint is resolved; default basic 0.6, lescant "
        "0.9 (ordering assumed; seed 004: ~70 % of well-handled complainers turn loyal)",
    )
    apology: PerHandling = Field(
        default=PerHandling(basic=1.0, lescant=1.5),
        description="multiplier on the apology_fix deposit of a resolved complaint; default "
        "basic 1.0, lescant 1.5 (assumption)",
    )
    effort: PerHandling = Field(
        default=PerHandling(basic=1.0, lescant=1.5),
        description="handling-time multiplier of a complaint ticket at the desk; default basic "
        "1.0, lescant 1.5 (assumption)",
    )
    resolution_time: ResolutionTime = Field(
        default=ResolutionTime(basic=0.0, lescant=0.0),
        description="mean time from the desk finishing a complaint to its outcome "
        "(investigation, fix, the customer told); elapsed time from the complaint is judged "
        "against service.promise; default 0 for both: the outcome when the desk finishes "
        "(assumption: resolved at the desk)",
    )
    resolution_cv: ResolutionCV = Field(
        default=ResolutionCV(basic=0.0, lescant=0.0),
        description="coefficient of variation of the resolution time, a gamma; default 0: every "
        "resolution takes exactly its mean (assumption)",
    )
    cost_per_complaint: float = Field(
        default=15.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per handled complaint, on top of the ticket cost",
    )

    @model_validator(mode="after")
    def _probabilities(self) -> ComplaintParams:
        for k in ("basic", "lescant"):
            v = self.resolve.of(k)
            if v > 1.0:
                raise ValueError(f"resolve.{k}={v} is not a probability in [0, 1]")
        return self


class LoyaltyParams(Frozen):
    """Loyalty programme: points, their cost (liability) and their hold on members."""

    enabled: bool = Field(
        default=False, description="run the programme; every customer is then a member"
    )
    points_per_money: float = Field(
        default=1.0,
        ge=0.0,
        le=1000.0,  # a thousand points per currency unit: beyond any programme's scale
        description="points earned per currency unit paid, after discounts and offers",
    )
    point_value: float = Field(
        default=0.01,
        ge=0.0,
        le=MAX_MONEY,
        description="money per point redeemed (1 % back at the defaults)",
    )
    redemption_rate: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="share of points expected to be redeemed; their cost is booked when issued "
        "(0.7: assumption)",
    )
    redemption_delay: Days = Field(
        default=365.25,
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="mean time from issue to redemption; the liability of unredeemed points "
        "fades with it (one year: assumption)",
    )
    switching_cost: float = Field(
        default=0.2,
        ge=0.0,
        lt=1.0,
        description="relative cut of members' churn (lock-in), like the ladder's multiplier; "
        "0.2: assumption",
    )
    wallet_uplift: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="relative rise of members' purchase rate (0.05: assumption)",
    )
    fixed_cost_per_period: float = Field(
        default=500.0, ge=0.0, le=MAX_MONEY, description="money per period to run the programme"
    )


class EarlyWarningParams(Frozen):
    """Churn early warning: a score from observable signals, a threshold, an intervention."""

    enabled: bool = Field(
        default=False,
        description="score active customers every period and flag those at risk (seed 004)",
    )
    threshold: float = Field(
        default=0.5,
        gt=0.0,
        lt=1.0,
        description="risk score (index, 0–1) at or above which a customer is flagged",
    )
    window: Days = Field(
        default=90.0,
        gt=0.0,
        le=MAX_HORIZON,
        description="a flag opens a case for this long: the customer is not flagged (or "
        "called) again until it closes; and the truth window: a flag is a hit if the customer "
        "churns within it (precision and recall)",
    )
    signal_memory: Days = Field(
        default=90.0,
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="time constant of the fading memory of recent failures and unresolved "
        "complaints that feed the score (a CRM's 'last quarter' view)",
    )
    intervene: bool = Field(
        default=True,
        description="call flagged customers (a deposit of `deposit` trust points) and give them "
        "the retention offer, if any; false = flag only",
    )
    offer: float = Field(
        default=0.1,
        ge=0.0,
        lt=1.0,
        description="retention discount off the price paid, booked as offers (0.1: assumption)",
    )
    offer_duration: Days = Field(
        default=90.0, gt=0.0, le=MAX_HORIZON, description="how long the retention offer lasts"
    )
    cost_per_intervention: float = Field(
        default=10.0, ge=0.0, le=MAX_MONEY, description="money per intervention (the call)"
    )
    deposit: float = Field(
        default=3.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points of the intervention call; 3 = a help-in-difficulty contact "
        "(seed 004: help in hard times); a senior call that listens and fixes what went wrong "
        "earns what a quickly resolved complaint does (help 3 + apology 2 + quick fix 1 = 6)",
    )
    value_share: float = Field(
        default=1.0,
        gt=0.0,
        le=1.0,
        description="only the top share by value score is eligible; 1 = everyone (seed 004: "
        "tailored offers for high-value customers)",
    )
    weights: tuple[_Weight, _Weight, _Weight, _Weight, _Weight] = Field(
        default=(-2.0, 0.3, 0.5, 1.0, -0.3),
        description="logistic score weights: intercept, log recency ratio, recent failures, "
        "recent unresolved complaints, trust balance in points (assumption; at the defaults a "
        "balance of about −7 points alone reaches a 0.5 threshold; after recent failures or "
        "unresolved complaints a less negative balance does)",
    )


class WinBackResponse(Frozen):
    """Base chance that a lapsed customer answers a win-back call, by why they left.

    Those lost to price or neglect come back most readily (the fix is cheap); those whose
    trust was overdrawn rarely do (seed 004: understand why they left before the offer).
    """

    baseline: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="probability a customer lost to baseline drift returns (assumption)",
    )
    dissatisfaction: float = Field(
        default=0.10,
        ge=0.0,
        le=1.0,
        description="probability a customer lost to dissatisfaction returns (assumption)",
    )
    overdrawn: float = Field(
        default=0.03,
        ge=0.0,
        le=1.0,
        description="probability a customer lost to overdrawn trust returns: rarely (assumption)",
    )
    price: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="probability a customer lost to price or a competitor returns (assumption)",
    )
    neglect: float = Field(
        default=0.30,
        ge=0.0,
        le=1.0,
        description="probability a neglected customer returns: the cheapest fix (assumption)",
    )


class WinBackParams(Frozen):
    """Win-back campaign for lapsed customers (seed 004: 82 % of targeted high-value churners)."""

    enabled: bool = Field(default=False, description="call lapsed customers once, after the delay")
    delay: Days = Field(
        default=30.0,
        ge=0.0,
        le=MAX_HORIZON,
        description="time from churn to the win-back call (assumption)",
    )
    offer: float = Field(
        default=0.2,
        ge=0.0,
        lt=1.0,
        description="discount off the price paid for offer_duration after a return; also lifts "
        "the response (seed 004: special offer)",
    )
    offer_duration: Days = Field(
        default=90.0,
        gt=0.0,
        le=MAX_HORIZON,
        description="how long the win-back discount lasts (assumption)",
    )
    offer_elasticity: float = Field(
        default=2.0,
        ge=0.0,
        le=100.0,  # at 100 a 10 % offer lifts the response 11-fold; it is capped at 1 anyway
        description="response × (1 + this × offer), capped at 1: a 20 % offer lifts it by 40 % "
        "(assumption)",
    )
    cost_per_attempt: float = Field(
        default=25.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per win-back call (seed 004: senior AM call)",
    )
    min_revenue: float = Field(
        default=0.0,
        ge=0.0,
        le=MAX_MONEY,
        description="lifetime revenue, money, a lapsed customer needs to be called; 0 = all",
    )
    restart_satisfaction: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="satisfaction (index) a won-back customer restarts with at least",
    )
    deposit: float = Field(
        default=3.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points of the win-back call; the account restarts from 0",
    )
    response: WinBackResponse = Field(
        default_factory=lambda: WinBackResponse(),
        description="base probability of returning, by churn reason",
    )

    def response_array(self) -> NDArray[np.float64]:
        """Base response by churn-reason code (ChurnReason order)."""
        r = self.response
        return np.array(
            # Fired customers are never called (the firm chose to let them go): 0.
            [r.baseline, r.dissatisfaction, r.overdrawn, r.price, r.neglect, 0.0],
            dtype=float,
        )


def warning_score(
    recency_ratio: NDArray[np.float64],
    recent_failures: NDArray[np.float64],
    recent_unresolved: NDArray[np.float64],
    balance: NDArray[np.float64],
    weights: tuple[float, float, float, float, float],
) -> NDArray[np.float64]:
    """Churn-risk score in (0, 1) from signals the firm can observe (RFM-style).

    ``recency_ratio`` is days since the last purchase over the customer's own mean
    inter-purchase time: a falling purchase frequency is the course's first warning sign.
    ``recent_failures`` and ``recent_unresolved`` are fading counts of service failures
    (late deliveries and long waits included) and unresolved complaints. ``balance`` is the
    emotional account the firm keeps of its deposits and withdrawals (seed 004), in trust
    points: the model takes the firm's view of it to be exact.

    Why the balance: in this model the avoidable losses of valuable customers are mostly
    overdrawn trust and dissatisfaction after a run of withdrawals, which a falling balance
    shows months before they leave. A long gap since the last order is a weak sign here —
    needs drift away *at* a purchase (BG/NBD), so an active customer with a long gap is
    mostly a slow buyer — hence its small default weight.
    """
    w0, w1, w2, w3, w4 = weights
    z = (
        w0
        + w1 * np.log(np.maximum(recency_ratio, 1e-3))
        + w2 * recent_failures
        + w3 * recent_unresolved
        + w4 * balance
    )
    # A very negative score overflows exp to inf, and 1 / inf is the right limit, 0: the
    # warning numpy would print is not a problem, so it is silenced (and nothing else).
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def recency_ratio(
    t: float,
    acquired: NDArray[np.float64],
    last_repeat: NDArray[np.float64],
    purchases: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Days since the last purchase over the customer's own mean inter-purchase time."""
    tenure = np.maximum(t - acquired, 1e-9)
    last = np.maximum(last_repeat, acquired)
    return (t - last) / (tenure / np.maximum(purchases, 1).astype(float))


def at_risk(
    score: NDArray[np.float64],
    values: NDArray[np.float64],
    open_case: NDArray[np.bool_],
    params: EarlyWarningParams,
) -> NDArray[np.bool_]:
    """Customers to flag now: score at the threshold, top value share, no case open.

    A flag opens a case for ``params.window`` days (one call, one offer); a customer whose
    case is still open is not flagged again, so the flags count cases, not months at risk,
    and nobody is called every month while the case runs.
    """
    flag = (score >= params.threshold) & ~open_case
    if params.value_share < 1.0 and values.size:
        flag &= values >= np.quantile(values, 1.0 - params.value_share)
    return flag
