"""One customer's story, and the valuable customers a run has lost.

A trainer clicks a customer and asks "why did she leave?". The answer is in her emotional
account, like a bank statement read backwards from the day the account was closed: the
deposits and withdrawals that moved her trust, the ladder levels she climbed or slid down,
and the few largest withdrawals before she left. Everything here is read from the run as it
stands; nothing is re-simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from agents.emotional_account import DEPOSITS, Reason
from sim.dashboard.views import plain_strings
from sim.errors import ArgumentError, UserError
from sim.i18n.catalogue import catalogue

if TYPE_CHECKING:
    from sim.dashboard.live import LiveRun

__all__ = ["WHY_COUNT", "Story", "Withdrawal", "lost", "tell"]

#: Withdrawals a story gives as its "why".
WHY_COUNT = 3

_REASONS = np.array([r.name for r in Reason], dtype=object)
_KIND = np.array(["deposit" if r in DEPOSITS else "withdrawal" for r in Reason], dtype=object)


class Withdrawal(NamedTuple):
    """One withdrawal from a customer's emotional account."""

    time: float  #: day
    reason: str  #: ``agents.emotional_account.Reason`` name
    amount: float  #: trust points, < 0
    balance: float  #: the balance right after it


@dataclass(frozen=True)
class Story:
    """One customer's life in the run so far.

    Attributes:
        customer_id: the id of the customers table and the ledger (the agent engine counts
            from 1, the vector engine from 0).
        segment: segment name.
        channel: acquisition channel (``initial``, ``paid``, ``referral``, ``bass``).
        acquired: day of acquisition.
        status: ``"active"`` or ``"churned"``.
        churn_reason: the (last) churn's ``ChurnReason`` name; None while active.
        churned_at: day of the (last) churn; None while active.
        level: relationship level now, or at the churn (``Level`` name).
        revenue: gross revenue from the customer so far.
        clv: discounted margin − cost to serve so far (the customers table's ``clv``).
        ledger: every emotional-account entry so far, in time order: ``time`` (day),
            ``period``, ``reason`` (``Reason`` name), ``kind`` (``"deposit"`` or
            ``"withdrawal"``), ``amount`` (signed) and ``balance`` after it; empty when
            the scenario keeps only the aggregate ledger (``output.ledger``).
        ladder_moves: the level at each period close where it changed: ``period``,
            ``day`` (the close), ``from_level`` (None at the first close after
            acquisition: the level the customer is first seen at), ``to_level``.
        why: the :data:`WHY_COUNT` largest withdrawals before the churn (before now while
            active), largest first.
    """

    customer_id: int
    segment: str
    channel: str
    acquired: float
    status: str
    churn_reason: str | None
    churned_at: float | None
    level: str
    revenue: float
    clv: float
    ledger: pd.DataFrame
    ladder_moves: pd.DataFrame
    why: tuple[Withdrawal, ...]

    def sentences(self, lang: str = "en") -> list[str]:
        """The story in words: who, when and how it ended, then each of :attr:`why`."""
        say = catalogue(lang)
        who = {
            "id": self.customer_id,
            "day": self.acquired,
            "channel": say(f"channel.{self.channel}"),
            "level": say(f"level.{self.level}"),
        }
        if self.churn_reason is None or self.churned_at is None:
            out = [say("live.story.active", **who)]
        else:
            reason = say(f"churn.{self.churn_reason}")
            out = [say("live.story.churned", **who, left=self.churned_at, reason=reason)]
        out += [
            say(
                "live.story.withdrawal",
                day=w.time,
                reason=say(f"reason.{w.reason}"),
                amount=w.amount,
            )
            for w in self.why
        ]
        if not self.why:
            out.append(say("live.story.no_withdrawals"))
        return out


