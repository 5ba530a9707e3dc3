"""The horizon cuts a run off; it never changes what happened before it.

Periods are half-open, [start, end): an event due at exactly a period boundary t (a monthly
renewal on the month, a price move, a win-back call) belongs to the period that starts at t,
and a run over [0, H) simulates nothing at H itself. So two runs that differ only in their
horizon must agree, byte for byte, on everything measured up to the shorter one:

* every ``periods`` row of a period inside both horizons (same ``start`` and ``end``);
* every KPI measured at a day t inside both horizons — :data:`MEASURED_AT` (the catalogue
  in :mod:`sim.results.catalogue` does not mark them, so the rule lives here);
* when the shorter horizon is a whole number of periods, every KPI of the shorter run that
  is a total over the periods or a state at their end (:data:`PERIOD_TOTALS`,
  :data:`END_STATES`) equals the longer run's value over the same periods.

The other KPIs are measured at the horizon by definition (``mean_clv``, trust totals,
early-warning precision and recall) and, like the customers table's observation columns
(``T``, ``recency``, ``tenure``), rightly depend on it.

These are identities on one seed, not statistics: any difference is a bug.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.results.catalogue import RETENTION_MONTHS
from sim.results.run_result import RunResult

DAYS_PER_MONTH = 365.25 / 12.0

#: The KPIs measured at a day inside the run, and that day: defined (not NaN) for every
#: horizon that reaches it, and then independent of the horizon.
MEASURED_AT: dict[str, float] = {f"retention_{m}m": m * DAYS_PER_MONTH for m in RETENTION_MONTHS}
#: KPIs that are the sum of one periods column over the run.
PERIOD_TOTALS: dict[str, str] = {
    "revenue": "revenue",
    "costs": "costs",
    "profit": "profit",
    "discounted_profit": "discounted_profit",
    "referrals": "referrals",
    "won_back": "won_back",
}
#: KPIs that are a column of the last period's row (the state at the run's end).
END_STATES: dict[str, str] = {
    "active_end": "active",
    "customers_acquired": "acquired_total",
    "satisfaction_end": "satisfaction_mean",
    "balance_end": "balance_mean",
}

ENGINES = ("agent", "vector")
SMALL = {"population.initial": 200}
#: Every lapse is won back a month later (the response capped at 1), so that customers who
#: lapsed just before a measuring day come back after it.
EAGER_WIN_BACK = {"strategy.win_back.min_revenue": 0, "strategy.win_back.offer_elasticity": 100}
#: Library scenarios of both settings, with the overrides each is run with.
SCENARIOS: dict[str, dict[str, Any]] = {
    "subscription": {},
    "baseline": {},
    "win_back": EAGER_WIN_BACK,
    "churn_early_warning": {},
}


def _run(name: str, horizon: str | float, seed: int, engine: str, **extra: Any) -> RunResult:
    scenario = sim.load_scenario(name, {"horizon": horizon, **SMALL, **extra})
    return sim.run(scenario, seed=seed, engine=engine)


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return bool(x == y)


def _common_rows(short: RunResult, long: RunResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The periods rows of both runs for the periods inside both horizons."""
    a, b = short.periods, long.periods
    keys = a[["period", "start", "end"]].merge(b[["period", "start", "end"]])
    n = len(keys)
    # Periods are numbered from day 0 in both runs: the common ones are a prefix.
    assert (keys["period"].to_numpy() == np.arange(n)).all()
    assert len(a) - n <= 1, "only a short last period of the shorter run may differ"
    return a.iloc[:n].reset_index(drop=True), b.iloc[:n].reset_index(drop=True)


def assert_horizon_free(short: RunResult, long: RunResult) -> None:
    """Everything ``short`` measured up to its horizon, ``long`` measured alike."""
    h_short = float(short.manifest["scenario"]["horizon"])
    assert h_short <= float(long.manifest["scenario"]["horizon"])
    a, b = _common_rows(short, long)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ka, kb = short.kpis, long.kpis
    for name, day in MEASURED_AT.items():
        if day <= h_short:
            assert not math.isnan(ka[name]), f"{name} undefined with horizon {h_short} d"
            assert _same(ka[name], kb[name]), f"{name}: {ka[name]} vs {kb[name]}"
        else:
            assert math.isnan(ka[name]), f"{name} defined beyond horizon {h_short} d"
    if len(a) == len(short.periods):
        for name, col in PERIOD_TOTALS.items():
            assert _same(ka[name], float(b[col].sum())), name
        for name, col in END_STATES.items():
            assert _same(ka[name], float(b[col].iloc[-1])), name


