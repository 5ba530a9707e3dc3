"""Sweep specs: a YAML file that says which fields to vary, how to sample them and what to keep.

A spec is to a sweep what a scenario file is to a run::

    name: staffing_grid
    base: baseline                  # library scenario, or a .yaml path beside this file
    set: {population.initial: 500}  # the base's own changes, before any factor
    factors:
      - path: strategy.service.staff
        levels: [2, 3, 4]
      - path: market.price          # range, unit and scale from the default space
    design: {kind: full_factorial, levels: 3}
    replications: 4                 # per design point, on common random numbers
    outputs: [profit, retention_12m]

It is read like a scenario file (:mod:`sim.scenario.intake`: bounded, safe tags only, line
of every key) and checked whole before anything is written: every problem names the spec
file, the line, the dotted field (``factors.1.range``) and what is allowed, in one
:class:`SweepError` (a :class:`~sim.errors.ScenarioError`, so the command line prints it
and exits 2). The checks themselves live in :mod:`sim.experiments.sweep.checks`.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.scenario.intake import MAX_FILE_BYTES, parse_yaml, yaml_reason
from sim.scenario.space import Factor

__all__ = ["DESIGNS", "Design", "SweepError", "SweepSpec", "read_spec_file", "spec_hash"]

#: Design kinds a spec may name.
DESIGNS = ("full_factorial", "latin_hypercube", "sobol", "morris")


class SweepError(ScenarioError):
    """A sweep spec (or sweep folder) that cannot be used, with every problem found."""


@dataclass(frozen=True)
class Design:
    """How design points are drawn.

    Attributes:
        kind: one of :data:`DESIGNS`.
        points: Latin hypercube: the number of points (of uncertainty samples when levers
            are crossed); Sobol: the base sample N (a power of two; N·(k + 2) points);
            Morris: the number of trajectories (r·(k + 1) points); unused by a full
            factorial.
        levels: full factorial: levels per numeric factor without explicit levels;
            Morris: the grid's levels (even).
        seed: the sampler's seed, apart from the runs' seed so that a design can be kept
            while the worlds change, and the other way round.
        levers: ``"sampled"`` (levers drawn with the uncertainties) or ``"grid"``
            (Latin hypercube only: every lever setting of a full factorial crossed with
            every uncertainty sample, as EMA Workbench crosses policies and scenarios).
    """

    kind: str = "full_factorial"
    points: int = 0
    levels: int = 3
    seed: int = 0
    levers: str = "sampled"


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep spec.

    Attributes:
        name: the sweep's name (labels its folder and report).
        description: free text for the reader.
        base: the base scenario as written (a library name, or a path relative to the
            spec); empty for a function model.
        base_source: what :func:`sim.load_scenario` loads (a name or a resolved path).
        settings: dotted overrides applied to the base before the factors.
        factors: the factors, in the spec's order.
        design: how points are drawn.
        replications: runs per design point; replication r of every point runs on the
            same seed (common random numbers).
        seed: the experiment seed: run (point, r) runs on ``SeedSequence(seed, (r,))``.
        engine: ``"vector"``, ``"agent"`` or ``"auto"``.
        outputs: the KPIs analysed (every KPI is kept in the dataset).
        file: the spec file, None for a spec given as a mapping.
        lines: the line of every dotted key of the file.
    """

    name: str
    factors: tuple[Factor, ...]
    design: Design
    outputs: tuple[str, ...]
    description: str = ""
    base: str = ""
    base_source: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    replications: int = 1
    seed: int = 0
    engine: str = "vector"
    file: Path | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def uncertainties(self) -> tuple[Factor, ...]:
        """The factors that describe the world."""
        return tuple(f for f in self.factors if f.kind == "uncertainty")

    @property
    def levers(self) -> tuple[Factor, ...]:
        """The factors the firm decides."""
        return tuple(f for f in self.factors if f.kind == "lever")

    def plan(self) -> dict[str, Any]:
        """What identifies the sweep: everything that decides a number, nothing else.

        The name, the file, its lines and the description are left out, so a spec moved or
        re-commented still resumes its sweep; a changed factor, design, seed or output
        does not.
        """
        data = asdict(self)
        for key in ("name", "file", "lines", "description", "base_source"):
            data.pop(key)
        data["factors"] = [{**f, "levels": list(f["levels"])} for f in data["factors"]]
        return json.loads(json.dumps(data, default=str))

    def line(self, path: str) -> int | None:
        """The line of a dotted key of the spec file, or of its nearest written parent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0]
        return None


def spec_hash(plan: Mapping[str, Any]) -> str:
    """sha256 of a plan (:meth:`SweepSpec.plan`) in canonical JSON."""
    text = json.dumps(plan, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_spec_file(file: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The data and key lines of a spec file, read within the scenario files' limits.

    Raises:
        SweepError: a missing, oversized, non-UTF-8 or invalid YAML file, or one whose top
            level is not a mapping.
    """

    def fail(message: str, allowed: str | None, line: int | None = None) -> SweepError:
        return SweepError([Problem("", line, None, message, allowed, file)], file)

    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise fail("file not found", "a sweep spec such as scenarios/sweeps/*.yaml") from None
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read the file ({exc})", "a readable YAML file") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise fail("is not a regular file", "a .yaml file on disk")
        raw = os.read(fd, MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"the file is larger than {MAX_FILE_BYTES >> 20} MiB", "a small YAML file")
    try:
        data, lines, problems = parse_yaml(raw.decode("utf-8"), file)
    except UnicodeDecodeError:
        raise fail("not a UTF-8 text file", "a YAML text file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise fail(
            f"YAML error: {yaml_reason(exc)}",
            "YAML: `key: value` lines indented with spaces, list items as `- item`",
            mark.line + 1 if mark is not None else None,
        ) from None
    if not isinstance(data, dict):
        raise fail("the top level is not a mapping", "keys name, base, factors, design …", 1)
    if problems:
        raise SweepError(problems, file)
    return data, lines
