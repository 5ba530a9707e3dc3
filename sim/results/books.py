"""The books: per-period money in integer cents, flows of customers, and state snapshots.

Money is accumulated in cents so that revenue − Σ costs = profit is exact in every period
and in total; customer flows are counted so that acquired = active + churned − won back at
every period end (MODEL property 11) can be checked, not assumed.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from agents.economics import COST_LINES, discount_factor
from agents.relationship import Stage, lifecycle_stage
from agents.rules import ChurnReason
from agents.traits import Level

if TYPE_CHECKING:
    from sim.agent_engine.model import CRMModel
    from sim.scenario.spec import Scenario

__all__ = ["COUNTERS", "Books", "Snapshot"]


class Snapshot(NamedTuple):
    """The active customers at a period's end, as arrays (one entry per customer)."""

    level: np.ndarray
    satisfaction: np.ndarray
    balance: np.ndarray
    tenure: np.ndarray
    repeat: np.ndarray
    since_winback: np.ndarray
    segment: np.ndarray
    tier: np.ndarray


#: Per-period counters of customer events (the periods table's count columns).
COUNTERS = (
    "purchases", "renewals", "failures", "complaints", "silent_failures", "complaints_resolved",
    "complaints_quick", "referrals", "tickets", "waits_over_promise", "contacts", "am_visits",
    "over_contacts", "broken_promises", "warnings", "interventions", "winback_attempts",
    "migrated", "leads",
)  # fmt: skip


