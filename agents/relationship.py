"""The relationship ladder and the customer lifecycle.

The course's ladder runs transactional (price-driven, fragile) → collaborative (two-way
communication) → trust (shares information, relies on you) → strategic partner
(co-creates value). A customer climbs when the emotional account is well in credit and
there is enough shared history, and slips back only when the balance falls clearly below
the rung's floor: promotion and demotion thresholds differ (hysteresis), so a single bad
week does not undo years. Each rung changes share of wallet, switching cost, price
sensitivity and the urge to refer others.

Lifecycle stage is *derived* from state for reporting; it never drives behaviour.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any

import numpy as np
from pydantic import Field, model_validator

from agents.traits import Level
from agents.units import Frozen
from agents.xp import take, where

__all__ = ["LadderParams", "Level", "Stage", "ladder_step", "lifecycle_stage"]

#: A balance threshold in trust points. Out of reach reads as "never" (tests switch the
#: ladder off with 1e6); beyond ±1e9 the floats of a balance lose the point.
_Threshold = Annotated[float, Field(ge=-1e9, le=1e9)]
#: Interactions needed to climb: a billion is never reached in a run.
_Interactions = Annotated[int, Field(le=1_000_000_000)]
#: A per-level multiplier (the sign is checked by the block). The course's rungs differ by
#: less than 2×; 10× is past any calibration, and wallet multiplies the purchase events.
_Multiplier = Annotated[float, Field(le=10.0)]


class LadderParams(Frozen):
    """Thresholds and per-level effects of the relationship ladder.

    Defaults: thresholds in trust points (see :class:`AccountParams`); level effects follow
    the course's claim that switching cost and share of wallet rise up the ladder, with the
    strategic rung churning at 30 % of the transactional hazard (an assumption stated here,
    to be calibrated per lesson).
    """

    promote_at: tuple[_Threshold, _Threshold, _Threshold] = Field(
        default=(5.0, 12.0, 25.0),
        description="balance in trust points needed to climb from transactional, "
        "collaborative, trust (assumption, calibrate per lesson)",
    )
    demote_below: tuple[_Threshold, _Threshold, _Threshold] = Field(
        default=(0.0, 5.0, 15.0),
        description="balance in trust points below which collaborative, trust, strategic slip "
        "one rung; at most promote_at (hysteresis)",
    )
    min_interactions: tuple[_Interactions, _Interactions, _Interactions] = Field(
        default=(2, 6, 12),
        description="interactions (purchases, renewals, contacts, tickets) needed before "
        "climbing from transactional, collaborative, trust (assumption)",
    )
    wallet: tuple[_Multiplier, _Multiplier, _Multiplier, _Multiplier] = Field(
        default=(1.0, 1.15, 1.3, 1.5),
        description="purchase-rate multiplier (share of wallet) per level, transactional first "
        "(seed 004: wallet share rises up the ladder; sizes assumed)",
    )
    hazard: tuple[_Multiplier, _Multiplier, _Multiplier, _Multiplier] = Field(
        default=(1.0, 0.75, 0.5, 0.3),
        description="churn multiplier (switching cost) per level, on behavioural churn and the "
        "per-purchase or per-renewal baseline dropout; strategic at 30 %: assumption",
    )
    price_sensitivity: tuple[_Multiplier, _Multiplier, _Multiplier, _Multiplier] = Field(
        default=(1.0, 0.8, 0.6, 0.4),
        description="price-sensitivity multiplier per level (seed 004: transactional customers "
        "are price-driven; sizes assumed)",
    )
    referral: tuple[_Multiplier, _Multiplier, _Multiplier, _Multiplier] = Field(
        default=(0.25, 0.5, 1.0, 2.0),
        description="referral-rate multiplier per level (advocacy grows up the ladder; sizes "
        "assumed)",
    )

    @property
    def up_table(self) -> tuple[float, ...]:
        """Balance needed to climb, by current level (∞ at the top)."""
        return (*self.promote_at, float("inf"))

    @property
    def need_table(self) -> tuple[float, ...]:
        """Interactions needed to climb, by current level."""
        return (*(float(x) for x in self.min_interactions), 0.0)

    @property
    def down_table(self) -> tuple[float, ...]:
        """Balance below which the level slips, by current level (−∞ at the bottom)."""
        return (float("-inf"), *self.demote_below)

    @model_validator(mode="after")
    def _hysteresis(self) -> LadderParams:
        for i in range(3):
            if self.demote_below[i] > self.promote_at[i]:
                raise ValueError(
                    f"demote_below[{i}]={self.demote_below[i]} must not exceed "
                    f"promote_at[{i}]={self.promote_at[i]} (hysteresis needs a gap)"
                )
        if list(self.promote_at) != sorted(self.promote_at):
            raise ValueError("promote_at must increase level by level")
        for name in ("wallet", "hazard", "price_sensitivity", "referral"):
            if min(getattr(self, name)) < 0:
                raise ValueError(f"{name} multipliers must be non-negative")
        return self


def ladder_step(level: Any, balance: Any, interactions: Any, params: LadderParams) -> Any:
    """Move at most one rung: up if balance and history allow, down if below the floor.

    Args:
        level: current level(s), 0..3.
        balance: current emotional-account balance(s).
        interactions: interactions so far.
        params: ladder thresholds.

    Returns:
        The new level(s): an int for scalar input, an int array for arrays.
    """
    up_at = take(params.up_table, level)
    need = take(params.need_table, level)
    down_below = take(params.down_table, level)
    up = (balance >= up_at) & (interactions >= need)
    down = balance < down_below
    return where(up, level + 1, where(down, level - 1, level))


class Stage(IntEnum):
    """Lifecycle stage, derived for reporting (DOMAIN §1 lifecycle)."""

    acquisition = 0
    activation = 1
    growth = 2
    retention = 3
    advocacy = 4
    at_risk = 5
    lapsed = 6
    won_back = 7


def lifecycle_stage(
    active: np.ndarray,
    tenure: np.ndarray,
    repeat_purchases: np.ndarray,
    level: np.ndarray,
    balance: np.ndarray,
    satisfaction: np.ndarray,
    since_winback: np.ndarray,
) -> np.ndarray:
    """Classify customers into lifecycle stages (first matching rule wins).

    lapsed (inactive) → won back (reactivated < 90 days ago) → at risk (overdrawn or
    satisfaction < 0.4) → acquisition (< 30 days, no repeat) → activation (≤ 1 repeat) →
    advocacy (level ≥ trust and satisfaction ≥ 0.7) → growth (level below trust) → retention.

    Returns:
        Stage codes (int8).
    """
    return np.select(
        [
            ~active,
            since_winback < 90.0,
            (balance < 0.0) | (satisfaction < 0.4),
            (tenure < 30.0) & (repeat_purchases == 0),
            repeat_purchases <= 1,
            (level >= Level.trust) & (satisfaction >= 0.7),
            level < Level.trust,
        ],
        [
            Stage.lapsed,
            Stage.won_back,
            Stage.at_risk,
            Stage.acquisition,
            Stage.activation,
            Stage.advocacy,
            Stage.growth,
        ],
        Stage.retention,
    ).astype(np.int8)
