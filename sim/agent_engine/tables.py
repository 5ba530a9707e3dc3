"""The agent engine's customers as arrays: the period-end snapshot and the customers table.

The books (:mod:`sim.results.books`) and the table builder (:mod:`sim.results.collect`)
read arrays in one layout from both engines; this module gathers them from the agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.results.books import Snapshot

if TYPE_CHECKING:
    from sim.agent_engine.model import CRMModel

__all__ = ["customer_columns", "snapshot"]


def snapshot(model: CRMModel, end: float) -> Snapshot:
    """The active customers at ``end``, a period's end."""
    active = model.active_list()
    rows = model.rows(active)
    return Snapshot(
        level=np.array([c.level for c in active], dtype=np.int64),
        satisfaction=np.array([c.satisfaction for c in active], dtype=float),
        balance=np.array([c.balance_at(end) for c in active], dtype=float),
        tenure=np.array([end - c.acquired for c in active], dtype=float),
        repeat=np.array([c.repeat for c in active], dtype=float),
        since_winback=np.array([end - c.last_winback for c in active], dtype=float),
        segment=np.array([c.segment for c in active], dtype=np.int64),
        tier=model.records["tier"][rows].astype(np.int64),
    )


def customer_columns(model: CRMModel) -> dict[str, np.ndarray]:
    """The agent engine's customers as the columns the customers table is built from."""
    cs = model.customers
    end = model.scenario.horizon
    churned = np.array([c.churned_at for c in cs], dtype=float)
    stop = np.where(np.isnan(churned), end, churned)

    def col(name: str, dtype: Any = float) -> np.ndarray:
        return np.array([getattr(c, name) for c in cs], dtype=dtype)

    return {
        "customer_id": np.array([c.unique_id for c in cs], dtype=np.int64),
        "segment": col("segment", np.int64),
        "acquired": col("acquired"),
        "channel": col("channel", object),
        "referrer": col("referrer", np.int64),
        "alive": col("alive", bool),
        "churned_at": churned,
        "churn_reason": col("churn_reason", np.int64),
        "won_back": col("won_back", np.int64),
        "purchases": col("purchases", np.int64),
        "repeat": col("repeat", np.int64),
        "last_repeat": col("last_repeat"),
        "repeat_spend": col("repeat_spend"),
        "revenue": col("revenue"),
        "margin": col("margin"),
        "cost": col("cost"),
        "clv": col("clv"),
        "satisfaction": col("satisfaction"),
        "expectation": col("expectation"),
        "balance": np.array(
            [c.balance_at(t) for c, t in zip(cs, stop.tolist(), strict=True)], dtype=float
        ),
        "deposits": col("deposits"),
        "withdrawals": col("withdrawals"),
        "top_withdrawal": np.array(
            [
                min(c.withdrawn_by, key=c.withdrawn_by.__getitem__) if c.withdrawn_by else -1
                for c in cs
            ],
            dtype=np.int64,
        ),
        "level": col("level", np.int64),
        "last_winback": col("last_winback"),
        "tier": model.records["tier"][: len(cs)].astype(np.int64),
        "low_cost": model.records["low_cost"][: len(cs)].astype(bool),
        "complaints": col("complaints", np.int64),
        "failures": col("failures", np.int64),
        "lam": col("lam"),
        "dropout_p": col("dropout_p"),
        "mu": col("mu"),
    }
