"""Behavioural rules: pure functions on floats or numpy arrays alike.

Every rule here is a plain function of state, parameters and (where chance is involved)
a uniform draw handed in by the caller. None owns random state, reads a clock or branches
with ``if`` on its inputs (``np.where`` instead), so the agent engine can call a rule for one
customer and the vector engine for a million with the same code and the same result.

The customer's mind, in order of use:

* **Expectation–disconfirmation** (Oliver 1980): a touchpoint's performance P is compared
  with the expectation E; d = P − E.
* **Loss aversion**: losses weigh λ times gains (λ default 2.25, Tversky & Kahneman 1992).
* **Kano**: must-be attributes only hurt, attractive ones only delight, one-dimensional
  ones do both (with λ on the loss side).
* **Tolerance**: the emotional account buffers: negative impacts are scaled by
  exp(−κ·balance), so the same failure hurts less when the account is in credit and far more
  when it is overdrawn.
* **Churn** is a competing-risk hazard: baseline (the latent BTYD dropout, handled by the
  engines), dissatisfaction, overdrawn trust, price/competitor and neglect. The total is
  saturated at ``max_hazard`` so it can be sampled exactly by thinning.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
from pydantic import Field

from agents.emotional_account import AccountParams
from agents.relationship import LadderParams
from agents.units import MAX_TIME_SCALE, Days, Frozen
from agents.xp import clip, exp, exp2, expm1, maximum, minimum, where

__all__ = [
    "BehaviourParams",
    "ChurnReason",
    "Kano",
    "adapt_expectation",
    "churn_accept_probability",
    "churn_components",
    "contact_effect",
    "decay_balance",
    "dominant_reason",
    "kano_response",
    "neglect_pressure",
    "price_gap",
    "satisfaction_step",
    "tolerance",
    "valence",
    "winback_probability",
]


class Kano(IntEnum):
    """Kano quality-attribute kinds (seed 003)."""

    must_be = 0
    one_dimensional = 1
    attractive = 2


class ChurnReason(IntEnum):
    """Dominant reason recorded for each churn (MODEL.md "Churn")."""

    baseline = 0
    dissatisfaction = 1
    overdrawn = 2
    price = 3
    neglect = 4
    fired = 5


#: Largest churn coefficient, per year: about 27 a day, far past the saturation of the total
#: hazard at 1/max_hazard ≤ 1 a day, so larger ones would change nothing but the floats.
_MAX_CHURN_PER_YEAR = 1e4


class HazardParams(Frozen):
    """Coefficients of the behavioural churn hazard, per year at full strength.

    Each component is zero at a neutral state and adds to the baseline dropout.
    """

    dissatisfaction: float = Field(
        default=2.0,
        ge=0.0,
        le=_MAX_CHURN_PER_YEAR,
        description="dissatisfaction churn per year at satisfaction 0, falling linearly to 0 at "
        "satisfaction_threshold; assumption, calibrate per lesson",
    )
    satisfaction_threshold: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="satisfaction (index, 0–1) below which dissatisfaction churn starts; 0.5: "
        "the middle of the scale (assumption)",
    )
    overdrawn: float = Field(
        default=0.05,
        ge=0.0,
        le=_MAX_CHURN_PER_YEAR,
        description="overdrawn-trust churn per year × (exp(k·overdraft) − 1): ≈ 0.56 at a "
        "balance of −10, ≈ 7.4 at −20 (assumption: steep, MODEL 'Churn')",
    )
    overdraft_steepness: float = Field(
        default=0.25,
        ge=0.0,
        le=10.0,  # exp(k · 60 points) stays a finite float up to k ≈ 11.8
        description="k, per trust point of overdraft (counted up to 60): how steeply an "
        "overdrawn account drives churn (assumption)",
    )
    price: float = Field(
        default=10.0,
        ge=0.0,
        le=_MAX_CHURN_PER_YEAR,
        description="price/competitor churn per year per unit of relative price gap over the "
        "market at price sensitivity 1: a 10 % gap adds 1 (assumption)",
    )
    neglect: float = Field(
        default=0.3,
        ge=0.0,
        le=_MAX_CHURN_PER_YEAR,
        description="neglect churn per year per preferred contact interval overdue beyond the "
        "grace (seed 004: too rare contact and the relationship cools; size assumed)",
    )
    neglect_grace: float = Field(
        default=1.5,
        ge=1.0,
        le=1000.0,  # preferred intervals (1.5 by default): past any calibration
        description="no neglect until the time since the last interaction exceeds this "
        "multiple of the preferred contact interval (assumption)",
    )
    neglect_cap: float = Field(
        default=5.0,
        ge=0.0,
        le=1000.0,
        description="overdue preferred intervals counted at most (bounds the neglect component)",
    )
    max_hazard: Days = Field(
        default=30.0,
        # 1/max_hazard is the rate of candidate churn reviews of every customer (thinning),
        # each an event: one a day at most. Up to "never".
        ge=1.0,
        le=MAX_TIME_SCALE,
        description="shortest mean time to a behavioural churn: the total hazard saturates at "
        "1/max_hazard per day (thinning bound); 30d: assumption",
    )


class BehaviourParams(Frozen):
    """Parameters of the customer's mind. ``enabled: false`` gives the pure BTYD modes."""

    enabled: bool = Field(
        default=True,
        description="false = the pure BTYD modes: no satisfaction, trust, ladder or behavioural "
        "churn, only the baseline dropout (MODEL property 1)",
    )
    loss_aversion: float = Field(
        default=2.25,
        ge=1.0,
        le=5.0,
        description="λ: a shortfall weighs λ× an equal surplus, in satisfaction and trust "
        "(Tversky & Kahneman 1992)",
    )
    satisfaction_rate: float = Field(
        default=0.3,
        gt=0.0,
        le=1.0,
        description="share of the way to 1 (gain) or 0 (loss) one unit of felt impact moves "
        "satisfaction; assumption, calibrate per lesson",
    )
    expectation_rate: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="share of the gap to the latest performance that expectation closes per "
        "purchase (adaptive expectations, Oliver 1980); 0.1: assumption",
    )
    tolerance: float = Field(
        default=0.05,
        ge=0.0,
        # At κ = 1 one point of balance already scales a withdrawal by e; with
        # account.tolerance_cap ≤ 50 points the multiplier stays below e^50.
        le=1.0,
        description="κ, per trust point: negative impacts × exp(−κ·balance); 0.05: a +10 "
        "balance softens a failure by ≈ 40 %, −10 worsens it by ≈ 65 % (assumption)",
    )
    satisfaction_per_point: float = Field(
        default=0.03,
        ge=0.0,
        le=1.0,  # at 1 a single trust point is felt as the whole 0–1 satisfaction scale
        description="felt satisfaction impact per trust point of a complaint outcome or price "
        "rise; assumption",
    )
    account: AccountParams = Field(
        default=AccountParams(),
        description="the emotional account: deposit and withdrawal sizes, cooling, tolerance",
    )
    ladder: LadderParams = Field(
        default=LadderParams(),
        description="relationship ladder: promotion and demotion thresholds, per-level effects",
    )
    hazard: HazardParams = Field(
        default=HazardParams(),
        description="behavioural churn hazard: dissatisfaction, overdrawn, price, neglect",
    )
    recovery_paradox: bool = Field(
        default=False,
        description="true = a quick complaint resolution over-compensates the failure (explicit "
        "option; off by default: MODEL property 6)",
    )
    paradox_bonus: float = Field(
        default=1.5,
        ge=1.0,
        le=100.0,
        description="with recovery_paradox: a quick fix deposits at least this multiple of the "
        "trust the failure withdrew (assumption)",
    )


