"""The market around the firm: the going price and the competitor's moves.

The competitor is not an agent here but a set of scheduled shocks: a promotion cuts the
market price for a while, widening our price gap, and price-sensitive customers feel it as a
pull toward the competitor (the price/competitor churn reason).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from agents.units import MAX_HORIZON, MAX_PRICE_INDEX, Days, Frozen

__all__ = ["MarketParams", "Promotion"]


class Promotion(Frozen):
    """A competitor promotion: from ``start`` for ``duration``, the market price drops."""

    start: Days = Field(ge=0.0, le=MAX_HORIZON, description="day the competitor promotion starts")
    duration: Days = Field(gt=0.0, le=MAX_HORIZON, description="how long the promotion runs")
    discount: float = Field(
        gt=0.0,
        lt=1.0,
        description="relative cut of the market price while it runs (overlapping promotions "
        "multiply)",
    )


class MarketParams(Frozen):
    """Market price index (1.0 = the average; our list price is on the same index)."""

    price: float = Field(
        default=1.0,
        # Near 0 the price gap (our price / this − 1) would overflow the churn hazard.
        ge=1.0 / MAX_PRICE_INDEX,
        le=MAX_PRICE_INDEX,
        description="market average price index: our price gap is price paid / this − 1 "
        "(1.0 = the reference our list price is quoted against)",
    )
    promotions: tuple[Promotion, ...] = Field(
        default=(),
        description="competitor promotions, scheduled shocks that widen our price gap (seed "
        "004: competitor promotions are key churn moments)",
    )

    def price_at(self, t: float) -> float:
        """Market price index at day ``t`` (promotions multiply)."""
        p = self.price
        for promo in self.promotions:
            if promo.start <= t < promo.start + promo.duration:
                p *= 1.0 - promo.discount
        return p

    def prices_at(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """:meth:`price_at` for an array of days (the vector engine's)."""
        p = np.full(np.shape(t), self.price)
        for promo in self.promotions:
            inside = (promo.start <= t) & (t < promo.start + promo.duration)
            p = np.where(inside, p * (1.0 - promo.discount), p)
        return p
