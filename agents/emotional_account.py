"""The emotional account (情感账户): trust kept like a bank balance.

The course pictures trust as an account the firm holds with each customer. Keeping a
promise, exceeding an expectation, remembering a preference, helping in a hard moment,
sharing something useful, apologising and fixing, respecting the customer's time: each is a
*deposit*. A service failure, a broken promise, a long wait, an unresolved complaint, a
pushy extra call or a price rise is a *withdrawal*. A healthy balance buys tolerance for
the occasional mistake and shelters the relationship from competitors; an overdrawn
account ends it. Left alone, the balance drifts back to neutral: relationships cool.

Every entry carries its reason, so a debrief can show *why* a customer stayed or left.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from pydantic import Field

from agents.units import Days, Frozen

__all__ = ["DEPOSITS", "WITHDRAWALS", "AccountParams", "Ledger", "Reason"]


class Reason(IntEnum):
    """Why the balance moved. Deposits first, then withdrawals (codes are stable)."""

    kept_promise = 0
    exceeded_expectation = 1
    personalised_contact = 2
    help_in_difficulty = 3
    useful_information = 4
    apology_fix = 5
    respected_time = 6
    service_failure = 7
    broken_promise = 8
    long_wait = 9
    unresolved_complaint = 10
    silent_dissatisfaction = 11
    over_contact = 12
    price_rise = 13


DEPOSITS = frozenset(Reason(i) for i in range(7))
WITHDRAWALS = frozenset(Reason(i) for i in range(7, 14))


class AccountParams(Frozen):
    """Sizes of deposits and withdrawals, in trust points (neutral balance = 0).

    The scale is arbitrary but fixed: a personalised contact is worth 1.5 points, so a
    balance of +10 is "several good experiences in hand" and −10 is an overdrawn account.
    Withdrawal sizes are given for a neutral balance; the tolerance rule scales them.
    """

    half_life: Days = Field(
        default=180.0,
        gt=0.0,
        description="time for an untouched balance to halve toward neutral (cooling)",
    )
    kept_promise: float = Field(default=1.0, ge=0.0)
    exceeded_per_unit: float = Field(
        default=10.0, ge=0.0, description="points per unit of positive disconfirmation"
    )
    personalised_contact: float = Field(default=1.5, ge=0.0)
    help_in_difficulty: float = Field(default=3.0, ge=0.0)
    useful_information: float = Field(default=1.0, ge=0.0)
    apology_fix: float = Field(default=3.0, ge=0.0)
    respected_time: float = Field(default=0.5, ge=0.0)
    failure_per_unit: float = Field(
        default=10.0, ge=0.0, description="points per unit of negative disconfirmation (× λ)"
    )
    broken_promise: float = Field(default=4.0, ge=0.0)
    long_wait_per_promise: float = Field(
        default=1.0, ge=0.0, description="points per multiple of the promised wait exceeded"
    )
    long_wait_cap: float = Field(default=5.0, ge=0.0)
    unresolved_complaint: float = Field(default=4.0, ge=0.0)
    silent_dissatisfaction: float = Field(
        default=6.0,
        ge=0.0,
        description="grudge of an unvoiced failure; > unresolved_complaint (TARP: voice helps)",
    )
    over_contact: float = Field(
        default=3.0, ge=0.0, description="annoyance per unit of (preferred gap / actual gap − 1)"
    )
    over_contact_cap: float = Field(
        default=2.0, ge=0.0, description="units of over-contact counted at most per contact"
    )
    tolerance_cap: float = Field(
        default=20.0, gt=0.0, description="balance beyond which the tolerance buffer saturates"
    )
    price_rise_per_unit: float = Field(
        default=20.0, ge=0.0, description="points per unit relative price rise at sensitivity 1"
    )


class Ledger:
    """Append-only record of emotional-account entries for one run.

    Stored as parallel Python lists (cheap appends on the hot path) and turned into arrays
    once at the end. ``full=False`` keeps only per-period totals by reason.
    """

    __slots__ = ("_agg", "_amount", "_balance", "_customer", "_reason", "_time", "full")

    def __init__(self, full: bool = True) -> None:
        self.full = full
        self._time: list[float] = []
        self._customer: list[int] = []
        self._reason: list[int] = []
        self._amount: list[float] = []
        self._balance: list[float] = []
        # (period, reason) -> [count, total]
        self._agg: dict[tuple[int, int], list[float]] = {}

    def record(
        self, time: float, period: int, customer: int, reason: int, amount: float, balance: float
    ) -> None:
        """Append one entry (amount signed: deposits > 0, withdrawals < 0)."""
        if self.full:
            self._time.append(time)
            self._customer.append(customer)
            self._reason.append(reason)
            self._amount.append(amount)
            self._balance.append(balance)
        cell = self._agg.get((period, reason))
        if cell is None:
            self._agg[(period, reason)] = [1.0, amount]
        else:
            cell[0] += 1.0
            cell[1] += amount

    def entries(self) -> dict[str, np.ndarray]:
        """The full ledger as columns (empty arrays when ``full`` is False)."""
        return {
            "time": np.asarray(self._time, dtype=float),
            "customer_id": np.asarray(self._customer, dtype=np.int64),
            "reason": np.asarray(self._reason, dtype=np.int16),
            "amount": np.asarray(self._amount, dtype=float),
            "balance": np.asarray(self._balance, dtype=float),
        }

    def aggregate(self) -> dict[str, np.ndarray]:
        """Per-period totals by reason as columns, sorted by period then reason."""
        keys = sorted(self._agg)
        return {
            "period": np.asarray([k[0] for k in keys], dtype=np.int64),
            "reason": np.asarray([k[1] for k in keys], dtype=np.int16),
            "count": np.asarray([self._agg[k][0] for k in keys], dtype=np.int64),
            "amount": np.asarray([self._agg[k][1] for k in keys], dtype=float),
        }
