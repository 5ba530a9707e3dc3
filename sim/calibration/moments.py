"""Moments: behavioural parameters fitted by simulation against an observed retention curve.

No formula says how a customer's tolerance of failures shows in a retention curve: that is
what the simulator is for. So the fit asks it. For a candidate value the base world is
simulated, its launch cohort's survival by renewal compared with the data's, and scipy's
bounded optimiser searches for the value whose simulated curve sits closest (the method of
simulated moments). Every candidate runs on the same seed, common random numbers: the
customers, their draws and their luck are the same, only the parameter differs, so the
distance moves smoothly with the parameter rather than jumping with sampling noise.

The distance weighs each renewal by the inverse variance of the gap (Greenwood's variance of
the observed survival plus that of the simulated one). The standard error is the sandwich of
that estimator, ``(G'WG)⁻¹ G'W Σ W G (G'WG)⁻¹``, with ``G`` the curve's slope in the
parameter (central differences, also on common random numbers) and ``Σ`` the covariance of
observed minus simulated survival. A best value at the edge of the search range, or a curve
that does not move with the parameter, is no estimate: :class:`FitError`, nothing written.

This module never runs an engine itself (the calibration package sits beside the engines and
imports neither): the caller hands in ``simulate(scenario, seed) -> RunResult``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import annotated_types
import numpy as np
from scipy import optimize

from sim.calibration.estimation import FloatArray
from sim.calibration.fitting import Estimate
from sim.calibration.problems import FitError
from sim.calibration.tenure import TenureTable, tenure_from_lifetimes
from sim.errors import UserError
from sim.results.run_result import RunResult
from sim.scenario.fields import root, slot_at
from sim.scenario.spec import Scenario, with_overrides

__all__ = ["MomentFit", "Simulate", "fit_behaviour", "parse_target", "simulated_tenure"]

#: Runs one scenario on one seed (the caller's choice of engine).
Simulate = Callable[[Scenario, int], RunResult]

#: Candidates tried on the grid before the bounded search refines the best one.
_GRID = 5


@dataclass(frozen=True)
class MomentFit:
    """A behavioural fit by simulated moments.

    Attributes:
        estimates: one per fitted parameter, with its sandwich standard error.
        distance: the weighted squared distance at the optimum.
        observed: the data's survival after renewals ``1..k``.
        simulated: the fitted world's survival after the same renewals.
        evaluations: simulations run.
    """

    estimates: list[Estimate]
    distance: float
    observed: FloatArray
    simulated: FloatArray
    evaluations: int


def parse_target(text: str, base: Scenario) -> tuple[str, float, float]:
    """``PATH`` or ``PATH=LO:HI`` of ``--fit`` as (path, low, high), checked against the schema.

    Without a range, the search runs from the field's lower bound to the smaller of its upper
    bound and four times the base's value (1 when that is 0).

    Raises:
        UserError: a path outside ``behaviour``, not a number, or an empty range.
    """
    path, _, span = text.partition("=")
    path = path.strip()
    slot = slot_at(root(Scenario), path)
    if not path.startswith("behaviour.") or slot is None or float not in slot.types:
        raise UserError(
            f"--fit {text}: a behavioural fit takes a numeric field of behaviour, e.g. "
            "behaviour.tolerance or behaviour.hazard.dissatisfaction (see docs/parameters.md)"
        )
    lo, hi = -math.inf, math.inf
    for m in slot.field.metadata if slot.field is not None else ():
        if isinstance(m, annotated_types.Ge | annotated_types.Gt):
            lo = float(getattr(m, "ge", getattr(m, "gt", lo)))
        elif isinstance(m, annotated_types.Le | annotated_types.Lt):
            hi = float(getattr(m, "le", getattr(m, "lt", hi)))
    value: object = base
    for key in path.split("."):
        value = getattr(value, key)
    current = float(value)  # type: ignore[arg-type]
    if span:
        try:
            lo, hi = (float(v) for v in span.split(":"))
        except ValueError:
            raise UserError(
                f"--fit {text}: the range must be LOW:HIGH, e.g. {path}=0:0.5"
            ) from None
    else:
        hi = min(hi, 4.0 * current if current > 0 else 1.0)
        lo = max(lo, 0.0)
    if not lo < hi:
        raise UserError(f"--fit {text}: empty search range {lo:g} to {hi:g}")
    return path, lo, hi


def simulated_tenure(result: RunResult, every: float, renewals: int) -> TenureTable:
    """The launch cohort's churn by renewal in a contractual run (a cancellation falls on one)."""
    cohort = result.customers[result.customers["channel"] == "initial"]
    churned = cohort["churned"].notna().to_numpy()
    at = np.rint((cohort["churned"].fillna(math.inf) - cohort["acquired"]).to_numpy() / every)
    survived = np.where(churned, at - 1.0, float(renewals))
    watched = np.full(len(cohort), float(renewals))
    return tenure_from_lifetimes(survived, churned, watched, "the simulated launch cohort")


