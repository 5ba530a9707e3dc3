"""Money on columns: booking costs and sales in cents, CLV and the selection memory.

The twin of ``CRMModel.book`` and ``CRMModel.earn`` (:mod:`sim.agent_engine.model`):
every amount is rounded to cents once, the customer's CLV is discounted from acquisition,
and margin and cost to serve feed the selection policy's memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.vector_engine.columns import full, layers

if TYPE_CHECKING:
    from sim.vector_engine.model import VectorModel

__all__ = ["book", "earn", "remember_money"]

F = np.ndarray


def remember_money(m: VectorModel, ix: F, margin: Any, cost: Any, t: Any) -> None:
    """Selection-policy memory of margin and cost to serve (exponential, one lookback)."""
    c = m.cols
    f = np.exp((c.money_t[ix] - t) / m.ctx.lookback)
    c.recent_margin[ix] = c.recent_margin[ix] * f + margin
    c.recent_cost[ix] = c.recent_cost[ix] * f + cost
    c.money_t[ix] = t


def book(m: VectorModel, line: str, amount: Any, ix: F, t: Any) -> None:
    """Book a cost, cents-exact, attributed to customers ``ix`` (may repeat)."""
    if ix.size == 0:
        return
    if not isinstance(amount, np.ndarray) or amount.shape != ix.shape:
        amount = full(amount, ix.size)
    cents = np.rint(amount * 100.0).astype(np.int64)
    if ix.size == 0 or not cents.any():
        return
    m.add_money(line, ix, cents)
    keep = cents != 0
    t = full(t, keep.size)
    if not keep.all():
        ix, cents, t = ix[keep], cents[keep], t[keep]
    if ix.size == 1 or (np.diff(ix) > 0).all():
        _attribute(m, ix, cents / 100.0, t)
        return
    # A customer booked several times in one call: apply in layers (the memory is exact in
    # any order).
    for s in layers(ix):
        _attribute(m, ix[s], cents[s] / 100.0, t[s])


def _attribute(m: VectorModel, who: F, value: F, t: Any) -> None:
    c = m.cols
    c.cost[who] += value
    c.clv[who] -= value * np.exp(m.ctx.delta * (c.acquired[who] - t))
    remember_money(m, who, 0.0, value, t)


def earn(m: VectorModel, ix: F, t: Any, amount: F, cogs: F) -> None:
    """Purchases or fees of ``amount`` (at list price 1): revenue, cogs, discounts, points."""
    c = m.cols
    gross = amount * m.list_price
    disc = gross * m.discount
    offer = np.where(c.offer_until[ix] > t, (gross - disc) * c.offer[ix], 0.0)
    rev_c = np.rint(gross * 100.0).astype(np.int64)
    cogs_c = np.rint(cogs * 100.0).astype(np.int64)
    m.add_money("revenue", ix, rev_c)
    m.add_money("cogs", ix, cogs_c)
    margin = (rev_c - cogs_c) / 100.0
    c.revenue[ix] += rev_c / 100.0
    c.margin[ix] += margin
    c.clv[ix] += margin * np.exp(m.ctx.delta * (c.acquired[ix] - t))
    remember_money(m, ix, margin, 0.0, t)
    book(m, "discounts", disc, ix, t)
    book(m, "offers", offer, ix, t)
    loyal = m.sc.strategy.loyalty
    if loyal.enabled:
        points = (gross - disc - offer) * loyal.points_per_money
        m.add_points(ix, points)
        book(m, "loyalty", points * loyal.point_value * loyal.redemption_rate, ix, t)
