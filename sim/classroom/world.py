"""Playing a class: each team's decisions, round by round, in the class's one world.

A team's world is :class:`~sim.classroom.setup.ClassSetup`'s scenario on its world seed,
stepped a round (``periods_per_round`` reporting periods) at a time; at the start of each
round the team's levers for that round are set (:meth:`sim.dashboard.live.LiveRun.retune`:
a lever changes only at a period start, so the customers and the draws before it are
untouched). Every team faces the same customers and shocks, so the leaderboard's
differences are the decisions' (common random numbers).

The server simulates a round once it closes, for every team at once (:func:`simulate`),
and stores the result; nothing here remembers anything a restart would lose. Replaying is
exact, so a restarted server, the debrief and a class replayed next year from the revealed
seed all see the same numbers. Played worlds are kept in a small in-process cache keyed by
the class and the decisions so far, so advancing round *r* steps each team's world one
round on from round *r − 1* instead of replaying it from day 0.

A **decision** names every open lever (the team page's form always sends them all); a team
that does not submit in a round keeps its levers of the round before, and the levers of
round 1 start at the class world's own values. The scoring rules:

- ``profit``: cumulative profit to date (money);
- ``discounted_profit``: cumulative discounted profit (net present value);
- ``retention``: share of the launch cohort still a customer;
- ``clv``: mean customer lifetime value to date over every customer acquired;
- ``mix``: Σ weight × KPI ÷ |the same KPI under the class world's own levers|, each KPI
  measured against what a team that never moved would have (1.0 = as good as it, for a
  weight of 1).
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.classroom.said import NO_VALUE
from sim.classroom.schema import check_levers, refusal
from sim.classroom.setup import ClassSetup, round_cost
from sim.dashboard.live import LiveRun
from sim.errors import UserError
from sim.scenario.retune import retuned

__all__ = [
    "KPI_COLUMNS",
    "ClassSetup",
    "baseline_levers",
    "check_decision",
    "kpis",
    "lever_controls",
    "play",
    "schedules",
    "score",
    "simulate",
]

#: The KPIs of a team's world to date (:func:`kpis`); ``round`` says how many rounds.
KPI_COLUMNS: dict[str, str] = {
    "round": "rounds played",
    "revenue": "revenue to date, money",
    "costs": "every cost line to date, money",
    "profit": "revenue − costs to date, money",
    "discounted_profit": "profit to date discounted to day 0 (net present value), money",
    "active_end": "active customers at the end of the last round played",
    "customers_acquired": "customers ever acquired, the launch cohort included",
    "retention": "share of the launch cohort (day 0) still active",
    "mean_clv": "mean lifetime value to date over every customer acquired, money",
    "churned": "churn events to date",
    "complaints": "complaints voiced to date",
    "mean_wait": "mean wait of the tickets served to date, days (NaN: none)",
}
#: The KPI each single-KPI scoring rule reads.
_RULE_KPI = {
    "profit": "profit",
    "discounted_profit": "discounted_profit",
    "retention": "retention",
    "clv": "mean_clv",
}
#: Played worlds kept, about 10 MB each at 2,000 customers: a 40-team class and its baselines.
_CACHE_SIZE = 48
_cache: OrderedDict[tuple[str, str], LiveRun] = OrderedDict()
_lock = threading.Lock()


def baseline_levers(setup: ClassSetup) -> dict[str, Any]:
    """The class world's own value of every open lever."""
    return setup.baseline_levers()


