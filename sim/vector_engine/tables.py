"""The vector engine's customers as arrays: the period close and the customers table.

The books (:mod:`sim.results.books`) and the table builder (:mod:`sim.results.collect`)
read one layout from both engines; this module hands them each lane's tally rows as they
are and gathers the snapshot and the customers' columns from the engine's columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.results.books import Snapshot
from sim.results.tally import CHANNELS, Tally
from sim.vector_engine import reactions as r
from sim.vector_engine.columns import Status

if TYPE_CHECKING:
    from sim.vector_engine.model import VectorModel

__all__ = ["close_period", "customer_columns"]


def close_period(m: VectorModel, k: int, start: float, end: float) -> None:
    """Close period ``k`` = [start, end) in every lane's books, then zero the tallies."""
    c = m.cols
    for lane, ids in zip(m.lanes, m.by_lane(m.active_ids()), strict=True):
        j = lane.index
        snap = Snapshot(
            level=c.level[ids].astype(np.int64),
            satisfaction=c.satisfaction[ids].astype(float),
            balance=r.balance_at(m, ids, end),
            tenure=end - c.acquired[ids],
            repeat=c.repeat[ids].astype(float),
            since_winback=end - c.last_winback[ids],
            segment=c.segment[ids].astype(np.int64),
            tier=c.tier[ids].astype(np.int64),
        )
        tally = Tally(m.counts[j], m.money[j], m.new[j], m.churned[j],
                      int(m.won_back[j]), float(m.points[j]))  # fmt: skip
        util = lane.desk.utilisation(k, end - start)
        avail = lane.am_hours_available
        am_util = lane.am_hours_used / avail if avail > 0 else float("nan")
        lane.am_hours_used = 0.0
        lane.am_hours_available = 0.0
        lane.books.close(
            snap, tally, util, lane.desk.waits[k], am_util, m.list_price, k, start, end
        )
        lane.desk.waits[k] = []
    for acc in (m.counts, m.money, m.points, m.new, m.churned, m.won_back):
        acc[...] = 0


def customer_columns(m: VectorModel, ids: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Customers' state as columns (every customer, or ``ids``), with the stack's own ids."""
    c = m.cols
    if ids is None:
        ids = np.arange(c.n, dtype=np.int64)
    cols = {name: c.arrays[name][ids] for name in c.arrays}
    end = m.sc.horizon
    churned = cols["churned_at"]
    stop = np.where(np.isnan(churned), end, churned)
    wb = c.withdrawn_by[ids]
    top = np.where((wb < 0).any(axis=1), wb.argmin(axis=1), -1)
    chan = np.array(CHANNELS, dtype=object)
    return {
        **cols,
        "customer_id": ids,
        "channel": chan[cols["channel"].astype(np.int64)],
        "alive": cols["status"] == Status.active,
        "balance": r.balance_at(m, ids, stop),
        "top_withdrawal": top,
    }
