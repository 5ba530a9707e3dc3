"""Calibration: the textbook customer-base models, and scenarios fitted to a user's data.

Two jobs share this package. It is the **oracle**: the likelihoods and maximum-likelihood
fits of the buy-till-you-die models (BG/NBD, Pareto/NBD, the shifted-beta-geometric and
Gamma–Gamma spend), written from the papers and never from the engines, which is why the
package sits beside the engines in the layers and neither imports the other. And it is the
**calibrator**: readers for the data people have (a transaction log, a cohort retention
table, a churn-by-tenure table), fits of a scenario's population layers by maximum
likelihood and of behavioural parameters by simulated moments, and the calibrated scenario
written as a YAML file that ``extends:`` its base.

>>> import numpy as np
>>> from sim.calibration import fit_sbg, simulate_sbg
>>> survived, lost = simulate_sbg(2000, 1.0, 3.0, 12, np.random.default_rng(1))
>>> fit = fit_sbg(survived, lost)
>>> sorted(fit.params), fit.converged
(['alpha', 'beta'], True)

Anything that must run a world (the behavioural fit, the report's simulated curves) takes
the runner as an argument; the command line (:mod:`sim.cli.calibrate`) hands in ``sim.run``.
The report page is :mod:`sim.calibration.page`, which sits with the report layer.
"""

from __future__ import annotations

from sim.calibration.bgnbd import (
    BGNBD_PARAM_NAMES,
    bgnbd_expected,
    bgnbd_loglik,
    bgnbd_loglik_individual,
    fit_bgnbd,
    lrt_bgnbd,
    simulate_bgnbd,
)
from sim.calibration.checks import CHECK_COLUMNS, check_run
from sim.calibration.estimation import ModelFit
from sim.calibration.fitting import Calibration, Estimate, fit_log, fit_tenure
from sim.calibration.moments import MomentFit, Simulate, fit_behaviour, parse_target
from sim.calibration.pareto import (
    PARETO_PARAM_NAMES,
    fit_pareto,
    lrt_pareto,
    pareto_expected,
    pareto_loglik,
    pareto_loglik_individual,
    simulate_pareto,
)
from sim.calibration.problems import DataError, FitError
from sim.calibration.sbg import (
    SBG_PARAM_NAMES,
    fit_sbg,
    fit_sbg_tenure,
    sbg_loglik,
    sbg_lrt,
    sbg_retention,
    sbg_survival,
    sbg_tenure_loglik,
    simulate_sbg,
)
from sim.calibration.scenario_text import extends_reference, render_scenario, write_scenario
from sim.calibration.spend import (
    SPEND_PARAM_NAMES,
    fit_spend,
    lrt_spend,
    simulate_spend,
    spend_loglik,
    spend_mean,
)
from sim.calibration.tenure import TenureTable, read_churn_table, read_retention_table
from sim.calibration.tracking import (
    Holdout,
    repeat_fit_test,
    repeats_table,
    simulated_log,
    tracking_table,
)
from sim.calibration.transactions import TransactionLog, read_log, summarise

__all__ = [
    "BGNBD_PARAM_NAMES",
    "CHECK_COLUMNS",
    "PARETO_PARAM_NAMES",
    "SBG_PARAM_NAMES",
    "SPEND_PARAM_NAMES",
    "Calibration",
    "DataError",
    "Estimate",
    "FitError",
    "Holdout",
    "ModelFit",
    "MomentFit",
    "Simulate",
    "TenureTable",
    "TransactionLog",
    "bgnbd_expected",
    "bgnbd_loglik",
    "bgnbd_loglik_individual",
    "check_run",
    "extends_reference",
    "fit_behaviour",
    "fit_bgnbd",
    "fit_log",
    "fit_pareto",
    "fit_sbg",
    "fit_sbg_tenure",
    "fit_spend",
    "fit_tenure",
    "lrt_bgnbd",
    "lrt_pareto",
    "lrt_spend",
    "pareto_expected",
    "pareto_loglik",
    "pareto_loglik_individual",
    "parse_target",
    "read_churn_table",
    "read_log",
    "read_retention_table",
    "render_scenario",
    "repeat_fit_test",
    "repeats_table",
    "sbg_loglik",
    "sbg_lrt",
    "sbg_retention",
    "sbg_survival",
    "sbg_tenure_loglik",
    "simulate_bgnbd",
    "simulate_pareto",
    "simulate_sbg",
    "simulate_spend",
    "simulated_log",
    "spend_loglik",
    "spend_mean",
    "summarise",
    "tracking_table",
    "write_scenario",
]