def fit_behaviour(
    observed: TenureTable,
    base: Scenario,
    targets: Sequence[tuple[str, float, float]],
    simulate: Simulate,
    *,
    customers: int,
    seed: int,
) -> MomentFit:
    """Fit behavioural parameters by simulated moments against ``observed`` survival.

    Args:
        observed: the data's churn by renewal.
        base: the world to simulate (its population layers as they are).
        targets: (path, low, high) per parameter, from :func:`parse_target`.
        simulate: runs a scenario on a seed.
        customers: size of the simulated launch cohort.
        seed: the common seed of every candidate.

    Raises:
        FitError: the optimiser failed, the best value is at the edge of the range, or the
            curve does not move with a parameter.
    """
    k = observed.renewals
    every = base.contract.every
    frame = {
        "population.initial": customers,
        "horizon": (k + 0.5) * every,
        "output.ledger": "aggregate",
    }
    calls = 0
    cache: dict[tuple[float, ...], TenureTable] = {}

    def curve(theta: FloatArray) -> TenureTable:
        nonlocal calls
        key = tuple(float(v) for v in theta)
        if key not in cache:
            sets = {**frame, **{p: v for (p, _, _), v in zip(targets, key, strict=True)}}
            calls += 1
            cache[key] = simulated_tenure(simulate(with_overrides(base, sets), seed), every, k)
        return cache[key]

    s_obs = observed.survival()
    var_obs = np.diag(observed.survival_cov())

    def distance(theta: FloatArray) -> float:
        sim = curve(np.asarray(theta, dtype=float))
        s_sim = _padded(sim.survival(), k)
        weight = 1.0 / np.maximum(var_obs + _padded(np.diag(sim.survival_cov()), k), 1e-12)
        return float(np.sum(weight * (s_obs - s_sim) ** 2))

    lows = np.array([t[1] for t in targets])
    highs = np.array([t[2] for t in targets])
    theta = _search(distance, lows, highs)
    width = highs - lows
    edge = [
        t[0]
        for t, v, w, lo, hi in zip(targets, theta, width, lows, highs, strict=True)
        if min(v - lo, hi - v) < 0.01 * w
    ]
    if edge:
        raise FitError(
            f"the simulated-moments fit of {', '.join(edge)} did not converge: the best value "
            "sits at the edge of the search range, so the data ask for a value outside it; "
            "nothing was written (widen it with --fit PATH=LOW:HIGH)"
        )
    fitted = curve(theta)
    s_fit = _padded(fitted.survival(), k)
    sigma = observed.survival_cov() + _padded_cov(fitted.survival_cov(), k)
    weight = np.diag(1.0 / np.maximum(np.diag(sigma), 1e-12))
    step = 0.05 * width
    slope = np.column_stack(
        [
            (
                _padded(curve(theta + np.eye(len(targets))[j] * step[j]).survival(), k)
                - _padded(curve(theta - np.eye(len(targets))[j] * step[j]).survival(), k)
            )
            / (2.0 * step[j])
            for j in range(len(targets))
        ]
    )
    bread = slope.T @ weight @ slope
    if (
        not np.all(np.isfinite(bread))
        or np.linalg.matrix_rank(bread) < len(targets)
        or np.min(np.abs(np.diag(bread))) < 1e-9
    ):
        names = ", ".join(t[0] for t in targets)
        raise FitError(
            f"the simulated-moments fit of {names} did not converge: the simulated retention "
            "curve does not move with it, so the retention data cannot tell its value; "
            "nothing was written"
        )
    inv = np.linalg.inv(bread)
    cov = inv @ slope.T @ weight @ sigma @ weight @ slope @ inv
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    source = (
        f"simulated moments: {observed.renewals} renewals' survival of {observed.customers:,} "
        f"customers in {observed.file.name}, {customers:,} simulated, seed {seed}"
    )
    estimates = [
        Estimate(path, float(v), float(e), False, "behaviour", source, top=True)
        for (path, _, _), v, e in zip(targets, theta, se, strict=True)
    ]
    return MomentFit(estimates, distance(theta), s_obs, s_fit, calls)


def _search(
    distance: Callable[[FloatArray], float], lows: FloatArray, highs: FloatArray
) -> FloatArray:
    """A bounded search by scipy: grid then Brent for one parameter, Nelder–Mead for several."""
    if lows.size == 1:
        grid = np.linspace(lows[0], highs[0], _GRID)
        values = [distance(np.array([g])) for g in grid]
        best = int(np.argmin(values))
        lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, _GRID - 1)]
        res = optimize.minimize_scalar(
            lambda v: distance(np.array([v])),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-2 * (highs[0] - lows[0])},
        )
        if not res.success:
            raise FitError(
                f"the simulated-moments search failed: {res.message}; nothing was written"
            )
        return np.array([float(res.x)])
    res = optimize.minimize(
        distance,
        (lows + highs) / 2.0,
        method="Nelder-Mead",
        bounds=list(zip(lows, highs, strict=True)),
        options={"xatol": 1e-3, "fatol": 1e-3},
    )
    if not res.success:
        raise FitError(f"the simulated-moments search failed: {res.message}; nothing was written")
    return np.asarray(res.x, dtype=float)


def _padded(values: FloatArray, k: int) -> FloatArray:
    """A curve cut or extended (with its last value) to ``k`` renewals."""
    out = np.asarray(values, dtype=float)[:k]
    return np.concatenate([out, np.full(k - out.size, out[-1] if out.size else 1.0)])


def _padded_cov(cov: FloatArray, k: int) -> FloatArray:
    m = min(k, cov.shape[0])
    out = np.zeros((k, k))
    out[:m, :m] = cov[:m, :m]
    return out
