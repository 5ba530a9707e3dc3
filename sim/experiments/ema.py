"""EMA Workbench adapter: a scenario and its space as an ``ema_workbench`` model.

EMA Workbench (exploratory modelling and analysis) drives a model that is a function of
its parameters; this module makes one of a scenario: :class:`KpiFunction` is
``kpis(**params) -> dict`` (the project's KPIs, by name), its uncertainties and levers are
taken from the space (:mod:`sim.scenario.space`). The model
is a ``ReplicatorModel``: replication r of every experiment runs on
``SeedSequence(seed, (r,))``, the same seeds the sweeps and comparisons use, so EMA's
experiments meet the same worlds (common random numbers).

EMA names its experiment columns ``scenario``, ``policy`` and ``model``; a factor whose
name is one of these (the space's ``strategy.selection.policy`` would be ``policy``) is
given its dotted path with underscores instead (:func:`ema_name`).

``ema_workbench`` is imported only when a model is built (it is an optional extra:
``pip install 'crm-sandbox[ema]'``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.engines import run
from sim.errors import UserError
from sim.experiments.tasks import scenario_from_json, scenario_json
from sim.rng import replication_seed
from sim.scenario.space import Factor
from sim.scenario.spec import Scenario, with_overrides

__all__ = ["RESERVED", "KpiFunction", "ema_model", "ema_name"]

#: Column names EMA Workbench keeps for itself in its experiments table.
RESERVED = frozenset({"scenario", "policy", "model"})


def ema_name(factor: Factor) -> str:
    """The factor's parameter name for EMA: its name, or its path if the name is reserved."""
    return factor.path.replace(".", "_") if factor.name in RESERVED else factor.name


@dataclass(frozen=True)
class KpiFunction:
    """``kpis(**params) -> {output: value}``: one run of the scenario with ``params`` set.

    Picklable (the scenario travels as JSON), so EMA's multiprocessing evaluator can ship
    it to its workers.

    Attributes:
        scenario_json: the base scenario (:func:`sim.experiments.tasks.scenario_json`).
        paths: parameter name → dotted path of the field it sets.
        outputs: the KPIs returned.
        seed: the experiment seed.
        engine: the simulation engine.
    """

    scenario_json: str
    paths: tuple[tuple[str, str], ...]
    outputs: tuple[str, ...]
    seed: int = 0
    engine: str = "vector"

    def __call__(self, replication: int = 0, **params: Any) -> dict[str, float]:
        """Run replication ``replication`` with ``params`` set; the outputs by name."""
        by_name = dict(self.paths)
        settings = {by_name[name]: _plain(value) for name, value in params.items()}
        sc = with_overrides(scenario_from_json(self.scenario_json), settings)
        seed = replication_seed(self.seed, int(replication))
        kpis = run(sc, seed, engine=self.engine, force=True).kpis
        return {name: float(kpis[name]) for name in self.outputs}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def ema_model(
    scenario: Scenario,
    factors: Sequence[Factor],
    outputs: Sequence[str],
    replications: int = 1,
    seed: int = 0,
    engine: str = "vector",
    name: str = "crmsim",
) -> Any:
    """An ``ema_workbench`` model of ``scenario`` over ``factors``, returning ``outputs``.

    Args:
        scenario: the base scenario.
        factors: the factors: uncertainties become EMA uncertainties, levers EMA levers
            (``RealParameter``, ``IntegerParameter`` or ``CategoricalParameter`` by scale).
        outputs: KPI names; each an ``ArrayOutcome``: one value per replication, so an
            outcome's array has shape (experiments, replications).
        replications: replications per experiment on common random numbers.
        seed: the experiment seed.
        engine: the simulation engine.
        name: the model's name (EMA wants an identifier).

    Returns:
        An ``ema_workbench.ReplicatorModel``.

    Raises:
        UserError: ``ema_workbench`` is not installed; two factors with one EMA name.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns about optional back-ends at import
            import ema_workbench as ew
    except ImportError:  # pragma: no cover - depends on the environment
        raise UserError(
            "the EMA Workbench adapter needs ema_workbench: pip install 'crm-sandbox[ema]'"
        ) from None
    names = [ema_name(f) for f in factors]
    if len(set(names)) != len(names):
        raise UserError(f"two factors share an EMA parameter name: {sorted(names)}")
    function = KpiFunction(
        scenario_json(scenario),
        tuple((n, f.path) for n, f in zip(names, factors, strict=True)),
        tuple(outputs),
        seed,
        engine,
    )
    # Always a ReplicatorModel with ArrayOutcomes, even for one replication: EMA keeps one
    # outcome class per outcome name for the whole process, so a Model with ScalarOutcomes
    # after a ReplicatorModel (or before) of the same KPI would be refused.
    model = ew.ReplicatorModel(name, function=function)
    model.replications = [{"replication": r} for r in range(max(replications, 1))]
    params = {n: _parameter(ew, n, f) for n, f in zip(names, factors, strict=True)}
    model.uncertainties = [params[n] for n, f in zip(names, factors, strict=True)
                           if f.kind == "uncertainty"]  # fmt: skip
    model.levers = [params[n] for n, f in zip(names, factors, strict=True) if f.kind == "lever"]
    model.outcomes = [ew.ArrayOutcome(o) for o in outputs]
    return model


def _parameter(ew: Any, name: str, factor: Factor) -> Any:
    if factor.categorical:
        return ew.CategoricalParameter(name, list(factor.levels))
    if factor.scale == "integer":
        return ew.IntegerParameter(name, int(factor.low or 0), int(factor.high or 0))
    return ew.RealParameter(name, float(factor.low or 0.0), float(factor.high or 0.0))
