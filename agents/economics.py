"""Money: cost lines, discounting and customer lifetime value.

Money is booked in integer cents so that revenue − Σ costs = profit holds *exactly* in
every period and in total (MODEL property 11); tables show currency units.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from agents.units import DAYS_PER_YEAR, MAX_MONEY, Frozen

__all__ = ["COST_LINES", "EconomicsParams", "discount_factor", "to_cents"]

#: Every cost line, in the order they appear in the periods table.
COST_LINES: tuple[str, ...] = (
    "cogs",
    "service_staff",
    "service_tickets",
    "am_staff",
    "am_visits",
    "contacts",
    "follow_up",
    "loyalty",
    "discounts",
    "offers",
    "win_back",
    "acquisition",
    "referral_rewards",
    "fixed",
)


class EconomicsParams(Frozen):
    """Margins, fixed costs and the discount rate."""

    cogs_share: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="cost of goods as a share of spend at list price 1 (list-price changes and "
        "discounts do not move it); 0.6: a 40 % gross margin, assumption",
    )
    fixed_cost_per_period: float = Field(
        default=0.0,
        ge=0.0,
        le=MAX_MONEY,
        description="fixed overhead, money per period (pro rata in a shorter last period)",
    )
    discount_rate: float = Field(
        default=0.10,
        ge=0.0,
        le=1.0,
        description="discount rate per year for discounted profit and CLV (10 %: a common "
        "cost-of-capital assumption)",
    )
    currency: str = Field(
        default="",
        description="symbol written before money in reports and on the terminal (¥, $, €, "
        "CHF); empty: plain numbers; does not affect the run",
    )

    @field_validator("currency")
    @classmethod
    def _symbol(cls, value: str) -> str:
        # It is printed before every amount, on terminals too: short, and nothing that
        # could pass for part of the number or steer the terminal.
        if len(value) > 4 or any(c.isdigit() or c.isspace() or not c.isprintable() for c in value):
            raise ValueError(
                "a currency symbol has at most 4 characters and no digits, spaces or "
                "control characters (¥, $, €, CHF)"
            )
        return value


def to_cents(amount: float) -> int:
    """Round a money amount to integer cents (half to even, like numpy's rint)."""
    return round(amount * 100.0)


def discount_factor(t_days: float | np.ndarray, rate: float) -> float | np.ndarray:
    """Continuous-time discount factor (1 + rate)^(−t/365.25)."""
    return np.power(1.0 + rate, -np.asarray(t_days, dtype=float) / DAYS_PER_YEAR)
