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

import copy
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
from agents.units import DAYS_PER_MONTH, MAX_HORIZON, Days, Frozen
from sim.errors import Problem, ScenarioError, check_source
from sim.rng import DEFAULT_SEED
from sim.scenario.diagnosis import validate
from sim.scenario.headlines import Headline, headline_problems, reference_problems
from sim.scenario.overrides import Overrides, apply_overrides, read_overrides
from sim.scenario.sections import ContractParams, OutputParams, PopulationParams, Translation
from sim.scenario.sources import Origins, read_source

__all__ = [
    "ContractParams",
    "OutputParams",
    "Overrides",
    "PopulationParams",
    "Scenario",
    "armless",
    "dump_yaml",
    "load_scenario",
    "parse_overrides",
    "scenario_hash",
    "scenario_to_dict",
    "with_overrides",
]


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
    see: str = Field(
        default="",
        description="what a learner should see, in a few sentences: shown by crmsim show and "
        "at the top of the run and comparison reports; does not affect the run",
    )
    zh: Translation = Field(
        default=Translation(),
        description="the lesson header in Chinese (lesson, see, description): shown by the "
        "dashboard, crmsim show and the reports with --lang zh; does not affect the run",
    )
    setting: Literal["noncontractual", "contractual"] = Field(
        default="noncontractual",
        description="noncontractual (purchases, latent dropout) or contractual (renewals, "
        "observed cancellation)",
    )
    horizon: Days = Field(
        default=3 * 365.25,
        gt=0.0,
        le=MAX_HORIZON,
        description="simulated time; 3y: long enough for 12-, 24- and 36-month retention",
    )
    period: Days = Field(
        default=DAYS_PER_MONTH,
        ge=1.0,  # a day: each period is a policy epoch over every customer and a table row
        le=MAX_HORIZON,
        description="reporting period and policy epoch: one periods row, per-period costs; "
        "1mo: the rhythm of a CRM review meeting",
    )
    # No ceiling: numpy's SeedSequence takes any whole number, as --seed does (check_seed).
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
    reference: str | None = Field(
        default=None,
        description="the arm crmsim run runs when no --arm is given, and the baseline of a "
        "comparison of the arms; one of arms (null: the first arm)",
    )
    headlines: tuple[Headline, ...] = Field(
        default=(),
        description="the lesson's headline comparisons: two arms each and the KPIs that "
        "docs/lessons.md reports for them; does not affect the run",
    )

    @property
    def reference_arm(self) -> str | None:
        """The arm run when none is named: ``reference``, else the first arm (None: no arms)."""
        return self.reference if self.reference is not None else next(iter(self.arms), None)

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
            working directory for a mapping), bare names from the library. A path must
            name a ``.yaml`` or ``.yml`` file inside that folder (or below it) or inside the
            library, checked after following symbolic links: ``/etc/passwd``, ``../x.yaml``
            and links leading elsewhere are refused without being opened, so a shared file
            cannot pull other files into a message. A file must be a regular file of at most
            1 MiB; parsing stops past 20,000 values (an alias counts at each use), 32
            levels of nesting or a 50-digit integer, and a chain has at most 16 files.
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
        ArgumentError: a ``source`` that is neither a name, a path nor a mapping (None, a
            number, bytes …), or an empty name.
        ScenarioError: every problem found — a file that is not a small regular file,
            unreadable or invalid YAML or YAML past a reading limit, a broken or refused
            ``extends`` chain, override paths that do not exist in the schema, each
            validation error (``true`` or ``false`` where a number is expected among
            them), an arm whose overrides name no setting or make the scenario
            invalid, and headlines naming an arm the scenario lacks or a metric outside
            ``kpis`` — with file, line, dotted path, value and what is allowed.
    """
    check_source(source, "source", objects=False)
    data, origins, file = read_source(source, Scenario)
    apply_overrides(Scenario, data, origins, overrides, file)
    scenario = validate(Scenario, data, origins, file)
    problems = _arm_problems(scenario, origins, file)
    problems += headline_problems(scenario.headlines, scenario.arms, origins, kpis)
    problems += reference_problems(scenario.reference, scenario.arms, origins)
    if problems:
        raise ScenarioError(problems, file)
    return scenario


def _arm_problems(scenario: Scenario, origins: Origins, file: Path | None) -> list[Problem]:
    """Problems of each arm's overrides, checked now so that ``validate`` covers compare.

    Each problem is renamed ``arms.<arm>.<path>`` and placed on the arm's line.
    """
    problems: list[Problem] = []
    plain = scenario_to_dict(scenario) if scenario.arms else {}
    plain.update(armless())
    for arm, arm_overrides in scenario.arms.items():
        data = copy.deepcopy(plain)
        arm_origins: Origins = {}
        try:
            apply_overrides(Scenario, data, arm_origins, arm_overrides, file)
            validate(Scenario, data, arm_origins, file)
        except ScenarioError as exc:
            for p in exc.problems:
                at = origins.get(f"arms.{arm}.{p.path}") or origins.get(f"arms.{arm}")
                problems.append(
                    Problem(
                        f"arms.{arm}.{p.path}" if p.path else f"arms.{arm}",
                        at.line if at else None,
                        p.value,
                        f"in arm {arm!r}, {p.message}",
                        p.allowed,
                        at.file if at else None,
                        at.override if at else False,
                    )
                )
    return problems


def armless() -> dict[str, Any]:
    """The fields that turn a scenario's data into one arm's, to merge into the data.

    An arm has no arms of its own, so no headlines comparing them and no reference arm.
    A fresh dict each call: the data it is merged into may be changed afterwards.
    """
    return {"arms": {}, "headlines": [], "reference": None}


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
