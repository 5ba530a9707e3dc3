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
from sim.results.tally import CHANNELS, COUNTERS, MONEY_LINES, Tally

if TYPE_CHECKING:
    from sim.scenario.spec import Scenario

__all__ = ["Books", "Snapshot"]


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


def _q(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if x.size else float("nan")


class Books:
    """Accumulators for the current period and the rows of the periods and mix tables."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.liability = 0.0
        self.acquired_total = 0
        self.churned_total = 0
        self.won_back_total = 0
        self.cum_dp = 0.0
        self.rows: list[dict[str, Any]] = []
        self.mix: list[tuple[int, str, str, int]] = []

    def close(
        self,
        snap: Snapshot,
        tally: Tally,
        util: float,
        waits_l: list[float] | np.ndarray,
        am_util: float,
        list_price: float,
        k: int,
        start: float,
        end: float,
    ) -> None:
        """Close period ``k`` = [start, end) from its tally and the active customers at its end.

        Both engines end a period here: each builds the snapshot from its own customers and
        hands over its tally rows, so the periods table is computed once.
        """
        sc = self.scenario
        counts = dict(zip(COUNTERS, map(int, tally.counts), strict=True))
        money = dict(zip(MONEY_LINES, map(int, tally.money), strict=True))
        new = dict(zip(CHANNELS, map(int, tally.new), strict=True))
        churned = [int(n) for n in tally.churned]
        n_new = sum(new.values())
        n_churn = sum(churned)
        self.acquired_total += n_new
        self.churned_total += n_churn
        self.won_back_total += tally.won_back
        level = snap.level
        row: dict[str, Any] = {"period": k, "start": start, "end": end, "active": len(level)}
        row["new"] = n_new
        for ch in ("paid", "referral", "bass"):
            row[f"new_{ch}"] = new[ch]
        row["leads"] = counts["leads"]
        row["churned"] = n_churn
        for r in ChurnReason:
            row[f"churned_{r.name}"] = churned[int(r)]
        row["won_back"] = tally.won_back
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
        cost_c = {k2: money[k2] for k2 in COST_LINES}
        total_c = sum(cost_c.values())
        row["revenue"] = money["revenue"] / 100.0
        for k2 in COST_LINES:
            row[f"cost_{k2}"] = cost_c[k2] / 100.0
        row["costs"] = total_c / 100.0
        profit_c = money["revenue"] - total_c
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
        row["loyalty_points"] = tally.points
        # Expected cost of unredeemed points, redeemed after a mean of redemption_delay.
        fade = float(np.exp(-(end - start) / loyal.redemption_delay))
        self.liability = self.liability * fade + (
            tally.points * loyal.point_value * loyal.redemption_rate
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
