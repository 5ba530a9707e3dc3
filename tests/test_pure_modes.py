"""The pure modes against their closed forms (MODEL properties 1, 8, 9, 11-money, 12).

With ``behaviour.enabled: false`` the simulation must *be* the textbook models:

* non-contractual purchasing/dropout is BG/NBD (or Pareto/NBD): fitting the model to the
  simulated ``customers`` table recovers the true parameters (likelihood-ratio test), and a
  wrong truth is rejected;
* contractual renewals are shifted-beta-geometric: the day-0 cohort's survival matches
  ``S(t) = B(α, β+t)/B(α, β)`` renewal by renewal, retention rises with tenure because of
  sorting, and is flat when dropout is homogeneous;
* pure referral-driven acquisition follows Bass diffusion;
* constant margin and retention give the closed-form CLV, and a 5-point cut in defections
  raises discounted profit by the closed-form ratio;
* the service desk is an M/M/c queue (Erlang C), and with unbounded staff nobody waits.

Statistical hygiene: every assertion that depends on chance is a test whose false-alarm
probability under a correct model is at most 1e-3 *for any seed* (bound stated at each
assertion), and seeds enter only through ``sim.run(..., seed=...)``.
"""

from __future__ import annotations

import math
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter
from scipy import stats
from scipy.sparse import diags
from scipy.sparse.linalg import expm_multiply

import sim

sys.path.insert(0, str(Path(__file__).resolve().parent))

from theory import (
    bass_cumulative,
    clv_constant,
    holm,
    lrt_bgnbd,
    lrt_pareto,
    mmc_mean_wait,
    mmc_utilisation,
    mmc_wait_tail,
    sbg_lrt,
    sbg_retention,
    sbg_survival,
)

YEAR = 365.25
MONTH = YEAR / 12.0
ALPHA = 1e-3  # family-wise false-alarm budget of every statistical test in this module

BG_TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5}  # alpha in days
PARETO_TRUE = {"r": 0.5, "alpha": 20.0, "s": 0.8, "beta": 200.0}  # alpha, beta in days
SBG_TRUE = (1.0, 3.0)  # (alpha, beta) of θ ~ Beta
N_BTYD = 4000

QUIET = {"output": {"ledger": "aggregate"}}


