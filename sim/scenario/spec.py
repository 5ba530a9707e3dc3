"""Scenarios: the typed, frozen description of one simulated world and its strategy.

A scenario composes the parameter models that ``agents/`` defines — the world
(``market``, ``population``) apart from the decisions (``strategy``), in the EMA Workbench
spirit — plus the run frame (setting, horizon, reporting period) and output options.

Loading (:func:`load_scenario`) reads a library name, a YAML file or a dict; follows
``extends:`` chains (deep merge: mappings merge, lists and scalars replace); applies dotted
overrides checked against the schema; and validates. Every problem found is reported at
once in a :class:`~sim.errors.ScenarioError` naming the file, the line, the dotted field
path, the bad value and what is allowed instead. This module only composes those steps:
reading files lives in :mod:`sim.scenario.sources`, overrides in :mod:`sim.scenario.overrides`,
turning
validation errors into problems in :mod:`sim.scenario.diagnosis`, and the schema walk behind every
"allowed" text in :mod:`sim.scenario.fields`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, model_validator

from agents.dropout import BGDropout, ParetoDropout, SBGDropout
from agents.economics import EconomicsParams
from agents.firm import StrategyParams
from agents.market import MarketParams
from agents.rules import BehaviourParams
from agents.traits import SegmentParams
from agents.units import DAYS_PER_MONTH, Days, Frozen
from sim.errors import ScenarioError
from sim.rng import DEFAULT_SEED
from sim.scenario.diagnosis import validate
from sim.scenario.headlines import Headline, headline_problems
from sim.scenario.overrides import Overrides, apply_overrides, read_overrides
from sim.scenario.sources import Origins, read_source

__all__ = [
    "ContractParams",
    "OutputParams",
    "Overrides",
    "PopulationParams",
    "Scenario",
    "dump_yaml",
    "load_scenario",
    "parse_overrides",
    "scenario_hash",
    "scenario_to_dict",
    "with_overrides",
]


class PopulationParams(Frozen):
    """The customers at the start and the segment mix of everyone who arrives later."""

    initial: int = Field(
        default=1000,
        ge=0,
        description="customers at day 0: a launch cohort (channel 'initial') that the "
        "retention KPIs follow",
    )
    segments: tuple[SegmentParams, ...] = Field(
        min_length=1,
        description="customer segments, each a recipe for its customers; shares sum to 1",
    )

    @model_validator(mode="after")
    def _shares(self) -> PopulationParams:
        total = sum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            shares = ", ".join(f"{s.name}={s.share:g}" for s in self.segments)
            raise ValueError(f"segment shares must sum to 1, got {total:g} ({shares})")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segment names must be unique, got {names}")
        return self


class ContractParams(Frozen):
    """Contractual setting: how often the subscription renews (and is paid)."""

    every: Days = Field(
        default=DAYS_PER_MONTH,
        gt=0.0,
        description="renewal interval (contractual setting): the fee is charged and "
        "cancellation observed at each renewal; 1mo: a monthly subscription",
    )


class OutputParams(Frozen):
    """What the run keeps besides the periods and customers tables."""

    ledger: Literal["full", "aggregate"] = Field(
        default="full",
        description="keep every emotional-account entry, or only per-period totals by reason "
        "(smaller output, no per-customer stories)",
    )
    events: bool = Field(
        default=False,
        description="keep the full event log: acquisitions, purchases, churns, win-backs",
    )


class Scenario(Frozen):
    """One world, one strategy, one run frame."""

    name: str = Field(
        default="scenario",
        min_length=1,
        description="scenario name: labels the run, its manifest, output folder and arms",
    )
    lesson: str = Field(
        default="",
        description="one line: what this scenario teaches (listed by the CLI)",
    )
    description: str = Field(
        default="", description="free text for the trainer; does not affect the run"
    )
    setting: Literal["noncontractual", "contractual"] = Field(
        default="noncontractual",
        description="noncontractual (purchases, latent dropout) or contractual (renewals, "
        "observed cancellation)",
    )
    horizon: Days = Field(
        default=3 * 365.25,
        gt=0.0,
        le=50 * 365.25,
        description="simulated time; 3y: long enough for 12-, 24- and 36-month retention",
    )
    period: Days = Field(
        default=DAYS_PER_MONTH,
        gt=0.0,
        description="reporting period and policy epoch: one periods row, per-period costs; "
        "1mo: the rhythm of a CRM review meeting",
    )
    seed: int = Field(
        default=DEFAULT_SEED,
        ge=0,
        description="root seed of the random streams when a run gives none",
    )
    market: MarketParams = Field(
        default=MarketParams(),
        description="the world outside: the going market price and competitor promotions",
    )
    population: PopulationParams = Field(
        description="the customers: initial cohort and segments of everyone who arrives"
    )
    behaviour: BehaviourParams = Field(
        default=BehaviourParams(),
        description="the customer's mind: satisfaction, trust, ladder, churn hazard",
    )
    strategy: StrategyParams = Field(
        default=StrategyParams(), description="the firm's levers; each cost flows into profit"
    )
    economics: EconomicsParams = Field(
        default=EconomicsParams(),
        description="margins, fixed costs and the discount rate",
    )
    contract: ContractParams = Field(
        default=ContractParams(), description="renewal interval of the contractual setting"
    )
    output: OutputParams = Field(
        default=OutputParams(),
        description="what the run keeps besides the periods and customers tables",
    )
    arms: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="named override sets (dotted path: value) for a policy comparison; each "
        "arm runs this scenario plus its overrides",
    )
    headlines: tuple[Headline, ...] = Field(
        default=(),
        description="the lesson's headline comparisons: two arms each and the KPIs that "
        "docs/lessons.md reports for them; does not affect the run",
    )

    @model_validator(mode="after")
    def _setting(self) -> Scenario:
        if self.period > self.horizon:
            raise ValueError(
                f"period ({self.period:g} d) is longer than horizon ({self.horizon:g} d)"
            )
        for i, seg in enumerate(self.population.segments):
            d = seg.dropout
            if self.setting == "contractual" and isinstance(d, BGDropout | ParetoDropout):
                raise ValueError(
                    f"population.segments.{i}.dropout: model {d.model!r} is for the "
                    "noncontractual setting; a contractual scenario needs 'sbg' or 'constant'"
                )
            if self.setting == "noncontractual" and isinstance(d, SBGDropout):
                raise ValueError(
                    f"population.segments.{i}.dropout: model 'sbg' is for the contractual "
                    "setting; use 'bg', 'pareto' or 'constant'"
                )
            if self.setting == "noncontractual" and seg.purchase is None:
                raise ValueError(
                    f"population.segments.{i}.purchase is required in the noncontractual setting"
                )
        return self

    @property
    def n_periods(self) -> int:
        """Number of reporting periods (the last one may be shorter)."""
        n = self.horizon / self.period
        return max(1, int(n) + (1 if n - int(n) > 1e-9 else 0))


# =========================================================================== loading
def load_scenario(
    source: str | Path | Mapping[str, Any],
    overrides: Overrides | None = None,
    *,
    kpis: Collection[str] | None = None,
) -> Scenario:
    """Load, merge, override and validate a scenario.

    Args:
        source: a library name (``"baseline"``, located by :mod:`scenarios`), a path to a
            ``.yaml`` file, or a mapping with the scenario's content. A file or mapping may
            say ``extends: <name or relative path>`` to start from another scenario; the
            file is deep-merged on top of its parent (mappings merge, lists and scalars
            replace). Relative paths are resolved from the extending file's folder (the
            working directory for a mapping), bare names from the library.
        overrides: dotted paths set after merging, as a mapping
            (``{"strategy.service.staff": 4, "population.segments.0.share": 0.5}``) or
            ``"path=value"`` strings as typed after ``--set`` (the value is parsed as YAML,
            so ``4``, ``0.5``, ``true``, ``30d`` and ``[1, 2]`` work). Integer components
            index lists. A mapping value is deep-merged into the mapping already there.
        kpis: the KPI names a headline may report. The KPI catalogue lives above this layer
            (in :mod:`sim.results`), so a caller that reads headlines hands it in; None
            leaves headline metrics unchecked.

    Returns:
        The validated, frozen scenario. A file that does not set ``name`` is named after
        its stem.

    Raises:
        ScenarioError: every problem found — unreadable or invalid YAML, a broken
            ``extends`` chain, override paths that do not exist in the schema, each
            validation error, and headlines naming an arm the scenario lacks or a metric
            outside ``kpis`` — with file, line, dotted path, value and what is allowed.
    """
    data, origins, file = read_source(source, Scenario)
    apply_overrides(Scenario, data, origins, overrides, file)
    scenario = validate(Scenario, data, origins, file)
    problems = headline_problems(scenario.headlines, scenario.arms, origins, kpis)
    if problems:
        raise ScenarioError(problems, file)
    return scenario


def with_overrides(scenario: Scenario, overrides: Overrides) -> Scenario:
    """A copy of ``scenario`` with dotted overrides applied and validated again.

    Args:
        scenario: a validated scenario (e.g. the base of a policy comparison).
        overrides: as for :func:`load_scenario`.

    Returns:
        The new scenario; ``scenario`` itself is unchanged.

    Raises:
        ScenarioError: an override path that does not exist, or a value that fails
            validation.
    """
    data = scenario_to_dict(scenario)
    origins: Origins = {}
    apply_overrides(Scenario, data, origins, overrides, None)
    changed = validate(Scenario, data, origins, None)
    problems = headline_problems(changed.headlines, changed.arms, origins, None)
    if problems:
        raise ScenarioError(problems)
    return changed


def parse_overrides(overrides: Overrides | None) -> dict[str, Any]:
    """Normalise overrides to an ordered mapping of dotted path → value.

    Args:
        overrides: a mapping of dotted paths to values, one ``"path=value"`` string, or an
            iterable of them. The text after the first ``=`` is parsed with
            ``yaml.safe_load`` (an empty value means null). A later entry for the same path
            wins.

    Returns:
        The overrides in the order given. Paths are not checked against the schema here
        (that happens when they are applied).

    Raises:
        ScenarioError: an entry that is not ``path=value`` or whose value is not YAML.
    """
    parsed, problems = read_overrides(overrides)
    if problems:
        raise ScenarioError(problems)
    return parsed


def scenario_to_dict(s: Scenario) -> dict[str, Any]:
    """The scenario as plain JSON-able data (durations in days, tuples as lists).

    ``Scenario.model_validate(scenario_to_dict(s)) == s`` holds.
    """
    return s.model_dump(mode="json")


def scenario_hash(s: Scenario) -> str:
    """Identity of a resolved scenario: sha256 of its canonical JSON, first 16 hex digits.

    Every field counts, the name included; key order and the way a value was written
    (``30d`` or ``30``, a parent file or an override) do not.
    """
    canonical = json.dumps(
        scenario_to_dict(s), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


class _ShowDumper(yaml.SafeDumper):
    """Block mappings, with lists of plain values kept on one line."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(x, dict | list) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_ShowDumper.add_representer(list, _represent_list)


def dump_yaml(s: Scenario) -> str:
    """The fully resolved scenario as YAML (for ``crmsim show``); durations in days.

    The text loads back to an equal scenario.
    """
    header = f"# {s.name}: resolved scenario {scenario_hash(s)}; durations in days\n"
    body = yaml.dump(
        scenario_to_dict(s),
        Dumper=_ShowDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return header + body
