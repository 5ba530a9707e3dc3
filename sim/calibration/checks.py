"""Checks: a run's customers table against the textbook models its scenario describes.

``crmsim check-model`` asks of any run: if we fitted BG/NBD (or Pareto/NBD, or the shifted-
beta-geometric, and Gamma–Gamma for spend) to what the simulated customers did, would we
get back the parameters the scenario set? In the pure modes (``behaviour.enabled: false``)
the simulator *is* those models (MODEL property 1), so the answer must be yes, and a
likelihood-ratio test of the true parameters says how sure: a p-value below 1e-3 is a
defect. With behaviour on, the fitted values describe the run — how much extra churn the
behaviour added shows as a larger dropout — and no test applies.

:func:`check_run` returns one row per parameter and segment:

=========== ====================================================================
column      meaning
=========== ====================================================================
segment     the segment's name
model       BG/NBD, Pareto/NBD, shifted-beta-geometric or Gamma–Gamma
parameter   the scenario field, e.g. ``purchase.r`` (rates in days)
true        the value the scenario set
fitted      the maximum-likelihood estimate from the run
se          its standard error
customers   customers the fit used
lr_stat     the model's likelihood-ratio statistic of the true parameters (one per model)
dof         its degrees of freedom
p_value     its p-value (NaN with behaviour on: no truth to test)
=========== ====================================================================
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.calibration.bgnbd import bgnbd_loglik, fit_bgnbd
from sim.calibration.estimation import ModelFit
from sim.calibration.fitting import MODEL_NAMES
from sim.calibration.pareto import fit_pareto, pareto_loglik
from sim.calibration.sbg import fit_sbg_tenure, sbg_tenure_loglik
from sim.calibration.spend import fit_spend, spend_loglik
from sim.calibration.summaries import lrt
from sim.calibration.tenure import tenure_from_lifetimes
from sim.results.run_result import RunResult
from sim.scenario.spec import Scenario

__all__ = ["CHECK_COLUMNS", "check_run"]

CHECK_COLUMNS = [
    "segment",
    "model",
    "parameter",
    "true",
    "fitted",
    "se",
    "customers",
    "lr_stat",
    "dof",
    "p_value",
]


def _rows(
    segment: str,
    model: str,
    fields: dict[str, str],
    truth: dict[str, float],
    fit: ModelFit,
    ll0: float,
    pure: bool,
) -> list[dict[str, object]]:
    stat, p = lrt(fit, ll0, len(fields)) if pure else (math.nan, math.nan)
    return [
        {
            "segment": segment,
            "model": MODEL_NAMES[model],
            "parameter": path,
            "true": truth[name],
            "fitted": fit.params[name],
            "se": fit.se[name],
            "customers": fit.n,
            "lr_stat": stat,
            "dof": len(fields),
            "p_value": p,
        }
        for name, path in fields.items()
    ]


def check_run(result: RunResult, scenario: Scenario) -> pd.DataFrame:
    """Fit the textbook models to each segment of a run and set them beside the truth.

    Args:
        result: the run (its customers table).
        scenario: the scenario it ran (the truth).

    Returns:
        The table of the module docstring; empty for segments whose models do not apply
        (constant dropout, no repeat purchases).
    """
    pure = not scenario.behaviour.enabled
    end = float(scenario.horizon)
    rows: list[dict[str, object]] = []
    for seg in scenario.population.segments:
        c = result.customers[result.customers["segment"] == seg.name]
        c = c[c["T"] > 0]
        if c.empty:
            continue
        x, tx, age = (
            c["frequency"].to_numpy(float),
            c["recency"].to_numpy(float),
            c["T"].to_numpy(float),
        )
        drop = seg.dropout
        if seg.purchase is not None and drop.model in ("bg", "pareto"):
            if drop.model == "bg":
                truth = {"r": seg.purchase.r, "alpha": seg.purchase.alpha, "a": drop.a, "b": drop.b}
                fit = fit_bgnbd(x, tx, age, [truth])
                ll0 = bgnbd_loglik(truth, x, tx, age)
                fields = {
                    "r": "purchase.r",
                    "alpha": "purchase.alpha",
                    "a": "dropout.a",
                    "b": "dropout.b",
                }
            else:
                truth = {
                    "r": seg.purchase.r,
                    "alpha": seg.purchase.alpha,
                    "s": drop.s,
                    "beta": drop.beta,
                }
                fit = fit_pareto(x, tx, age, [truth])
                ll0 = pareto_loglik(truth, x, tx, age)
                fields = {
                    "r": "purchase.r",
                    "alpha": "purchase.alpha",
                    "s": "dropout.s",
                    "beta": "dropout.beta",
                }
            rows += _rows(seg.name, drop.model, fields, truth, fit, ll0, pure)
        if seg.purchase is not None and np.count_nonzero(x > 0) >= 10:
            m = c["monetary_value"].to_numpy(float)
            truth = {"p": seg.spend.p, "q": seg.spend.q, "gamma": seg.spend.gamma}
            fit = fit_spend(x, m, [truth])
            rows += _rows(
                seg.name,
                "spend",
                {"p": "spend.p", "q": "spend.q", "gamma": "spend.gamma"},
                truth,
                fit,
                spend_loglik(truth, x, m),
                pure,
            )
        if drop.model == "sbg":
            every = float(scenario.contract.every)
            gone = c["churned"].notna().to_numpy()
            at = np.rint((c["churned"].fillna(end) - c["acquired"]).to_numpy() / every)
            watched = np.ceil((end - c["acquired"].to_numpy()) / every) - 1.0  # strictly inside
            survived = np.where(gone, at - 1.0, watched)
            table = tenure_from_lifetimes(survived, gone, watched, "the run")
            truth = {"alpha": drop.alpha, "beta": drop.beta}
            fit = fit_sbg_tenure(table.at_risk, table.lost, (drop.alpha, drop.beta))
            ll0 = sbg_tenure_loglik(drop.alpha, drop.beta, table.at_risk, table.lost)
            rows += _rows(
                seg.name,
                "sbg",
                {"alpha": "dropout.alpha", "beta": "dropout.beta"},
                truth,
                fit,
                ll0,
                pure,
            )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