def _pure(setting: str, segment: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A one-segment pure-mode scenario: behaviour off, no referrals, no service costs."""
    seg = {
        "name": "only",
        "share": 1.0,
        "spend": {"p": 6.0, "q": 4.0, "gamma": 20.0},
        "service_interval": 1e7,
        **segment,
    }
    strategy = {
        "service": {"staff": None, "cost_per_ticket": 0.0},
        "acquisition": {"referral_conversion": 0.0},
    }
    spec: dict[str, Any] = {
        "name": "pure",
        "setting": setting,
        "behaviour": {"enabled": False},
        "population": {"initial": N_BTYD, "segments": [seg]},
        "strategy": strategy,
        **QUIET,
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            merged = dict(spec[key])
            for k2, v2 in value.items():
                if isinstance(v2, dict) and isinstance(merged.get(k2), dict):
                    merged[k2] = {**merged[k2], **v2}
                else:
                    merged[k2] = v2
            spec[key] = merged
        else:
            spec[key] = value
    return spec


#: Both engines must pass every closed-form test of this module.
ENGINES = ("agent", "vector")
engines = pytest.mark.parametrize("engine", ENGINES)


@cache
def _customers(kind: str, seed: int, engine: str = "agent") -> pd.DataFrame:
    """The customers table of one cached pure-mode run (shared by several tests)."""
    if kind == "bg":
        spec = _pure(
            "noncontractual",
            {
                "purchase": {"r": BG_TRUE["r"], "alpha": BG_TRUE["alpha"]},
                "dropout": {"model": "bg", "a": BG_TRUE["a"], "b": BG_TRUE["b"]},
            },
            horizon="1y",
            period="3mo",
        )
    elif kind == "pareto":
        spec = _pure(
            "noncontractual",
            {
                "purchase": {"r": PARETO_TRUE["r"], "alpha": PARETO_TRUE["alpha"]},
                "dropout": {"model": "pareto", "s": PARETO_TRUE["s"], "beta": PARETO_TRUE["beta"]},
            },
            horizon="1y",
            period="3mo",
        )
    elif kind == "sbg":
        spec = _pure(
            "contractual",
            {"fee": 10.0, "dropout": {"model": "sbg", "alpha": SBG_TRUE[0], "beta": SBG_TRUE[1]}},
            horizon="24.5mo",
            period="1mo",
        )
    elif kind == "constant":
        spec = _pure(
            "contractual",
            {"fee": 10.0, "dropout": {"model": "constant", "theta": THETA_FLAT}},
            horizon="24.5mo",
            period="1mo",
        )
    else:  # pragma: no cover - programming error
        raise KeyError(kind)
    return sim.run(sim.load_scenario(spec), seed=seed, engine=engine).customers


# =========================================================================== BG/NBD
def _lifetimes_lrt(c: pd.DataFrame, truth: dict[str, float]) -> tuple[float, float, dict]:
    """LRT of a BG/NBD truth with the MLE from ``lifetimes.BetaGeoFitter`` (time in years).

    The log-likelihood is a density in the purchase times, so changing the time unit shifts
    both sides of the ratio by the same constant: the statistic is unit-free.
    """
    x = c["frequency"].to_numpy(dtype=float)
    tx = c["recency"].to_numpy() / YEAR
    age = c["T"].to_numpy() / YEAR
    fitter = BetaGeoFitter().fit(x, tx, age)
    w = np.ones_like(x)
    nll = BetaGeoFitter._negative_log_likelihood
    ll_hat = -nll(np.log(fitter.params_.to_numpy()), x, tx, age, w, 0.0) * x.size
    p0 = [truth["r"], truth["alpha"] / YEAR, truth["a"], truth["b"]]
    ll_0 = -nll(np.log(p0), x, tx, age, w, 0.0) * x.size
    stat = max(0.0, 2.0 * (ll_hat - ll_0))
    fitted = fitter.params_.to_dict()
    fitted["alpha"] *= YEAR
    return stat, float(stats.chi2.sf(stat, 4)), fitted


@pytest.mark.slow
@engines
def test_bgnbd_is_exact_lrt_does_not_reject_truth(engine: str) -> None:
    c = _customers("bg", 11, engine)
    assert len(c) == N_BTYD and (c["T"] == YEAR).all()
    stat, p, fitted = _lifetimes_lrt(c, BG_TRUE)
    # Under H0 the LRT statistic is χ²(4): P(p ≤ 1e-3) = 1e-3 for any seed.
    assert p > ALPHA, f"BG/NBD LRT rejects the truth: stat={stat:.2f}, p={p:.2e}, fit={fitted}"
    # Cross-check lifetimes' MLE against the independent fit in tests/theory.py (same data):
    # both maximise the same likelihood, so the statistics agree up to optimiser tolerance.
    stat_theory, _ = lrt_bgnbd(c["frequency"], c["recency"], c["T"], BG_TRUE)
    assert stat == pytest.approx(stat_theory, abs=0.05)


@pytest.mark.slow
def test_bgnbd_lrt_rejects_a_wrong_truth() -> None:
    c = _customers("bg", 11)
    wrong = {**BG_TRUE, "alpha": 1.5 * BG_TRUE["alpha"]}  # purchase rate 1/3 lower
    stat, p, _ = _lifetimes_lrt(c, wrong)
    # Power: at n = 4000 the statistic is ≈ 230 (measured), so p < 1e-3 fails with
    # negligible probability; the test proves the LRT above could have rejected.
    assert p < ALPHA, f"wrong truth not rejected: stat={stat:.2f}"


@pytest.mark.slow
@engines
def test_pareto_nbd_is_exact(engine: str) -> None:
    c = _customers("pareto", 12, engine)
    assert len(c) == N_BTYD
    stat, p = lrt_pareto(c["frequency"], c["recency"], c["T"], PARETO_TRUE)
    # χ²(4) under H0: false alarm exactly 1e-3.
    assert p > ALPHA, f"Pareto/NBD LRT rejects the truth: stat={stat:.2f}, p={p:.2e}"
    wrong = {**PARETO_TRUE, "beta": 2.0 * PARETO_TRUE["beta"]}  # mean lifetime × 2
    stat_w, p_w = lrt_pareto(c["frequency"], c["recency"], c["T"], wrong)
    assert p_w < ALPHA, f"wrong Pareto truth not rejected: stat={stat_w:.2f}"
    # Death is observable in the simulation: lifetimes are exponential with rate μ.
    dead = c["churned"].notna()
    assert (c.loc[dead, "churn_reason"] == "baseline").all()


# =========================================================================== sBG
THETA_FLAT = 0.2
K_RENEWALS = 24  # renewals strictly inside the 24.5-month horizon


def _cohort(c: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(survivors after renewal t, lost at renewal t) for t = 1..K of the day-0 cohort."""
    cohort = c[c["channel"] == "initial"]
    k = np.rint(cohort["churned"].to_numpy() / MONTH)
    gone = ~np.isnan(k)
    # Cancellation is observed exactly at a renewal (a whole number of contract periods).
    np.testing.assert_allclose(cohort["churned"].to_numpy()[gone], k[gone] * MONTH, atol=1e-6)
    lost = np.array([np.count_nonzero(k == t) for t in range(1, K_RENEWALS + 1)])
    assert np.count_nonzero(gone) == lost.sum()  # nobody leaves outside renewals 1..K
    survivors = len(cohort) - np.cumsum(lost)
    return survivors, lost


def _binom_p(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.array(
        [stats.binomtest(int(a), int(b), float(q)).pvalue for a, b, q in zip(k, n, p, strict=True)]
    )


@pytest.mark.slow
@engines
def test_sbg_survival_matches_closed_form(engine: str) -> None:
    c = _customers("sbg", 21, engine)
    survivors, lost = _cohort(c)
    n = len(c)
    t = np.arange(1, K_RENEWALS + 1)
    s_true = np.asarray(sbg_survival(*SBG_TRUE, t))
    # Each S_obs(t) ~ Binomial(n, S(t)) exactly (customers are i.i.d.); Holm over the 24
    # renewals keeps the family-wise false-alarm rate ≤ 1e-3 whatever their dependence.
    adj = holm(_binom_p(survivors, np.full(t.size, n), s_true))
    worst = int(np.argmin(adj))
    assert adj.min() > ALPHA, (
        f"survival off at renewal {t[worst]}: {survivors[worst] / n:.4f} vs {s_true[worst]:.4f}"
    )
    # Conditional retention at renewal t given survival to t−1 is Binomial(n_{t−1}, 1−r(t)).
    at_risk = np.concatenate(([n], survivors[:-1]))
    adj_r = holm(_binom_p(lost, at_risk, 1.0 - np.asarray(sbg_retention(*SBG_TRUE, t))))
    assert adj_r.min() > ALPHA
    # Likelihood-ratio test of (α, β) on the cohort table: χ²(2), false alarm 1e-3.
    stat, p = sbg_lrt((survivors, lost), *SBG_TRUE)
    assert p > ALPHA, f"sBG LRT rejects the truth: stat={stat:.2f}"
    stat_w, p_w = sbg_lrt((survivors, lost), SBG_TRUE[0], 2.0 * SBG_TRUE[1])
    assert p_w < ALPHA, f"wrong sBG truth not rejected: stat={stat_w:.2f}"


def _early_late_z(survivors: np.ndarray, lost: np.ndarray, n: int) -> float:
    """z of pooled retention at renewals 13..24 minus renewals 1..3 (two proportions)."""
    at_risk = np.concatenate(([n], survivors[:-1]))
    early, late = slice(0, 3), slice(12, 24)
    n1, n2 = at_risk[early].sum(), at_risk[late].sum()
    r1 = 1.0 - lost[early].sum() / n1
    r2 = 1.0 - lost[late].sum() / n2
    pooled = 1.0 - (lost[early].sum() + lost[late].sum()) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    return (r2 - r1) / se


@pytest.mark.slow
def test_heterogeneity_sorting_retention_rises_with_tenure() -> None:
    c = _customers("sbg", 21)
    survivors, lost = _cohort(c)
    z = _early_late_z(survivors, lost, len(c))
    # Closed form: r(1..3) = 0.75, 0.80, 0.83 vs r(13..24) ≈ 0.94–0.96; measured z ≈ 20.
    # One-sided test at 1e-3 (z > 3.09): the rise is real, not noise.
    assert z > stats.norm.isf(ALPHA), f"retention does not rise with tenure (z={z:.2f})"
    r = 1.0 - lost / np.concatenate(([len(c)], survivors[:-1]))
    assert r[12:].mean() > r[:3].mean() + 0.1


@pytest.mark.slow
def test_homogeneous_dropout_retention_stays_flat() -> None:
    c = _customers("constant", 22)
    survivors, lost = _cohort(c)
    n = len(c)
    at_risk = np.concatenate(([n], survivors[:-1]))
    # Two checks at 5e-4 each (Bonferroni, total 1e-3):
    # (a) every renewal's cancellations are Binomial(at risk, θ) (Holm over 24 renewals);
    adj = holm(_binom_p(lost, at_risk, np.full(K_RENEWALS, THETA_FLAT)))
    assert adj.min() > ALPHA / 2
    # (b) no trend: late vs early pooled retention differ by less than z_{1−2.5e-4}.
    z = _early_late_z(survivors, lost, n)
    assert abs(z) < stats.norm.isf(ALPHA / 4), f"homogeneous retention drifts (z={z:.2f})"


# =========================================================================== Bass
BASS = {"market_potential": 500, "p": 0.03, "q": 0.38}  # per year (Bass 1969 averages)
BASS_REPS = 30


def _bass_exact_mean(m: int, p: float, q: float, times: np.ndarray) -> np.ndarray:
    """Exact mean adopters of the finite-M stochastic Bass process (Kolmogorov equations).

    The simulation is the pure-birth chain with rates (M − n)(p + q n/M); its mean differs
    from the deterministic Bass curve M·F(t) by an O(1) finite-population term, which we
    compute exactly instead of hiding it in a tolerance.
    """
    n = np.arange(m + 1, dtype=float)
    rate = (m - n) * (p + q * n / m)
    gen = diags([-rate, rate[:-1]], [0, -1], format="csc")  # dP/dt = gen @ P
    p0 = np.zeros(m + 1)
    p0[0] = 1.0
    out = []
    for t in times:
        out.append(float(expm_multiply(gen * t, p0) @ n))
    return np.array(out)


@pytest.mark.slow
def test_bass_diffusion_tracks_closed_form() -> None:
    spec = _pure(
        "contractual",
        {"fee": 1.0, "dropout": {"model": "constant", "theta": 0.0}},
        horizon="8y",
        period="1y",
        contract={"every": "10y"},
        population={"initial": 0},
        strategy={"acquisition": {"bass": BASS}},
    )
    sc = sim.load_scenario(spec)
    runs = [sim.run(sc, seed=1000 + i).periods for i in range(BASS_REPS)]
    adopters = np.array([p["acquired_total"].to_numpy() for p in runs], dtype=float)
    assert all((p["new"] == p["new_bass"]).all() for p in runs)
    times = runs[0]["end"].to_numpy() / YEAR
    m, p, q = BASS["market_potential"], BASS["p"], BASS["q"]
    curve = np.asarray(bass_cumulative(times, p, q, m))
    exact = _bass_exact_mean(m, p, q, times)
    # The finite-M correction is small next to the sampling error (< 0.6 % of M).
    assert np.abs(exact - curve).max() < 0.006 * m
    mean = adopters.mean(axis=0)
    se = adopters.std(axis=0, ddof=1) / math.sqrt(BASS_REPS)
    # One-sample t-test per year (replications are independent), Holm over the 8 years:
    # family-wise false alarm ≤ 1e-3. The hypothesis is the exact process mean; the
    # closed-form curve is within |exact − curve| of it (asserted just above).
    tstat = (mean - exact) / se
    adj = holm(2.0 * stats.t.sf(np.abs(tstat), BASS_REPS - 1))
    assert adj.min() > ALPHA, f"Bass mean off: sim {mean.round(1)} vs closed form {curve.round(1)}"
    # And it is the Bass curve, not another S-curve: without imitation (q = 0) the same
    # years would have (1 − e^{−pt})·M adopters, far below.
    no_imitation = m * (1.0 - np.exp(-p * times))
    assert (mean[3:] > no_imitation[3:] + 10 * se[3:]).all()


# =========================================================================== CLV
FEE = 50.0
DISCOUNT = 0.10
N_CLV = 2000
CLV_HORIZON_MONTHS = 120


def _clv_run(theta: float, seed: int) -> sim.RunResult:
    spec = _pure(
        "contractual",
        {"fee": FEE, "dropout": {"model": "constant", "theta": theta}},
        horizon=f"{CLV_HORIZON_MONTHS}mo",
        period="1mo",
        economics={"cogs_share": 0.0, "discount_rate": DISCOUNT, "fixed_cost_per_period": 0.0},
        population={"initial": N_CLV},
    )
    return sim.run(sim.load_scenario(spec), seed=seed)


def _clv_closed_form(theta: float) -> float:
    """E[CLV] with the fee paid at acquisition and at each renewal before the horizon.

    Per-period discount d_m = (1 + d)^(1/12) − 1; CLV∞ = m(1 + d_m)/(1 + d_m − r) and the
    horizon truncates the geometric series after K renewals: × (1 − x^(K+1)),
    x = r/(1 + d_m). K = 119 (renewals at months 1..119 < 120).
    """
    d_m = (1.0 + DISCOUNT) ** (1.0 / 12.0) - 1.0
    x = (1.0 - theta) / (1.0 + d_m)
    return clv_constant(FEE, 1.0 - theta, d_m) * (1.0 - x**CLV_HORIZON_MONTHS)


@pytest.mark.slow
def test_clv_closed_form_and_five_point_defection_cut() -> None:
    z_crit = stats.norm.isf(ALPHA / 4)  # two two-sided tests, 5e-4 each
    means = {}
    dps = {}
    for theta, seed in ((0.10, 31), (0.05, 32)):  # different seeds: independent samples
        r = _clv_run(theta, seed)
        c, p = r.customers, r.periods
        assert (p["costs"] == 0.0).all()  # degenerate mode: margin = fee, nothing else
        # Money reconciles exactly (property 11, money part): every fee paid is revenue
        # and profit, to the cent, period by period and customer by customer.
        cents = np.rint(p[["revenue", "profit"]].to_numpy() * 100).astype(np.int64)
        np.testing.assert_array_equal(cents[:, 0], p["renewals"].to_numpy() * int(FEE * 100))
        np.testing.assert_array_equal(cents[:, 0], cents[:, 1])
        assert round(c["revenue"].sum() * 100) == cents[:, 0].sum()
        np.testing.assert_allclose(c["revenue"], c["margin"])
        clv = c["clv"].to_numpy()
        cf = _clv_closed_form(theta)
        se = clv.std(ddof=1) / math.sqrt(clv.size)
        z = (clv.mean() - cf) / se
        assert abs(z) < z_crit, f"θ={theta}: mean CLV {clv.mean():.2f} vs {cf:.2f} (z={z:.2f})"
        # Money arrives at period starts and is discounted at mid-period, so the books'
        # discounted profit is exactly Σ CLV × (1 + d)^(−1/24).
        factor = (1.0 + DISCOUNT) ** (-1.0 / 24.0)
        assert r.kpis["discounted_profit"] == pytest.approx(clv.sum() * factor, rel=1e-9)
        means[theta] = (clv.mean(), se)
        dps[theta] = r.kpis["discounted_profit"]
    # Cutting defections from 10 % to 5 % a month: closed-form ratio of discounted profit
    # (0.10 + d_m)/(0.05 + d_m) ≈ 1.86 (untruncated); with truncation:
    ratio_cf = _clv_closed_form(0.05) / _clv_closed_form(0.10)
    assert 1.8 < ratio_cf < 1.9
    ratio = dps[0.05] / dps[0.10]
    # Implied by the two z-bounds above (joint false alarm ≤ 1e-3):
    (m1, s1), (m2, s2) = means[0.10], means[0.05]
    lo = (m2 - z_crit * s2) / (m1 + z_crit * s1)
    hi = (m2 + z_crit * s2) / (m1 - z_crit * s1)
    assert lo <= ratio_cf <= hi
    assert ratio > 1.5, f"5-point defection cut raises discounted profit only ×{ratio:.2f}"


# =========================================================================== M/M/c
MMC_N = 1000  # customers, each raising tickets at rate 1/interval: Poisson superposition
MMC_LAMBDA = 8.0  # tickets per day in total
MMC_HANDLING = 0.25  # days (μ = 4 per day per agent)
MMC_STAFF = 3  # ρ = 2/3
MMC_PROMISE = 0.05  # days; the share waiting longer is the Erlang C tail at 0.05
MMC_REPS = 12


def _desk_spec(staff: int | None, horizon: str) -> dict[str, Any]:
    return _pure(
        "noncontractual",
        {
            "purchase": {"r": 1.0, "alpha": 1e5},
            "dropout": {"model": "constant", "theta": 0.0},  # nobody ever churns
            "service_interval": MMC_N / MMC_LAMBDA,
        },
        horizon=horizon,
        period="1mo",
        population={"initial": MMC_N},
        strategy={
            "service": {
                "staff": staff,
                "handling_time": MMC_HANDLING,
                "first_contact_resolution": 1.0,
                "promise": MMC_PROMISE,
            }
        },
    )


@pytest.mark.slow
@engines
def test_service_desk_is_erlang_c(engine: str) -> None:
    sc = sim.load_scenario(_desk_spec(MMC_STAFF, "2y"))
    waits, utils, tails, counts = [], [], [], []
    for i in range(MMC_REPS):
        p = sim.run(sc, seed=2000 + i, engine=engine).periods
        assert (p["churned"] == 0).all()
        # Warm-up: the desk starts empty; at ρ = 2/3 it relaxes within hours, so dropping
        # the first month removes the transient entirely.
        p = p.iloc[1:]
        n = p["tickets"].to_numpy()
        waits.append(float((p["wait_mean"] * n).sum() / n.sum()))
        utils.append(float(p["utilisation"].mean()))
        tails.append(float(p["waits_over_promise"].sum() / n.sum()))
        counts.append(n.sum())
    lam, mu, c = MMC_LAMBDA, 1.0 / MMC_HANDLING, MMC_STAFF
    expected = {
        "wait": mmc_mean_wait(lam, mu, c),
        "utilisation": mmc_utilisation(lam, mu, c),
        "tail": float(mmc_wait_tail(lam, mu, c, MMC_PROMISE)),
    }
    measured = {"wait": waits, "utilisation": utils, "tail": tails}
    # Replications are independent: a t-test per quantity with R−1 = 11 df, Bonferroni
    # over the three at 1e-3 in total (|t| < t_{11, 1−1/6000} = 5.12).
    t_crit = stats.t.isf(ALPHA / 6, MMC_REPS - 1)
    for name, values in measured.items():
        x = np.asarray(values)
        t = (x.mean() - expected[name]) / (x.std(ddof=1) / math.sqrt(x.size))
        assert abs(t) < t_crit, f"{name}: {x.mean():.4f} vs Erlang C {expected[name]:.4f}"
    # Sanity of the arrival process: Poisson(λ·days) tickets per replication.
    days = sc.horizon - sc.period
    z = (np.mean(counts) - lam * days) / math.sqrt(lam * days / MMC_REPS)
    assert abs(z) < 4.0  # P(|z| > 4) ≈ 6e-5


@engines
def test_unbounded_desk_nobody_waits(engine: str) -> None:
    # Heavy load (λ = 8/day × 2-day handling: 16 tickets in service on average).
    spec = _desk_spec(None, "3mo")
    spec["strategy"]["service"]["handling_time"] = 2.0
    r = sim.run(sim.load_scenario(spec), seed=5, engine=engine)
    p = r.periods
    assert p["tickets"].sum() > 500
    assert (p["wait_mean"] == 0.0).all()
    assert (p["wait_p90"] == 0.0).all()
    assert (p["waits_over_promise"] == 0).all()
    assert p["utilisation"].isna().all()
    assert (p["cost_service_staff"] == 0.0).all()
