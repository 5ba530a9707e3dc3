"""Turn a finished agent-engine run into a documented :class:`RunResult`."""

from __future__ import annotations

import platform
import time
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from agents.emotional_account import DEPOSITS, Reason
from agents.relationship import Stage, lifecycle_stage
from agents.rules import ChurnReason
from agents.traits import Level
from sim.results.metrics import churn_truth, summarise
from sim.results.run_result import RunResult, conform
from sim.results.schema import columns

if TYPE_CHECKING:
    from sim.results.books import Books
    from sim.scenario.spec import Scenario

__all__ = ["FinishedRun", "collect", "customers_frame", "versions"]


class FinishedRun(Protocol):
    """What ``collect`` reads of a finished run.

    A finished agent-engine model is one, and so is one lane of a finished vector-engine
    stack (:class:`sim.vector_engine.lanes.LaneView`).
    """

    scenario: Scenario
    books: Books
    ledger: Any  #: ``agents.emotional_account.Ledger`` or the vector engine's ``ArrayLedger``

    @property
    def event_log(self) -> list[tuple[float, int, str, float]] | None:
        """The full event log, when the scenario asks for one."""
        ...

    n_events: int
    wall_start: float

    @property
    def warnings(self) -> list[tuple[float, int, float]]:
        """Early-warning flags as (time, customer id, score)."""
        ...

    @property
    def churn_log(self) -> list[tuple[float, int]]:
        """Every churn as (time, customer id)."""
        ...

    @property
    def winback_log(self) -> list[tuple[float, int]]:
        """Every win-back (a lapsed customer active again) as (time, customer id)."""
        ...

    def customer_columns(self) -> dict[str, np.ndarray]:
        """Every customer's state as the columns :func:`customers_frame` reads."""
        ...


_REASONS = np.array([r.name for r in Reason], dtype=object)
_CHURN = np.array([r.name for r in ChurnReason], dtype=object)
_LEVELS = np.array([lv.name for lv in Level], dtype=object)
_STAGES = np.array([s.name for s in Stage], dtype=object)
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


def customers_frame(cols: dict[str, np.ndarray], sc: Scenario) -> pd.DataFrame:
    """The documented customers table from per-customer columns (both engines)."""
    end = sc.horizon
    seg_names = np.array([s.name for s in sc.population.segments], dtype=object)
    tiers = sc.strategy.care_tiers
    tier_names = np.array(
        [t.name for t in tiers.tiers] + [""] if tiers.enabled else [""], dtype=object
    )
    churned = cols["churned_at"]
    stop = np.where(np.isnan(churned), end, churned)
    acquired = cols["acquired"]
    level = cols["level"].astype(np.int64)
    sat = cols["satisfaction"]
    repeat = cols["repeat"].astype(np.int64)
    bal = cols["balance"]
    stage = lifecycle_stage(
        cols["alive"].astype(bool), stop - acquired, repeat, level, bal, sat,
        stop - cols["last_winback"],
    )  # fmt: skip
    reason = cols["churn_reason"].astype(np.int64)
    top = cols["top_withdrawal"].astype(np.int64)
    has_repeat = repeat > 0
    tier = cols["tier"].astype(np.int64)
    frame = pd.DataFrame(
        {
            "customer_id": cols["customer_id"],
            "segment": seg_names[cols["segment"].astype(np.int64)],
            "acquired": acquired,
            "channel": cols["channel"],
            "referrer_id": cols["referrer"],
            "active": cols["alive"].astype(bool),
            "churned": churned,
            "churn_reason": np.where(reason >= 0, _CHURN[np.maximum(reason, 0)], ""),
            "won_back": cols["won_back"],
            "tenure": stop - acquired,
            "purchases": cols["purchases"],
            "frequency": repeat,
            "recency": np.where(has_repeat, cols["last_repeat"] - acquired, 0.0),
            "T": end - acquired,
            "monetary_value": np.where(
                has_repeat, cols["repeat_spend"] / np.maximum(repeat, 1), 0.0
            ),
            "revenue": cols["revenue"],
            "margin": cols["margin"],
            "cost_to_serve": cols["cost"],
            "clv": cols["clv"],
            "satisfaction": sat,
            "expectation": cols["expectation"],
            "balance": bal,
            "deposits": cols["deposits"],
            "withdrawals": cols["withdrawals"],
            "top_withdrawal": np.where(top >= 0, _REASONS[np.maximum(top, 0)], ""),
            "level": _LEVELS[level],
            "stage": _STAGES[stage],
            "tier": tier_names[np.where((tier >= 0) & tiers.enabled, tier, -1)],
            "low_cost": cols["low_cost"].astype(bool),
            "complaints": cols["complaints"],
            "failures": cols["failures"],
            "lam": cols["lam"],
            "dropout_p": cols["dropout_p"],
            "mu": cols["mu"],
        }
    )
    return conform(frame, "customers")


def _ledger(model: FinishedRun) -> tuple[pd.DataFrame, pd.DataFrame]:
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


def collect(model: FinishedRun, seed: Any, engine: str = "agent") -> RunResult:
    """Assemble the documented tables, the KPIs and the manifest of a finished run."""
    from sim.scenario.spec import scenario_hash, scenario_to_dict

    sc = model.scenario
    periods = conform(pd.DataFrame(model.books.rows), "periods")
    customers = customers_frame(model.customer_columns(), sc)
    ledger, totals = _ledger(model)
    if model.event_log is not None:
        events = pd.DataFrame(model.event_log, columns=columns("events"))
    else:
        events = pd.DataFrame({c: [] for c in columns("events")})
    events = conform(events, "events")
    mix = conform(pd.DataFrame(model.books.mix, columns=columns("mix")), "mix")
    window = sc.strategy.early_warning.window
    warnings = churn_truth(model.warnings, model.churn_log, window)
    summary = summarise(
        periods, customers, totals, warnings, model.churn_log, window, sc.horizon,
        model.winback_log,
    )  # fmt: skip
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
