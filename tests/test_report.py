"""The report, its figures and the derived tables behind them."""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from sim.report.analysis import (
    CHURN_LABELS,
    churn_reasons,
    churned_examples,
    cohort_label,
    cohort_retention,
    cost_lines,
    level_shares,
    prefixed,
    trust_waterfall,
)
from sim.report.captions import CAPTIONS
from sim.report.plots import FIGURES, plot_churn_reasons, plot_economics, plot_trust
from sim.report.run_page import format_kpi, render_html, write_report
from sim.results.catalogue import CHURN_SHARES, KPIS
from sim.results.run_result import RunResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SECTIONS = ("run", "kpis", "figures", "why-customers-left", "columns")


# ----------------------------------------------------------------------- derived tables
def _customers(rows: list[tuple[int, str, float, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["customer_id", "segment", "acquired", "churned", "churn_reason"]
    )


def test_cohort_label_names_year_and_quarter() -> None:
    assert [cohort_label(q) for q in (0, 3, 4, 9)] == ["y1 Q1", "y1 Q4", "y2 Q1", "y3 Q2"]


def test_cohort_retention_by_hand() -> None:
    m = 30.0  # a 30-day month and a 90-day quarter keep the arithmetic visible
    nan = math.nan
    customers = _customers(
        [
            (1, "a", 0.0, nan, ""),  # Q1, never churns
            (2, "a", 10.0, 45.0, "price"),  # Q1, gone before month 2 (day 70)
            (3, "a", 20.0, 200.0, "baseline"),  # Q1, gone after the run's end
            (4, "a", 100.0, 125.0, "price"),  # Q2, gone before month 1 (day 130)
            (5, "a", 150.0, nan, ""),  # Q2, observed 1 month only
        ]
    )
    t = cohort_retention(customers, end_day=180.0, cohort_days=90.0, month_days=m)
    q1 = t[t["cohort"] == 0].set_index("months")
    assert list(q1.index) == [0, 1, 2, 3, 4, 5, 6]
    assert (q1["size"] == 3).all() and (q1["label"] == "y1 Q1").all()
    # month 1 is checked on days 30/40/50: customer 2 (churned on 45) is still there.
    assert q1.loc[1, "retained"] == 3
    # month 2: customer 2 is checked at day 70 > 45 → gone.
    assert q1.loc[2, "observed"] == 3 and q1.loc[2, "retained"] == 2
    # month 6: day 180 (c1) is observed; day 190 (c2) and 200 (c3) are past the end.
    assert q1.loc[6, "observed"] == 1 and q1.loc[6, "retained"] == 1
    # month 5 is checked on days 150/160/170: all observed, customer 2 gone.
    assert q1.loc[5, "observed"] == 3 and q1.loc[5, "share"] == pytest.approx(2 / 3)
    q2 = t[t["cohort"] == 1].set_index("months")
    assert list(q2.index) == [0, 1, 2]  # the earliest Q2 member is observed 80 days
    assert q2.loc[0, "retained"] == 2
    # month 1 is checked on days 130 and 180 (= the end, still observed): customer 4 gone.
    assert q2.loc[1, "observed"] == 2 and q2.loc[1, "retained"] == 1
    assert q2.loc[2, "observed"] == 1 and q2.loc[2, "retained"] == 0
    assert ((t["share"] >= 0) & (t["share"] <= 1)).all()


def test_cohort_retention_empty() -> None:
    t = cohort_retention(_customers([]), end_day=100.0)
    assert t.empty
    assert list(t.columns) == ["cohort", "label", "size", "months", "observed", "retained", "share"]


def test_trust_waterfall_by_hand() -> None:
    ledger = pd.DataFrame(
        {
            "reason": ["kept_promise", "over_contact", "kept_promise", "apology_fix", "long_wait"],
            "kind": ["deposit", "withdrawal", "deposit", "deposit", "withdrawal"],
            "amount": [2.0, -5.0, 3.0, 1.0, -7.0],
        }
    )
    w = trust_waterfall(ledger)
    assert list(w["reason"]) == ["kept_promise", "apology_fix", "long_wait", "over_contact"]
    assert list(w["amount"]) == [5.0, 1.0, -7.0, -5.0]
    assert list(w["start"]) == [0.0, 5.0, 6.0, -1.0]
    assert list(w["end"]) == [5.0, 6.0, -1.0, -6.0]
    assert w["end"].iloc[-1] == pytest.approx(ledger["amount"].sum())


def test_trust_waterfall_empty() -> None:
    w = trust_waterfall(pd.DataFrame(columns=["reason", "kind", "amount"]))
    assert w.empty and list(w.columns) == ["reason", "kind", "amount", "start", "end"]


def test_churn_reasons_by_hand() -> None:
    nan = math.nan
    customers = _customers(
        [
            (1, "key", 0.0, 10.0, "overdrawn"),
            (2, "small", 0.0, 20.0, "overdrawn"),
            (3, "small", 0.0, 30.0, "price"),
            (4, "small", 0.0, nan, ""),
            (5, "core", 0.0, 40.0, "overdrawn"),
            (6, "core", 0.0, 50.0, "baseline"),
        ]
    )
    t = churn_reasons(customers)
    assert list(t.columns) == ["key", "small", "core", "total", "share"]
    assert list(t.index) == ["overdrawn", "baseline", "price"]  # count, then name
    assert t.loc["overdrawn", ["key", "small", "core"]].tolist() == [1, 1, 1]
    assert t["total"].tolist() == [3, 1, 1]
    assert t.loc["overdrawn", "share"] == pytest.approx(0.6)
    assert t["share"].sum() == pytest.approx(1.0)
    assert churn_reasons(customers[customers["churn_reason"] == ""]).empty


def test_level_shares_and_prefixed() -> None:
    periods = pd.DataFrame(
        {
            "period": [0, 1, 2],
            "level_transactional": [3, 1, 0],
            "level_trust": [1, 3, 0],
            "stage_growth": [4, 4, 0],
        }
    )
    shares = level_shares(periods)
    assert list(shares.columns) == ["transactional", "trust"]
    assert shares.loc[0].tolist() == [0.75, 0.25]
    assert shares.loc[1].tolist() == [0.25, 0.75]
    assert shares.loc[2].isna().all()
    stages = prefixed(periods, "stage_")
    assert list(stages.columns) == ["growth"] and stages.index.name == "period"


def test_cost_lines_drop_unused_lines() -> None:
    periods = pd.DataFrame(
        {
            "period": [0, 1],
            "cost_cogs": [6.0, 4.0],
            "cost_loyalty": [0.0, 0.0],
            "cost_fixed": [1.0, 1.0],
        }
    )
    lines = cost_lines(periods)
    assert list(lines.columns) == ["cogs", "fixed"]
    assert lines.sum(axis=1).tolist() == [7.0, 5.0]
    assert list(cost_lines(periods, drop_zero=False).columns) == ["cogs", "loyalty", "fixed"]


def test_churned_examples_pick_readable_stories() -> None:
    nan = math.nan
    customers = _customers(
        [
            (1, "a", 0.0, 10.0, "overdrawn"),
            (2, "a", 0.0, 20.0, "overdrawn"),
            (3, "a", 0.0, 30.0, "price"),
            (4, "a", 0.0, nan, ""),
        ]
    )
    counts = {1: 20, 2: 7, 3: 2, 4: 8}
    ledger = pd.DataFrame(
        {"customer_id": [c for c, n in counts.items() for _ in range(n)], "amount": 1.0}
    )
    assert churned_examples(customers, ledger, n=2, target_entries=8) == [2, 3]
    assert churned_examples(customers, ledger, n=1, target_entries=20) == [1]
    assert churned_examples(customers, ledger.drop(columns="customer_id"), n=2) == []


def test_format_kpi_labels_units_and_missing_values() -> None:
    assert format_kpi("retention_12m", 0.5466) == (
        "Launch cohort still active after 12 months",
        "54.7 %",
        "% of cohort",
    )
    assert format_kpi("revenue", 603147.2)[1] == "603,147"
    assert format_kpi("revenue", 603147.2, "¥")[1] == "¥603,147"
    # The KPI table holds the wait in days (the clock's unit); people read it in hours.
    assert format_kpi("mean_wait", 0.1017)[1:] == ("2.44", "hours")
    assert format_kpi("mean_clv", 269.09)[1:] == ("269", "money per customer")
    assert format_kpi("active_end", 615.0)[1:] == ("615", "customers")
    assert format_kpi("satisfaction_end", 0.65254)[1:] == ("0.653", "0–1 scale")
    assert format_kpi("retention_24m", math.nan)[1] == "n/a"
    with pytest.raises(LookupError, match="not a KPI"):
        format_kpi("something_new", 2.0)


def test_every_kpi_of_a_run_has_a_plain_label(small_baseline: RunResult) -> None:
    assert list(small_baseline.kpis) == [k.name for k in KPIS]
    for metric, value in small_baseline.kpis.items():
        label, text, unit = format_kpi(metric, value)
        assert label and text and unit, metric
    assert set(CHURN_LABELS) >= {
        str(r) for r in small_baseline.customers["churn_reason"].unique() if r
    }
    # The churn mix reads in the same words as the report's "why customers left" table.
    assert {f"churn_share_{reason}" for reason in CHURN_LABELS} == set(CHURN_SHARES)
    for reason, words in CHURN_LABELS.items():
        assert format_kpi(f"churn_share_{reason}", 0.5)[0] == f"Churn caused by {words}"


# ----------------------------------------------------------------------------- figures
@pytest.mark.parametrize("key", list(FIGURES))
def test_figure_has_title_and_labelled_axes(small_baseline: RunResult, key: str) -> None:
    fig = FIGURES[key](small_baseline)
    assert isinstance(fig, Figure)
    title = fig.get_suptitle()
    assert title and ":" in title  # "what: unit"
    axes = fig.get_axes()
    assert axes
    for ax in axes:
        assert ax.get_ylabel(), f"{key}: an axis without a y label"
        assert ax.has_data()
    assert any(ax.get_xlabel() for ax in axes), f"{key}: no x label"


def _bar_heights(ax: Axes) -> list[np.ndarray]:
    return [
        np.array([p.get_height() for p in c.patches])
        for c in ax.containers
        if isinstance(c, BarContainer)
    ]


def test_economics_bars_add_up_to_the_costs(small_baseline: RunResult) -> None:
    fig = plot_economics(small_baseline)
    top = fig.get_axes()[0]
    stacked = np.sum(_bar_heights(top), axis=0)
    np.testing.assert_allclose(stacked, small_baseline.periods["costs"], rtol=1e-9)


def test_trust_waterfall_figure_ends_at_the_ledger_total(small_baseline: RunResult) -> None:
    fig = plot_trust(small_baseline)
    bars = _bar_heights(fig.get_axes()[0])
    net = bars[-1]
    total = small_baseline.ledger["amount"].sum()
    assert net[0] == pytest.approx(total)
    kpis = small_baseline.kpis
    assert total == pytest.approx(kpis["trust_deposits"] + kpis["trust_withdrawals"])
    assert np.concatenate(bars[:-1]).sum() == pytest.approx(total)


def test_churn_figure_counts_every_churned_customer(small_baseline: RunResult) -> None:
    fig = plot_churn_reasons(small_baseline)
    ax = fig.get_axes()[0]
    widths = [np.array([p.get_width() for p in c.patches]) for c in ax.containers]
    churned = int((small_baseline.customers["churn_reason"] != "").sum())
    assert int(np.sum(widths)) == churned
    assert churned == int((~small_baseline.customers["active"]).sum())


def test_ladder_figure_stacks_to_one_hundred_percent(small_baseline: RunResult) -> None:
    shares = level_shares(small_baseline.periods)
    active = small_baseline.periods["active"].to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1).to_numpy()[active > 0], 1.0)