# --------------------------------------------------------------------------- experiences
def valence(d: Any, loss_aversion: float) -> Any:
    """Felt value of a disconfirmation: gains at face value, losses × λ."""
    return where(d >= 0.0, d, loss_aversion * d)


def kano_response(d: Any, kind: Any, loss_aversion: float) -> Any:
    """Felt value of a disconfirmation for a Kano attribute kind.

    must-be: only shortfalls count (success goes unnoticed); one-dimensional: both sides,
    λ on losses; attractive: only delights count (absence not missed).
    """
    loss = loss_aversion * minimum(d, 0.0)
    gain = maximum(d, 0.0)
    return where(kind == Kano.must_be, loss, where(kind == Kano.attractive, gain, gain + loss))


def tolerance(balance: Any, kappa: float, cap: float = 20.0) -> Any:
    """Multiplier on negative impacts: < 1 in credit, 1 at neutral, > 1 overdrawn.

    The buffer saturates beyond ±``cap`` points, so the multiplier stays within
    [exp(−κ·cap), exp(κ·cap)] and an overdrawn account cannot spiral without bound.
    """
    return exp(-kappa * clip(balance, -cap, cap))


def satisfaction_step(satisfaction: Any, impact: Any, rate: float, tol: Any) -> Any:
    """Move satisfaction (on [0, 1]) by an experience's felt impact.

    Gains close a fraction of the distance to 1, losses a fraction of the distance to 0, so
    satisfaction stays bounded without clipping; losses are scaled by the tolerance ``tol``.
    """
    step = clip(rate * where(impact < 0.0, impact * tol, impact), -1.0, 1.0)
    return where(
        step >= 0.0, satisfaction + step * (1.0 - satisfaction), satisfaction + step * satisfaction
    )


