"""The KPI catalogue says what every number of a run's summary is, and names nothing else.

A real run on either engine must report exactly the catalogue's KPIs, in its order; every
entry has a label, a unit and a description; the units are those of the numbers (shares are
fractions, counts are whole, the mean wait is in the days of the ``periods`` table); and each
direction is the one the metric's meaning implies.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.results import KPIS, kpi
from sim.results.catalogue import CHURN_SHARES, RETENTION_MONTHS
from sim.results.run_result import RunResult
from sim.results.schema import TABLES

#: Long enough for the 12-month retention to be defined, small enough for about a second.
SMALL = {"population.initial": 100, "horizon": "13mo"}


@pytest.fixture(scope="module", params=["agent", "vector"])
def small_run(request: pytest.FixtureRequest) -> RunResult:
    """A small baseline run on each engine."""
    return sim.run(sim.load_scenario("baseline", SMALL), seed=3, engine=request.param)


def test_a_run_reports_exactly_the_catalogue_in_its_order(small_run: RunResult) -> None:
    produced = list(small_run.summary["metric"])
    names = [k.name for k in KPIS]
    assert sorted(set(produced) - set(names)) == [], "KPIs a run reports but the catalogue lacks"
    assert sorted(set(names) - set(produced)) == [], "KPIs in the catalogue that no run reports"
    assert produced == names


def test_every_entry_has_a_label_a_unit_and_a_description() -> None:
    names = [k.name for k in KPIS]
    labels = [k.label for k in KPIS]
    assert len(set(names)) == len(names)
    assert len(set(labels)) == len(labels), "two KPIs would read alike in a report"
    for k in KPIS:
        assert k.label.strip() and k.unit.strip() and k.description.strip(), k.name
        assert k.better in (-1, 0, 1), k.name
    assert any(k.headline for k in KPIS) and any(k.short for k in KPIS)


def test_units_are_those_of_the_numbers(small_run: RunResult) -> None:
    kpis = small_run.kpis
    for k in KPIS:
        value = kpis[k.name]
        if k.share and math.isfinite(value):
            assert 0.0 <= value <= 1.0, f"{k.name} = {value} is not a share"
        if k.unit == "customers":
            assert value >= 0 and value == int(value), f"{k.name} = {value} is not a count"
    assert math.isfinite(kpis["retention_12m"])
    assert kpis["trust_withdrawals"] <= 0.0 <= kpis["trust_deposits"]
    assert kpis["profit"] == pytest.approx(kpis["revenue"] - kpis["costs"])


def test_the_mean_wait_is_in_days_like_the_periods_table(small_run: RunResult) -> None:
    assert kpi("mean_wait").unit == "days"
    assert {c.name: c.unit for c in TABLES["periods"]}["wait_mean"] == "day"
    periods = small_run.periods
    served = periods["tickets"].to_numpy(dtype=float) > 0
    assert served.any()
    want = np.average(periods["wait_mean"][served], weights=periods["tickets"][served])
    assert small_run.kpis["mean_wait"] == pytest.approx(want)


def test_directions_follow_what_each_metric_means() -> None:
    want = {
        "profit": 1, "discounted_profit": 1, "revenue": 1, "mean_clv": 1, "active_end": 1,
        "costs": -1, "complaint_rate": -1, "mean_wait": -1,
        "recovery_rate": 1, "satisfaction_end": 1, "warning_precision": 1, "warning_recall": 1,
        # Withdrawals are negative: a higher total means less trust withdrawn.
        "trust_withdrawals": 1,
        # A utilisation and the mix of churn reasons are neither good nor bad by themselves.
        "utilisation": 0, "share_transactional": 0, **dict.fromkeys(CHURN_SHARES, 0),
        **{f"retention_{m}m": 1 for m in RETENTION_MONTHS},
    }  # fmt: skip
    got = {name: kpi(name).better for name in want}
    assert got == want


def test_a_name_outside_the_catalogue_is_refused_with_a_hint() -> None:
    with pytest.raises(LookupError, match=r"'proft' is not a KPI .*did you mean 'profit'"):
        kpi("proft")
    with pytest.raises(LookupError, match="not a KPI"):
        kpi("something_new")
