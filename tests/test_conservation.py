"""MODEL property 11 — conservation: customers and money are never created or lost by accounting.

``hypothesis`` draws small random worlds (segment mixes, both settings, every lever on or
off) and each run must satisfy, exactly:

* flows: acquired_total = active + churned_total − won_back_total at every period end, and
  active(k) = active(k−1) + new(k) + won_back(k) − churned(k);
* money, in integer cents: revenue − Σ cost lines = profit and costs = Σ cost lines, in
  every period and in total (summary KPIs too);
* the customers table holds every customer ever acquired, churned customers carry a reason
  and active ones none, churn and win-back events add up;
* the emotional-account ledger is the running sum of its amounts with cooling in between
  (reset to neutral by a win-back);
* every table matches the documented schema.

These are identities, not statistics: any violation is a bug.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from agents.economics import COST_LINES
from agents.rules import ChurnReason, decay_balance


def _cents(x: Any) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float) * 100.0).astype(np.int64)


# --------------------------------------------------------------------------- scenarios
@st.composite
def segments(draw: st.DrawFn, contractual: bool) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 3))
    weights = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    out = []
    for i, w in enumerate(weights):
        seg: dict[str, Any] = {
            "name": f"s{i}",
            "share": w / sum(weights),
            "spend": {
                "p": draw(st.sampled_from([2.0, 6.0])),
                "q": draw(st.sampled_from([3.0, 4.0])),
                "gamma": draw(st.sampled_from([10.0, 40.0, 200.0])),
            },
            "expectation": {"mean": draw(st.sampled_from([0.4, 0.6, 0.8]))},
            "complaint_propensity": {"mean": draw(st.sampled_from([0.0, 0.3, 1.0]))},
            "preferred_contact": {"mean": draw(st.sampled_from([7.0, 30.0, 90.0]))},
            "service_interval": draw(st.sampled_from([20.0, 90.0, 365.0])),
            "initial_level": draw(
                st.sampled_from(["transactional", "collaborative", "trust", "strategic"])
            ),
            "referral_rate": draw(st.sampled_from([0.0, 2.0, 10.0])),
        }
        with_purchase = not contractual or draw(st.booleans())
        if with_purchase:
            seg["purchase"] = {
                "r": draw(st.sampled_from([0.5, 1.0, 2.0])),
                "alpha": draw(st.sampled_from([10.0, 30.0, 90.0])),
            }
        if contractual:
            seg["fee"] = draw(st.sampled_from([0.0, 9.99, 50.0]))
            seg["dropout"] = draw(
                st.sampled_from(
                    [
                        {"model": "sbg", "alpha": 1.0, "beta": 4.0},
                        {"model": "constant", "theta": 0.1},
                    ]
                )
            )
        else:
            seg["dropout"] = draw(
                st.sampled_from(
                    [
                        {"model": "bg", "a": 1.0, "b": 5.0},
                        {"model": "pareto", "s": 1.0, "beta": 200.0},
                        {"model": "constant", "theta": 0.05},
                    ]
                )
            )
        out.append(seg)
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    contractual = draw(st.booleans())
    am_count = draw(st.integers(0, 2))
    care = draw(st.booleans())
    strategy: dict[str, Any] = {
        "quality": {
            "product": draw(st.sampled_from([0.4, 0.65, 0.9])),
            "on_time": draw(st.sampled_from([0.8, 1.0])),
            "delight": draw(st.sampled_from([0.0, 0.2])),
        },
        "service": {
            "staff": draw(st.sampled_from([None, 1, 3])),
            "handling_time": draw(st.sampled_from([0.1, 1.0])),
            "first_contact_resolution": draw(st.sampled_from([0.5, 1.0])),
            "cost_per_ticket": draw(st.sampled_from([0.0, 7.77])),
        },
        "complaints": {"handling": draw(st.sampled_from(["none", "basic", "lescant"]))},
        "care_tiers": {"enabled": care and am_count > 0},
        "account_managers": {
            "count": am_count,
            "allocation": draw(st.sampled_from(["pyramid", "equal", "none"]))
            if am_count
            else "none",
            "cost_per_visit": 13.33,
        },
        "follow_up": {
            "enabled": draw(st.booleans()),
            "trigger": draw(st.sampled_from(["first_purchase", "every_purchase"])),
            "steps": [{"after": 1.0, "cost": 3.5}, {"after": 7.0, "channel": "email"}],
            "recurring": draw(st.sampled_from([None, 20.0])),
            "on_time": draw(st.sampled_from([0.5, 1.0])),
        },
        "loyalty": {"enabled": draw(st.booleans())},
        "early_warning": {
            "enabled": draw(st.booleans()),
            "threshold": draw(st.sampled_from([0.1, 0.5])),
        },
        "win_back": {
            "enabled": draw(st.booleans()),
            "delay": draw(st.sampled_from([0.0, 10.0])),
            "response": {"baseline": 0.9, "price": 0.9, "neglect": 0.9},
        },
        "acquisition": {
            "budget_per_period": draw(st.sampled_from([0.0, 2000.0])),
            "referral_conversion": draw(st.sampled_from([0.0, 0.5])),
        },
        "selection": {
            "policy": draw(st.sampled_from(["none", "migrate", "fire"])),
            "min_tenure": 0.0,
            "threshold": draw(st.sampled_from([0.0, 50.0])),
        },
        "pricing": {
            "discount": draw(st.sampled_from([0.0, 0.1])),
            "changes": draw(st.sampled_from([[], [{"at": 20.0, "to": 1.2}]])),
        },
    }
    if draw(st.integers(0, 3)) == 0:
        strategy["acquisition"]["bass"] = {"market_potential": 40, "p": 2.0, "q": 5.0}
    return {
        "name": "conservation",
        "setting": "contractual" if contractual else "noncontractual",
        "horizon": draw(st.sampled_from([45.0, 100.0, 150.0])),
        "period": draw(st.sampled_from([7.0, 30.4375])),
        "market": {
            "promotions": draw(
                st.sampled_from([[], [{"start": 10.0, "duration": 30.0, "discount": 0.3}]])
            )
        },
        "population": {
            "initial": draw(st.integers(5, 40)),
            "segments": draw(segments(contractual)),
        },
        "behaviour": {
            "enabled": draw(st.booleans()),
            "recovery_paradox": draw(st.booleans()),
            "hazard": {"max_hazard": draw(st.sampled_from([3.0, 30.0]))},
        },
        "strategy": strategy,
        "contract": {"every": draw(st.sampled_from([7.0, 30.4375]))},
        "economics": {
            "cogs_share": draw(st.sampled_from([0.0, 0.6])),
            "fixed_cost_per_period": draw(st.sampled_from([0.0, 123.45])),
        },
        "output": {"ledger": "full", "events": True},
    }


# --------------------------------------------------------------------------- checks
def _check_flows(p: pd.DataFrame) -> None:
    active = p["active"].to_numpy()
    assert (active >= 0).all()
    np.testing.assert_array_equal(
        p["acquired_total"], active + p["churned_total"] - p["won_back_total"]
    )
    prev = np.concatenate(([0], active[:-1]))
    np.testing.assert_array_equal(active, prev + p["new"] + p["won_back"] - p["churned"])
    np.testing.assert_array_equal(p["acquired_total"], np.cumsum(p["new"]))
    np.testing.assert_array_equal(p["churned_total"], np.cumsum(p["churned"]))
    np.testing.assert_array_equal(p["won_back_total"], np.cumsum(p["won_back"]))
    by_reason = sum(p[f"churned_{r.name}"] for r in ChurnReason)
    np.testing.assert_array_equal(p["churned"], by_reason)
    channels = p["new_paid"] + p["new_referral"] + p["new_bass"]
    assert (channels <= p["new"]).all()
    # Only period 0 admits the launch cohort.
    np.testing.assert_array_equal(p["new"].iloc[1:], channels.iloc[1:])


def _check_money(p: pd.DataFrame, kpis: dict[str, float]) -> None:
    revenue = _cents(p["revenue"])
    lines = np.stack([_cents(p[f"cost_{k}"]) for k in COST_LINES])
    costs = _cents(p["costs"])
    profit = _cents(p["profit"])
    np.testing.assert_array_equal(costs, lines.sum(axis=0))
    np.testing.assert_array_equal(revenue - lines.sum(axis=0), profit)
    # Totals: the sum of per-period cents and the summary KPIs.
    assert revenue.sum() - lines.sum() == profit.sum()
    assert _cents(kpis["revenue"]) == revenue.sum()
    assert _cents(kpis["costs"]) == costs.sum()
    assert _cents(kpis["profit"]) == profit.sum()
    assert (lines >= 0).all()
    np.testing.assert_allclose(p["discounted_profit"], p["profit"] * p["discount_factor"])
    np.testing.assert_allclose(p["cum_discounted_profit"], np.cumsum(p["discounted_profit"]))


def _check_customers(r: sim.RunResult) -> None:
    p, c = r.periods, r.customers
    assert len(c) == p["acquired_total"].iloc[-1]
    assert c["customer_id"].is_unique
    assert int(c["active"].sum()) == p["active"].iloc[-1]
    churned = ~c["active"]
    assert (c.loc[churned, "churn_reason"] != "").all()
    assert c.loc[churned, "churned"].notna().all()
    assert (c.loc[~churned, "churn_reason"] == "").all()
    assert c.loc[~churned, "churned"].isna().all()
    assert int(c["won_back"].sum()) == p["won_back_total"].iloc[-1]
    # Every churn event either ended a customer or was followed by a win-back.
    assert int(c["won_back"].sum() + churned.sum()) == p["churned_total"].iloc[-1]
    # Every money unit of revenue belongs to a customer.
    assert _cents(c["revenue"].sum()) == _cents(p["revenue"].sum())
    np.testing.assert_array_equal(
        c.groupby("channel").size().reindex(["paid", "referral", "bass"], fill_value=0),
        [p["new_paid"].sum(), p["new_referral"].sum(), p["new_bass"].sum()],
    )
    assert (c["frequency"] <= c["purchases"]).all()
    assert ((c["recency"] >= 0) & (c["recency"] <= c["T"] + 1e-9)).all()


def _check_ledger(r: sim.RunResult, half_life: float) -> None:
    led = r.ledger
    ev = r.events
    wins = ev[ev["event"] == "won_back"]
    resets: dict[int, list[float]] = {}
    for t, cid in zip(wins["time"], wins["customer_id"], strict=True):
        resets.setdefault(int(cid), []).append(float(t))
    for cid, rows in led.groupby("customer_id", sort=False):
        times = rows["time"].to_numpy()
        amounts = rows["amount"].to_numpy()
        balances = rows["balance"].to_numpy()
        assert (np.diff(times) >= 0).all()
        won = resets.get(int(cid), [])
        bal, last = 0.0, -np.inf
        for t, a, b in zip(times.tolist(), amounts.tolist(), balances.tolist(), strict=True):
            cooled = float(decay_balance(bal, t - last, half_life)) if last > -np.inf else 0.0
            expected = [cooled + a]
            # A win-back since the previous entry restarts the account at neutral.
            if any(last <= w <= t for w in won):
                expected.append(a)
            assert any(abs(b - e) <= 1e-9 * max(1.0, abs(b)) for e in expected), (cid, t, b)
            bal, last = b, t
    kinds = led["kind"].to_numpy()
    amounts = led["amount"].to_numpy()
    assert (amounts[kinds == "deposit"] > 0).all()
    assert (amounts[kinds == "withdrawal"] < 0).all()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
@given(spec=scenarios(), seed=st.integers(0, 2**31 - 1))
def test_conservation(spec: dict[str, Any], seed: int) -> None:
    sc = sim.load_scenario(spec)
    r = sim.run(sc, seed=seed)
    assert r.check_schema() == []
    p = r.periods
    assert len(p) == sc.n_periods
    _check_flows(p)
    _check_money(p, r.kpis)
    _check_customers(r)
    _check_ledger(r, sc.behaviour.account.half_life)
