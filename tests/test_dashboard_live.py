"""The dashboard's live run (sim.dashboard): stepped period by period, it is the run itself.

The contract is identity: after ``k`` steps the periods table is the first ``k`` rows of
``sim.run``'s on the same seed and engine, and stepped to the end every table is the
finished run's. The views are then checked against the tables they are cut from (flows
against the customer identity, the waterfall against the ledger, churn reasons against
the customers), a story against its customer's ledger rows, and the pair against itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import sim
from sim.dashboard import LivePair, LiveRun, Views, replicate
from sim.errors import ScenarioError, UserError

ENGINES = ("vector", "agent")
SEED = 11
#: A 300-customer copy of the baseline firm over one year: twelve periods.
SMALL = {"horizon": "1y"}


@dataclass
class Stepped:
    """A live run stepped to the end, what it showed on the way, and the run itself."""

    live: LiveRun
    result: sim.RunResult
    early: dict[int, pd.DataFrame]
    early_views: Views


def _stepped(engine: str, scenario: str = "baseline", levers: dict | None = None) -> Stepped:
    live = LiveRun.build(scenario, levers or SMALL, customers=300, seed=SEED, engine=engine)
    result = sim.run(live.scenario, SEED, engine=engine)
    early = {0: live.periods()}
    for k in range(1, 6):
        assert live.step()
        early[k] = live.periods()
    early_views = live.views()
    while live.step():
        pass
    return Stepped(live, result, early, early_views)


@pytest.fixture(scope="module", params=ENGINES)
def stepped(request: pytest.FixtureRequest) -> Stepped:
    return _stepped(request.param)


def test_periods_after_k_steps_are_the_runs_first_k_rows(stepped: Stepped) -> None:
    run = stepped.result
    assert stepped.early[0].empty
    assert list(stepped.early[0].columns) == list(run.periods.columns)
    for k in range(1, 6):
        pd.testing.assert_frame_equal(stepped.early[k], run.periods.head(k), check_exact=True)


def test_stepped_to_the_end_the_tables_are_the_runs(stepped: Stepped) -> None:
    live, run = stepped.live, stepped.result
    assert live.done and live.period == live.n_periods == len(run.periods) == 12
    pd.testing.assert_frame_equal(live.periods(), run.periods, check_exact=True)
    pd.testing.assert_frame_equal(live.customers(), run.customers, check_exact=True)
    before = live.periods()
    assert live.step() is False
    assert live.period == 12
    pd.testing.assert_frame_equal(live.periods(), before)


def test_views_agree_with_the_periods_table(stepped: Stepped) -> None:
    live, run = stepped.live, stepped.result
    v = live.views()
    p = run.periods
    flows = v.flows
    assert (flows["acquired_total"] == flows["active"] + flows["churned_total"]
            - flows["won_back_total"]).all()  # fmt: skip
    assert (flows["churned"].cumsum() == flows["churned_total"]).all()
    assert np.allclose(v.profit["cumulative_profit"], p["profit"].cumsum(), rtol=0, atol=1e-6)
    assert v.profit["cumulative_discounted_profit"].iloc[-1] == p["cum_discounted_profit"].iloc[-1]
    costs = v.profit.filter(like="cost_").sum(axis=1)
    assert np.allclose(v.profit["revenue"] - costs, v.profit["profit"], rtol=0, atol=1e-6)
    shares = v.ladder.groupby("period")["share"].sum()
    assert np.allclose(shares, 1.0)
    last = v.ladder[v.ladder["period"] == 11].set_index("level")["count"]
    assert last.sum() == p["active"].iloc[-1]
    assert v.balance["count"].sum() == p["active"].iloc[-1]
    assert v.balance["bin_left"].iloc[0] <= p["balance_p10"].iloc[-1]
    assert v.balance["bin_right"].iloc[-1] >= p["balance_p90"].iloc[-1]
    pd.testing.assert_series_equal(
        v.service["wait_mean"], p["wait_mean"], check_names=False, check_exact=True
    )
    # Views are of the run so far: after five periods they stop at period 4.
    assert stepped.early_views.flows["period"].tolist() == [0, 1, 2, 3, 4]


def test_waterfall_totals_are_the_ledger_sums(stepped: Stepped) -> None:
    v, ledger = stepped.live.views(), stepped.result.ledger
    sums = ledger.groupby("reason")["amount"].agg(["sum", "count"])
    w = v.waterfall.set_index("reason")
    for reason, row in w.iterrows():
        got = sums.loc[reason] if reason in sums.index else pd.Series({"sum": 0.0, "count": 0})
        assert row["count"] == got["count"]
        assert row["amount"] == pytest.approx(got["sum"], rel=1e-9, abs=1e-9)
        assert (row["amount"] >= 0) == (row["kind"] == "deposit") or row["amount"] == 0
    assert w["amount"][w["kind"] == "deposit"].sum() == pytest.approx(
        stepped.result.kpi("trust_deposits"), rel=1e-9
    )


def test_churn_reasons_count_the_churned_customers(stepped: Stepped) -> None:
    # The baseline has no win-back, so every churn is one customer gone for good.
    customers = stepped.result.customers
    reasons = stepped.live.views().churn_reasons.set_index("reason")["count"]
    gone = customers.loc[~customers["active"], "churn_reason"].value_counts()
    assert reasons.sum() == len(customers) - customers["active"].sum() > 0
    for name, count in reasons.items():
        assert count == gone.get(name, 0)


def test_cohorts_follow_their_customers(stepped: Stepped) -> None:
    live, customers = stepped.live, stepped.result.customers
    cohorts = live.views().cohorts
    period = live.scenario.period
    cohort_of = np.minimum(customers["acquired"] // period, 11).astype(int)
    final = cohorts[cohorts["period"] == 11].set_index("cohort")
    for c, group in customers.groupby(cohort_of):
        assert final.loc[c, "customers"] == len(group)
        assert final.loc[c, "active"] == group["active"].sum()
    assert (cohorts["age"] == cohorts["period"] - cohorts["cohort"]).all()
    first = cohorts[cohorts["age"] == 0]
    assert (first["share_active"] <= 1.0).all()


def test_a_story_is_its_customers_ledger_and_ladder(stepped: Stepped) -> None:
    live, run = stepped.live, stepped.result
    customers = run.customers.set_index("customer_id")
    churned = int(customers.index[~customers["active"]][0])
    active = int(customers.index[customers["active"]][0])
    for cid in (churned, active):
        story = live.story(cid)
        mine = run.ledger[run.ledger["customer_id"] == cid].drop(columns="customer_id")
        pd.testing.assert_frame_equal(
            story.ledger[list(mine.columns)], mine.reset_index(drop=True), check_exact=True
        )
        assert story.level == customers.loc[cid, "level"]
        moves = story.ladder_moves
        assert moves["from_level"].iloc[0] is None
        assert moves["to_level"].iloc[-1] == story.level
        assert (moves["from_level"].iloc[1:].to_numpy() == moves["to_level"].iloc[:-1]).all()
        withdrawals = story.ledger["amount"][story.ledger["amount"] < 0]
        assert [w.amount for w in story.why] == sorted(withdrawals)[: len(story.why)]
        assert len(story.sentences("en")) == 1 + max(len(story.why), 1)
        assert len(story.sentences("zh")) == len(story.sentences("en"))
    gone = live.story(churned)
    assert gone.status == "churned" and gone.churned_at is not None
    assert gone.churn_reason == customers.loc[churned, "churn_reason"] != ""
    assert all(w.time <= gone.churned_at for w in gone.why)
    here = live.story(active)
    assert here.status == "active" and here.churn_reason is None and here.churned_at is None


def test_every_customers_last_ladder_move_is_their_final_level(stepped: Stepped) -> None:
    moves = stepped.live.ladder_moves()
    last = moves.groupby("customer_id")["to_level"].last()
    final = stepped.result.customers.set_index("customer_id")["level"]
    assert last.index.tolist() == sorted(final.index)
    assert (last == final.loc[last.index]).all()


def test_an_unknown_customer_is_a_user_error_with_the_range(stepped: Stepped) -> None:
    ids = stepped.result.customers["customer_id"]
    with pytest.raises(UserError, match=f"from {ids.min()} to {ids.max()}"):
        stepped.live.story(int(ids.max()) + 1)
    with pytest.raises(UserError):
        stepped.live.story("7")  # type: ignore[arg-type]


def test_lost_key_accounts_are_the_most_valuable_churned(stepped: Stepped) -> None:
    customers = stepped.result.customers
    lost = stepped.live.lost_key_accounts(5)
    gone = customers[~customers["active"]].sort_values("clv", ascending=False)
    assert lost["customer_id"].tolist() == gone["customer_id"].head(5).tolist()
    assert (lost["churn_reason"] != "").all()
    assert lost["level"].tolist() == gone["level"].head(5).tolist()
    assert lost["clv"].is_monotonic_decreasing


def test_a_story_mid_run_stops_at_now() -> None:
    live = LiveRun.build("baseline", SMALL, customers=300, seed=SEED, engine="vector")
    for _ in range(3):
        live.step()
    story = live.story(0)
    assert story.ledger["time"].max() < 3 * live.scenario.period
    assert story.ladder_moves["period"].max() <= 2


@pytest.mark.parametrize("engine", ENGINES)
def test_win_backs_keep_the_flow_identity(engine: str) -> None:
    # Every high-value churner targeted, half of those lost to drift coming back.
    levers = {**SMALL, "strategy.win_back.min_revenue": 0,
              "strategy.win_back.response.baseline": 0.5}  # fmt: skip
    run = _stepped(engine, "win_back", levers)
    pd.testing.assert_frame_equal(run.live.periods(), run.result.periods, check_exact=True)
    flows = run.live.views().flows
    assert flows["won_back_total"].iloc[-1] > 0
    assert (flows["acquired_total"] == flows["active"] + flows["churned_total"]
            - flows["won_back_total"]).all()  # fmt: skip
    reasons = run.live.views().churn_reasons
    assert reasons["count"].sum() == flows["churned_total"].iloc[-1]
    back = run.result.customers.query("won_back > 0").iloc[0]
    story = run.live.story(int(back["customer_id"]))
    assert story.status == ("active" if back["active"] else "churned")
    assert (story.churn_reason is None) == bool(back["active"])


def test_build_refuses_what_it_cannot_run() -> None:
    with pytest.raises(ScenarioError, match=r"strategy\.pricing\.discount.*allowed"):
        LiveRun.build("baseline", {"strategy.pricing.discount": 2.0})
    start = time.perf_counter()
    with pytest.raises(UserError, match="1,000,000,000"):
        LiveRun.build("baseline", customers=10**9)
    assert time.perf_counter() - start < 5.0
    with pytest.raises(UserError, match=r"'vector', 'agent'|vector, agent"):
        LiveRun.build("baseline", engine="mesa")
    with pytest.raises(ScenarioError, match="no scenario named 'no_such_lesson'"):
        LiveRun.build("no_such_lesson")
    with pytest.raises(UserError, match="agent"):
        LiveRun.build("baseline", {"output.events": True}, customers=50, engine="vector")


def test_a_pair_of_identical_arms_differs_by_exactly_nothing() -> None:
    pair = LivePair.build("baseline", {"horizon": "6mo"}, {"horizon": "6mo"}, customers=200, seed=3)
    while pair.step():
        pass
    diff = pair.difference()
    assert sorted(diff["metric"].unique()) == sorted(
        ["profit", "cumulative_profit", "active", "balance_mean"]
    )
    assert len(diff) == 4 * pair.a.n_periods
    assert (diff["diff"] == 0.0).all()


def test_a_pair_needs_one_seed() -> None:
    a = LiveRun.build("baseline", SMALL, customers=100, seed=1)
    b = LiveRun.build("baseline", SMALL, customers=100, seed=2)
    with pytest.raises(UserError, match="one seed"):
        LivePair(a, b)


def test_replicate_gives_intervals_and_verdicts() -> None:
    world = sim.scenario.scaled(sim.load_scenario("baseline", SMALL), 200)
    budget = 2 * world.strategy.acquisition.budget_per_period
    bigger = sim.load_scenario(
        world.model_dump(mode="json"), {"strategy.acquisition.budget_per_period": budget}
    )
    metrics = ("discounted_profit", "active_end", "balance_end")
    out = replicate(world, bigger, n=3, seed=5, engine="vector", metrics=metrics)
    assert out.comparison.n == 3 and list(out.comparison.arms) == ["A", "B"]
    rows = out.verdicts
    assert rows["metric"].tolist() == list(metrics)
    assert (rows["arm"] == "B").all() and (rows["baseline"] == "A").all()
    assert np.isfinite(rows[["diff", "low", "high"]].to_numpy()).all()
    assert ((rows["low"] < rows["diff"]) & (rows["diff"] < rows["high"])).all()
    assert all(
        t.startswith(("B ", "no detectable difference between B and A")) for t in rows["verdict"]
    )
