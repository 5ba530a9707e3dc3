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
from agents.units import Days, Frozen
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


class HazardParams(Frozen):
    """Coefficients of the behavioural churn hazard, per year at full strength.

    Each component is zero at a neutral state and adds to the baseline dropout.
    """

    dissatisfaction: float = Field(
        default=2.0, ge=0.0, description="per year at satisfaction 0 (linear to 0 at threshold)"
    )
    satisfaction_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    overdrawn: float = Field(
        default=0.05, ge=0.0, description="per year scale of exp(k·overdraft) − 1"
    )
    overdraft_steepness: float = Field(default=0.25, ge=0.0, description="k, per trust point")
    price: float = Field(
        default=10.0, ge=0.0, description="per year per unit price gap at sensitivity 1"
    )
    neglect: float = Field(
        default=0.3, ge=0.0, description="per year per preferred interval overdue"
    )
    neglect_grace: float = Field(
        default=1.5, ge=1.0, description="no neglect until the gap exceeds this × preferred"
    )
    neglect_cap: float = Field(default=5.0, ge=0.0, description="overdue intervals counted at most")
    max_hazard: Days = Field(
        default=30.0,
        gt=0.0,
        description="the total hazard saturates at 1/max_hazard per day (thinning bound)",
    )


class BehaviourParams(Frozen):
    """Parameters of the customer's mind. ``enabled: false`` gives the pure BTYD modes."""

    enabled: bool = True
    loss_aversion: float = Field(
        default=2.25, ge=1.0, le=5.0, description="λ: losses weigh λ× gains (Kahneman–Tversky)"
    )
    satisfaction_rate: float = Field(
        default=0.3, gt=0.0, le=1.0, description="weight of one experience on satisfaction"
    )
    expectation_rate: float = Field(
        default=0.1, ge=0.0, le=1.0, description="how fast expectations follow experience"
    )
    tolerance: float = Field(
        default=0.05, ge=0.0, description="κ per trust point: impacts × exp(−κ·balance)"
    )
    satisfaction_per_point: float = Field(
        default=0.03, ge=0.0, description="felt impact per trust point of a service event"
    )
    account: AccountParams = AccountParams()
    ladder: LadderParams = LadderParams()
    hazard: HazardParams = HazardParams()
    recovery_paradox: bool = Field(
        default=False,
        description="if true, a quick resolution over-compensates the failure (explicit option)",
    )
    paradox_bonus: float = Field(
        default=1.5, ge=1.0, description="apology_fix multiplier when recovery_paradox is on"
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
