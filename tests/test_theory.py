"""Tests proving the reference closed forms and checks in ``theory.py`` correct.

Every check is either an exact/published value, an independent numerical
computation (quadrature, ODE solver, brute-force sums, exact enumeration) or a
seeded simulation whose tolerance (p > 1e-4 or 5 standard errors) would hold for
any seed with a false-alarm rate well below 1e-3.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats
from theory import (
    BGNBD_PARAM_NAMES,
    PARETO_PARAM_NAMES,
    bass_cumulative,
    bgnbd_loglik,
    bgnbd_loglik_individual,
    binom_interval,
    clv_constant,
    erlang_c,
    fit_bgnbd,
    fit_pareto,
    fit_sbg,
    holm,
    ks_2samp_p,
    lrt_bgnbd,
    lrt_pareto,
    mmc_mean_wait,
    mmc_utilisation,
    mmc_wait_tail,
    pareto_loglik,
    pareto_loglik_individual,
    sbg_loglik,
    sbg_lrt,
    sbg_retention,
    sbg_survival,
    simulate_bgnbd,
    simulate_pareto,
    simulate_sbg,
    welch_z,
)

P_MIN = 1e-4  # "not tiny" threshold for p-values under a true null
BG_TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5}  # alpha in days
PARETO_TRUE = {"r": 0.5, "alpha": 20.0, "s": 0.8, "beta": 200.0}  # alpha, beta in days


def chi2_gof_pvalue(
    observed: np.ndarray, expected: np.ndarray, min_expected: float = 10.0
) -> float:
    """Pearson chi-square p-value after pooling adjacent cells to expectations >= min_expected.

    Cells are pooled left to right; a short remainder joins the last full bin.
    """
    obs_bins: list[float] = []
    exp_bins: list[float] = []
    o_acc = e_acc = 0.0
    for o, e in zip(observed.astype(float), expected.astype(float), strict=True):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= min_expected:
            obs_bins.append(o_acc)
            exp_bins.append(e_acc)
            o_acc = e_acc = 0.0
    obs_bins[-1] += o_acc
    exp_bins[-1] += e_acc
    o_arr, e_arr = np.array(obs_bins), np.array(exp_bins)
    stat = float(np.sum((o_arr - e_arr) ** 2 / e_arr))
    return float(stats.chi2.sf(stat, len(e_arr) - 1))


# ---------------------------------------------------------------------------
# 1. shifted-beta-geometric
# ---------------------------------------------------------------------------

# Fader & Hardie (2007), "How to project customer retention", cohorts of 1000.
FH_REGULAR = np.array([631, 468, 382, 326, 289, 262, 241])
FH_HIGH_END = np.array([869, 743, 653, 593, 551, 517, 491])


def _lost(survivors: np.ndarray, n0: int = 1000) -> np.ndarray:
    return -np.diff(np.r_[n0, survivors])


def test_sbg_survival_exact_values():
    # Beta(1, 1) churn probability: S(t) = B(1, 1 + t) / B(1, 1) = 1 / (1 + t).
    t = np.arange(0, 50)
    np.testing.assert_allclose(sbg_survival(1.0, 1.0, t), 1.0 / (1.0 + t), rtol=1e-12)
    assert sbg_survival(0.7, 1.2, 0) == pytest.approx(1.0)
    assert isinstance(sbg_survival(0.7, 1.2, 3), float)
    # Beta(2, 1): S(t) = B(2, 1+t)/B(2, 1) = 2 / ((t+1)(t+2)).
    assert sbg_survival(2.0, 1.0, 3) == pytest.approx(2.0 / 20.0, rel=1e-12)


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (3.0, 0.5)])
def test_sbg_survival_matches_quadrature(alpha, beta):
    # S(t) = E[(1 - theta)^t], theta ~ Beta(alpha, beta), integrated numerically.
    for t in (0, 1, 2, 5, 12):
        expected, _ = integrate.quad(
            lambda th, t=t: (1 - th) ** t * stats.beta.pdf(th, alpha, beta), 0, 1, limit=200
        )
        assert sbg_survival(alpha, beta, t) == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_sbg_retention_is_survival_ratio_and_closed_form():
    alpha, beta = 0.704, 1.182
    t = np.arange(1, 30)
    ratio = sbg_survival(alpha, beta, t) / sbg_survival(alpha, beta, t - 1)
    np.testing.assert_allclose(sbg_retention(alpha, beta, t), ratio, rtol=1e-12)
    # r(1) = beta / (alpha + beta) is the mean retention of the Beta prior.
    assert sbg_retention(alpha, beta, 1) == pytest.approx(beta / (alpha + beta))
    assert np.all(np.diff(sbg_retention(alpha, beta, t)) > 0)


def test_sbg_rejects_bad_inputs():
    with pytest.raises(ValueError):
        sbg_survival(1.0, 1.0, 1.5)
    with pytest.raises(ValueError):
        sbg_survival(1.0, 1.0, -1)
    with pytest.raises(ValueError):
        sbg_retention(1.0, 1.0, 0)
    with pytest.raises(ValueError):
        sbg_survival(-1.0, 1.0, 1)
    with pytest.raises(ValueError):  # lost counts inconsistent with survivors
        sbg_loglik(1.0, 1.0, [600, 500], [400, 50])


def test_sbg_loglik_against_survival_differences():
    alpha, beta = 0.9, 2.1
    lost = _lost(FH_REGULAR)
    surv = sbg_survival(alpha, beta, np.arange(0, 8))
    expected = float(
        np.sum(lost * np.log(surv[:-1] - surv[1:])) + FH_REGULAR[-1] * np.log(surv[-1])
    )
    assert sbg_loglik(alpha, beta, FH_REGULAR, lost) == pytest.approx(expected, rel=1e-12)
    # Cohort size first is accepted and equivalent.
    with_n0 = np.r_[1000, FH_REGULAR]
    assert sbg_loglik(alpha, beta, with_n0, lost) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "loglik"),
    [(FH_REGULAR, 0.704, 1.182, -1680.3), (FH_HIGH_END, 0.668, 3.806, -1611.2)],
)
def test_fit_sbg_reproduces_fader_hardie_2007(survivors, alpha, beta, loglik):
    fit = fit_sbg(survivors, _lost(survivors))
    assert fit.params["alpha"] == pytest.approx(alpha, abs=1e-3)
    assert fit.params["beta"] == pytest.approx(beta, abs=1e-3)
    assert fit.loglik == pytest.approx(loglik, abs=0.05)
    # It is a maximum: nearby points are worse.
    for da, db in [(1.01, 1), (0.99, 1), (1, 1.01), (1, 0.99)]:
        worse = sbg_loglik(alpha * da, beta * db, survivors, _lost(survivors))
        assert worse < fit.loglik


def test_simulate_sbg_survival_curve():
    alpha, beta, n, k = 0.8, 1.5, 40_000, 10
    survived, lost = simulate_sbg(n, alpha, beta, k, np.random.default_rng(11))
    np.testing.assert_array_equal(n - np.cumsum(lost), survived)
    s = sbg_survival(alpha, beta, np.arange(1, k + 1))
    se = np.sqrt(s * (1 - s) / n)
    assert np.all(np.abs(survived / n - s) < 5 * se)


def test_sbg_lrt_accepts_truth_rejects_wrong():
    alpha, beta = 0.8, 1.5
    survived, lost = simulate_sbg(3000, alpha, beta, 8, np.random.default_rng(5))
    stat, p = sbg_lrt((survived, lost), alpha, beta)
    assert stat >= 0
    assert p > P_MIN
    assert p == pytest.approx(stats.chi2.sf(stat, 2))  # 2 free parameters
    fit = fit_sbg(survived, lost)
    ll0 = sbg_loglik(alpha, beta, survived, lost)
    assert stat == pytest.approx(2 * (fit.loglik - ll0), abs=1e-6)
    _, p_wrong = sbg_lrt((survived, lost), alpha, 2 * beta)
    assert p_wrong < 1e-6


# ---------------------------------------------------------------------------
# 2. BG/NBD and Pareto/NBD
# ---------------------------------------------------------------------------


def bgnbd_lik_by_quadrature(params, x, tx, T):
    """BG/NBD individual likelihood integrating the conditional one over lambda and p.

    Conditional: L = (1-p)^x lam^x e^{-lam T} + [x>0] p (1-p)^(x-1) lam^x e^{-lam tx};
    each term factorises into a lambda and a p expectation, done by 1-d quadrature.
    """
    r, alpha, a, b = params

    def e_lam(u):
        # Gamma(r, rate alpha) density without its lam^(r-1) factor, which QUADPACK's
        # algebraic weight handles exactly near 0 (r < 1 makes the density singular).
        const = r * math.log(alpha) - special.gammaln(r)
        f = lambda lam: lam**x * np.exp(const - lam * (u + alpha))  # noqa: E731
        cut = 1.0 / alpha
        head = integrate.quad(f, 0, cut, weight="alg", wvar=(r - 1, 0), epsabs=0, epsrel=1e-12)[0]
        g = lambda lam: f(lam) * lam ** (r - 1)  # noqa: E731
        tail = integrate.quad(g, cut, np.inf, limit=400, epsabs=0, epsrel=1e-12)[0]
        return head + tail

    def e_p(f):
        return integrate.quad(lambda p: f(p) * stats.beta.pdf(p, a, b), 0, 1, limit=400)[0]

    lik = e_p(lambda p: (1 - p) ** x) * e_lam(T)
    if x > 0:
        lik += e_p(lambda p: p * (1 - p) ** (x - 1)) * e_lam(tx)
    return lik


def pareto_lik_by_quadrature(params, x, tx, T):
    """Pareto/NBD individual likelihood from the death-time representation.

    Given lam, mu: L = lam^x e^{-(lam+mu)T} + int_{tx}^{T} lam^x e^{-lam u} mu e^{-mu u} du.
    Averaging over the independent Gamma priors, E[lam^x e^{-lam u}] and E[e^{-mu u}],
    E[mu e^{-mu u}] are elementary Gamma integrals, leaving a 1-d quadrature in u.
    This avoids the hypergeometric closed form entirely.
    """
    r, alpha, s, beta = params

    def lam_part(u):
        return math.exp(
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * math.log(alpha)
            - (r + x) * math.log(alpha + u)
        )

    def survive(u):
        return (beta / (beta + u)) ** s

    def die_density(u):
        return s * beta**s / (beta + u) ** (s + 1)

    tail, _ = integrate.quad(lambda u: lam_part(u) * die_density(u), tx, T, epsabs=0, epsrel=1e-11)
    return lam_part(T) * survive(T) + tail


CUSTOMERS = [(0, 0.0, 30.0), (1, 2.0, 30.0), (3, 29.0, 30.0), (7, 12.5, 52.0), (2, 0.3, 5.0)]


@pytest.mark.parametrize(
    "params", [(1.3, 4.0, 1.5, 2.5), (0.24, 4.4, 0.79, 2.4), (2.0, 40.0, 3.0, 1.2)]
)
def test_bgnbd_loglik_matches_quadrature(params):
    for x, tx, T in CUSTOMERS:
        expected = math.log(bgnbd_lik_by_quadrature(params, x, tx, T))
        got = bgnbd_loglik_individual(params, x, tx, T)[0]
        assert got == pytest.approx(expected, rel=1e-7, abs=1e-8)


@pytest.mark.parametrize(
    "params",
    [(0.55, 10.6, 0.61, 11.7), (1.5, 3.0, 1.2, 40.0), (0.8, 30.0, 2.0, 5.0), (1.0, 7.0, 0.9, 7.0)],
)
def test_pareto_loglik_matches_quadrature(params):
    # Covers alpha < beta, alpha > beta and alpha == beta branches of the closed form.
    for x, tx, T in CUSTOMERS:
        expected = math.log(pareto_lik_by_quadrature(params, x, tx, T))
        got = pareto_loglik_individual(params, x, tx, T)[0]
        assert got == pytest.approx(expected, rel=1e-7, abs=1e-8)


def test_loglik_accepts_mapping_and_sums_individuals():
    x, tx, T = np.array([0, 2, 5]), np.array([0.0, 3.0, 20.0]), np.array([25.0, 25.0, 30.0])
    bg = dict(zip(BGNBD_PARAM_NAMES, (0.4, 5.0, 0.9, 2.0), strict=True))
    assert bgnbd_loglik(bg, x, tx, T) == pytest.approx(
        float(np.sum(bgnbd_loglik_individual((0.4, 5.0, 0.9, 2.0), x, tx, T)))
    )
    pa = dict(zip(PARETO_PARAM_NAMES, (0.4, 5.0, 0.9, 8.0), strict=True))
    assert pareto_loglik(pa, x, tx, T) == pytest.approx(
        float(np.sum(pareto_loglik_individual((0.4, 5.0, 0.9, 8.0), x, tx, T)))
    )


def test_purchase_data_validation():
    with pytest.raises(ValueError):
        bgnbd_loglik(BG_TRUE, [1], [40.0], [30.0])  # recency > T
    with pytest.raises(ValueError):
        bgnbd_loglik(BG_TRUE, [0], [3.0], [30.0])  # recency without purchases
    with pytest.raises(ValueError):
        pareto_loglik(PARETO_TRUE, [1.5], [3.0], [30.0])  # non-integer frequency
    with pytest.raises(ValueError):
        bgnbd_loglik((1.0, 2.0, 3.0), [1], [3.0], [30.0])  # wrong number of params


@pytest.fixture(scope="module")
def cdnow():
    from lifetimes.datasets import load_cdnow_summary

    d = load_cdnow_summary(index_col=[0])
    return d["frequency"].to_numpy(), d["recency"].to_numpy(), d["T"].to_numpy()


def test_bgnbd_loglik_matches_lifetimes(cdnow):
    from lifetimes import BetaGeoFitter

    x, tx, T = cdnow
    params = np.array([0.3, 5.0, 0.7, 2.0])
    mean_nll = BetaGeoFitter._negative_log_likelihood(
        np.log(params), x, tx, T, np.ones_like(x), 0.0
    )
    assert bgnbd_loglik(params, x, tx, T) == pytest.approx(-mean_nll * x.size, rel=1e-10)


def test_fit_bgnbd_reproduces_published_cdnow(cdnow):
    # Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4 (weeks).
    x, tx, T = cdnow
    fit = fit_bgnbd(x, tx, T)
    expected = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for k, v in expected.items():
        assert fit.params[k] == pytest.approx(v, abs=2e-3)
    assert fit.loglik == pytest.approx(-9582.4, abs=0.1)
    assert fit.loglik == pytest.approx(bgnbd_loglik(fit.params, x, tx, T))


def test_fit_pareto_reproduces_published_cdnow(cdnow):
    # Fader & Hardie Pareto/NBD note: r=0.553, alpha=10.578, s=0.606, beta=11.669, LL=-9595.0.
    x, tx, T = cdnow
    fit = fit_pareto(x, tx, T)
    expected = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for k, v in expected.items():
        assert fit.params[k] == pytest.approx(v, rel=2e-3)
    assert fit.loglik == pytest.approx(-9595.0, abs=0.1)


def test_fit_bgnbd_time_unit_invariance(cdnow):
    # Weeks -> days -> hours: alpha scales with the unit, shape parameters do not, and the
    # log-likelihood (a density in purchase times) shifts by -sum(x) log(scale).
    x, tx, T = cdnow
    weeks = fit_bgnbd(x, tx, T)
    for scale in (7.0, 168.0):
        other = fit_bgnbd(x, tx * scale, T * scale)
        assert other.params["alpha"] == pytest.approx(weeks.params["alpha"] * scale, rel=1e-4)
        for k in ("r", "a", "b"):
            assert other.params[k] == pytest.approx(weeks.params[k], rel=1e-4)
        assert other.loglik == pytest.approx(weeks.loglik - x.sum() * math.log(scale), abs=1e-4)


def test_fit_pareto_time_unit_invariance(cdnow):
    x, tx, T = cdnow
    weeks = fit_pareto(x, tx, T)
    days = fit_pareto(x, tx * 7, T * 7)
    for k in ("alpha", "beta"):
        assert days.params[k] == pytest.approx(weeks.params[k] * 7, rel=1e-3)
    for k in ("r", "s"):
        assert days.params[k] == pytest.approx(weeks.params[k], rel=1e-3)
    assert days.loglik == pytest.approx(weeks.loglik - x.sum() * math.log(7), abs=1e-3)


def test_fits_at_least_as_good_as_lifetimes():
    from lifetimes import BetaGeoFitter

    rng = np.random.default_rng(3)
    x, tx, T = simulate_bgnbd(1500, **BG_TRUE, T=rng.uniform(100, 400, 1500), rng=rng)
    ours = fit_bgnbd(x, tx, T)
    theirs = BetaGeoFitter().fit(x, tx, T).params_
    ll_theirs = bgnbd_loglik(dict(theirs), x, tx, T)
    assert ours.loglik >= ll_theirs - 1e-6
    for k in BGNBD_PARAM_NAMES:
        assert ours.params[k] == pytest.approx(theirs[k], rel=2e-2)


def literal_bgnbd(n, r, alpha, a, b, T, rng):
    """Event-by-event BG/NBD simulation: exponential gaps, a coin flip after each purchase."""
    x = np.zeros(n, dtype=int)
    tx = np.zeros(n)
    for i in range(n):
        lam, p, t = rng.gamma(r, 1 / alpha), rng.beta(a, b), 0.0
        while True:
            t += rng.exponential(1 / lam)
            if t > T:
                break
            x[i], tx[i] = x[i] + 1, t
            if rng.random() < p:
                break
    return x, tx


def literal_pareto(n, r, alpha, s, beta, T, rng):
    """Event-by-event Pareto/NBD simulation: exponential gaps until min(lifetime, T)."""
    x = np.zeros(n, dtype=int)
    tx = np.zeros(n)
    for i in range(n):
        lam, mu = rng.gamma(r, 1 / alpha), rng.gamma(s, 1 / beta)
        end, t = min(rng.exponential(1 / mu), T), 0.0
        while True:
            t += rng.exponential(1 / lam)
            if t > end:
                break
            x[i], tx[i] = x[i] + 1, t
    return x, tx


@pytest.mark.parametrize(
    ("fast", "literal", "params"),
    [(simulate_bgnbd, literal_bgnbd, BG_TRUE), (simulate_pareto, literal_pareto, PARETO_TRUE)],
)
def test_generators_match_event_by_event_simulation(fast, literal, params):
    n, T = 4000, 365.0
    x_fast, tx_fast, T_fast = fast(n, **params, T=T, rng=np.random.default_rng(21))
    x_lit, tx_lit = literal(n, **params, T=T, rng=np.random.default_rng(22))
    assert np.all(T_fast == T)
    assert np.all((tx_fast >= 0) & (tx_fast <= T)) and np.all(tx_fast[x_fast == 0] == 0)
    # KS with ties (frequency) is conservative, so the false-alarm rate stays below P_MIN.
    assert ks_2samp_p(x_fast, x_lit) > P_MIN
    assert ks_2samp_p(tx_fast[x_fast > 0], tx_lit[x_lit > 0]) > P_MIN
    assert ks_2samp_p(tx_fast[x_fast > 0] / T, tx_lit[x_lit > 0] / T) > P_MIN


def test_simulate_bgnbd_frequency_distribution():
    # FHL (2005) eq. 8: P(X(t)=x) = B(a,b+x)/B(a,b) NB(x) + [x>0] B(a+1,b+x-1)/B(a,b) NB_sf(x-1),
    # with NB the negative binomial (r, alpha/(alpha+t)) count of a never-dying customer.
    r, alpha, a, b = (BG_TRUE[k] for k in BGNBD_PARAM_NAMES)
    n, t = 20_000, 365.0
    x, _, _ = simulate_bgnbd(n, r, alpha, a, b, t, np.random.default_rng(8))
    k = np.arange(0, 400)
    nb = stats.nbinom(r, alpha / (alpha + t))
    pmf = np.exp(special.betaln(a, b + k) - special.betaln(a, b)) * nb.pmf(k)
    k1 = np.maximum(k, 1)
    dead = np.exp(special.betaln(a + 1, b + k1 - 1) - special.betaln(a, b)) * nb.sf(k1 - 1)
    pmf = pmf + np.where(k > 0, dead, 0.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-6)
    counts = np.bincount(np.minimum(x, k[-1]), minlength=k.size)
    assert chi2_gof_pvalue(counts, n * pmf) > P_MIN


def test_simulate_pareto_mean_and_zero_probability():
    r, alpha, s, beta = (PARETO_TRUE[k] for k in PARETO_PARAM_NAMES)
    n, t = 20_000, 365.0
    x, _, _ = simulate_pareto(n, r, alpha, s, beta, t, np.random.default_rng(9))
    # E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (Schmittlein et al. 1987).
    mean = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
    assert abs(x.mean() - mean) < 5 * x.std(ddof=1) / math.sqrt(n)
    # P(X(t)=0) = E[exp(-lam min(tau, t))], via the death-time integral.
    p0 = pareto_lik_by_quadrature((r, alpha, s, beta), 0, 0.0, t)
    phat = np.mean(x == 0)
    assert abs(phat - p0) < 5 * math.sqrt(p0 * (1 - p0) / n)


def test_lrt_bgnbd_accepts_truth_and_rejects_wrong():
    rng = np.random.default_rng(2024)
    x, tx, T = simulate_bgnbd(3000, **BG_TRUE, T=rng.uniform(180, 720, 3000), rng=rng)
    stat, p = lrt_bgnbd(x, tx, T, BG_TRUE)
    assert stat >= 0 and p > P_MIN
    assert p == pytest.approx(stats.chi2.sf(stat, 4))  # 4 free parameters
    fit = fit_bgnbd(x, tx, T)
    assert stat == pytest.approx(2 * (fit.loglik - bgnbd_loglik(BG_TRUE, x, tx, T)), abs=1e-4)
    for k, v in BG_TRUE.items():  # loose sanity band; the LRT is the real check
        assert 0.5 * v < fit.params[k] < 2 * v
    _, p_wrong = lrt_bgnbd(x, tx, T, dict(BG_TRUE, alpha=BG_TRUE["alpha"] * 1.5))
    assert p_wrong < 1e-6
    _, p_wrong = lrt_bgnbd(x, tx, T, dict(BG_TRUE, b=BG_TRUE["b"] * 2.5))
    assert p_wrong < 1e-6


def test_lrt_pareto_accepts_truth_and_rejects_wrong():
    rng = np.random.default_rng(2025)
    x, tx, T = simulate_pareto(3000, **PARETO_TRUE, T=rng.uniform(180, 720, 3000), rng=rng)
    stat, p = lrt_pareto(x, tx, T, PARETO_TRUE)
    assert stat >= 0 and p > P_MIN
    assert p == pytest.approx(stats.chi2.sf(stat, 4))  # 4 free parameters
    _, p_wrong = lrt_pareto(x, tx, T, dict(PARETO_TRUE, beta=PARETO_TRUE["beta"] * 3))
    assert p_wrong < 1e-6


def test_lrt_statistic_is_time_unit_invariant():
    rng = np.random.default_rng(77)
    x, tx, T = simulate_bgnbd(1000, **BG_TRUE, T=rng.uniform(180, 720, 1000), rng=rng)
    stat_days, _ = lrt_bgnbd(x, tx, T, BG_TRUE)
    stat_weeks, _ = lrt_bgnbd(x, tx / 7, T / 7, dict(BG_TRUE, alpha=BG_TRUE["alpha"] / 7))
    assert stat_weeks == pytest.approx(stat_days, abs=1e-4)


@pytest.mark.slow
def test_lrt_bgnbd_pvalues_are_uniform_under_the_null():
    rng = np.random.default_rng(99)
    pvalues = []
    for _ in range(40):
        x, tx, T = simulate_bgnbd(1000, **BG_TRUE, T=rng.uniform(180, 720, 1000), rng=rng)
        pvalues.append(lrt_bgnbd(x, tx, T, BG_TRUE)[1])
    assert stats.kstest(pvalues, "uniform").pvalue > P_MIN


# ---------------------------------------------------------------------------
# 3. M/M/c
# ---------------------------------------------------------------------------


def test_erlang_c_textbook_values():
    assert erlang_c(2.0, 1.0, 3) == pytest.approx(4 / 9, rel=1e-12)
    assert mmc_mean_wait(2.0, 1.0, 3) == pytest.approx(4 / 9, rel=1e-12)
    assert mmc_utilisation(2.0, 1.0, 3) == pytest.approx(2 / 3)
    # M/M/1: C = rho, Wq = rho / (mu - lambda).
    assert erlang_c(0.6, 1.0, 1) == pytest.approx(0.6)
    assert mmc_mean_wait(0.6, 1.0, 1) == pytest.approx(0.6 / 0.4)
    # M/M/2 with a = 1: C = (1/2 * 2) / (1 + 1 + 1) = 1/3.
    assert erlang_c(1.0, 1.0, 2) == pytest.approx(1 / 3)
    assert mmc_wait_tail(2.0, 1.0, 3, 0.0) == pytest.approx(4 / 9)
    assert mmc_wait_tail(2.0, 1.0, 3, 1.0) == pytest.approx(4 / 9 * math.exp(-1.0))


def test_erlang_c_matches_direct_sum():
    for c in (1, 2, 5, 10, 40):
        for rho in (0.1, 0.5, 0.9, 0.99):
            a = rho * c
            top = a**c / math.factorial(c) / (1 - rho)
            direct = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
            assert erlang_c(a * 1.7, 1.7, c) == pytest.approx(direct, rel=1e-10)


def test_mmc_unstable_and_invalid():
    assert erlang_c(3.0, 1.0, 3) == 1.0
    assert mmc_mean_wait(4.0, 1.0, 3) == math.inf
    with pytest.raises(ValueError):
        erlang_c(1.0, 1.0, 0)
    with pytest.raises(ValueError):
        erlang_c(1.0, -1.0, 2)


def simulate_mmc_waits(lam, mu, c, n, rng):
    """FCFS M/M/c: each arrival takes the earliest-free of c servers (Kiefer-Wolfowitz)."""
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    services = rng.exponential(1 / mu, n)
    free = [0.0] * c
    waits = np.empty(n)
    for i in range(n):
        start = max(arrivals[i], free[0])
        waits[i] = start - arrivals[i]
        heapq.heapreplace(free, start + services[i])
    return waits


def batch_mean_and_se(values, batches=40):
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    return means.mean(), means.std(ddof=1) / math.sqrt(batches)


@pytest.mark.parametrize(("lam", "mu", "c"), [(2.0, 1.0, 3), (0.5, 1.0, 1), (7.0, 2.0, 5)])
def test_mmc_against_simulation(lam, mu, c):
    waits = simulate_mmc_waits(lam, mu, c, 200_000, np.random.default_rng(int(lam * 10 + c)))
    waits = waits[5000:]  # warm-up from an empty system
    # Batch means: batches of ~5000 customers are far longer than the correlation time, and
    # a t(39) exceeding 5 has probability ~1e-5.
    for values, expected in [
        (waits, mmc_mean_wait(lam, mu, c)),
        ((waits > 0).astype(float), erlang_c(lam, mu, c)),
        ((waits > 1.0).astype(float), mmc_wait_tail(lam, mu, c, 1.0)),
    ]:
        mean, se = batch_mean_and_se(values)
        assert abs(mean - expected) < 5 * se


# ---------------------------------------------------------------------------
# 4. Bass diffusion
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "q", "m"), [(0.03, 0.38, 1000.0), (0.01, 0.0, 50.0), (0.2, 0.9, 1.0)]
)
def test_bass_matches_ode(p, q, m):
    ts = np.linspace(0, 40, 81)
    sol = integrate.solve_ivp(
        lambda _t, n: (p + q * n / m) * (m - n),
        (0, 40),
        [0.0],
        t_eval=ts,
        rtol=1e-11,
        atol=1e-12 * m,
    )
    np.testing.assert_allclose(bass_cumulative(ts, p, q, m), sol.y[0], rtol=1e-7, atol=1e-9 * m)


def test_bass_limits_and_peak():
    p, q, m = 0.03, 0.38, 1000.0
    assert bass_cumulative(0.0, p, q, m) == 0.0
    assert bass_cumulative(500.0, p, q, m) == pytest.approx(m)
    # Adoption rate peaks at t* = ln(q/p) / (p+q).
    t_star = math.log(q / p) / (p + q)
    h = 1e-3
    rate = lambda t: (bass_cumulative(t + h, p, q, m) - bass_cumulative(t - h, p, q, m)) / (2 * h)  # noqa: E731
    assert rate(t_star) > rate(t_star - 0.5) and rate(t_star) > rate(t_star + 0.5)
    # F(t*) = 1/2 - p/(2q).
    assert bass_cumulative(t_star, p, q, m) / m == pytest.approx(0.5 - p / (2 * q), rel=1e-10)


# ---------------------------------------------------------------------------
# 5. CLV
# ---------------------------------------------------------------------------


def test_clv_known_values():
    assert clv_constant(100.0, 0.8, 0.1, paid_at_start=True) == pytest.approx(100 * 1.1 / 0.3)
    assert clv_constant(100.0, 0.8, 0.1, paid_at_start=False) == pytest.approx(100 * 0.8 / 0.3)
    assert clv_constant(10.0, 0.0, 0.05) == pytest.approx(10.0)  # one payment only
    assert clv_constant(10.0, 0.0, 0.05, paid_at_start=False) == 0.0
    with pytest.raises(ValueError):
        clv_constant(10.0, 1.0, 0.0)
    with pytest.raises(ValueError):
        clv_constant(10.0, 1.2, 0.5)


@settings(max_examples=60, deadline=None)
@given(
    margin=st.floats(0.1, 1000.0),
    retention=st.floats(0.0, 0.97),
    discount=st.floats(0.0, 0.5),
)
def test_clv_matches_brute_force_sum(margin, retention, discount):
    t = np.arange(0, 3000)
    per_period = margin * (retention / (1 + discount)) ** t
    start = clv_constant(margin, retention, discount, paid_at_start=True)
    end = clv_constant(margin, retention, discount, paid_at_start=False)
    assert start == pytest.approx(per_period.sum(), rel=1e-9)  # t = 0, 1, 2, ...
    assert end == pytest.approx(per_period[1:].sum(), rel=1e-9, abs=1e-9)  # t = 1, 2, ...
    assert start - end == pytest.approx(margin, rel=1e-9)


# ---------------------------------------------------------------------------
# 6. statistical helpers
# ---------------------------------------------------------------------------


def test_welch_z_known_value_and_scipy():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0]
    # means 2.5 and 4; variances 5/3 and 4; se = sqrt(5/12 + 4/3) = sqrt(7/4).
    assert welch_z(a, b) == pytest.approx(-1.5 / math.sqrt(7 / 4), rel=1e-12)
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, 50), rng.normal(0.3, 2, 80)
    assert welch_z(x, y) == pytest.approx(stats.ttest_ind(x, y, equal_var=False).statistic)
    assert welch_z([1, 1], [1, 1]) == 0.0
    assert welch_z([2, 2], [1, 1]) == math.inf


def test_welch_z_is_standard_normal_under_null():
    rng = np.random.default_rng(12)
    # Unequal variances and sizes (Welch's case); Welch's t has ~500 df here, so its
    # distance from N(0, 1) is far below what a 2000-draw KS test can see.
    z = [welch_z(rng.normal(3, 1, 400), rng.normal(3, 3, 300)) for _ in range(2000)]
    assert stats.kstest(z, "norm").pvalue > P_MIN


def test_binom_interval_known_values():
    z2 = stats.norm.isf(0.025) ** 2
    assert binom_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    lo, hi = binom_interval(0, 10, method="clopper-pearson")
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025**0.1, rel=1e-10)
    lo, hi = binom_interval(10, 10, method="exact")
    assert hi == 1.0 and lo == pytest.approx(0.025**0.1, rel=1e-10)
    with pytest.raises(ValueError):
        binom_interval(11, 10)
    with pytest.raises(ValueError):
        binom_interval(1, 10, method="wald")


@pytest.mark.parametrize(("k", "n"), [(1, 10), (7, 20), (50, 100), (3, 1000)])
def test_binom_interval_endpoint_equations(k, n):
    alpha = 0.05
    lo, hi = binom_interval(k, n, alpha, method="clopper-pearson")
    assert stats.binom.sf(k - 1, n, lo) == pytest.approx(alpha / 2, rel=1e-8)
    assert stats.binom.cdf(k, n, hi) == pytest.approx(alpha / 2, rel=1e-8)
    # Wilson endpoints solve (phat - p)^2 = z^2 p (1 - p) / n.
    z = stats.norm.isf(alpha / 2)
    for p in binom_interval(k, n, alpha, method="wilson"):
        assert (k / n - p) ** 2 == pytest.approx(z**2 * p * (1 - p) / n, rel=1e-9)


def test_binom_interval_exact_coverage():
    n, alpha = 25, 0.1
    ks = np.arange(n + 1)
    cp = np.array([binom_interval(k, n, alpha, "clopper-pearson") for k in ks])
    wi = np.array([binom_interval(k, n, alpha, "wilson") for k in ks])
    wilson_cov = []
    for p in np.linspace(0.01, 0.99, 99):
        w = stats.binom.pmf(ks, n, p)
        assert np.sum(w[(cp[:, 0] <= p) & (p <= cp[:, 1])]) >= 1 - alpha - 1e-12
        wilson_cov.append(np.sum(w[(wi[:, 0] <= p) & (p <= wi[:, 1])]))
    assert abs(np.mean(wilson_cov) - (1 - alpha)) < 0.02


def test_holm_known_example():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5]), [0.5])
    np.testing.assert_allclose(holm([0.4, 0.3]), [0.6, 0.6])


def holm_step_down_rejections(p, alpha):
    """Textbook Holm: reject sorted p_(i) while p_(i) <= alpha / (m - i + 1)."""
    order = np.argsort(p, kind="stable")
    reject = np.zeros(len(p), dtype=bool)
    for i, j in enumerate(order):
        if p[j] > alpha / (len(p) - i):
            break
        reject[j] = True
    return reject


@settings(max_examples=200, deadline=None)
@given(
    p=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30),
    alpha=st.sampled_from([0.01, 0.05, 0.2]),
)
def test_holm_equivalent_to_step_down(p, alpha):
    p = np.array(p)
    adj = holm(p)
    assert np.all(adj >= p - 1e-15) and np.all(adj <= 1.0)
    # Tiny slack avoids float ties exactly at the boundary.
    clear = np.abs(adj - alpha) > 1e-12
    np.testing.assert_array_equal((adj <= alpha)[clear], holm_step_down_rejections(p, alpha)[clear])


def test_ks_2samp_p():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=500), rng.normal(size=400)
    assert ks_2samp_p(a, b) == pytest.approx(stats.ks_2samp(a, b).pvalue)
    assert ks_2samp_p(a, b) > P_MIN
    assert ks_2samp_p(a, b + 0.5) < 1e-6
