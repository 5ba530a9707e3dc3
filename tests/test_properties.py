"""Behavioural properties of the model (MODEL.md properties 2–7 and 10).

Each property is proved twice where it can be: at the level of the pure rules in
``agents/rules.py`` (closed forms, exact), and in full simulations whose scenarios switch
everything off except the mechanism under test, so that a difference between arms can only
come from that mechanism.

Statistical hygiene: comparisons between simulated groups are one-sided z-tests whose
critical values are Bonferroni-corrected so that the *family* of claims in one test has a
false-alarm probability below 1e-3 for any seed (stated at each test). Paired tests compare
the same customers across arms run on common random numbers (same seed); unpaired ones use
different seeds so that the groups are independent. Seeds only enter through
``sim.run(..., seed=...)``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from agents.emotional_account import AccountParams
from agents.relationship import LadderParams
from agents.rules import (
    BehaviourParams,
    HazardParams,
    churn_components,
    contact_effect,
    decay_balance,
    satisfaction_step,
    tolerance,
    valence,
)
from agents.units import MAX_TIME_SCALE

ALPHA = 1e-3
B = BehaviourParams()
ACCT = AccountParams()
H = HazardParams()
LAD = LadderParams()


def z_crit(n_claims: int) -> float:
    """One-sided Bonferroni critical value: family-wise false alarm ALPHA over n claims."""
    return float(stats.norm.isf(ALPHA / n_claims))


def neutral_segment(**over: Any) -> dict[str, Any]:
    """A segment whose everyday life is emotionally neutral.

    Every customer expects exactly what the product delivers (performance = expectation,
    no spread), deliveries are on time, nobody needs the service desk or feels neglected,
    and price sensitivity is 1. Trust and satisfaction then move only through the
    mechanism a test switches on.
    """
    seg: dict[str, Any] = {
        "name": "only",
        "share": 1.0,
        "purchase": {"r": 1.0, "alpha": 30.0},
        "spend": {"p": 6.0, "q": 4.0, "gamma": 20.0},
        "dropout": {"model": "constant", "theta": 0.0},
        "expectation": {"mean": 0.6, "concentration": 0.0},
        "price_sensitivity": {"mean": 1.0, "concentration": 0.0},
        "complaint_propensity": {"mean": 0.0},
        "service_interval": 1e7,
        "preferred_contact": {"mean": 1e5, "cv": 0.0},
        "initial_satisfaction": 0.5,
    }
    seg.update(over)
    return seg


def scenario(
    segments: list[dict[str, Any]],
    n: int,
    horizon: Any,
    period: Any = "1mo",
    strategy: dict[str, Any] | None = None,
    behaviour: dict[str, Any] | None = None,
    ledger: str = "full",
) -> sim.Scenario:
    st: dict[str, Any] = {
        "quality": {"product": 0.6, "sd": 0.0, "on_time": 1.0},
        "acquisition": {"referral_conversion": 0.0},
    }
    for key, value in (strategy or {}).items():
        st[key] = {**st.get(key, {}), **value} if isinstance(value, dict) else value
    return sim.load_scenario(
        {
            "name": "property",
            "horizon": horizon,
            "period": period,
            "population": {"initial": n, "segments": segments},
            "behaviour": behaviour or {},
            "strategy": st,
            "output": {"ledger": ledger},
        }
    )


def two_prop_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """z of p2 − p1 for two independent binomial samples (pooled variance under H0)."""
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1.0 - p) * (1.0 / n1 + 1.0 / n2))
    return (x2 / n2 - x1 / n1) / se if se > 0 else math.copysign(math.inf, x2 / n2 - x1 / n1)


def paired_z(a: pd.Series, b: pd.Series) -> float:
    """z of mean(b − a) over the same customers (customers are independent pairs)."""
    d = (b.astype(float) - a.astype(float)).to_numpy()
    se = d.std(ddof=1) / math.sqrt(d.size)
    if se == 0.0:
        return 0.0 if d.mean() == 0.0 else math.copysign(math.inf, d.mean())
    return float(d.mean() / se)


# =========================================================================== 2 asymmetry
def test_asymmetry_rules() -> None:
    lam = B.loss_aversion
    d = 0.3
    assert valence(-d, lam) / valence(d, lam) == -lam
    # Satisfaction at the middle of its scale, tolerance 1 (neutral balance): the loss moves
    # it exactly λ times as far as the equal gain.
    up = satisfaction_step(0.5, valence(d, lam), B.satisfaction_rate, 1.0) - 0.5
    down = 0.5 - satisfaction_step(0.5, valence(-d, lam), B.satisfaction_rate, 1.0)
    assert down / up == pytest.approx(lam, rel=1e-12)
    # Balance: a deposit per unit of surplus and a withdrawal per unit of shortfall are the
    # same size before loss aversion, so the withdrawal is λ× the deposit.
    assert ACCT.exceeded_per_unit == ACCT.failure_per_unit
    assert (ACCT.failure_per_unit * lam * d) / (ACCT.exceeded_per_unit * d) == pytest.approx(lam)


def _disconfirmation_run(product: float, lam: float) -> sim.RunResult:
    """200 customers, each with exactly one experience: the day-0 purchase at P = product.

    Expectation 0.5 for everyone and no spread, so d = product − 0.5 exactly; no delivery
    failures, no voice (complaint propensity 0) and no grudge entry (silent withdrawal 0),
    so the only trust entry is the disconfirmation itself.
    """
    seg = neutral_segment(
        purchase={"r": 1.0, "alpha": 1e6},
        expectation={"mean": 0.5, "concentration": 0.0},
    )
    sc = scenario(
        [seg],
        200,
        horizon=1.0,
        period=1.0,
        strategy={"quality": {"product": product}},
        behaviour={"loss_aversion": lam, "account": {"silent_dissatisfaction": 0.0}},
    )
    return sim.run(sc, seed=1)


@pytest.mark.parametrize("lam", [B.loss_aversion, 1.5])
def test_asymmetry_balance_simulated(lam: float) -> None:
    gain = _disconfirmation_run(0.8, lam).ledger
    loss = _disconfirmation_run(0.2, lam).ledger
    assert set(gain["reason"]) == {"exceeded_expectation"} and len(gain) == 200
    assert set(loss["reason"]) == {"service_failure"} and len(loss) == 200
    ratio = -loss["amount"].to_numpy() / gain["amount"].to_numpy()
    # Deterministic: every customer's withdrawal is λ × the equal gain's deposit.
    np.testing.assert_allclose(ratio, lam, rtol=1e-12)


@pytest.mark.parametrize("lam", [B.loss_aversion, 1.5])
def test_asymmetry_satisfaction_simulated(lam: float) -> None:
    s0 = 0.5
    up = _disconfirmation_run(0.8, lam).customers["satisfaction"].to_numpy() - s0
    down = s0 - _disconfirmation_run(0.2, lam).customers["satisfaction"].to_numpy()
    assert (up > 0).all() and (down > 0).all()
    ratio = down / up
    # MODEL property 2: "ratio is a parameter": starting from a neutral balance, equal
    # disconfirmations move satisfaction in the ratio λ.
    np.testing.assert_allclose(
        ratio,
        lam,
        rtol=1e-9,
        err_msg=(
            "satisfaction moves λ·exp(κ·w) times more for the loss, w = the failure's own "
            "withdrawal: Customer._experience_purchase books the withdrawal before feel(), so "
            "tolerance is taken at the already-debited balance (the failure is counted twice)"
        ),
    )


# =========================================================================== 3 tolerance
def test_tolerance_rules() -> None:
    k, cap = B.tolerance, ACCT.tolerance_cap
    w = -ACCT.broken_promise
    at = {b: w * tolerance(b, k, cap) for b in (15.0, 0.0, -15.0)}
    assert abs(at[15.0]) < abs(at[0.0]) == ACCT.broken_promise < abs(at[-15.0])
    # The same failure costs less satisfaction at a high balance …
    impact = valence(-0.2, B.loss_aversion)
    sat = {
        b: satisfaction_step(0.6, impact, B.satisfaction_rate, tolerance(b, k, cap))
        for b in (15.0, 0.0, -15.0)
    }
    assert sat[15.0] > sat[0.0] > sat[-15.0]

    # … and less churn hazard afterwards (dissatisfaction + overdrawn components).
    def hazard(b: float) -> float:
        after = b + at[b]
        comps = churn_components(sat[b] - 0.2, after, 0.0, 0.5, 0.0, 1.0, H)
        return float(sum(comps))

    assert hazard(15.0) < hazard(0.0) < hazard(-15.0)
    # An overdrawn account churns far more: overdrawn hazard at −20 is > 20× that at −5.
    over = [churn_components(1.0, b, 0.0, 0.0, 0.0, 1.0, H)[1] for b in (-5.0, -20.0)]
    assert over[1] > 20.0 * over[0] > 0.0


SHOCK_DAY = 30.0
N_TOL = 2000


def _tolerance_run(group: str, seed: int, shock: bool = True, n: int = N_TOL) -> sim.RunResult:
    """One group of customers differing from the others only in their balance on day 0.

    The model has no initial-balance parameter, so the balance is set by what happened on
    day 0: ``high`` gets four kept post-sale promises (4 × (1.5 + 1.0) = +10 points),
    ``overdrawn`` two broken ones (−4 − 4·e^{0.2} ≈ −8.9), ``neutral`` nothing. Follow-up
    steps touch no satisfaction, so the groups differ in balance only. On day 30 everyone
    suffers the same failure: a 50 % price rise reversed in the same instant (a pure
    withdrawal of 20 × 0.5 × sensitivity 1 = 10 points at neutral, plus its satisfaction
    hit, leaving no lasting price gap). Nothing else happens: neutral experiences, no
    neglect, no baseline dropout, and no ladder moves (promotion thresholds out of reach).
    """
    follow: dict[str, Any] = {"enabled": False}
    if group == "high":
        follow = {"enabled": True, "steps": [{"after": 0.0, "cost": 0.0}] * 4, "on_time": 1.0}
    elif group == "overdrawn":
        follow = {"enabled": True, "steps": [{"after": 0.0, "cost": 0.0}] * 2, "on_time": 0.0}
    changes = [{"at": SHOCK_DAY, "to": 1.5}, {"at": SHOCK_DAY, "to": 1.0}] if shock else []
    sc = scenario(
        [neutral_segment()],
        n,
        horizon=210.0,
        period=30.0,
        strategy={"follow_up": follow, "pricing": {"changes": changes}},
        behaviour={"ladder": {"promote_at": [1e6, 2e6, 3e6]}},
    )
    return sim.run(sc, seed=seed)


@pytest.mark.slow
def test_tolerance_simulated() -> None:
    runs = {
        g: _tolerance_run(g, seed) for g, seed in (("high", 1), ("neutral", 2), ("overdrawn", 3))
    }
    rise, sat, churn_after, churn_all, before = {}, {}, {}, {}, {}
    kappa, cap = B.tolerance, ACCT.tolerance_cap
    for g, r in runs.items():
        led, c = r.ledger, r.customers
        hit = led[led["reason"] == "price_rise"]
        # The withdrawal is exactly the neutral size × tolerance at the balance before it.
        prior = hit["balance"].to_numpy() - hit["amount"].to_numpy()
        np.testing.assert_allclose(
            hit["amount"], -10.0 * np.asarray(tolerance(prior, kappa, cap)), rtol=1e-12
        )
        rise[g] = float(-hit["amount"].mean())
        alive_at_shock = ~(c["churned"] < SHOCK_DAY)
        before[g] = int((~alive_at_shock).sum())
        sat[g] = float(c.loc[alive_at_shock, "satisfaction"].mean())
        churn_after[g] = (int((c["churned"] >= SHOCK_DAY).sum()), int(alive_at_shock.sum()))
        churn_all[g] = (int((~c["active"]).sum()), len(c))
    # The same failure withdraws less trust at a high balance, more when overdrawn.
    assert rise["neutral"] == pytest.approx(10.0, rel=1e-12)
    assert rise["high"] < rise["neutral"] < rise["overdrawn"]
    # … and costs less satisfaction (deterministic: no other experience moves it).
    assert sat["high"] > sat["neutral"] > sat["overdrawn"]
    # Before the failure a neutral or credited account has zero churn hazard, exactly.
    assert before["high"] == before["neutral"] == 0
    crit = z_crit(2)  # two one-sided claims, independent groups (different seeds)
    z_tol = two_prop_z(*churn_after["high"], *churn_after["neutral"])
    assert z_tol > crit, f"failure at a high balance does not churn less: {churn_after}"
    z_over = two_prop_z(*churn_all["neutral"], *churn_all["overdrawn"])
    share = {g: x / n for g, (x, n) in churn_all.items()}
    assert z_over > crit and share["overdrawn"] > 3.0 * share["neutral"], share


# =========================================================================== 4 cooling
def test_cooling_rule() -> None:
    h = ACCT.half_life
    for b0 in (10.0, -10.0):
        path = [decay_balance(b0, t, h) for t in np.linspace(0.0, 5 * h, 51)]
        mags = np.abs(path)
        assert (np.diff(mags) < 0).all() and (np.sign(path) == np.sign(b0)).all()
        assert decay_balance(b0, h, h) == b0 / 2


@pytest.mark.parametrize("group", ["high", "overdrawn"])
def test_cooling_simulated(group: str) -> None:
    r = _tolerance_run(group, seed=4, shock=False, n=100)
    led, p, c = r.ledger, r.periods, r.customers
    # All entries happen on day 0; afterwards nobody interacts with the account.
    assert (led["time"] == 0.0).all() and len(led) > 0
    b0 = led.groupby("customer_id")["balance"].last()
    assert b0.nunique() == 1
    b0 = float(b0.iloc[0])
    h = ACCT.half_life
    alive = p["active"] > 0
    expect = b0 * np.exp2(-p["end"] / h)
    # Every active customer's balance has cooled exactly by 2^(−t/half-life) toward 0.
    np.testing.assert_allclose(p.loc[alive, "balance_mean"], expect[alive], rtol=1e-12)
    np.testing.assert_allclose(p.loc[alive, "balance_p10"], expect[alive], rtol=1e-12)
    np.testing.assert_allclose(p.loc[alive, "balance_p90"], expect[alive], rtol=1e-12)
    mags = np.abs(p.loc[alive, "balance_mean"].to_numpy())
    assert (np.diff(mags) < 0).all() and mags[-1] < 0.5 * abs(b0)
    stop = c["churned"].fillna(r.manifest["scenario"]["horizon"])
    np.testing.assert_allclose(c["balance"], b0 * np.exp2(-stop / h), rtol=1e-12)


# =========================================================================== 5 contact
def test_contact_optimum_rule() -> None:
    # Trust per day from contacts every g days, preferred 30: rises up to 30, falls after.
    pref = 30.0
    gaps = np.array([5.0, 7.0, 10.0, 15.0, 20.0, 25.0, 30.0, 45.0, 60.0, 120.0])
    for deposit in (ACCT.useful_information, ACCT.personalised_contact, ACCT.help_in_difficulty):
        eff = contact_effect(gaps, pref, deposit, ACCT.over_contact, ACCT.over_contact_cap)
        per_day = eff / gaps
        best = int(np.argmax(per_day))
        assert gaps[best] == pref
        assert (np.diff(per_day[: best + 1]) > 0).all() and (np.diff(per_day[best:]) < 0).all()


CADENCES = (7.0, 15.0, 30.0, 60.0, 120.0)


@pytest.mark.slow
def test_contact_optimum_simulated() -> None:
    """One care tier for everyone, every customer prefers a contact every 30 days exactly.

    Purchases are rare (one a year on average, they reset neglect too) and neutral, so
    trust comes only from the care contacts. All cadences run on the same seed (common
    random numbers: same customers, same purchase draws); the claims are paired over
    customers: final balance and tenure rise from 7 d to 30 d and fall from 30 d to 120 d.
    """
    seg = neutral_segment(
        purchase={"r": 1.0, "alpha": 365.0},
        preferred_contact={"mean": 30.0, "cv": 0.0},
        initial_satisfaction=0.7,
    )
    out = {}
    for every in CADENCES:
        tier = {"name": "only", "share": 1.0, "every": every, "owner": "automated", "cost": 0.5,
                "value": "personalised_contact"}  # fmt: skip
        sc = scenario(
            [seg],
            1500,
            horizon="2y",
            strategy={"care_tiers": {"enabled": True, "tiers": [tier]}},
            ledger="aggregate",
        )
        out[every] = sim.run(sc, seed=7).customers.set_index("customer_id")
    ids = out[30.0].index
    assert all(out[e].index.equals(ids) for e in CADENCES)
    crit = z_crit(8)  # 4 adjacent comparisons × 2 metrics, one-sided
    failures = []
    for lo, hi, sign in ((7.0, 15.0, 1), (15.0, 30.0, 1), (30.0, 60.0, -1), (60.0, 120.0, -1)):
        for metric in ("balance", "tenure"):
            z = sign * paired_z(out[lo][metric], out[hi][metric])
            better, worse = (hi, lo) if sign > 0 else (lo, hi)
            if not z > crit:
                failures.append(f"{metric}: {better:g}d not above {worse:g}d (z={z:.2f})")
    assert not failures, failures
    retained = {e: float(out[e]["active"].mean()) for e in CADENCES}
    assert max(retained, key=retained.__getitem__) == 30.0, retained


# =========================================================================== 6 complaints
N_COMPLAINTS = 6000
COMPLAINT_ARMS = ("silent", "unresolved", "resolved", "quick", "never", "paradox")


def _complaint_run(arm: str) -> pd.DataFrame:
    """Identical customers whose failures all end the same way, arm by arm.

    Customers buy about monthly; one delivery in five is late (a failure: broken promise
    plus a must-be shortfall). The arms force the aftermath: ``silent`` never complains
    (complaint propensity 0); ``unresolved`` always complains to nobody (handling none);
    ``resolved`` always complains and is always resolved (resolve 1), but after the promised
    response time (promise ~0); ``quick`` likewise but always within the promise (promise
    ∞); ``never`` has no failures at all; ``paradox`` is ``quick`` with
    ``behaviour.recovery_paradox: true``. Baseline dropout is a small, homogeneous hazard in
    *time* (Pareto/NBD with a huge shape: μ ≈ 0.15 a year for everyone), not per purchase:
    with per-purchase dropout a customer who buys more because it trusts more gets more
    chances to drop out, which would blur the very loyalty being measured. Everything else
    is neutral, so the arms differ only in the complaint outcome. All arms run on one seed
    (common random numbers).
    """
    seg = neutral_segment(
        purchase={"r": 2.0, "alpha": 60.0},
        dropout={"model": "pareto", "s": 1000.0, "beta": 1000.0 * 365.25 / 0.15},
        complaint_propensity={"mean": 0.0 if arm == "silent" else 1.0},
        initial_satisfaction=0.7,
    )
    promise = 1e6 if arm in ("quick", "paradox", "never") else 1e-6
    strategy = {
        "quality": {"on_time": 1.0 if arm == "never" else 0.8},
        "service": {"staff": None, "handling_time": 0.1, "promise": promise},
        "complaints": {
            "handling": "none" if arm == "unresolved" else "basic",
            "resolve": {"basic": 1.0, "lescant": 1.0},
        },
    }
    sc = scenario(
        [seg],
        N_COMPLAINTS,
        horizon="1y",
        strategy=strategy,
        behaviour={"recovery_paradox": arm == "paradox"},
        ledger="aggregate",
    )
    r = sim.run(sc, seed=11)
    p = r.periods
    reasons = set(r.ledger["reason"])
    if arm == "silent":
        assert p["complaints"].sum() == 0 and p["silent_failures"].sum() > 0
    elif arm == "never":
        assert p["failures"].sum() == 0
    elif arm == "unresolved":
        assert p["complaints"].sum() > 0 and p["complaints_resolved"].sum() == 0
    else:
        # Every complaint handled is resolved (a few are still open at the horizon or
        # their customer left before the outcome), quick exactly in the quick arms.
        resolved = p["complaints_resolved"].sum()
        assert 0.95 * p["complaints"].sum() < resolved <= p["complaints"].sum()
        assert "unresolved_complaint" not in reasons
        quick = p["complaints_quick"].sum()
        assert quick == (resolved if arm in ("quick", "paradox") else 0)
    return r.customers.set_index("customer_id")


@pytest.mark.slow
def test_complaint_outcomes_ordering() -> None:
    c = {arm: _complaint_run(arm) for arm in COMPLAINT_ARMS}
    # Five one-sided paired claims on retention (share still active after a year).
    # Bonferroni with an uneven split keeps the family's false alarm below 1e-3: 1e-6 for
    # "resolution beats no resolution" (measured z ≈ 16), the rest shared by the other four
    # (z > 3.48).
    claims = [
        ("silent", "unresolved", "voicing a complaint, even unresolved, beats silence"),
        ("unresolved", "resolved", "resolution beats no resolution"),
        ("resolved", "quick", "quick resolution beats slow resolution"),
        ("quick", "never", "recovery offsets a failure only partly (default)"),
        ("never", "paradox", "recovery paradox when switched on"),
    ]
    crit_strong = float(stats.norm.isf(1e-6))
    crit_rest = float(stats.norm.isf((ALPHA - 1e-6) / 4))
    stats_ = {arm: (float(c[arm]["active"].mean()), float(c[arm]["frequency"].mean())) for arm in c}
    failures = []
    for worse, better, claim in claims:
        # Loyalty is retention, except for the paradox: a never-failed customer's behavioural
        # churn hazard is already ~0 (every component is floored at a neutral state), so
        # surplus trust cannot lower it further; it shows as repurchase (ladder wallet),
        # the other loyalty measure MODEL.md names ("repurchase/retention").
        col = "frequency" if better == "paradox" else "active"
        z = paired_z(c[worse][col], c[better][col])
        crit = crit_strong if better == "resolved" else crit_rest
        if not z > crit:
            k = 1 if col == "frequency" else 0
            failures.append(
                f"{claim}: {col} {better} {stats_[better][k]:.3f} vs {worse} "
                f"{stats_[worse][k]:.3f} (paired z={z:.2f} ≤ {crit:.2f})"
            )
    assert not failures, f"{failures}; (retention, repeat purchases) by arm: {stats_}"


# =========================================================================== 7 ladder
LEVELS = ("transactional", "collaborative", "trust", "strategic")
N_LADDER = 6000


@pytest.mark.slow
def test_ladder_levels_churn_less_and_buy_more() -> None:
    """Four segments identical except ``initial_level`` (1,500 customers each).

    Experiences are neutral, so no trust entry ever moves anyone off their rung. Churn has a
    baseline (θ = 2 % per repeat purchase, scaled by the level's hazard multiplier) and a
    behavioural part (neglect: customers want a touch every 10 days and only purchases touch
    them). Purchase rate is measured as repeat purchases per unit of λ·tenure (the
    level's share-of-wallet multiplier, exactly, by optional stopping).
    """
    seg = neutral_segment(
        purchase={"r": 2.0, "alpha": 60.0},
        dropout={"model": "constant", "theta": 0.02},
        preferred_contact={"mean": 10.0, "cv": 0.0},
        initial_satisfaction=0.7,
        service_interval=MAX_TIME_SCALE,  # a need every 270,000 years: almost never
    )
    segs = [{**seg, "name": lv, "share": 0.25, "initial_level": lv} for lv in LEVELS]
    c = sim.run(scenario(segs, N_LADDER, horizon="2y", ledger="aggregate"), seed=13).customers
    # Nobody moved, so all else stays equal — but for the rare customer whose need for the
    # desk came up after all (0.04 expected here), whose ticket moved their trust.
    moved = c["level"] != c["segment"]
    assert moved.sum() <= 3 and (c.loc[moved, "cost_to_serve"] > 0).all()
    g = {lv: c[c["segment"] == lv] for lv in LEVELS}
    # Six one-sided claims (3 adjacent pairs × churn, purchase rate). Bonferroni with an
    # uneven split: 1e-6 to each purchase-rate claim (their z is > 20) and the rest of the
    # 1e-3 budget shared by the three retention claims (z > 3.14).
    crit_buy = float(stats.norm.isf(1e-6))
    crit = float(stats.norm.isf((ALPHA - 3e-6) / 3))
    failures = []
    wallet = {}
    for lv in LEVELS:
        x = g[lv]
        exposure = float((x["lam"] * x["tenure"]).sum())
        freq = float(x["frequency"].sum())
        wallet[lv] = (freq / exposure, math.sqrt(freq) / exposure)  # Poisson se
    for lo, hi in itertools.pairwise(LEVELS):
        z_ret = two_prop_z(
            int(g[lo]["active"].sum()), len(g[lo]), int(g[hi]["active"].sum()), len(g[hi])
        )
        if not z_ret > crit:
            failures.append(f"{hi} does not churn less than {lo} (z={z_ret:.2f})")
        (w1, s1), (w2, s2) = wallet[lo], wallet[hi]
        z_buy = (w2 - w1) / math.hypot(s1, s2)
        if not z_buy > crit_buy:
            failures.append(f"{hi} does not buy more than {lo} (z={z_buy:.2f})")
    assert not failures, failures
    # The measured multipliers are the ladder's wallet table (5 % relative tolerance:
    # each estimate's se is < 1 %, so this holds with overwhelming probability).
    for i, lv in enumerate(LEVELS):
        assert wallet[lv][0] == pytest.approx(LAD.wallet[i], rel=0.05)


# =========================================================================== 10 pyramid
N_PYRAMID = 2000
EQUAL_CADENCE = 270.0  # days between visits per customer under the equal split


def _pyramid_run(concentrated: bool, allocation: str) -> pd.DataFrame:
    """Key-account management with scarce account-manager time.

    Customers are homogeneous within segments (purchase rate and mean spend vary by ~14 %),
    all want a contact every 30 days, experiences are neutral and there is no baseline
    dropout, so AM visits (help-in-difficulty deposits) are the only lever: they build
    trust, lift customers up the ladder (share of wallet, switching cost) and keep neglect
    away. Capacity: two AMs with enough hours for one 2-hour visit per customer every 270
    days under an equal split; the 10 %/60 % pyramid gives its top band 6× that (a visit
    every 45 days). ``concentrated``: a key segment of 10 % of customers spends 20× more
    per purchase (≈ 69 % of revenue); otherwise both segments are identical (flat value).
    Both allocations run on one seed (common random numbers).
    """
    seg = neutral_segment(
        purchase={"r": 50.0, "alpha": 1500.0},
        spend={"p": 6.0, "q": 50.0, "gamma": 40.0 * 49.0 / 6.0},
        preferred_contact={"mean": 30.0, "cv": 0.0},
        initial_satisfaction=0.7,
    )
    key = {**seg, "name": "key", "share": 0.1}
    if concentrated:
        key["spend"] = {**seg["spend"], "gamma": 20.0 * seg["spend"]["gamma"]}
    rest = {**seg, "name": "rest", "share": 0.9}
    hours = 2.0 * N_PYRAMID / EQUAL_CADENCE * 7.0  # AM hours per week, in total
    sc = scenario(
        [key, rest],
        N_PYRAMID,
        horizon="3y",
        strategy={
            "account_managers": {
                "count": 2,
                "hours_per_week": hours / 2.0,
                "hours_per_visit": 2.0,
                "allocation": allocation,
            }
        },
        ledger="aggregate",
    )
    r = sim.run(sc, seed=17)
    c = r.customers.set_index("customer_id")
    c.attrs["profit"] = r.kpis["profit"]
    return c


@pytest.mark.slow
def test_pyramid_beats_equal_only_when_value_is_concentrated() -> None:
    crit = z_crit(2)  # two one-sided claims
    out = {}
    for concentrated in (True, False):
        pyr = _pyramid_run(concentrated, "pyramid")
        eq = _pyramid_run(concentrated, "equal")
        # Salaries and fixed costs are the same under both allocations, so the profit
        # difference is the sum of per-customer (margin − cost to serve) differences.
        contrib_p = pyr["margin"] - pyr["cost_to_serve"]
        contrib_e = eq["margin"] - eq["cost_to_serve"]
        delta = pyr.attrs["profit"] - eq.attrs["profit"]
        assert delta == pytest.approx(float((contrib_p - contrib_e).sum()), abs=1.0)
        out[concentrated] = (delta, paired_z(contrib_e, contrib_p))
    (d_conc, z_conc), (d_flat, z_flat) = out[True], out[False]
    # Concentrated value: the pyramid earns significantly more (paired over customers).
    assert d_conc > 0 and z_conc > crit, (
        f"pyramid does not beat equal: Δ={d_conc:.0f}, z={z_conc:.2f}"
    )
    # Flat value: it does not (not significantly better; measured: equal ahead).
    assert z_flat < crit, f"pyramid beats equal on flat value: Δ={d_flat:.0f}, z={z_flat:.2f}"