# --------------------------------------------------------------------------- property
#: Shorter horizons from 12 months to 20, as whole months or as days that end mid-period;
#: the longer one adds between a day and eight months.
_short = st.one_of(
    st.integers(12, 20).map(lambda m: f"{m}mo"),
    st.integers(366, 600).map(lambda d: f"{d}d"),
)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=6, deadline=None, derandomize=True)
@given(
    name=st.sampled_from(sorted(SCENARIOS)),
    seed=st.integers(0, 2**16),
    short=_short,
    extra_days=st.integers(1, 240),
)
def test_a_longer_horizon_changes_nothing_before_the_shorter_one(
    engine: str, name: str, seed: int, short: str, extra_days: int
) -> None:
    s = _run(name, short, seed, engine, **SCENARIOS[name])
    long_days = float(s.manifest["scenario"]["horizon"]) + extra_days
    assert_horizon_free(s, _run(name, long_days, seed, engine, **SCENARIOS[name]))


# --------------------------------------------------------------------------- regressions
@pytest.mark.parametrize("engine", ENGINES)
def test_subscription_retention_36m_with_a_renewal_on_the_horizon(engine: str) -> None:
    # The outside validation's case: the 36th monthly renewal falls exactly on a 3-year
    # horizon. It belongs to month 37, so the 4-year run must report the same retention.
    short = sim.run(sim.load_scenario("subscription", {"horizon": "3y"}), seed=3, engine=engine)
    long = sim.run(sim.load_scenario("subscription", {"horizon": "4y"}), seed=3, engine=engine)
    assert short.kpis["retention_36m"] == long.kpis["retention_36m"]
    assert_horizon_free(short, long)


def _yearly_plan(theta: float) -> dict[str, Any]:
    """A pure contractual world renewing once a year, everyone cancelling with ``theta``."""
    segment = {
        "name": "only",
        "share": 1.0,
        "spend": {"p": 6.0, "q": 4.0, "gamma": 20.0},
        "fee": 100.0,
        "dropout": {"model": "constant", "theta": theta},
        "service_interval": 1e7,
    }
    return {
        "name": "yearly",
        "setting": "contractual",
        "contract": {"every": "1y"},
        "behaviour": {"enabled": False},
        "population": {"initial": 50, "segments": [segment]},
        "strategy": {"acquisition": {"referral_conversion": 0.0}},
    }


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("horizon", ["1y", "2y", "25mo"])
def test_a_cancellation_on_the_month_counts_in_the_next_period(engine: str, horizon: str) -> None:
    # Everyone cancels at the first yearly renewal, at exactly 12 months: they were active
    # through month 12 (retained at 12 months) and leave in the period starting then.
    scenario = sim.load_scenario(_yearly_plan(1.0), {"horizon": horizon})
    result = sim.run(scenario, seed=1, engine=engine)
    assert result.kpis["retention_12m"] == 1.0
    periods = result.periods
    assert (periods["churned"].iloc[:12] == 0).all()
    assert periods["active"].iloc[11] == 50
    if len(periods) > 12:
        assert periods["churned"].iloc[12] == 50
        assert periods["active"].iloc[12] == 0
    if horizon != "1y":
        assert result.kpis["retention_24m"] == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_return_after_the_measuring_day_is_not_retention(engine: str) -> None:
    # Win-back calls come 30 days after a lapse: customers lapsed in the last month before
    # month 12 return in month 13. They were not active at 12 months, whatever the horizon
    # (the state at the end of the longer run would count them as retained).
    short = _run("win_back", "12mo", 0, engine, **EAGER_WIN_BACK)
    long = _run("win_back", "14mo", 0, engine, **EAGER_WIN_BACK)
    assert long.periods["won_back"].iloc[12] > 0
    assert_horizon_free(short, long)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_queue_at_the_horizon_leaves_the_last_period_alone(engine: str) -> None:
    # One overloaded server: at the horizon tickets wait whose service starts after it.
    # Their waits belong to a later period, not to the last one of the shorter run.
    over = {"strategy.service.staff": 1, "strategy.service.handling_time": "2d"}
    short = _run("baseline", "6mo", 0, engine, **over)
    long = _run("baseline", "8mo", 0, engine, **over)
    assert short.periods["utilisation"].iloc[-1] > 0.99
    assert_horizon_free(short, long)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_firm_plans_a_period_from_the_state_the_last_one_closed_on(engine: str) -> None:
    # Everyone cancels at exactly 12 months, the start of period 12. The firm plans period
    # 12 first, from the 50 customers period 11 closed with, and books their monthly care
    # contact; the cancellations come after the plan, so no contact is made.
    spec = _yearly_plan(1.0)
    spec["strategy"]["care_tiers"] = {
        "enabled": True,
        "tiers": [{"name": "all", "share": 1.0, "every": "1mo", "cost": 1.0}],
    }
    periods = sim.run(sim.load_scenario(spec, {"horizon": "13mo"}), seed=2, engine=engine).periods
    assert periods["active"].iloc[11] == 50
    assert periods["cost_contacts"].iloc[11] == 50.0
    assert periods["cost_contacts"].iloc[12] == 50.0
    assert periods["contacts"].iloc[12] == 0
    assert periods["churned"].iloc[12] == 50
