"""The calibration package as an oracle: likelihoods, fits and standard errors (no engine).

Published values (Fader, Hardie & Lee 2005 on the CDNOW sample) pin the fits; seeded
reference generators check recovery, every such assertion a likelihood-ratio test at 1e-3
(false alarm exactly 1e-3 under the truth, for any seed); the Pareto/NBD likelihood, written
from Fader & Hardie's note, is checked against the ``lifetimes`` implementation.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.calibration import (
    fit_bgnbd,
    fit_log,
    fit_sbg_tenure,
    fit_spend,
    lrt_spend,
    pareto_loglik_individual,
    read_log,
    read_retention_table,
    sbg_tenure_loglik,
    simulate_pareto,
    simulate_sbg,
    simulate_spend,
    summarise,
)
from sim.calibration.tracking import repeat_fit_test

ALPHA = 1e-3
CDNOW = Path(__file__).resolve().parents[1] / "scenarios" / "data" / "cdnow" / "cdnow_sample.csv"


def test_cdnow_reproduces_fader_hardie_lee_2005() -> None:
    log = read_log(CDNOW, keep_duplicates=True)
    end = pd.Timestamp("1997-09-30")
    summary = summarise(log, end)
    assert len(summary) == 2357 and summary["frequency"].sum() == 2457
    cal = fit_log(log, summary, end)
    bg, spend = cal.fits["bg"], cal.fits["spend"]
    # FHL 2005 (BG/NBD, weeks): r 0.243, alpha 4.414, a 0.793, b 2.426; LL -9582.4 in weeks.
    assert bg.params["r"] == pytest.approx(0.243, abs=5e-4)
    assert bg.params["alpha"] / 7.0 == pytest.approx(4.414, abs=5e-3)
    assert bg.params["a"] == pytest.approx(0.793, abs=5e-3)
    assert bg.params["b"] == pytest.approx(2.426, abs=5e-3)
    # The density is in days here: weeks shift it by (sum of x) log 7.
    assert bg.loglik + 2457 * np.log(7.0) == pytest.approx(-9582.4, abs=0.1)
    # FHL "RFM and CLV" (2005): p 6.25, q 3.74, gamma 15.44.
    assert spend.params["p"] == pytest.approx(6.25, abs=0.01)
    assert spend.params["q"] == pytest.approx(3.74, abs=0.01)
    assert spend.params["gamma"] == pytest.approx(15.44, abs=0.02)
    assert all(0 < se < v for v, se in zip(bg.params.values(), bg.se.values(), strict=True))


def test_pareto_likelihood_matches_lifetimes() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ParetoNBDFitter
    rng = np.random.default_rng(4)
    for params in [(0.5, 20.0, 0.8, 200.0), (0.5, 300.0, 0.8, 20.0), (2.0, 5.0, 1.5, 50.0)]:
        x, tx, age = simulate_pareto(500, *params, T=rng.uniform(50, 400, 500), rng=rng)
        ours = pareto_loglik_individual(params, x, tx, age)
        theirs = ParetoNBDFitter._conditional_log_likelihood(params, x.astype(float), tx, age)
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)


def test_spend_recovers_truth_and_rejects_a_wrong_one() -> None:
    rng = np.random.default_rng(8)
    freq = rng.poisson(3.0, size=3000)
    truth = {"p": 6.0, "q": 4.0, "gamma": 20.0}
    m = simulate_spend(freq, truth, rng)
    _, p = lrt_spend(freq, m, truth)
    assert p > ALPHA  # χ²(3) under the truth: false alarm 1e-3
    _, p_wrong = lrt_spend(freq, m, {**truth, "gamma": 30.0})
    assert p_wrong < ALPHA  # mean basket 50 % off: rejected (power ≈ 1 at n = 3000)
    fit = fit_spend(freq, m)
    assert fit.converged and all(np.isfinite(list(fit.se.values())))


def test_sbg_from_a_churn_table_recovers_truth() -> None:
    survived, lost = simulate_sbg(3000, 1.0, 3.0, 12, np.random.default_rng(3))
    at_risk = np.concatenate(([3000], survived[:-1]))
    fit = fit_sbg_tenure(at_risk, lost)
    stat = 2.0 * (fit.loglik - sbg_tenure_loglik(1.0, 3.0, at_risk, lost))
    assert stats.chi2.sf(stat, 2) > ALPHA
    assert fit.converged and fit.se["alpha"] > 0


def test_retention_table_pools_cohorts_of_different_ages(tmp_path: Path) -> None:
    table = tmp_path / "cohorts.csv"
    table.write_text("cohort,size,1,2,3\n2024-01,100,0.9,0.8,0.75\n2024-02,200,0.8,0.7,\n")
    read = read_retention_table(table)
    np.testing.assert_allclose(read.at_risk, [300, 250, 80])
    np.testing.assert_allclose(read.lost, [50, 30, 5])
    assert read.survival()[0] == pytest.approx(250 / 300)


def test_bgnbd_flat_likelihood_is_not_converged() -> None:
    # Nobody ever repeats: the likelihood rises forever as the purchase rate goes to 0.
    fit = fit_bgnbd(np.zeros(200), np.zeros(200), np.full(200, 100.0))
    assert not fit.converged


def test_repeat_fit_test_detects_a_different_distribution() -> None:
    rng = np.random.default_rng(2)
    a, b = pd.Series(rng.poisson(1.0, 3000)), pd.Series(rng.poisson(1.0, 3000))
    assert repeat_fit_test(a, b)[2] > ALPHA
    assert repeat_fit_test(a, pd.Series(rng.poisson(1.3, 3000)))[2] < ALPHA