def _q(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if x.size else float("nan")


class Books:
    """Accumulators for the current period and the rows of the periods and mix tables."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.revenue_cents = 0
        self.cost_cents: Counter[str] = Counter({k: 0 for k in COST_LINES})
        self.new: Counter[str] = Counter()
        self.churned: Counter[int] = Counter()
        self.won_back = 0
        self.points = 0.0
        self.liability = 0.0
        self.acquired_total = 0
        self.churned_total = 0
        self.won_back_total = 0
        self.cum_dp = 0.0
        self.rows: list[dict[str, Any]] = []
        self.mix: list[tuple[int, str, str, int]] = []

    def close(self, model: CRMModel, k: int, start: float, end: float) -> None:
        """Close period ``k`` = [start, end) of the agent engine (see :meth:`close_with`)."""
        active = model.active_list()
        snap = Snapshot(
            level=np.array([c.level for c in active], dtype=np.int64),
            satisfaction=np.array([c.satisfaction for c in active], dtype=float),
            balance=np.array([c.balance_at(end) for c in active], dtype=float),
            tenure=np.array([end - c.acquired for c in active], dtype=float),
            repeat=np.array([c.repeat for c in active], dtype=float),
            since_winback=np.array([end - c.last_winback for c in active], dtype=float),
            segment=np.array([c.segment for c in active], dtype=np.int64),
            tier=np.array([model.record_of(c, "tier") for c in active], dtype=np.int64),
        )
        util, waits = model.desk.close(end - start)
        avail = model.am_hours_available
        am_util = model.am_hours_used / avail if avail > 0 else float("nan")
        model.am_hours_used = 0.0
        model.am_hours_available = 0.0
        self.close_with(snap, model.counts, util, waits, am_util, model.list_price, k, start, end)

    def close_with(
        self,
        snap: Snapshot,
        counts: Counter[str],
        util: float,
        waits_l: list[float] | np.ndarray,
        am_util: float,
        list_price: float,
        k: int,
        start: float,
        end: float,
    ) -> None:
        """Close period ``k`` from a snapshot of the active customers at its end.

        Both engines end a period here: the agent engine builds the snapshot from its
        agents, the vector engine from its columns, so the periods table is computed once.
        """
        sc = self.scenario
        n_new = sum(self.new.values())
        n_churn = sum(self.churned.values())
        self.acquired_total += n_new
        self.churned_total += n_churn
        self.won_back_total += self.won_back
        level = snap.level
        row: dict[str, Any] = {"period": k, "start": start, "end": end, "active": len(level)}
        row["new"] = n_new
        for ch in ("paid", "referral", "bass"):
            row[f"new_{ch}"] = self.new[ch]
        row["leads"] = counts["leads"]
        row["churned"] = n_churn
        for r in ChurnReason:
            row[f"churned_{r.name}"] = self.churned[int(r)]
        row["won_back"] = self.won_back
        row["acquired_total"] = self.acquired_total
        row["churned_total"] = self.churned_total
        row["won_back_total"] = self.won_back_total
        for lv in Level:
            row[f"level_{lv.name}"] = int(np.count_nonzero(level == lv))
        sat = snap.satisfaction
        bal = snap.balance
        stage = lifecycle_stage(
            np.ones(len(level), dtype=bool), snap.tenure, snap.repeat, level, bal, sat,
            snap.since_winback,
        )  # fmt: skip
        for s in Stage:
            if s != Stage.lapsed:
                row[f"stage_{s.name}"] = int(np.count_nonzero(stage == s))
        # Money: cents-exact.
        cost_c = {k2: int(self.cost_cents[k2]) for k2 in COST_LINES}
        total_c = sum(cost_c.values())
        row["revenue"] = self.revenue_cents / 100.0
        for k2 in COST_LINES:
            row[f"cost_{k2}"] = cost_c[k2] / 100.0
        row["costs"] = total_c / 100.0
        profit_c = self.revenue_cents - total_c
        row["profit"] = profit_c / 100.0
        df = float(discount_factor(0.5 * (start + end), sc.economics.discount_rate))
        row["discount_factor"] = df
        row["discounted_profit"] = profit_c / 100.0 * df
        self.cum_dp += row["discounted_profit"]
        row["cum_discounted_profit"] = self.cum_dp
        row["satisfaction_mean"] = float(sat.mean()) if sat.size else float("nan")
        row["satisfaction_p10"] = _q(sat, 0.1)
        row["satisfaction_p50"] = _q(sat, 0.5)
        row["satisfaction_p90"] = _q(sat, 0.9)
        row["balance_mean"] = float(bal.mean()) if bal.size else float("nan")
        row["balance_p10"] = _q(bal, 0.1)
        row["balance_p50"] = _q(bal, 0.5)
        row["balance_p90"] = _q(bal, 0.9)
        row["overdrawn"] = int(np.count_nonzero(bal < 0.0))
        for name in ("purchases", "renewals", "failures", "complaints", "silent_failures",
                     "complaints_resolved", "complaints_quick", "referrals"):  # fmt: skip
            row[name] = counts[name]
        waits = np.asarray(waits_l, dtype=float)
        row["tickets"] = counts["tickets"]
        row["wait_mean"] = float(waits.mean()) if waits.size else float("nan")
        row["wait_p90"] = _q(waits, 0.9)
        row["waits_over_promise"] = counts["waits_over_promise"]
        row["utilisation"] = util
        row["contacts"] = counts["contacts"]
        row["am_visits"] = counts["am_visits"]
        row["am_utilisation"] = am_util
        for name in ("over_contacts", "broken_promises", "warnings", "interventions",
                     "winback_attempts", "migrated"):  # fmt: skip
            row[name] = counts[name]
        loyal = sc.strategy.loyalty
        row["loyalty_points"] = self.points
        # Expected cost of unredeemed points, redeemed after a mean of redemption_delay.
        fade = float(np.exp(-(end - start) / loyal.redemption_delay))
        self.liability = self.liability * fade + (
            self.points * loyal.point_value * loyal.redemption_rate
        )
        row["loyalty_liability"] = self.liability
        row["list_price"] = list_price
        row["market_price"] = sc.market.price_at(end - 1e-9)
        self.rows.append(row)
        # Mix by segment and care tier (tidy).
        seg_names = [s.name for s in sc.population.segments]
        seg = Counter(snap.segment.tolist())
        for i, name in enumerate(seg_names):
            self.mix.append((k, "segment", name, seg[i]))
        if sc.strategy.care_tiers.enabled:
            tiers = Counter(snap.tier.tolist())
            for i, t in enumerate(sc.strategy.care_tiers.tiers):
                self.mix.append((k, "tier", t.name, tiers[i]))
        # Reset.
        self.revenue_cents = 0
        self.cost_cents = Counter({k2: 0 for k2 in COST_LINES})
        self.new = Counter()
        self.churned = Counter()
        self.won_back = 0
        self.points = 0.0
        counts.clear()
