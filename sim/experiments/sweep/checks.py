"""Checking a sweep spec whole: every problem, with its file, line, field and what is allowed.

:func:`load_sweep` reads a spec (a file or a mapping), fills each factor in from the default
space (:data:`sim.scenario.space.DEFAULT_SPACE`), and refuses, all at once: an unknown key,
an unknown field path, a range whose low is above its high, a level the field does not
accept, a Sobol base sample that is not a power of two, a design with zero points, an
output that is not a KPI of the catalogue. Nothing is written before it returns.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import scenarios
from sim.engines import ENGINES
from sim.errors import Problem, ScenarioError
from sim.experiments.sweep.spec import DESIGNS, Design, SweepError, SweepSpec, read_spec_file
from sim.results.catalogue import KPIS
from sim.scenario.intake import show
from sim.scenario.space import KINDS, SCALES, Factor, default_factor, factor_problems, kind_of

__all__ = ["MAX_RUNS", "load_sweep"]

#: Runs a sweep makes at most: past this it would hold a machine for weeks, and is far
#: more often a slip (a Sobol N of 2**20) than a plan.
MAX_RUNS = 1_000_000

_TOP = ("name", "description", "base", "set", "factors", "design", "replications", "seed",
        "engine", "outputs")  # fmt: skip
_FACTOR = ("path", "name", "kind", "unit", "range", "scale", "levels")
_DESIGN = ("kind", "points", "levels", "seed", "levers")
KPI_NAMES = tuple(k.name for k in KPIS)


class _Collector:
    """Problems gathered against the spec's lines."""

    def __init__(self, file: Path | None, lines: dict[str, int]) -> None:
        self.file, self.lines, self.problems = file, lines, list[Problem]()

    def add(self, path: str, value: Any, message: str, allowed: str | None = None) -> None:
        line, probe = None, path
        while probe and line is None:
            line, probe = self.lines.get(probe), probe.rpartition(".")[0]
        shown = None if value is _MISSING else show(value)
        self.problems.append(Problem(path, line, shown, message, allowed, self.file))


_MISSING = object()


