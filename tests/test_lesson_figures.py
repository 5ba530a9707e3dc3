"""The lesson figures: renewals by tenure (run report) and salary saved (comparison page).

The renewal table is checked three ways: by hand on a made-up customers table (every rule
of who is due at which renewal), against the engine's own count of renewals, and against
the shifted-beta-geometric closed form in a pure contractual world (behaviour off), where
the rate at renewal ``t`` among those due is exactly ``(β + t − 1) / (α + β + t − 1)``.
The salary figure's caption is checked against the salary lines of the runs themselves and
against the closed form of a desk's salary (agents × salary × periods).

Statistical hygiene: each assertion that depends on chance is an exact binomial test,
Holm-adjusted over the renewals, with a family-wise false-alarm rate of at most 1e-3 for
any seed.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from theory import holm, sbg_retention

import sim
from sim.experiments.comparison import Comparison, compare
from sim.report.captions import CAPTIONS
from sim.report.compare_page import write_report as write_comparison
from sim.report.lesson_figures import run_figures
from sim.report.renewals import COLUMNS, renewal_table, renewals_of
from sim.report.run_page import write_report
from sim.report.staffing import money_text, salary_table
from sim.results.run_result import RunResult

ALPHA = 1e-3  # family-wise false-alarm budget of each statistical test here
SBG = (1.0, 3.0)  # (alpha, beta) of θ ~ Beta in the pure world
N_PURE = 4000


def _pure(segments: list[dict[str, Any]]) -> dict[str, Any]:
    """A pure contractual world: behaviour off, monthly renewals for a year, nobody joins."""
    base = {"spend": {"p": 6.0, "q": 4.0, "gamma": 20.0}, "service_interval": 1e7, "fee": 10.0}
    return {
        "name": "pure_renewals",
        "setting": "contractual",
        "behaviour": {"enabled": False},
        "horizon": "12.5mo",
        "period": "1mo",
        "population": {"initial": N_PURE, "segments": [{**base, **s} for s in segments]},
        "strategy": {
            "service": {"staff": None, "cost_per_ticket": 0.0},
            "acquisition": {"referral_conversion": 0.0},
        },
        "output": {"ledger": "aggregate"},
    }


def _binom_p(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.array(
        [stats.binomtest(int(a), int(b), float(q)).pvalue for a, b, q in zip(k, n, p, strict=True)]
    )


# ------------------------------------------------------------------------- by hand
def test_renewal_table_by_hand() -> None:
    # Renewals every 10 days, horizon 35: a renewal on day 35 is outside the run.
    nan = math.nan
    rows = [
        # id, segment, acquired, churned, reason, won_back
        (1, "a", 0.0, nan, "", 0),  # renews on days 10, 20, 30
        (2, "a", 0.0, 20.0, "baseline", 0),  # renews on 10, cancels at the 2nd renewal
        (3, "b", 5.0, nan, "", 0),  # renews on 15, 25; day 35 is the horizon: not due
        (4, "a", 0.0, 20.0, "fired", 0),  # fired on a renewal day: not due at it
        (5, "b", 0.0, 13.0, "price", 0),  # gone between renewals: due at the 1st only
        (6, "a", 3.0, nan, "", 1),  # won back: left out
        (7, "a", 30.0, nan, "", 0),  # first renewal on day 40: never due
        (8, "a", 0.0, 10.0, "dissatisfaction", 0),  # cancels at the 1st renewal
    ]
    customers = pd.DataFrame(
        rows, columns=["customer_id", "segment", "acquired", "churned", "churn_reason", "won_back"]
    )
    dropout = {
        "a": {"model": "sbg", "alpha": 1.0, "beta": 3.0},
        "b": {"model": "constant", "theta": 0.2},
    }
    t = renewal_table(customers, every=10.0, horizon=35.0, dropout=dropout)
    assert list(t.columns) == list(COLUMNS)
    assert t["renewal"].tolist() == [1, 2, 3]
    assert t["day"].tolist() == [10.0, 20.0, 30.0]
    assert t["due"].tolist() == [6, 3, 1]  # {1,2,3,4,5,8}, {1,2,3}, {1}
    assert t["cancelled"].tolist() == [1, 1, 0]  # 8, then 2
    assert t["renewed"].tolist() == [5, 2, 1]
    np.testing.assert_allclose(t["rate"], [5 / 6, 2 / 3, 1.0])
    # The expectation weights each segment's rate by who is due: at the 1st renewal four
    # of segment a (rate β/(α+β) = 3/4) and two of b (1 − θ = 0.8).
    np.testing.assert_allclose(t["sbg"], [(4 * 0.75 + 2 * 0.8) / 6, (2 * 0.8 + 0.8) / 3, 5 / 6])
    # The interval is Wilson's score interval, as scipy computes it.
    for row in t.itertuples():
        ci = stats.binomtest(int(row.renewed), int(row.due)).proportion_ci(method="wilson")
        assert (row.low, row.high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    # Without dropout parameters there is no expectation; without renewals, no rows.
    assert renewal_table(customers, 10.0, 35.0)["sbg"].isna().all()
    empty = renewal_table(customers.iloc[:0], 10.0, 35.0, dropout)
    assert empty.empty and list(empty.columns) == list(COLUMNS)


# ---------------------------------------------------------------------- closed form
@pytest.fixture(scope="module")
def pure_single() -> RunResult:
    dropout = {"model": "sbg", "alpha": SBG[0], "beta": SBG[1]}
    spec = _pure([{"name": "only", "share": 1.0, "dropout": dropout}])
    return sim.run(sim.load_scenario(spec), seed=11, engine="vector")


def test_renewals_add_up_to_the_engines_count(pure_single: RunResult) -> None:
    # Every customer pays once on joining and once per renewal: the table and the periods
    # table count the same payments.
    table = renewals_of(pure_single)
    assert table is not None
    assert (pure_single.customers["won_back"] == 0).all()
    paid = int(pure_single.periods["renewals"].sum())
    assert paid == len(pure_single.customers) + int(table["renewed"].sum())
    # All 12 monthly renewals lie inside 12.5 months, and everyone is due at the first.
    assert table["renewal"].tolist() == list(range(1, 13))
    assert int(table["due"].iloc[0]) == N_PURE


def test_renewal_rate_by_tenure_matches_the_sbg_closed_form(pure_single: RunResult) -> None:
    table = renewals_of(pure_single)
    assert table is not None
    t = table["renewal"].to_numpy()
    truth = np.asarray(sbg_retention(*SBG, t))
    # One segment: the table's expectation is the closed form itself.
    np.testing.assert_allclose(table["sbg"], truth, rtol=1e-12)
    # Given survival to renewal t − 1, the renewals at t are Binomial(due_t, r(t)) exactly
    # (customers are i.i.d. and independent of the horizon); Holm over the 12 renewals keeps
    # the family-wise false alarm ≤ 1e-3 whatever their dependence.
    renewed, due = table["renewed"].to_numpy(), table["due"].to_numpy()
    adj = holm(_binom_p(renewed, due, truth))
    worst = int(np.argmin(adj))
    assert adj.min() > ALPHA, (
        f"renewal {t[worst]}: {renewed[worst]}/{due[worst]} vs r = {truth[worst]:.4f}"
    )
    # Power: a truth with β doubled (rates about 10 points higher early on) is rejected.
    wrong = np.asarray(sbg_retention(SBG[0], 2.0 * SBG[1], t))
    assert holm(_binom_p(renewed, due, wrong)).min() < ALPHA
    # Sorting: the rate rises with tenure, far beyond the intervals.
    assert table["low"].iloc[-1] > table["high"].iloc[0]


def test_the_mixture_expectation_matches_two_segments() -> None:
    # Two segments with different θ distributions: the expectation weights each segment's
    # closed form by the customers of that segment still due, which shifts toward the
    # steadier segment as the fragile one leaves.
    fragile = {"model": "sbg", "alpha": 1.0, "beta": 2.0}
    steady = {"model": "constant", "theta": 0.05}
    spec = _pure(
        [
            {"name": "fragile", "share": 0.5, "dropout": fragile},
            {"name": "steady", "share": 0.5, "dropout": steady},
        ]
    )
    table = renewals_of(sim.run(sim.load_scenario(spec), seed=12, engine="vector"))
    assert table is not None
    expected = table["sbg"].to_numpy()
    assert expected[0] == pytest.approx(
        0.5 * 2.0 / 3.0 + 0.5 * 0.95, abs=0.02
    )  # the draw of segments is random: about half each
    # Given who is due, the renewals are a sum of independent Bernoulli draws with their
    # segments' rates: less spread than one binomial of the mean rate (Hoeffding 1956), so
    # the binomial test below errs on the safe side; Holm keeps the family-wise ≤ 1e-3.
    adj = holm(_binom_p(table["renewed"].to_numpy(), table["due"].to_numpy(), expected))
    assert adj.min() > ALPHA


# ---------------------------------------------------------------------------- pages
@pytest.fixture(scope="module")
def small_subscription() -> RunResult:
    scenario = sim.load_scenario("subscription", {"population.initial": 300, "horizon": "1y"})
    return sim.run(scenario, seed=2, engine="vector")


def _figure_ids(page: str) -> list[str]:
    return [part.split("'")[0] for part in page.split("<figure id='fig-")[1:]]


def test_renewal_figure_in_a_contractual_report(
    small_subscription: RunResult, tmp_path: Path
) -> None:
    page = write_report(small_subscription, tmp_path).read_text(encoding="utf-8")
    ids = _figure_ids(page)
    assert ids[ids.index("retention") + 1] == "renewals"  # beside the retention it explains
    assert (tmp_path / "renewals.png").read_bytes().startswith(b"\x89PNG")
    caption = CAPTIONS["renewals"](small_subscription)
    assert caption.startswith("At the first renewal, ") and caption in html.unescape(page)
    table = renewals_of(small_subscription)
    assert table is not None
    assert f"{100.0 * float(table['rate'].iloc[0]):.1f} %" in caption


def test_no_renewal_figure_without_contracts(small_baseline: RunResult, tmp_path: Path) -> None:
    assert "renewals" not in run_figures(small_baseline)
    assert renewals_of(small_baseline) is None
    page = write_report(small_baseline, tmp_path).read_text(encoding="utf-8")
    assert "fig-renewals" not in page and not (tmp_path / "renewals.png").exists()


@pytest.fixture(scope="module")
def staffing() -> Comparison:
    scenario = sim.load_scenario("service_staffing", {"population.initial": 150, "horizon": "6mo"})
    return compare(scenario, n=2, seed=3, engine="vector")


def test_salary_figure_and_its_saving(staffing: Comparison, tmp_path: Path) -> None:
    page = write_comparison(staffing, tmp_path).read_text(encoding="utf-8")
    assert "id='salary'" in page
    assert (tmp_path / "salary.png").read_bytes().startswith(b"\x89PNG")
    # The saving in words is the one in the runs' own salary lines ...
    paid = {
        arm: float(staffing.result(arm, 0).periods["cost_service_staff"].sum())
        for arm in staffing.arms
    }
    saving = paid["adequate"] - paid["understaffed"]
    text = html.unescape(page)
    assert f"It saves {money_text(saving)} of salary over the run" in text
    # ... which is the closed form: the agents cut × salary per agent × periods.
    ref, cut = (staffing.arms[a].strategy.service for a in ("adequate", "understaffed"))
    assert ref.staff is not None and cut.staff is not None
    periods = len(staffing.result("adequate", 0).periods)
    assert saving == (ref.staff - cut.staff) * ref.salary_per_period * periods > 0
    table = salary_table(staffing)
    assert table is not None
    assert table.set_index("arm")["saving"].to_dict() == {"adequate": 0.0, "understaffed": saving}
    assert (tmp_path / "salary.csv").is_file()


def test_no_salary_figure_when_desks_are_alike(staffing: Comparison) -> None:
    # Reading the arms is enough to decide: nothing runs when every desk is the same.
    same = SimpleNamespace(arms={"a": staffing.arms["adequate"], "b": staffing.arms["adequate"]})
    assert salary_table(cast("Comparison", same)) is None
