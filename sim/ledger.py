"""The vector engine's trust ledger: the agent :class:`agents.Ledger`'s interface on arrays.

Entries arrive a batch at a time (one array per round and reason); per-period totals by
reason accumulate in a small table, and the full ledger, when the scenario asks for it, is
kept as a list of array chunks and concatenated once at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.emotional_account import Reason
from sim.columns import full

__all__ = ["ArrayLedger"]


class ArrayLedger:
    """Per-period totals by reason, and optionally every entry."""

    def __init__(self, full: bool, n_periods: int) -> None:
        self.full = full
        self._count = np.zeros((n_periods, len(Reason)), dtype=np.int64)
        self._amount = np.zeros((n_periods, len(Reason)))
        self._chunks: list[tuple[np.ndarray, ...]] = []

    def record(
        self, time: Any, period: int, ids: np.ndarray, reason: Any, amount: np.ndarray,
        balance: np.ndarray,
    ) -> None:  # fmt: skip
        """Append entries of customers ``ids`` (amounts signed: deposits > 0)."""
        n = ids.size
        if n == 0:
            return
        rs = full(reason, n).astype(np.int16, copy=False)
        if np.ndim(reason) == 0:
            self._count[period, int(reason)] += n
            self._amount[period, int(reason)] += float(amount.sum())
        else:
            np.add.at(self._count[period], rs, 1)
            np.add.at(self._amount[period], rs, amount)
        if self.full:
            t = full(time, n).astype(float, copy=False)
            self._chunks.append((t.copy(), ids.copy(), rs.copy(), amount.copy(), balance.copy()))

    def entries(self) -> dict[str, np.ndarray]:
        """The full ledger as columns, in time order (empty when ``full`` is False)."""
        if not self._chunks:
            return {
                "time": np.empty(0), "customer_id": np.empty(0, np.int64),
                "reason": np.empty(0, np.int16), "amount": np.empty(0), "balance": np.empty(0),
            }  # fmt: skip
        t, ids, rs, amount, bal = (np.concatenate(x) for x in zip(*self._chunks, strict=True))
        # Rounds interleave customers; a stable sort by time keeps each customer's order.
        order = np.argsort(t, kind="stable")
        return {
            "time": t[order], "customer_id": ids[order].astype(np.int64),
            "reason": rs[order], "amount": amount[order], "balance": bal[order],
        }  # fmt: skip

    def aggregate(self) -> dict[str, np.ndarray]:
        """Per-period totals by reason as columns, sorted by period then reason."""
        period, reason = np.nonzero(self._count)
        return {
            "period": period.astype(np.int64),
            "reason": reason.astype(np.int16),
            "count": self._count[period, reason],
            "amount": self._amount[period, reason],
        }

    def nbytes(self) -> int:
        """Memory held by the full ledger's chunks."""
        return sum(a.nbytes for ch in self._chunks for a in ch)