def test_retention_curves_start_full_and_never_rise_above_the_cohort(
    small_baseline: RunResult,
) -> None:
    end = float(small_baseline.periods["end"].max())
    t = cohort_retention(small_baseline.customers, end)
    assert t.groupby("cohort")["size"].first().sum() == len(small_baseline.customers)
    assert (t["retained"] <= t["observed"]).all() and (t["observed"] <= t["size"]).all()
    first = t[t["cohort"] == 0].set_index("months")
    assert first.loc[0, "share"] == pytest.approx(1.0, abs=0.02)
    assert 0.0 <= first.loc[12, "share"] <= 1.0


# ------------------------------------------------------------------------------ report
@pytest.fixture(scope="module")
def report_dir(small_baseline: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(small_baseline, out)
    return out


def test_report_has_every_section(report_dir: Path, small_baseline: RunResult) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"id='{section}'" in html
    assert small_baseline.manifest["scenario_hash"] in html
    assert "The whole picture" in html  # the lesson
    for label in ("Headline numbers", "Why customers left", "Column reference"):
        assert label in html
    for metric in small_baseline.kpis:
        assert f"<code>{metric}</code>" in html


def test_report_embeds_and_saves_every_figure(report_dir: Path, small_baseline: RunResult) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r"src='data:image/png;base64,", html)) == len(FIGURES)
    for key in FIGURES:
        png = report_dir / f"{key}.png"
        assert png.read_bytes().startswith(PNG_MAGIC)
        assert f"id='fig-{key}'" in html
        caption = CAPTIONS[key](small_baseline)
        assert caption.endswith(".") and caption in html.replace("&#x27;", "'")
    assert "http://" not in html and "https://" not in html  # works offline


