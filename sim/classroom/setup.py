"""A class's world: the stored scenario and settings turned into what every team plays.

The picture is a business-school case whose numbers change every year. The trainer picks a
lesson; the class settings say how many rounds, how long each is, which levers teams hold,
what they may spend, which market shocks are coming and how teams are scored. Some facts of
the world (how loss-averse customers are, how fast trust fades, the market price) are not
the lesson's printed values but draws from a *published family* (each a range, shown to the
class), taken on the class seed: last year's answers do not carry over, and when the trainer
reveals the seed the whole class replays exactly.

Every team's world is this one setup on this one world seed — the same customers, the same
shocks, the same luck (common random numbers) — so two teams differ only by their
decisions. :meth:`ClassSetup.replicate` makes the same class on another draw of the family
and another world seed: the luck-versus-skill view replays every team there.

The settings read here (the store keeps them as given, :func:`sim.classroom.check_config`):

``rounds``
    number of rounds (1–100).
``periods_per_round``
    reporting periods in a round (default 1): a class of six quarterly rounds on a monthly
    scenario has ``periods_per_round: 3``. The class's horizon is rounds × this × the
    scenario's period.
``customers``
    the class world's initial population (the scenario's own if absent); every lever range
    is in that world's scale.
``engine``
    ``vector`` (default) or ``agent``.
``hidden``
    the published family: dotted path → ``{"low", "high"}`` (optionally ``"scale": "log"``);
    absent: the uncertainties of :data:`sim.scenario.space.DEFAULT_SPACE` with their ranges;
    ``{}``: none, the lesson's printed world.
``events``
    scheduled market shocks: ``{"round": 4, "discount": 0.1, "duration": 90}`` is a
    competitor promotion cutting the market price by 10 % for 90 days from the start of
    round 4 (the engines' ``market.promotions``).
``budget``
    money a team may commit per round through the spending levers (acquisition budget,
    service staff and account managers at their salaries); absent: no limit.
``scoring``
    ``{"rule": "profit" | "discounted_profit" | "retention" | "clv" | "mix", "weights":
    {...}}`` (:mod:`sim.classroom.world` says what each means).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from sim.classroom.schema import canonical_json, refusal
from sim.errors import Problem, ScenarioError
from sim.scenario.dotted_paths import data_at
from sim.scenario.scaling import scaled
from sim.scenario.space import DEFAULT_SPACE, Factor
from sim.scenario.spec import Scenario, load_scenario, scenario_to_dict, with_overrides

__all__ = ["RULES", "SPENDING", "ClassSetup", "hidden_family", "round_cost"]

#: The scoring rules a class may name.
RULES = ("profit", "discounted_profit", "retention", "clv", "mix")

#: The levers that commit money each period, and the scenario field giving the money per
#: unit of the lever (None: the lever is itself money per period).
SPENDING: dict[str, str | None] = {
    "strategy.acquisition.budget_per_period": None,
    "strategy.service.staff": "strategy.service.salary_per_period",
    "strategy.account_managers.count": "strategy.account_managers.salary_per_period",
}

_ENGINES = ("vector", "agent")


def hidden_family(config: Mapping[str, Any]) -> tuple[Factor, ...]:
    """The published family of the hidden parameters (see the module docstring)."""
    given = config.get("hidden")
    if given is None:
        return tuple(f for f in DEFAULT_SPACE if f.kind == "uncertainty")
    if not isinstance(given, Mapping):
        raise refusal("hidden", given, "classroom.refused.hidden")
    family = []
    for path, spec in given.items():
        ok = isinstance(spec, Mapping) and all(
            isinstance(spec.get(k), int | float) and not isinstance(spec.get(k), bool)
            for k in ("low", "high")
        )
        scale = spec.get("scale", "linear") if isinstance(spec, Mapping) else None
        if not ok or spec["low"] > spec["high"] or scale not in ("linear", "log"):
            raise refusal(f"hidden.{path}", spec, "classroom.refused.hidden_range",
                          "classroom.allowed.hidden_range")  # fmt: skip
        family.append(Factor(path, kind="uncertainty", low=float(spec["low"]),
                             high=float(spec["high"]), scale=scale))  # fmt: skip
    return tuple(family)


def _stream(class_seed: int, name: str, *key: int) -> np.random.SeedSequence:
    """A child of the class seed keyed by name (adding a name never shifts another)."""
    return np.random.SeedSequence(class_seed, spawn_key=(zlib.crc32(name.encode()), *key))


def _draw(family: tuple[Factor, ...], class_seed: int, replicate: int) -> dict[str, Any]:
    """One member of the family: each parameter from its own stream, uniform on its scale."""
    drawn = {}
    for factor in family:
        seq = _stream(class_seed, "hidden", replicate, zlib.crc32(factor.path.encode()))
        u = float(np.random.Generator(np.random.PCG64(seq)).random())
        drawn[factor.path] = factor.value(u)
    return drawn


def _world_seed(class_seed: int, replicate: int) -> int:
    """The root seed of the class world (replicate 0) or of another draw of it."""
    word = _stream(class_seed, "world", replicate).generate_state(1, np.uint64)[0]
    return int(word >> np.uint64(1))  # a seed below 2**63, as the store keeps them


def _events(config: Mapping[str, Any], round_days: float, rounds: int) -> list[dict[str, Any]]:
    events = config.get("events", [])
    if not isinstance(events, list):
        raise refusal("events", events, "classroom.refused.events")
    promotions = []
    for i, ev in enumerate(events):
        where = f"events.{i}"
        keys = {"round", "discount", "duration"}
        if not isinstance(ev, Mapping) or set(ev) != keys:
            raise refusal(where, ev, "classroom.refused.event")
        r = ev["round"]
        if isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= rounds:
            raise refusal(where + ".round", r, "classroom.refused.event_round",
                          "classroom.allowed.from_to", low=1, high=rounds)  # fmt: skip
        promotions.append({"start": (r - 1) * round_days, "duration": ev["duration"],
                           "discount": ev["discount"]})  # fmt: skip
    return promotions


@dataclass(frozen=True)
class ClassSetup:
    """Everything a class's worlds are made of (see the module docstring).

    Attributes:
        scenario: the class world: hidden parameters and events applied, resized, its
            horizon ``rounds × periods_per_round`` periods.
        rounds: rounds in the class.
        periods_per_round: reporting periods per round.
        open_levers: dotted path → its spec (``{"min", "max"}`` or ``{"choices"}``).
        budget: money a team may commit per round (None: no limit).
        scoring: the scoring rule (``{"rule": ..., "weights": ...}``).
        engine: the engine every team's world runs on.
        seed: the world's root seed.
        hidden: the drawn hidden parameters, path → value.
        class_seed: the class seed everything above was drawn from.
        replicate_index: 0 for the class's own world, i for its i-th replicate.
        key: a fingerprint of all of it (caches of played worlds are keyed by it).
    """

    scenario: Scenario
    rounds: int
    periods_per_round: int
    open_levers: Mapping[str, Mapping[str, Any]]
    budget: float | None
    scoring: Mapping[str, Any]
    engine: str
    seed: int
    hidden: Mapping[str, Any]
    class_seed: int
    replicate_index: int = 0
    key: str = field(default="", compare=False)
    _source: tuple[str, str] = field(default=("", ""), repr=False, compare=False)

    @classmethod
    def from_class(
        cls, scenario: str, config: Mapping[str, Any], class_seed: int, replicate: int = 0
    ) -> ClassSetup:
        """The setup of a stored class (scenario text, settings and class seed).

        Raises:
            InvalidInput: settings this layer reads that are out of place (rounds, periods
                per round, engine, customers, hidden family, events, scoring, budget).
            ScenarioError: a scenario text that does not load, or a setting that takes it
                past a field's limits (a hidden range beyond what the field allows).
        """
        base = load_scenario(_parsed(scenario))
        rounds = config.get("rounds")
        per = config.get("periods_per_round", 1)
        for name, v in (("rounds", rounds), ("periods_per_round", per)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise refusal(name, v, "classroom.refused.count")
        assert isinstance(rounds, int) and isinstance(per, int)
        engine = config.get("engine", "vector")
        if engine not in _ENGINES:
            raise refusal("engine", engine, "classroom.refused.engine", "classroom.allowed.one_of",
                          names=", ".join(_ENGINES))  # fmt: skip
        customers = config.get("customers")
        if customers is not None:
            if isinstance(customers, bool) or not isinstance(customers, int) or customers < 1:
                raise refusal("customers", customers, "classroom.refused.count")
            base = scaled(base, customers)
        rule = _scoring(config.get("scoring"))
        budget = config.get("budget")
        if budget is not None and not (
            isinstance(budget, int | float) and not isinstance(budget, bool) and budget >= 0
        ):
            raise refusal("budget", budget, "classroom.refused.budget")
        hidden = _draw(hidden_family(config), class_seed, replicate)
        round_days = per * base.period
        overrides: dict[str, Any] = {"horizon": rounds * round_days, **hidden}
        promotions = _events(config, round_days, rounds)
        if promotions:
            data = scenario_to_dict(base)
            overrides["market.promotions"] = [*data["market"]["promotions"], *promotions]
        world = with_overrides(base, overrides)
        parts = [scenario, canonical_json(dict(config), "config"), str(class_seed), str(replicate)]
        fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        return cls(
            scenario=world,
            rounds=rounds,
            periods_per_round=per,
            open_levers=dict(config.get("open_levers", {})),
            budget=None if budget is None else float(budget),
            scoring=rule,
            engine=engine,
            seed=_world_seed(class_seed, replicate),
            hidden=hidden,
            class_seed=class_seed,
            replicate_index=replicate,
            key=fingerprint,
            _source=(scenario, json.dumps(dict(config), sort_keys=True)),
        )

    def replicate(self, i: int) -> ClassSetup:
        """The same class on draw ``i`` of the hidden family and world seed (0: its own)."""
        scenario, config = self._source
        return ClassSetup.from_class(scenario, json.loads(config), self.class_seed, i)

    def baseline_levers(self) -> dict[str, Any]:
        """The class world's own value of every open lever: what a team that never moves plays."""
        data = scenario_to_dict(self.scenario)
        return {path: data_at(data, path) for path in self.open_levers}


