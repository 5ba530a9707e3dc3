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

from agents.units import MAX_POINTS, MAX_TIME_SCALE, Days, Frozen

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
        le=MAX_TIME_SCALE,
        description="time for an untouched balance to halve toward neutral (relationships "
        "cool); 180d: assumption, calibrate per lesson",
    )
    kept_promise: float = Field(
        default=1.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points per promised follow-up step done on time, on top of the "
        "step's own deposit (seed 004: keep promises)",
    )
    exceeded_per_unit: float = Field(
        default=10.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points per unit of surplus over expectation (beyond exceed_margin) "
        "and per unit of delight_size (seed 004: exceed expectations)",
    )
    personalised_contact: float = Field(
        default=1.5,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points per personal contact (follow-up call, keep-in-touch); 1.5 "
        "anchors the scale (seed 004: remember preferences)",
    )
    help_in_difficulty: float = Field(
        default=3.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points per helping contact: AM visit, early-warning call, strategic "
        "care; 2× a personal contact (seed 004: help in hard times; size assumed)",
    )
    useful_information: float = Field(
        default=1.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points per informative care contact (seed 004: share useful "
        "information; size assumed)",
    )
    apology_fix: float = Field(
        default=2.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points of a resolved complaint, × the handling's apology multiplier "
        "(seed 004: sincere apology with a fix); with the quick-resolution deposit it stays "
        "below a broken promise, so by default recovery only partly offsets a failure",
    )
    respected_time: float = Field(
        default=0.5,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points when a ticket is served within the promise "
        "(seed 004: respect the customer's time)",
    )
    quick_resolution: float = Field(
        default=1.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points for a complaint resolved within the promised response time "
        "(booked as respected_time; TARP: speed of resolution drives repurchase)",
    )
    failure_per_unit: float = Field(
        default=10.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points per unit of shortfall below expectation, × λ, once the "
        "shortfall exceeds failure_margin (service failure)",
    )
    broken_promise: float = Field(
        default=4.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points withdrawn for a late delivery, a late or missed follow-up "
        "step, or a missed account-manager care visit; assumption",
    )
    long_wait_per_promise: float = Field(
        default=1.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points withdrawn per multiple of the promised response time by which "
        "a ticket's wait exceeds it",
    )
    long_wait_cap: float = Field(
        default=3.0,
        ge=0.0,
        le=MAX_POINTS,
        description="most trust points one long wait can withdraw",
    )
    unresolved_complaint: float = Field(
        default=4.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points withdrawn for an unresolved complaint (also felt in "
        "satisfaction × satisfaction_per_point); assumption",
    )
    silent_dissatisfaction: float = Field(
        default=6.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points of the grudge from an unvoiced failure; above "
        "unresolved_complaint (TARP: complainers stay more than silent customers)",
    )
    over_contact: float = Field(
        default=3.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points of annoyance per unit of (preferred interval / actual gap − 1) "
        "when a contact comes too soon (seed 004: too frequent annoys)",
    )
    over_contact_cap: float = Field(
        default=2.0,
        ge=0.0,
        le=1000.0,  # (preferred / gap − 1) = 1000: contacts a thousand times too often
        description="units of over-contact counted at most per contact (bounds its annoyance)",
    )
    tolerance_cap: float = Field(
        default=20.0,
        gt=0.0,
        # With behaviour.tolerance κ ≤ 1 a withdrawal is scaled by exp(κ · cap) ≤ e^50 ≈ 5e21
        # at most, which keeps it inside the float32 the vector engine tallies it in.
        le=50.0,
        description="balance in trust points (±) beyond which the tolerance buffer stops "
        "growing, so an overdrawn account cannot spiral without bound",
    )
    price_rise_per_unit: float = Field(
        default=20.0,
        ge=0.0,
        le=MAX_POINTS,
        description="trust points withdrawn per unit of relative list-price rise at price "
        "sensitivity 1: a 10 % rise costs 2 (assumption)",
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