def test_report_tells_churned_customers_stories(
    report_dir: Path, small_baseline: RunResult
) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    ids = churned_examples(small_baseline.customers, small_baseline.ledger, n=2)
    assert ids
    for cid in ids:
        assert f"The story of customer {cid}" in html
        story = html.split(f"id='customer-{cid}'")[1].split("</article>")[0]
        entries = small_baseline.ledger_of(cid)
        # Every entry shown (up to the last 12) plus the churn row.
        assert story.count("<tr>") == 1 + min(len(entries), 12) + 1
        assert f"{entries['balance'].iloc[-1]:.2f}" in story
    top = churn_reasons(small_baseline.customers).index[0]
    assert CHURN_LABELS[top] in html


def test_report_escapes_user_text(small_baseline: RunResult, tmp_path: Path) -> None:
    evil = dataclasses.replace(small_baseline, manifest=copy.deepcopy(small_baseline.manifest))
    evil.manifest["scenario_name"] = "<script>alert('x')</script>"
    evil.manifest["scenario"]["lesson"] = "Fish & <b>chips</b>"
    html = render_html(evil, {})
    assert "<script>" not in html and "<b>chips</b>" not in html
    assert "&lt;script&gt;" in html and "Fish &amp; &lt;b&gt;chips&lt;/b&gt;" in html


def test_report_from_a_saved_run_is_identical(
    small_baseline: RunResult, small_baseline_dir: Path, report_dir: Path, tmp_path: Path
) -> None:
    again = write_report(RunResult.load(small_baseline_dir), tmp_path)
    assert again.read_bytes() == (report_dir / "report.html").read_bytes()


def test_report_with_an_aggregate_ledger(tmp_path: Path) -> None:
    import sim

    sc = sim.load_scenario(
        "baseline", ["population.initial=100", "horizon=6mo", "output.ledger=aggregate"]
    )
    result = sim.run(sc, seed=3)
    html = write_report(result, tmp_path).read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"id='{section}'" in html
    if (result.customers["churn_reason"] != "").any():
        assert "aggregated trust ledger" in html
    assert "The story of customer" not in html


def test_line_styles_stay_distinct_without_colour() -> None:
    from sim.report.palette import series_style

    pairs = {(series_style(i)["linestyle"], series_style(i)["marker"]) for i in range(32)}
    assert len(pairs) == 32