def load_sweep(
    source: str | Path | Mapping[str, Any], *, function_model: bool = False
) -> SweepSpec:
    """A checked sweep spec from a YAML file or a mapping.

    Args:
        source: a path to a spec file, or its content as a mapping.
        function_model: the sweep runs a Python function, not the simulation: there is no
            base scenario, factor paths are the function's argument names and outputs its
            result keys, so neither is checked against the scenario schema.

    Returns:
        The spec.

    Raises:
        SweepError: every problem found, each naming file, line and field.
    """
    file: Path | None = None
    lines: dict[str, int] = {}
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        file = Path(source)
        data, lines = read_spec_file(file)
    out = _Collector(file, lines)
    for key in data:
        if key not in _TOP:
            close = difflib.get_close_matches(str(key), _TOP, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.add(str(key), _MISSING, f"unknown key {key!r}", ", ".join(_TOP) + hint)
    name = data.get("name", file.stem if file else "sweep")
    if not isinstance(name, str) or not name.strip():
        out.add("name", name, "must be a non-empty text", "a name such as staffing_grid")
        name = "sweep"
    settings = data.get("set") or {}
    if not isinstance(settings, dict):
        out.add("set", settings, "must be a mapping of dotted paths to values",
                "e.g. {population.initial: 500, horizon: 1y}")  # fmt: skip
        settings = {}
    base, source_ref = _base(data.get("base", _MISSING), file, settings, out, function_model)
    factors = _factors(data.get("factors", _MISSING), out, function_model, source_ref, settings)
    design = _design(data.get("design", _MISSING), out, factors)
    reps = _count(data, "replications", 1, out, low=1)
    seed = _count(data, "seed", 0, out, low=0)
    engine = data.get("engine", "vector")
    if engine not in ENGINES:
        out.add("engine", engine, "is not an engine", ", ".join(ENGINES))
    outputs = data.get("outputs", _MISSING)
    if not isinstance(outputs, list) or not outputs:
        out.add("outputs", outputs, "must be a non-empty list of KPI names",
                "e.g. [profit, retention_12m]")  # fmt: skip
        outputs = []
    for i, metric in enumerate(outputs):
        if not function_model and metric not in KPI_NAMES:
            close = difflib.get_close_matches(str(metric), KPI_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.add(f"outputs.{i}", metric, "is not a KPI of the catalogue",
                    "a KPI of docs/results.md: " + ", ".join(KPI_NAMES[:8]) + " …"
                    + hint)  # fmt: skip
    if not out.problems:
        runs = _points(design, factors) * reps
        if runs > MAX_RUNS:
            out.add("design", _MISSING, f"{runs:,} runs is above the ceiling of {MAX_RUNS:,}",
                    "fewer points or replications")  # fmt: skip
    if out.problems:
        raise SweepError(out.problems, file)
    return SweepSpec(
        name=name.strip(), description=str(data.get("description", "")), base=str(base),
        base_source=source_ref, settings=dict(settings), factors=tuple(factors), design=design,
        replications=reps, seed=seed, engine=str(engine), outputs=tuple(map(str, outputs)),
        file=file, lines=lines,
    )  # fmt: skip


def _count(data: Mapping[str, Any], key: str, default: int, out: _Collector, low: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        out.add(key, value, f"must be a whole number ≥ {low}", f"a whole number ≥ {low}")
        return default
    return value


def _base(
    ref: Any, file: Path | None, settings: dict[str, Any], out: _Collector, function_model: bool
) -> tuple[str, str]:
    """The base as written and what loads it; the base is loaded once with the settings."""
    from sim.scenario.spec import load_scenario

    if function_model:
        return ("" if ref is _MISSING else str(ref)), ""
    if not isinstance(ref, str) or not ref.strip():
        out.add("base", ref, "names no scenario", "a library scenario (baseline) or a .yaml path")
        return "", ""
    ref = ref.strip()
    loaded = ref
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        folder = (file.parent if file else Path.cwd()).resolve()
        target = (folder / ref).resolve()
        if not any(target.is_relative_to(d) for d in (folder, scenarios.SCENARIO_DIR)):
            out.add("base", ref, "points outside this spec's folder and the scenario library",
                    "a library scenario name, or a .yaml path below this spec's "
                    "folder")  # fmt: skip
            return ref, ""
        loaded = str(target)
    try:
        load_scenario(loaded, settings or None)
    except ScenarioError as exc:
        for p in exc.problems:
            where = f"set.{p.path}" if p.override else "base"
            out.add(where, _MISSING, p.render(exc.file), p.allowed)
        return ref, ""
    return ref, loaded


def _factors(
    raw: Any, out: _Collector, function_model: bool, base: str, settings: dict[str, Any]
) -> list[Factor]:
    if not isinstance(raw, list) or not raw:
        out.add("factors", raw if raw is not _MISSING else _MISSING,
                "must be a non-empty list of factors",
                "items such as {path: strategy.service.staff}")  # fmt: skip
        return []
    factors: list[Factor] = []
    names: dict[str, int] = {}
    for i, item in enumerate(raw):
        at = f"factors.{i}"
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            out.add(at, item, "a factor is a mapping with a path", "{path: strategy.service.staff}")
            continue
        for key in item:
            if key not in _FACTOR:
                out.add(f"{at}.{key}", _MISSING, f"unknown key {key!r}", ", ".join(_FACTOR))
        factor = _factor(item, at, out, function_model)
        if factor is None:
            continue
        if factor.name in names:
            out.add(f"{at}.name", factor.name, f"the name is used by factor {names[factor.name]}",
                    "a unique name per factor (name: …)")  # fmt: skip
        names[factor.name] = i
        if not function_model and base:
            for part, message, allowed in factor_problems(factor, base, settings):
                out.add(f"{at}.{part}", item.get(part, item["path"]), message, allowed)
        factors.append(factor)
    return factors


def _factor(item: dict[str, Any], at: str, out: _Collector, function_model: bool) -> Factor | None:
    path = item["path"].strip()
    known = None if function_model else default_factor(path)
    factor = known or Factor(path, kind="uncertainty" if function_model else kind_of(path))
    changes: dict[str, Any] = {}
    for key, allowed in (("kind", KINDS), ("scale", SCALES)):
        if key in item:
            if item[key] not in allowed:
                out.add(f"{at}.{key}", item[key], f"is not a {key}", ", ".join(allowed))
                return None
            changes[key] = item[key]
    for key in ("name", "unit"):
        if key in item:
            changes[key] = str(item[key])
    if "levels" in item:
        levels = item["levels"]
        if not isinstance(levels, list) or not levels:
            out.add(f"{at}.levels", levels, "must be a non-empty list", "e.g. [2, 3, 4]")
            return None
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels)
        if not numeric and len({type(v) for v in levels}) > 1:
            out.add(f"{at}.levels", levels, "levels of one factor must share one type",
                    "e.g. [basic, lescant] or [2, 3, 4]")  # fmt: skip
            return None
        changes["levels"] = tuple(levels)
        if not numeric:
            changes["scale"] = "categorical"
        elif known is not None and known.categorical and "scale" not in item:
            changes["scale"] = "linear"
    if "range" in item:
        rng = item["range"]
        pair = isinstance(rng, list) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in rng
        )
        if not pair or len(rng) != 2:
            out.add(f"{at}.range", rng, "must be [low, high], two numbers", "e.g. [0.5, 0.8]")
            return None
        changes.update(low=float(rng[0]), high=float(rng[1]))
        if known is not None and known.categorical and "scale" not in item:
            changes["scale"] = "linear"
    factor = replace(factor, **changes)
    if not factor.categorical and factor.low is None and not factor.levels:
        out.add(at, item["path"], "has no range or levels (the default space has none for it)",
                "range: [low, high] or levels: [...]")  # fmt: skip
        return None
    if factor.categorical and not factor.levels:
        out.add(f"{at}.levels", _MISSING, "a categorical factor needs levels", "levels: [a, b]")
        return None
    if factor.levels and not factor.categorical and factor.low is None:
        numbers = [float(v) for v in factor.levels]
        factor = replace(factor, low=min(numbers), high=max(numbers))
    if factor.scale == "integer" and factor.low is not None and not function_model:
        factor = replace(factor, low=float(factor.low), high=float(factor.high or 0))
    return factor


def _design(raw: Any, out: _Collector, factors: list[Factor]) -> Design:
    if raw is _MISSING:
        raw = {}
    if not isinstance(raw, dict):
        out.add("design", raw, "must be a mapping", "e.g. {kind: sobol, points: 256}")
        return Design()
    for key in raw:
        if key not in _DESIGN:
            out.add(f"design.{key}", _MISSING, f"unknown key {key!r}", ", ".join(_DESIGN))
    kind = raw.get("kind", "full_factorial")
    if kind not in DESIGNS:
        out.add("design.kind", kind, "is not a design", ", ".join(DESIGNS))
        return Design()
    points = raw.get("points", 0 if kind == "full_factorial" else _MISSING)
    levels = raw.get("levels", 4 if kind == "morris" else 3)
    for key, value in (("points", points), ("levels", levels), ("seed", raw.get("seed", 0))):
        if value is _MISSING:
            out.add(f"design.{key}", _MISSING, f"a {kind} design needs {key}", "a whole number")
            return Design()
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            out.add(f"design.{key}", value, "must be a whole number ≥ 0", "a whole number")
            return Design()
    if kind != "full_factorial" and points == 0:
        out.add("design.points", points, "the design has zero points", "points ≥ 1")
    if kind == "full_factorial" and levels < 1:
        out.add("design.levels", levels, "the design has zero points", "levels ≥ 1")
    if kind == "sobol" and (points < 2 or points & (points - 1)):
        out.add("design.points", points, "a Sobol base sample must be a power of two",
                "2, 4, 8 … 256, 512, 1024")  # fmt: skip
    if kind == "morris" and (levels < 2 or levels % 2):
        out.add("design.levels", levels, "Morris needs an even number of grid levels", "4, 6, 8")
    if kind == "morris" and 0 < points < 2:
        out.add("design.points", points, "Morris needs at least 2 trajectories", "points ≥ 2")
    levers = raw.get("levers", "sampled")
    if levers not in ("sampled", "grid") or (levers == "grid" and kind != "latin_hypercube"):
        out.add("design.levers", levers, "is not a way to treat the levers here",
                "sampled, or grid with a latin_hypercube design")  # fmt: skip
    return Design(str(kind), int(points), int(levels), int(raw.get("seed", 0)), str(levers))


def _points(design: Design, factors: list[Factor]) -> int:
    """The number of design points (for the ceiling; :mod:`.design` draws them)."""
    k = len(factors)
    if design.kind == "sobol":
        return design.points * (k + 2)
    if design.kind == "morris":
        return design.points * (k + 1)
    grid = 1
    chosen = (
        factors if design.kind == "full_factorial" else [f for f in factors if f.kind == "lever"]
    )
    for f in chosen:
        grid *= len(f.grid(design.levels))
    if design.kind == "full_factorial":
        return grid
    return design.points * (grid if design.levers == "grid" else 1)
