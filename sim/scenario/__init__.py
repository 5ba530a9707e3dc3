"""Scenario input: the typed spec, loading with ``extends`` and overrides, diagnosis, scaling.

Everything a scenario file becomes before an engine sees it lives here, and nothing here
imports an engine:

>>> from sim.scenario import load_scenario, scaled
>>> small = scaled(load_scenario("baseline"), 500)
>>> small.population.initial
500
>>> load_scenario("baseline", {"strategy.service.staff": 4}).strategy.service.staff
4
"""

from __future__ import annotations

from sim.scenario.diagnosis import validate
from sim.scenario.overrides import Overrides, apply_overrides, read_overrides
from sim.scenario.retune import ROUND_LEVERS, RetuneError, retuned
from sim.scenario.scaling import scaled
from sim.scenario.spec import (
    ContractParams,
    OutputParams,
    PopulationParams,
    Scenario,
    dump_yaml,
    load_scenario,
    parse_overrides,
    scenario_hash,
    scenario_to_dict,
    with_overrides,
)

__all__ = [
    "ROUND_LEVERS",
    "ContractParams",
    "OutputParams",
    "Overrides",
    "PopulationParams",
    "RetuneError",
    "Scenario",
    "apply_overrides",
    "dump_yaml",
    "load_scenario",
    "parse_overrides",
    "read_overrides",
    "retuned",
    "scaled",
    "scenario_hash",
    "scenario_to_dict",
    "validate",
    "with_overrides",
]
