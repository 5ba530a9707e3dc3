"""The period tally: one run's flows in the current period, in a layout both engines share.

Each engine counts into rows of this fixed layout — the agent engine into Python lists, the
vector engine into one row per lane of its arrays — and hands the rows to
:meth:`sim.results.books.Books.close` at the period's end, so the books read one shape and
no engine's counters are copied into another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from agents.economics import COST_LINES
from agents.rules import ChurnReason

__all__ = ["CHANNELS", "COUNTERS", "MONEY_LINES", "Tally", "index"]

#: Per-period counters of customer events (the periods table's count columns).
COUNTERS = (
    "purchases", "renewals", "failures", "complaints", "silent_failures", "complaints_resolved",
    "complaints_quick", "referrals", "tickets", "waits_over_promise", "contacts", "am_visits",
    "over_contacts", "broken_promises", "warnings", "interventions", "winback_attempts",
    "migrated", "leads",
)  # fmt: skip

#: Money lines in cents: revenue first, then every cost line.
MONEY_LINES = ("revenue", *COST_LINES)

#: Acquisition channels (the customers table's ``channel``; the vector engine's channel code).
CHANNELS = ("initial", "paid", "referral", "bass")


def index(names: Sequence[str]) -> dict[str, int]:
    """Name → position in a tally row."""
    return {name: i for i, name in enumerate(names)}


class Tally(NamedTuple):
    """One period's flows, in rows, plus two totals.

    The rows follow :data:`COUNTERS`, :data:`MONEY_LINES`, :data:`CHANNELS` and
    :class:`agents.rules.ChurnReason`.
    """

    counts: Sequence[int]
    money: Sequence[int]  #: cents
    new: Sequence[int]
    churned: Sequence[int]
    won_back: int
    points: float  #: loyalty points issued

    @staticmethod
    def zeros() -> tuple[list[int], list[int], list[int], list[int]]:
        """Empty rows to count into (counts, money, new, churned)."""
        return (
            [0] * len(COUNTERS),
            [0] * len(MONEY_LINES),
            [0] * len(CHANNELS),
            [0] * len(ChurnReason),
        )