def _schedule_key(levers_by_round: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps([dict(sorted(lv.items())) for lv in levers_by_round], sort_keys=True)


def play(setup: ClassSetup, levers_by_round: Sequence[Mapping[str, Any]]) -> LiveRun:
    """A team's world after ``len(levers_by_round)`` rounds, round *r* under its levers.

    The result may come from the cache and must not be stepped or retuned by the caller.

    Raises:
        UserError: more rounds than the class has; a lever set the scenario refuses.
    """
    rounds = len(levers_by_round)
    if rounds > setup.rounds:
        raise refusal("round", rounds, "classroom.refused.last_round", "classroom.allowed.from_to",
                      low=1, high=setup.rounds)  # fmt: skip
    key = (setup.key, _schedule_key(levers_by_round))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        start = (setup.key, _schedule_key(levers_by_round[:-1])) if rounds else None
        live = _cache.pop(start) if start in _cache else None  # type: ignore[arg-type]
    done = rounds - 1 if live is not None else 0
    if live is None:
        live = LiveRun(setup.scenario, setup.seed, setup.engine)
    for levers in levers_by_round[done:]:
        live.retune(dict(levers))
        for _ in range(setup.periods_per_round):
            live.step()
    with _lock:
        _cache[key] = live
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return live


def kpis(setup: ClassSetup, live: LiveRun) -> dict[str, float]:
    """The KPIs of :data:`KPI_COLUMNS` for a played world."""
    periods = live.periods()
    customers = live.customers()
    launch = customers[customers["acquired"] == 0.0]
    waits = periods["wait_mean"] * periods["tickets"]
    served = float(periods["tickets"].sum())
    out = {
        "round": float(live.period // setup.periods_per_round),
        "revenue": float(periods["revenue"].sum()),
        "costs": float(periods["costs"].sum()),
        "profit": float(periods["profit"].sum()),
        "discounted_profit": float(periods["discounted_profit"].sum()),
        "active_end": float(periods["active"].iloc[-1]) if len(periods) else 0.0,
        "customers_acquired": float(len(customers)),
        "retention": float(launch["active"].mean()) if len(launch) else math.nan,
        "mean_clv": float(customers["clv"].mean()) if len(customers) else math.nan,
        "churned": float(periods["churned"].sum()),
        "complaints": float(periods["complaints"].sum()),
        "mean_wait": float(np.nansum(waits) / served) if served else math.nan,
    }
    return out


def score(setup: ClassSetup, values: Mapping[str, float]) -> float:
    """The class's score of a world's KPIs (see the module docstring for the rules)."""
    rule = setup.scoring["rule"]
    if rule != "mix":
        return float(values[_RULE_KPI[rule]])
    rounds = int(values["round"])
    base = kpis(setup, play(setup, [setup.baseline_levers()] * rounds))
    total = 0.0
    for name, weight in setup.scoring["weights"].items():
        k = _RULE_KPI[name]
        scale = abs(base[k]) if base[k] and math.isfinite(base[k]) else 1.0
        total += weight * values[k] / scale
    return total


def schedules(
    setup: ClassSetup,
    teams: Sequence[str],
    decisions: Sequence[Mapping[str, Mapping[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """Each team's levers in force per round: its submission, else the round before's."""
    out: dict[str, list[dict[str, Any]]] = {}
    for team in teams:
        current = setup.baseline_levers()
        rounds = []
        for submitted in decisions:
            current = {**current, **submitted.get(str(team), {})}
            rounds.append(dict(current))
        out[str(team)] = rounds
    return out


def check_decision(
    scenario: str, config: Mapping[str, Any], levers: Mapping[str, Any]
) -> dict[str, Any]:
    """``levers`` checked against the open levers, their ranges, the scenario and the budget.

    Raises:
        InvalidInput: an open lever missing, a lever not open or out of its range, a value
            the scenario refuses, or a decision over the round budget — each naming the
            field, the value and what is allowed.
    """
    shaped = check_levers(config, levers)
    setup = _setup(scenario, config, 0)
    missing = sorted(set(setup.open_levers) - set(shaped))
    if missing:
        raise refusal("levers", NO_VALUE, "classroom.refused.missing_levers",
                      missing=", ".join(missing))  # fmt: skip
    try:
        retuned(setup.scenario, shaped)
    except UserError as err:  # the scenario's own words, in English, in a translated frame
        reason = str(err)
        raise refusal("levers", dict(shaped), "classroom.refused.scenario", reason=reason) from None
    cost = round_cost(setup, shaped)
    if setup.budget is not None and cost > setup.budget + 1e-9:
        raise refusal("budget", round(cost, 2), "classroom.refused.over_budget",
                      "classroom.allowed.budget", budget=setup.budget)  # fmt: skip
    return shaped


def lever_controls(scenario: str, config: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """One entry per open lever for a team's form: path, label, unit, kind, range, value."""
    from sim.dashboard.controls import choice_label, lever_label, lever_specs
    from sim.dashboard.state import say

    setup = _setup(scenario, config, 0)
    cat = say(lang)
    current = setup.baseline_levers()
    units = {s.path: s.unit_key for s in lever_specs(setup.scenario)}
    out = []
    for path, spec in setup.open_levers.items():
        unit = units.get(path, "")
        entry: dict[str, Any] = {
            "path": path,
            "label": lever_label(path, lang),
            "unit": cat(unit) if unit else "",
            "value": current[path],
        }
        if "choices" in spec:
            labels = [choice_label(c, lang) for c in spec["choices"]]
            entry.update(kind="choice", choices=list(spec["choices"]), choice_labels=labels)
        else:
            entry.update(kind="integer" if spec.get("integer") else "number",
                         min=spec["min"], max=spec["max"])  # fmt: skip
        out.append(entry)
    return out


def simulate(
    scenario: str,
    config: Mapping[str, Any],
    seed: int,
    teams: Sequence[str],
    decisions: Sequence[Mapping[str, Mapping[str, Any]]],
) -> dict[str, Any]:
    """The result of round ``len(decisions)`` for every team, as the store records it.

    ``decisions[k]`` is round *k + 1*'s latest submission of each team that submitted,
    ``{team id: levers}``. Returns ``{"teams": {team id: entry}, "public": {...}}``; a
    team's entry holds ``round``, ``score``, ``kpis`` (this round alone: the change in each
    cumulative KPI, the levels — retention, active customers, mean CLV — as they stand),
    ``cumulative`` (:func:`kpis`), ``levers`` (in force this round) and ``periods`` (its
    periods table so far, rows of the columns of :mod:`sim.results.schema`); ``public``
    holds ``round``, ``median`` (the class's median score) and ``leaderboard``: one row per
    team, best first, with ``team_id``, ``score``, ``diff_from_median`` (the paired
    difference: every team faces the same world) and ``rank`` (1 = best; ties share).
    """
    setup = _setup(scenario, config, seed)
    plan = schedules(setup, teams, decisions)
    r = len(decisions)
    entries: dict[str, dict[str, Any]] = {}
    for team, levers in plan.items():
        live = play(setup, levers)
        now = kpis(setup, live)
        entries[team] = {
            "round": r,
            "score": score(setup, now),
            "kpis": _this_round(setup, live, now),
            "cumulative": now,
            "levers": levers[-1],
            "periods": _records(live.periods()),
        }
    scores = {t: e["score"] for t, e in entries.items()}
    median = float(np.median(list(scores.values()))) if scores else math.nan
    order = sorted(scores, key=lambda t: (-scores[t], len(t), t))  # ties: by team id
    board = [
        {
            "team_id": t,
            "score": scores[t],
            "diff_from_median": scores[t] - median,
            "rank": 1 + sum(s > scores[t] for s in scores.values()),
        }
        for t in order
    ]
    return _finite(
        {"teams": entries, "public": {"round": r, "median": median, "leaderboard": board}}
    )


#: The KPIs that are sums over periods; the others are levels, read as they stand.
_FLOWS = ("revenue", "costs", "profit", "discounted_profit", "churned", "complaints")


def _this_round(setup: ClassSetup, live: LiveRun, now: Mapping[str, float]) -> dict[str, float]:
    """The KPIs of the last round alone: flows summed over its periods, levels as now."""
    last = live.periods().iloc[-setup.periods_per_round :]
    return {k: float(last[k].sum()) if k in _FLOWS else v for k, v in now.items()}


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as rows of plain Python values, every float exact (JSON keeps ``repr``)."""
    return [
        {str(k): v.item() if isinstance(v, np.generic) else v for k, v in row.items()}
        for row in table.to_dict(orient="records")
    ]


def _finite(value: Any) -> Any:
    """NaN and infinities as None: the store keeps strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


_setups: OrderedDict[tuple[str, str, int], ClassSetup] = OrderedDict()


def _setup(scenario: str, config: Mapping[str, Any], seed: int) -> ClassSetup:
    """The class's setup, built once per class (loading a scenario costs milliseconds)."""
    key = (scenario, json.dumps(dict(config), sort_keys=True), seed)
    with _lock:
        if key in _setups:
            return _setups[key]
    setup = ClassSetup.from_class(scenario, config, seed)
    with _lock:
        _setups[key] = setup
        while len(_setups) > 16:
            _setups.popitem(last=False)
    return setup
