"""The vector engine's trust ledger: the agent :class:`agents.Ledger`'s interface on arrays.

Entries arrive a batch at a time (one array per round and reason); per-period totals by
reason accumulate in a small table per lane (replication of a stack,
:mod:`sim.vector_engine.lanes`),
and the full ledger, when the scenario asks for it, is kept as a list of array chunks and
concatenated once at the end. Totals are summed entry by entry in id order, so a lane's
totals are bit-equal to a lone run's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.emotional_account import Reason
from sim.vector_engine.columns import full

__all__ = ["ArrayLedger", "LedgerView"]


class ArrayLedger:
    """Per-lane, per-period totals by reason, and optionally every entry."""

    def __init__(self, full: bool, n_periods: int, lanes: int = 1) -> None:
        self.full = full
        self.lanes = lanes
        self._count = np.zeros((lanes, n_periods, len(Reason)), dtype=np.int64)
        self._amount = np.zeros((lanes, n_periods, len(Reason)))
        self._chunks: list[tuple[np.ndarray, ...]] = []

    def record(
        self, time: Any, period: int, ids: np.ndarray, reason: Any, amount: np.ndarray,
        balance: np.ndarray, rep: np.ndarray,
    ) -> None:  # fmt: skip
        """Append entries of customers ``ids`` (amounts signed: deposits > 0).

        ``rep`` is the lane column (:mod:`sim.vector_engine.lanes`).
        """
        n = ids.size
        if n == 0:
            return
        rs = full(reason, n).astype(np.int16, copy=False)
        # One flat cell per (lane, period, reason); ``add.at`` sums in entry order.
        periods, reasons = self._count.shape[1:]
        cell = rs.astype(np.int64) + period * reasons
        if self.lanes > 1:
            cell += rep[ids].astype(np.int64) * (periods * reasons)
        np.add.at(self._count.reshape(-1), cell, 1)
        np.add.at(self._amount.reshape(-1), cell, amount)
        if self.full:
            t = full(time, n).astype(float, copy=False)
            self._chunks.append((t.copy(), ids.copy(), rs.copy(), amount.copy(), balance.copy()))

    def view(self, lane: int, rep: np.ndarray, local: np.ndarray) -> LedgerView:
        """Lane ``lane``'s ledger, its customers numbered by ``local``."""
        return LedgerView(self, lane, rep, local)

    def nbytes(self) -> int:
        """Memory held by the full ledger's chunks."""
        return sum(a.nbytes for ch in self._chunks for a in ch)


class LedgerView:
    """One lane's ledger, with the agent ledger's ``full``, ``entries`` and ``aggregate``."""

    def __init__(self, ledger: ArrayLedger, lane: int, rep: np.ndarray, local: np.ndarray) -> None:
        self.ledger = ledger
        self.full = ledger.full
        self.lane = lane
        self.rep = rep
        self.local = local

    def entries(self) -> dict[str, np.ndarray]:
        """The full ledger as columns, in time order (empty when ``full`` is False)."""
        chunks = self.ledger._chunks
        if not chunks:
            return {
                "time": np.empty(0), "customer_id": np.empty(0, np.int64),
                "reason": np.empty(0, np.int16), "amount": np.empty(0), "balance": np.empty(0),
            }  # fmt: skip
        t, ids, rs, amount, bal = (np.concatenate(x) for x in zip(*chunks, strict=True))
        if self.ledger.lanes > 1:
            mine = self.rep[ids] == self.lane
            t, ids, rs, amount, bal = t[mine], ids[mine], rs[mine], amount[mine], bal[mine]
        # Rounds interleave customers; a stable sort by time keeps each customer's order.
        order = np.argsort(t, kind="stable")
        return {
            "time": t[order], "customer_id": self.local[ids[order]].astype(np.int64),
            "reason": rs[order], "amount": amount[order], "balance": bal[order],
        }  # fmt: skip

    def aggregate(self) -> dict[str, np.ndarray]:
        """Per-period totals by reason as columns, sorted by period then reason."""
        count = self.ledger._count[self.lane]
        period, reason = np.nonzero(count)
        return {
            "period": period.astype(np.int64),
            "reason": reason.astype(np.int16),
            "count": count[period, reason],
            "amount": self.ledger._amount[self.lane][period, reason],
        }