def _customer(customers: pd.DataFrame, customer_id: object, period: int) -> pd.Series:
    ids = customers["customer_id"].to_numpy(np.int64)
    if ids.size == 0:
        raise UserError(f"no customers yet after {period} periods")
    ok = isinstance(customer_id, int | np.integer) and not isinstance(customer_id, bool)
    hit = np.flatnonzero(ids == customer_id) if ok else np.empty(0, dtype=np.int64)
    if not hit.size:
        raise UserError(
            f"no customer {customer_id!r:.40}: after {period} periods the ids run from "
            f"{ids.min()} to {ids.max()} ({ids.size} customers)"
        )
    return customers.iloc[int(hit[0])]


def _ledger(live: LiveRun, customer_id: int) -> pd.DataFrame:
    e = live.ledger_entries()
    mine = e["customer_id"] == customer_id
    reason = e["reason"][mine].astype(np.int64)
    t = e["time"][mine].astype(float)
    sc = live.scenario
    frame = pd.DataFrame(
        {
            "time": t,
            "period": np.minimum((t // sc.period).astype(np.int64), sc.n_periods - 1),
            "reason": _REASONS[reason],
            "kind": _KIND[reason],
            "amount": e["amount"][mine].astype(float),
            "balance": e["balance"][mine].astype(float),
        }
    )
    return plain_strings(frame)


def tell(live: LiveRun, customer_id: int) -> Story:
    """The story of customer ``customer_id`` in ``live`` so far.

    Raises:
        UserError: an id no customer has (the message gives the valid range).
    """
    row = _customer(live.customers(), customer_id, live.period)
    cid = int(row["customer_id"])
    ledger = _ledger(live, cid)
    moves = live.ladder_moves()
    moves = moves[moves["customer_id"] == cid].drop(columns="customer_id")
    active = bool(row["active"])
    churned_at = None if active or math.isnan(row["churned"]) else float(row["churned"])
    cut = ledger[(ledger["amount"] < 0) & (ledger["time"] <= (churned_at or math.inf))]
    worst = cut.sort_values("amount", kind="stable").head(WHY_COUNT)
    why = tuple(
        Withdrawal(float(t), str(r), float(a), float(b))
        for t, r, a, b in zip(
            worst["time"].tolist(),
            worst["reason"].tolist(),
            worst["amount"].tolist(),
            worst["balance"].tolist(),
            strict=True,
        )
    )
    return Story(
        customer_id=cid,
        segment=str(row["segment"]),
        channel=str(row["channel"]),
        acquired=float(row["acquired"]),
        status="active" if active else "churned",
        churn_reason=None if active else str(row["churn_reason"]) or None,
        churned_at=churned_at,
        level=str(row["level"]),
        revenue=float(row["revenue"]),
        clv=float(row["clv"]),
        ledger=ledger,
        ladder_moves=moves.reset_index(drop=True),
        why=why,
    )


#: Columns of :func:`lost`.
LOST_COLUMNS = (
    "customer_id", "segment", "channel", "acquired", "churned", "churn_reason", "level",
    "tenure", "revenue", "clv",
)  # fmt: skip


def lost(live: LiveRun, n: int = 10) -> pd.DataFrame:
    """The ``n`` most valuable customers lost so far (churned and not won back).

    Value is the customers table's ``clv``: the margin the customer brought, discounted to
    acquisition, less the cost of serving them — what the firm actually earned from the
    relationship, so a big spender who cost more to keep than she paid ranks low. Ties go to
    the lower id.

    Returns:
        One row per customer, most valuable first: ``customer_id``, ``segment``,
        ``channel``, ``acquired`` and ``churned`` (days), ``churn_reason``
        (``ChurnReason`` name), ``level`` at the churn (``Level`` name; a level stops
        moving when its customer leaves), ``tenure`` (days), ``revenue``, ``clv``.

    Raises:
        ArgumentError: ``n`` not a whole number ≥ 0.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ArgumentError(f"n must be a whole number ≥ 0, got {n!r:.40}")
    customers = live.customers()
    gone = customers[~customers["active"].to_numpy(bool)]
    top = gone.sort_values(["clv", "customer_id"], ascending=[False, True], kind="stable")
    return top[list(LOST_COLUMNS)].head(int(n)).reset_index(drop=True)
