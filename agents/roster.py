"""What the firm sees of its customers at a period start, and what it records about them.

A :class:`Roster` is the snapshot of the active customers a period plan is decided from
(:mod:`agents.plan`); :class:`Records` are the firm's own notes on each customer — care
tier, cadence, visit phase, open early-warning case, migration — which live with the
engine's customers but are written only by the plan and read by the engines' bookkeeping.
Both engines build the two from their own storage with :meth:`Roster.of` and
:meth:`Records.of`: the agent engine from its agents, the vector engine from its columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["RECORD_FIELDS", "ROSTER_FIELDS", "Records", "Roster", "value_score"]

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741 - the index-array alias reads as in numpy's docs


def value_score(
    value: Any, value_t: Any, prior_value: Any, acquired: Any, t: Any, memory: float
) -> Any:
    """Ranking value at ``t``: trailing revenue plus the acquisition-time potential, fading.

    Both terms fade with the firm's value memory (``strategy.valuation.memory``): a CRM ranks
    on what a customer brought lately, and a newcomer on what customers like them bring.
    """
    return value * np.exp((value_t - t) / memory) + prior_value * np.exp((acquired - t) / memory)


@dataclass(frozen=True, slots=True)
class Roster:
    """What the firm sees of its active customers at a period start, one entry each.

    Memories are given as stored (a level and the time it was last updated); the plan fades
    them to the period start itself, so no engine computes a decision input of its own.
    """

    value: F  #: trailing revenue at ``value_t``
    value_t: F
    prior_value: F  #: expected yearly value at acquisition (:func:`agents.traits.prior_value`)
    acquired: F
    recent_margin: F  #: margin memory (selection lookback) at ``money_t``
    recent_cost: F  #: cost-to-serve memory at ``money_t``
    money_t: F
    last_repeat: F
    purchases: F
    recent_failures: F  #: failure memory (early-warning signal memory) at ``recent_t``
    recent_unresolved: F
    recent_t: F
    balance: F  #: emotional-account balance at ``balance_t``
    balance_t: F
    satisfaction: F
    referral_rate: F  #: referrals per day at full advocacy
    level: I  #: relationship level (indexes the ladder's referral multipliers)

    def __len__(self) -> int:
        return int(self.value.size)

    @classmethod
    def of(cls, source: Mapping[str, Any] | Any, ix: Any = slice(None)) -> Roster:
        """The roster of rows ``ix`` of a column store (a mapping or an object of arrays)."""
        out = {}
        for f in fields(cls):
            a = np.asarray(_column(source, f.name))[ix]
            out[f.name] = a.astype(np.int64 if f.name == "level" else np.float64, copy=False)
        return cls(**out)


#: The roster's fields, which are also the names of the customer state they are read from.
ROSTER_FIELDS = tuple(f.name for f in fields(Roster))


#: The firm's record of a customer: field → (dtype, value before any decision).
RECORD_FIELDS: dict[str, tuple[Any, Any]] = {
    "tier": (np.int8, -1),  # care tier index (-1: never tiered)
    "low_cost": (np.bool_, False),  # migrated to the low-cost channel
    "care_every": (np.float64, np.nan),  # cadence of scheduled care (nan: none)
    "care_due": (np.float64, np.inf),  # next scheduled care contact
    "last_care": (np.float64, -np.inf),  # last care contact made (set when it happens)
    "visit_phase": (np.float64, -1.0),  # phase of key-account visits within a period (<0: none)
    "case_until": (np.float64, -np.inf),  # an early-warning case is open until then
}


@dataclass(frozen=True, slots=True)
class Records:
    """The firm's own record of each rostered customer (see :data:`RECORD_FIELDS`)."""

    tier: NDArray[np.int8]
    low_cost: NDArray[np.bool_]
    care_every: F
    care_due: F
    last_care: F
    visit_phase: F
    case_until: F

    @classmethod
    def new(cls, n: int) -> Records:
        """``n`` blank records (customers the firm has not decided anything about)."""
        return cls(**{k: np.full(n, v, dtype=d) for k, (d, v) in RECORD_FIELDS.items()})

    @classmethod
    def of(cls, source: Mapping[str, Any] | Any, ix: Any = slice(None)) -> Records:
        """Rows ``ix`` of a column store holding the record fields (copies)."""
        return cls(
            **{k: np.array(_column(source, k)[ix], dtype=d) for k, (d, _) in RECORD_FIELDS.items()}
        )

    def write(self, store: Mapping[str, Any] | Any, ix: Any) -> None:
        """Write these records back to rows ``ix`` of a column store."""
        for k in RECORD_FIELDS:
            _column(store, k)[ix] = getattr(self, k)


def _column(store: Mapping[str, Any] | Any, name: str) -> Any:
    """Column ``name`` of a store: a mapping of arrays or an object with array attributes."""
    return store[name] if isinstance(store, Mapping) else getattr(store, name)
