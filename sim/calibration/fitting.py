"""Fitting: the population layers of a scenario estimated from a user's data.

The data say how customers bought, spent and left; the scenario's population layers are the
textbook models of exactly that (``docs/parameters.md``, ``population.segments[]``):

* a transaction log fits the purchase rate (``purchase.r``, ``purchase.alpha``) with the
  dropout (``dropout`` BG/NBD ``a, b`` or Pareto/NBD ``s, beta``) in one likelihood, and,
  when it has amounts, the spend per purchase (Gamma–Gamma ``spend.p, q, gamma``);
* a cohort retention table or a churn-by-tenure table fits the contractual dropout
  (shifted-beta-geometric ``dropout.alpha, beta``).

Each estimate is an :class:`Estimate` with its standard error and a sentence naming the
data it came from, which :mod:`sim.calibration.scenario_text` writes beside the value. A fit
that did not reach an interior peak of its likelihood raises :class:`FitError`: its numbers
are not estimates, and nothing is written.

The data carry no segment labels, so every segment of the base scenario gets the same
fitted layers; its other traits (expectation, price sensitivity …) stay as the base says.
Every churn the data show is read as the baseline dropout: a base whose behaviour is
enabled adds behavioural churn on top, which the report's simulated curves make visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from sim.calibration.bgnbd import fit_bgnbd
from sim.calibration.estimation import ModelFit
from sim.calibration.pareto import fit_pareto
from sim.calibration.problems import FitError
from sim.calibration.sbg import fit_sbg_tenure
from sim.calibration.spend import fit_spend
from sim.calibration.tenure import TenureTable
from sim.calibration.transactions import TransactionLog

__all__ = ["Calibration", "Estimate", "fit_log", "fit_tenure", "require_converged"]

#: The scenario field of each model's parameter (rates of the purchase models are in days).
_FIELDS = {
    "bg": {"r": "purchase.r", "alpha": "purchase.alpha", "a": "dropout.a", "b": "dropout.b"},
    "pareto": {
        "r": "purchase.r",
        "alpha": "purchase.alpha",
        "s": "dropout.s",
        "beta": "dropout.beta",
    },
    "sbg": {"alpha": "dropout.alpha", "beta": "dropout.beta"},
    "spend": {"p": "spend.p", "q": "spend.q", "gamma": "spend.gamma"},
}
MODEL_NAMES = {
    "bg": "BG/NBD",
    "pareto": "Pareto/NBD",
    "sbg": "shifted-beta-geometric",
    "spend": "Gamma–Gamma",
}


@dataclass(frozen=True)
class Estimate:
    """One fitted value, as the calibrated scenario's comment shows it.

    Attributes:
        path: the field, inside each segment (``purchase.r``) or from the top
            (``behaviour.tolerance``, with ``top`` True).
        value: the estimate (days for a duration).
        se: its standard error (same unit).
        days: whether the value is a duration in days (written with a ``d``).
        model: the model or method that produced it.
        source: the data it came from, in words.
        top: whether ``path`` is from the scenario's top rather than a segment's.
    """

    path: str
    value: float
    se: float
    days: bool
    model: str
    source: str
    top: bool = False

    def interval(self, z: float = 1.959964) -> tuple[float, float]:
        """The normal-approximation interval ``value ± z·se`` (95 % by default)."""
        return self.value - z * self.se, self.value + z * self.se


@dataclass(frozen=True)
class Calibration:
    """What a calibration fitted, ready to be written as a scenario.

    Attributes:
        layers: per-segment blocks to set (``purchase``, ``dropout`` with its ``model``,
            ``spend``), the same in every segment.
        estimates: every fitted value with its standard error, in writing order.
        customers: customers in the data (the scenario's ``population.initial``), 0 to keep
            the base's.
        fits: the model fits by model key (``bg``, ``pareto``, ``sbg``, ``spend``).
        top: top-level fields to set (behavioural parameters), dotted path → value.
    """

    layers: dict[str, dict[str, float | str]]
    estimates: list[Estimate]
    customers: int
    fits: dict[str, ModelFit] = field(default_factory=dict)
    top: dict[str, float] = field(default_factory=dict)


def require_converged(fit: ModelFit, model: str, source: str) -> None:
    """Raise :class:`FitError` unless ``fit`` found an interior peak with finite errors."""
    bad = [n for n, v in fit.params.items() if not math.isfinite(v)]
    bad += [n for n, v in fit.se.items() if not math.isfinite(v)]
    if fit.converged and not bad:
        return
    flat = ", ".join(dict.fromkeys(bad)) or "all parameters"
    raise FitError(
        f"the {MODEL_NAMES.get(model, model)} fit to {source} did not converge: the likelihood "
        f"has no clear peak in {flat}, so the data cannot pin them down; nothing was written "
        "(more customers, a longer window or another --model may help)"
    )


def _estimates(
    fit: ModelFit, model: str, source: str
) -> tuple[dict[str, float | str], list[Estimate], str]:
    layer: dict[str, float | str] = {}
    out: list[Estimate] = []
    block = ""
    for name, path in _FIELDS[model].items():
        block, key = path.split(".")
        days = path == "purchase.alpha" or (model == "pareto" and path == "dropout.beta")
        layer[key] = fit.params[name]
        out.append(Estimate(path, fit.params[name], fit.se[name], days, MODEL_NAMES[model], source))
    return layer, out, block


def fit_log(
    log: TransactionLog, summary: pd.DataFrame, end: pd.Timestamp, model: str = "bg"
) -> Calibration:
    """Fit purchase, dropout and (with amounts) spend layers to a log's BTYD summary.

    Args:
        log: the checked log.
        summary: :func:`~sim.calibration.transactions.summarise` of it at ``end``.
        end: the end of the calibration window.
        model: ``"bg"`` (BG/NBD) or ``"pareto"`` (Pareto/NBD).

    Raises:
        FitError: a fit that did not converge, or a spend fit with ``q ≤ 1`` (an infinite
            mean basket, which no scenario can hold).
    """
    n = len(summary)
    span = f"{log.start:%Y-%m-%d} to {end:%Y-%m-%d}"
    source = f"{n:,} customers' purchases in {log.file.name}, {span}"
    fitter = fit_bgnbd if model == "bg" else fit_pareto
    x, tx, age = summary["frequency"], summary["recency"], summary["T"]
    try:
        fit = fitter(x, tx, age)
    except (RuntimeError, ValueError) as exc:
        raise FitError(
            f"the {MODEL_NAMES[model]} fit to {source} failed: {exc}; nothing was written"
        ) from None
    require_converged(fit, model, source)
    purchase_dropout, estimates, _ = _estimates(fit, model, source)
    layers: dict[str, dict[str, float | str]] = {
        "purchase": {k: purchase_dropout[k] for k in ("r", "alpha")},
        "dropout": {
            "model": model,
            **{k: v for k, v in purchase_dropout.items() if k not in ("r", "alpha")},
        },
    }
    fits = {model: fit}
    if log.has_amounts:
        buyers = int((summary["frequency"] > 0).sum())
        spend_source = f"mean repeat spend of {buyers:,} repeat buyers in {log.file.name}, {span}"
        try:
            spend = fit_spend(summary["frequency"], summary["monetary_value"])
        except (RuntimeError, ValueError) as exc:
            raise FitError(
                f"the Gamma–Gamma spend fit failed: {exc}; nothing was written"
            ) from None
        require_converged(spend, "spend", spend_source)
        if spend.params["q"] <= 1.0:
            raise FitError(
                f"the Gamma–Gamma spend fit to {spend_source} gives "
                f"q = {spend.params['q']:.3g} ≤ 1: "
                "baskets so uneven that the mean spend is infinite; no scenario can hold it and "
                "nothing was written (look for outliers among the amounts)"
            )
        layer, more, _ = _estimates(spend, "spend", spend_source)
        layers["spend"] = layer
        estimates += more
        fits["spend"] = spend
    return Calibration(layers, estimates, n, fits)


def fit_tenure(table: TenureTable, every: str) -> Calibration:
    """Fit the shifted-beta-geometric dropout to pooled churn by renewal.

    Args:
        table: the churn by renewal read from the data.
        every: the renewal interval in words (the base's ``contract.every``), for the source.

    Raises:
        FitError: the fit did not converge (e.g. nobody ever cancelled).
    """
    source = (
        f"{table.customers:,} customers' renewals in {table.file.name}, "
        f"{table.renewals} renewals of {every}"
    )
    fit = fit_sbg_tenure(table.at_risk, table.lost)
    require_converged(fit, "sbg", source)
    layer, estimates, _ = _estimates(fit, "sbg", source)
    return Calibration(
        {"dropout": {"model": "sbg", **layer}}, estimates, table.customers, {"sbg": fit}
    )