def adapt_expectation(expectation: Any, performance: Any, rate: float) -> Any:
    """Adaptive expectations: E moves a fraction ``rate`` toward the latest performance."""
    return clip(expectation + rate * (performance - expectation), 0.0, 1.0)


def decay_balance(balance: Any, elapsed: Any, half_life: float) -> Any:
    """Cooling: an untouched balance halves toward neutral every ``half_life`` days."""
    return balance * exp2(-elapsed / half_life)


def contact_effect(
    gap: Any, preferred: Any, deposit: float, annoyance: float, cap: float = 2.0
) -> Any:
    """Trust effect of a contact arriving ``gap`` days after the previous one.

    At or beyond the preferred interval a contact is a full deposit; sooner, each contact
    loses ``annoyance`` points per unit of (preferred / gap − 1), counted up to ``cap``,
    turning into a withdrawal when contacts come much too often. Total trust per unit time
    therefore peaks near the preferred cadence (MODEL property 5).
    """
    over = clip(preferred / maximum(gap, 1e-9) - 1.0, 0.0, cap)
    return deposit - annoyance * over


# --------------------------------------------------------------------------- churn
def price_gap(price_paid: Any, market_price: Any) -> Any:
    """Relative gap of our effective price over the market's (0 when we are cheaper)."""
    return maximum(price_paid / market_price - 1.0, 0.0)


def neglect_pressure(since_touch: Any, preferred: Any, h: HazardParams) -> Any:
    """Preferred intervals overdue beyond the grace multiple, capped."""
    return clip(since_touch / preferred - h.neglect_grace, 0.0, h.neglect_cap)


def churn_components(
    satisfaction: Any,
    balance: Any,
    gap: Any,
    price_sensitivity: Any,
    neglect: Any,
    multiplier: Any,
    h: HazardParams,
) -> tuple[Any, Any, Any, Any]:
    """Behavioural churn hazards per day for reasons 1..4, each × ``multiplier``.

    The reasons are dissatisfaction, overdrawn trust, price/competitor and neglect; the
    multiplier carries the ladder's switching cost and the loyalty programme's lock-in.

    Returns:
        Four hazards (floats or arrays, like the inputs).
    """
    m = multiplier / 365.25
    dis = h.dissatisfaction * maximum(h.satisfaction_threshold - satisfaction, 0.0)
    dis = dis / h.satisfaction_threshold
    over = h.overdrawn * expm1(h.overdraft_steepness * clip(-balance, 0.0, 60.0))
    pri = h.price * price_sensitivity * gap
    neg = h.neglect * neglect
    return dis * m, over * m, pri * m, neg * m


def churn_accept_probability(total: Any, max_hazard_rate: float) -> Any:
    """Thinning acceptance for a candidate review at rate ``max_hazard_rate``.

    The realised hazard is H·(1 − exp(−Σ/H)) ≤ H: equal to Σ for small Σ, saturating at H,
    so candidates at rate H accepted with this probability give it exactly.
    """
    return -expm1(-total / max_hazard_rate)


def dominant_reason(components: tuple[Any, Any, Any, Any]) -> Any:
    """Reason code (1..4) of the largest component (first wins ties)."""
    return np.argmax(np.stack(np.broadcast_arrays(*components)), axis=0) + 1


def winback_probability(reason: Any, offer: float, base: Any, offer_elasticity: float) -> Any:
    """Chance a lapsed customer returns, by churn reason, lifted by the offer (capped at 1)."""
    return minimum(np.asarray(base, dtype=float)[reason] * (1.0 + offer_elasticity * offer), 1.0)