def round_cost(setup: ClassSetup, levers: Mapping[str, Any]) -> float:
    """Money the open spending levers of ``levers`` commit over one round."""
    data = scenario_to_dict(setup.scenario)
    total = 0.0
    for path, per_unit in SPENDING.items():
        if path in setup.open_levers and path in levers:
            price = 1.0 if per_unit is None else float(data_at(data, per_unit))
            total += float(levers[path]) * price * setup.periods_per_round
    return total


def _scoring(given: object) -> dict[str, Any]:
    if given is None:
        return {"rule": "profit"}
    if not isinstance(given, Mapping) or given.get("rule") not in RULES:
        rule = given.get("rule") if isinstance(given, Mapping) else given
        raise refusal("scoring.rule", rule, "classroom.refused.rule", "classroom.allowed.one_of",
                      names=", ".join(RULES))  # fmt: skip
    if given["rule"] != "mix":
        return {"rule": given["rule"]}
    weights = given.get("weights")
    parts = [r for r in RULES if r != "mix"]
    if (
        not isinstance(weights, Mapping)
        or not weights
        or any(k not in parts for k in weights)
        or not all(isinstance(w, int | float) and not isinstance(w, bool) for w in weights.values())
        or sum(abs(float(w)) for w in weights.values()) == 0
    ):
        raise refusal("scoring.weights", weights, "classroom.refused.weights",
                      "classroom.allowed.weights", names=", ".join(parts))  # fmt: skip
    return {"rule": "mix", "weights": {k: float(w) for k, w in weights.items()}}


def _parsed(text: str) -> Any:
    """The stored scenario text as a mapping (YAML, of which JSON is a part)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ScenarioError([Problem("scenario", None, None, f"not YAML: {err}")]) from None
    if isinstance(data, str):  # a library name
        return data
    if not isinstance(data, Mapping):
        raise ScenarioError([Problem("scenario", None, None, "must be a scenario mapping")])
    return data
