"""Turn a finished agent-engine run into a documented :class:`RunResult`."""

from __future__ import annotations

import platform
import time
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agents.emotional_account import DEPOSITS, Reason
from agents.relationship import Stage, lifecycle_stage
from agents.rules import ChurnReason
from agents.traits import Level
from sim.metrics import churn_truth, summarise
from sim.results import RunResult, conform
from sim.schema import columns

if TYPE_CHECKING:
    from sim.model import CRMModel

__all__ = ["collect", "versions"]

_REASONS = np.array([r.name for r in Reason], dtype=object)
_KIND = np.array(["deposit" if r in DEPOSITS else "withdrawal" for r in Reason], dtype=object)


def versions() -> dict[str, str]:
    """Versions of the packages that shape a run's numbers."""
    out = {"python": platform.python_version()}
    for pkg in ("crm-sandbox", "numpy", "pandas", "simpy", "mesa", "pyarrow"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _customers(model: CRMModel) -> pd.DataFrame:
    sc = model.scenario
    end = sc.horizon
    cs = model.customers
    seg_names = [s.name for s in sc.population.segments]
    tiers = sc.strategy.care_tiers
    tier_names = [t.name for t in tiers.tiers] if tiers.enabled else []
    churned = np.array([c.churned_at for c in cs], dtype=float)
    stop = np.where(np.isnan(churned), end, churned)
    acquired = np.array([c.acquired for c in cs], dtype=float)
    bal = np.array([c.balance_at(t) for c, t in zip(cs, stop.tolist(), strict=True)], dtype=float)
    level = np.array([c.level for c in cs], dtype=np.int64)
    sat = np.array([c.satisfaction for c in cs], dtype=float)
    repeat = np.array([c.repeat for c in cs], dtype=np.int64)
    stage = lifecycle_stage(
        np.array([c.alive for c in cs], dtype=bool), stop - acquired, repeat, level, bal, sat,
        stop - np.array([c.last_winback for c in cs], dtype=float),
    )  # fmt: skip
    top = [
        min(c.withdrawn_by, key=c.withdrawn_by.__getitem__) if c.withdrawn_by else -1 for c in cs
    ]
    frame = pd.DataFrame(
        {
            "customer_id": [c.unique_id for c in cs],
            "segment": [seg_names[c.segment] for c in cs],
            "acquired": acquired,
            "channel": [c.channel for c in cs],
            "referrer_id": [c.referrer for c in cs],
            "active": [c.alive for c in cs],
            "churned": churned,
            "churn_reason": [
                ChurnReason(c.churn_reason).name if c.churn_reason >= 0 else "" for c in cs
            ],
            "won_back": [c.won_back for c in cs],
            "tenure": stop - acquired,
            "purchases": [c.purchases for c in cs],
            "frequency": repeat,
            "recency": [(c.last_repeat - c.acquired) if c.repeat else 0.0 for c in cs],
            "T": end - acquired,
            "monetary_value": [c.repeat_spend / c.repeat if c.repeat else 0.0 for c in cs],
            "revenue": [c.revenue for c in cs],
            "margin": [c.margin for c in cs],
            "cost_to_serve": [c.cost for c in cs],
            "clv": [c.clv for c in cs],
            "satisfaction": sat,
            "expectation": [c.expectation for c in cs],
            "balance": bal,
            "deposits": [c.deposits for c in cs],
            "withdrawals": [c.withdrawals for c in cs],
            "top_withdrawal": [Reason(r).name if r >= 0 else "" for r in top],
            "level": [Level(v).name for v in level.tolist()],
            "stage": [Stage(v).name for v in stage.tolist()],
            "tier": [tier_names[c.tier] if tier_names and c.tier >= 0 else "" for c in cs],
            "low_cost": [c.low_cost for c in cs],
            "complaints": [c.complaints for c in cs],
            "failures": [c.failures for c in cs],
            "lam": [c.lam for c in cs],
            "dropout_p": [c.dropout_p for c in cs],
            "mu": [c.mu for c in cs],
        }
    )
    return conform(frame, "customers")


def _ledger(model: CRMModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger as the scenario asks (full or aggregate), and per-reason totals."""
    agg = model.ledger.aggregate()
    agg_frame = pd.DataFrame(
        {
            "period": agg["period"],
            "reason": _REASONS[agg["reason"]] if len(agg["reason"]) else np.array([], dtype=object),
            "kind": _KIND[agg["reason"]] if len(agg["reason"]) else np.array([], dtype=object),
            "count": agg["count"],
            "amount": agg["amount"],
        }
    )
    agg_frame = conform(agg_frame, "ledger_aggregate")
    if not model.ledger.full:
        return agg_frame, agg_frame
    e = model.ledger.entries()
    period = np.minimum(
        (e["time"] // model.scenario.period).astype(np.int64), model.scenario.n_periods - 1
    )
    full = pd.DataFrame(
        {
            "time": e["time"],
            "period": period,
            "customer_id": e["customer_id"],
            "reason": _REASONS[e["reason"]] if len(e["reason"]) else np.array([], dtype=object),
            "kind": _KIND[e["reason"]] if len(e["reason"]) else np.array([], dtype=object),
            "amount": e["amount"],
            "balance": e["balance"],
        }
    )
    return conform(full, "ledger"), agg_frame


def collect(model: CRMModel, seed: Any, engine: str = "agent") -> RunResult:
    """Assemble the documented tables, the KPIs and the manifest of a finished run."""
    from sim.scenario import scenario_hash, scenario_to_dict

    sc = model.scenario
    periods = conform(pd.DataFrame(model.books.rows), "periods")
    customers = _customers(model)
    ledger, totals = _ledger(model)
    if model.event_log is not None:
        events = pd.DataFrame(model.event_log, columns=columns("events"))
    else:
        events = pd.DataFrame({c: [] for c in columns("events")})
    events = conform(events, "events")
    mix = conform(pd.DataFrame(model.books.mix, columns=columns("mix")), "mix")
    window = sc.strategy.early_warning.window
    warnings = churn_truth(model.warnings, model.churn_log, window)
    summary = summarise(periods, customers, totals, warnings, model.churn_log, window, sc.horizon)
    seed_repr: Any = seed
    if isinstance(seed, np.random.SeedSequence):
        seed_repr = {"entropy": str(seed.entropy), "spawn_key": list(seed.spawn_key)}
    manifest = {
        "scenario": scenario_to_dict(sc),
        "scenario_name": sc.name,
        "scenario_hash": scenario_hash(sc),
        "seed": seed_repr,
        "engine": engine,
        "events_processed": model.n_events,
        "versions": versions(),
        "wall_time_s": round(time.perf_counter() - model.wall_start, 3),
    }
    return RunResult(periods, customers, ledger, events, mix, warnings, summary, manifest)
