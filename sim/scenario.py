"""Scenarios: the typed, frozen description of one simulated world and its strategy.

A scenario composes the parameter models that ``agents/`` defines — the world
(``market``, ``population``) apart from the decisions (``strategy``), in the EMA Workbench
spirit — plus the run frame (setting, horizon, reporting period) and output options.

Loading (:func:`load_scenario`) reads a library name, a YAML file or a dict; follows
``extends:`` chains (deep merge: mappings merge, lists and scalars replace); applies dotted
overrides checked against the schema; and validates. Every problem found is reported at
once in a :class:`~sim.errors.ScenarioError` naming the file, the line, the dotted field
path, the bad value and what is allowed instead.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import inspect
import json
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, to_jsonable_python

import scenarios
from agents.economics import EconomicsParams
from agents.firm import StrategyParams
from agents.market import MarketParams
from agents.rules import BehaviourParams
from agents.traits import BGDropout, ParetoDropout, SBGDropout, SegmentParams
from agents.units import DAYS_PER_MONTH, Days, Frozen, parse_duration
from sim.errors import Problem, ScenarioError

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

#: Overrides as a mapping of dotted paths to values, or ``"path=value"`` strings (``--set``).
Overrides = Mapping[str, Any] | Iterable[str]


class PopulationParams(Frozen):
    """The customers at the start and the segment mix of everyone who arrives later."""

    initial: int = Field(default=1000, ge=0, description="customers at day 0")
    segments: tuple[SegmentParams, ...] = Field(min_length=1)

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

    every: Days = Field(default=DAYS_PER_MONTH, gt=0.0)


class OutputParams(Frozen):
    """What the run keeps besides the periods and customers tables."""

    ledger: Literal["full", "aggregate"] = Field(
        default="full", description="every trust entry, or per-period totals by reason"
    )
    events: bool = Field(default=False, description="keep the full event log")


class Scenario(Frozen):
    """One world, one strategy, one run frame."""

    name: str = Field(default="scenario", min_length=1)
    lesson: str = Field(default="", description="one line: what this scenario teaches")
    description: str = ""
    setting: Literal["noncontractual", "contractual"] = "noncontractual"
    horizon: Days = Field(default=3 * 365.25, gt=0.0, le=50 * 365.25)
    period: Days = Field(default=DAYS_PER_MONTH, gt=0.0)
    seed: int = Field(default=0, ge=0)
    market: MarketParams = MarketParams()
    population: PopulationParams
    behaviour: BehaviourParams = BehaviourParams()
    strategy: StrategyParams = StrategyParams()
    economics: EconomicsParams = EconomicsParams()
    contract: ContractParams = ContractParams()
    output: OutputParams = OutputParams()
    arms: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="named override sets for policy comparison"
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
_PATH_SUFFIXES = (".yaml", ".yml")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_SHOWN = 60
_MAX_LISTED = 12


@dataclass(frozen=True)
class _Origin:
    """Where a dotted path got its value: a file and line, a dict, or an override."""

    file: Path | None
    line: int | None
    override: bool = False


_Origins = dict[str, _Origin]


def load_scenario(
    source: str | Path | Mapping[str, Any], overrides: Overrides | None = None
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

    Returns:
        The validated, frozen scenario. A file that does not set ``name`` is named after
        its stem.

    Raises:
        ScenarioError: every problem found — unreadable or invalid YAML, a broken
            ``extends`` chain, override paths that do not exist in the schema, and each
            validation error — with file, line, dotted path, value and what is allowed.
    """
    data, origins, file = _read_source(source)
    if overrides is not None:
        parsed, problems = _parse_overrides(overrides)
        _apply_overrides(data, origins, parsed, file, problems)
    return _validate(data, origins, file)


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
    origins: _Origins = {}
    parsed, problems = _parse_overrides(overrides)
    _apply_overrides(data, origins, parsed, None, problems)
    return _validate(data, origins, None)


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
    parsed, problems = _parse_overrides(overrides)
    if problems:
        raise ScenarioError(problems)
    return parsed


def _parse_overrides(overrides: Overrides | None) -> tuple[dict[str, Any], list[Problem]]:
    """Overrides as path → value, and the problems of the entries that could not be read."""
    if overrides is None:
        return {}, []
    if isinstance(overrides, Mapping):
        bad = [k for k in overrides if not isinstance(k, str)]
        problems = [
            Problem(_show(k), None, None, "override paths must be text", _PATH_HINT, override=True)
            for k in bad
        ]
        return {k.strip(): v for k, v in overrides.items() if isinstance(k, str)}, problems
    items = [overrides] if isinstance(overrides, str) else list(overrides)
    parsed: dict[str, Any] = {}
    problems = []
    for item in items:
        if not isinstance(item, str) or "=" not in item or not item.split("=", 1)[0].strip():
            problems.append(
                Problem(
                    "",
                    None,
                    _show(item),
                    "an override is written path=value",
                    "e.g. strategy.service.staff=4 or population.segments.0.share=0.5",
                    override=True,
                )
            )
            continue
        key, text = item.split("=", 1)
        try:
            parsed[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            problems.append(
                Problem(
                    key.strip(),
                    None,
                    repr(text),
                    f"the value is not valid YAML ({_yaml_reason(exc)})",
                    "a YAML value: 4, 0.5, true, 30d, text, [1, 2] or {key: value}",
                    override=True,
                )
            )
    return parsed, problems


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


# --------------------------------------------------------------------------- sources
def _read_source(
    source: str | Path | Mapping[str, Any],
) -> tuple[dict[str, Any], _Origins, Path | None]:
    """Data, origins and file of a source after following its ``extends`` chain."""
    if isinstance(source, Mapping):
        data = copy.deepcopy(dict(source))
        origins = {p: _Origin(None, None) for p in _paths(data)}
        data, origins = _with_parent(data, origins, None, Path.cwd(), ())
        return data, origins, None
    if isinstance(source, Path) or _looks_like_path(source):
        file = _shown(Path(source).expanduser())
    else:
        try:
            file = _shown(scenarios.path(source))
        except scenarios.UnknownScenarioError as exc:
            raise ScenarioError(
                [
                    Problem(
                        "",
                        None,
                        None,
                        f"no scenario named {source!r} in the library",
                        _choices(
                            "a library scenario",
                            exc.available,
                            exc.suggestion,
                            " or a path to a .yaml file",
                        ),
                    )
                ]
            ) from None
    try:
        data, origins = _load_file(file, (file.resolve(),))
    except ScenarioError as exc:
        if exc.file == file:
            raise
        raise ScenarioError(exc.problems, file) from None
    named = origins.get("name")
    if named is None or named.file != file:
        data["name"] = file.stem
    return data, origins, file


def _load_file(file: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], _Origins]:
    """Read one file and, through ``extends``, its ancestors (``chain``: files so far)."""
    data, lines = _read_yaml(file)
    origins = {p: _Origin(file, line) for p, line in lines.items()}
    return _with_parent(data, origins, file, file.parent, chain)


def _with_parent(
    data: dict[str, Any],
    origins: _Origins,
    file: Path | None,
    base_dir: Path,
    chain: tuple[Path, ...],
) -> tuple[dict[str, Any], _Origins]:
    """Merge ``data`` on top of the scenario it ``extends`` (if any)."""
    if "extends" not in data:
        return data, origins
    ref = data.pop("extends")
    at = origins.pop("extends", _Origin(file, None))
    parent = _resolve_extends(ref, base_dir, at)
    if parent.resolve() in chain:
        loop = " → ".join(p.name for p in (*chain, parent.resolve()))
        raise ScenarioError(
            [
                Problem(
                    "extends",
                    at.line,
                    _show(ref),
                    f"extends cycle: {loop}",
                    "a parent scenario that does not lead back to this file",
                    file=at.file,
                )
            ],
            file,
        )
    parent_data, parent_origins = _load_file(parent, (*chain, parent.resolve()))
    replaced: set[str] = set()
    merged = _deep_merge(parent_data, data, "", replaced)
    kept = {p: o for p, o in parent_origins.items() if not _under_any(p, replaced)}
    kept.update(origins)
    return merged, kept


def _resolve_extends(ref: Any, base_dir: Path, at: _Origin) -> Path:
    """File named by an ``extends:`` value: a relative path, or a library name."""
    hint = "the name of a library scenario, or a path relative to this file such as base.yaml"
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError(
            [Problem("extends", at.line, _show(ref), "must name one scenario", hint, at.file)],
            at.file,
        )
    ref = ref.strip()
    if _looks_like_path(ref):
        target = base_dir / ref
        if target.is_file():
            return _shown(target)
        folder = target.parent
        siblings = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
        close = difflib.get_close_matches(target.name, siblings, n=1)
        allowed = _choices(f"a file in {_shown(folder)}", siblings, close[0] if close else None)
        raise ScenarioError(
            [
                Problem(
                    "extends",
                    at.line,
                    _show(ref),
                    f"file not found: {_shown(target)}",
                    allowed,
                    at.file,
                )
            ],
            at.file,
        )
    try:
        return _shown(scenarios.path(ref))
    except scenarios.UnknownScenarioError as exc:
        allowed = _choices(
            "a library scenario",
            exc.available,
            exc.suggestion,
            " or a path relative to this file such as ./base.yaml",
        )
        raise ScenarioError(
            [
                Problem(
                    "extends",
                    at.line,
                    _show(ref),
                    f"no scenario named {ref!r} in the library",
                    allowed,
                    at.file,
                )
            ],
            at.file,
        ) from None


def _read_yaml(file: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Top-level mapping of a YAML file and the line (1-based) of every dotted path."""

    def fail(message: str, allowed: str | None, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem("", line, None, message, allowed, file)], file)

    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        folder = file.parent
        siblings = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
        close = difflib.get_close_matches(file.name, siblings, n=1)
        allowed = _choices(f"a file in {folder}", siblings, close[0] if close else None)
        raise fail("file not found", allowed) from None
    except UnicodeDecodeError as exc:
        raise fail(f"not a UTF-8 text file ({exc.reason})", "a YAML text file") from None
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})", "a readable YAML file") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise fail(
            f"YAML syntax error: {_yaml_reason(exc)}",
            "YAML: `key: value` lines indented with spaces (never tabs), list items as "
            "`- item`, and quotes around text containing ': ' or ' #'",
            line,
        ) from None
    if data is None:
        raise fail("the file is empty", "a mapping with at least a population block")
    if not isinstance(data, dict):
        raise fail(
            f"the top level is {type(data).__name__} {_show(data)}, not a mapping",
            "a mapping of keys to values: " + ", ".join(_keys(_ROOT)),
            1,
        )
    lines: dict[str, int] = {}
    duplicates: list[Problem] = []
    _walk_lines(root, "", lines, duplicates, file, weak=False, active=set())
    if duplicates:
        raise ScenarioError(duplicates, file)
    return data, lines


def _walk_lines(
    node: yaml.Node | None,
    prefix: str,
    lines: dict[str, int],
    duplicates: list[Problem],
    file: Path,
    *,
    weak: bool,
    active: set[int],
) -> None:
    """Record the line of every key and list item below ``node``; flag duplicate keys."""
    if node is None or id(node) in active:
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            path = prefix + key
            line = key_node.start_mark.line + 1
            if not weak and key in seen:
                duplicates.append(
                    Problem(
                        path,
                        line,
                        None,
                        f"duplicate key {key!r}, already set on line {seen[key]}; "
                        "YAML would silently keep only the last one",
                        "each key once per block (merge the two blocks)",
                        file,
                    )
                )
            seen.setdefault(key, line)
            if weak:
                lines.setdefault(path, line)
            else:
                lines[path] = line
            _walk_lines(value_node, path + ".", lines, duplicates, file, weak=weak, active=active)
        for merged in merges:
            items = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for item in items:
                _walk_lines(item, prefix, lines, duplicates, file, weak=True, active=active)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = f"{prefix}{i}"
            if weak:
                lines.setdefault(path, item.start_mark.line + 1)
            else:
                lines[path] = item.start_mark.line + 1
            _walk_lines(item, path + ".", lines, duplicates, file, weak=weak, active=active)
    active.discard(id(node))


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """The human part of a PyYAML error (without its excerpt of the file)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        reason = exc.problem or "invalid YAML"
        if exc.context:
            where = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            reason += f" ({exc.context}{where})"
        return reason
    return str(exc).splitlines()[0] if str(exc) else "invalid YAML"


def _deep_merge(
    base: dict[str, Any], top: dict[str, Any], prefix: str, replaced: set[str]
) -> dict[str, Any]:
    """``top`` merged onto ``base``: mappings recursively, anything else replaces.

    Paths of ``base`` whose value was replaced are added to ``replaced``.
    """
    out = dict(base)
    for key, value in top.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value, path + ".", replaced)
        else:
            if key in out:
                replaced.add(path)
            out[key] = copy.deepcopy(value)
    return out


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Every dotted path inside nested mappings and lists."""
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    found: list[str] = []
    for key, child in items:
        path = f"{prefix}{key}"
        found.append(path)
        found.extend(_paths(child, path + "."))
    return found


def _under_any(path: str, prefixes: set[str]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies below one of them."""
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def _looks_like_path(text: str) -> bool:
    """A file path (has a YAML suffix or a folder part) rather than a library name."""
    return text.endswith(_PATH_SUFFIXES) or "/" in text or "\\" in text


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (for messages)."""
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


# --------------------------------------------------------------------------- overrides
_PATH_HINT = "dotted paths such as strategy.service.staff or population.segments.0.share"


def _apply_overrides(
    data: dict[str, Any],
    origins: _Origins,
    overrides: dict[str, Any],
    file: Path | None,
    problems: list[Problem],
) -> None:
    """Set every override in ``data`` (recording its origin); raise with all problems.

    ``problems`` holds those found while parsing the overrides; the bad paths are added.
    """
    problems = list(problems)
    for path, value in overrides.items():
        problem = _set_path(data, path, value)
        if problem is not None:
            problems.append(problem)
            continue
        for stale in [p for p in origins if _under_any(p, {path})]:
            del origins[stale]
        origins[path] = _Origin(None, None, override=True)
        for inner in _paths(value, path + "."):
            origins[inner] = _Origin(None, None, override=True)
    if problems:
        raise ScenarioError(problems, file)


def _set_path(data: dict[str, Any], path: str, value: Any) -> Problem | None:
    """Set ``path`` to ``value`` in ``data`` if the schema has it; else the problem.

    The whole path is checked against the schema before ``data`` is touched; blocks and
    lists not written yet are filled in from the field's default on the way down.
    """
    parts = path.split(".")
    shown = _show(value)

    def fail(message: str, allowed: str | None) -> Problem:
        return Problem(path, None, shown, message, allowed, override=True)

    if not path or not all(parts):
        return fail("is not a dotted path", _PATH_HINT)
    slots = [_ROOT]
    for i, key in enumerate(parts):
        child = _child(slots[-1], key)
        if child is None:
            here = ".".join(parts[:i])
            return fail(*_no_such_key(slots[-1], key, here, _data_at(data, here)))
        slots.append(child)
    container: Any = data
    for i, key in enumerate(parts):
        here = ".".join(parts[:i]) or "the top level"
        last = i == len(parts) - 1
        if isinstance(container, list) and key.isdigit():
            index = int(key)
            if index >= len(container):
                return fail(
                    f"{here} has {len(container)} item(s); there is no item {index}",
                    f"an index from 0 to {len(container) - 1}" if container else None,
                )
            if last:
                container[index] = _merged_value(container[index], value)
                return None
            container = container[index]
        elif isinstance(container, dict):
            if last:
                container[key] = _merged_value(container.get(key), value)
                return None
            if container.get(key) is None:
                container[key] = _default_data(slots[i + 1])
            container = container[key]
        else:
            return fail(f"{here} is written as {_show(container)}", _describe(slots[i]))
    return None


def _merged_value(existing: Any, value: Any) -> Any:
    """An override's value: deep-merged into an existing mapping, else replacing it."""
    if isinstance(existing, dict) and isinstance(value, dict):
        return _deep_merge(existing, value, "", set())
    return copy.deepcopy(value)


def _default_data(slot: _Slot) -> Any:
    """Plain data for a field not written yet, so that a path below it can be set."""
    field = slot.field
    if field is not None:
        default = field.get_default(call_default_factory=True)
        if default is not PydanticUndefined and default is not None:
            return to_jsonable_python(default)
    is_sequence = any(get_origin(t) in (tuple, list) for t in slot.types)
    return [] if is_sequence else {}


def _no_such_key(slot: _Slot, key: str, here: str, container: Any) -> tuple[str, str | None]:
    """Message and allowed text for a path component the schema does not have."""
    where = here or "the top level"
    fixed = _fixed_length(slot)
    if fixed and key.isdigit():
        message = f"{where} has exactly {fixed} items; there is no item {key}"
        return message, f"an item number from 0 to {fixed - 1}"
    if any(get_origin(t) in (tuple, list) for t in slot.types):
        size = len(container) if isinstance(container, list) else None
        allowed = f"an item number from 0 to {size - 1}" if size else "an item number"
        return f"{where} is a list; {key!r} is not an item number", allowed
    keys = _keys(slot)
    if not keys:
        return (f"{where} is a single value ({_describe(slot)}); it has no key {key!r}", None)
    return f"there is no setting {key!r} under {where}", _keys_hint(keys, key, here)


# --------------------------------------------------------------------------- schema
@dataclass(frozen=True)
class _Slot:
    """A place in the schema: the value's candidate types and the field declaring it."""

    types: tuple[Any, ...]
    field: FieldInfo | None = None
    owner: type[BaseModel] | None = None
    name: str | None = None
    nullable: bool = False
    duration: bool = False


def _is_model(tp: Any) -> bool:
    return inspect.isclass(tp) and issubclass(tp, BaseModel)


def _is_duration_meta(metadata: Iterable[Any]) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is parse_duration for m in metadata)


def _flatten(tp: Any) -> tuple[list[Any], bool, bool]:
    """Members of a (possibly annotated, possibly optional) type: types, nullable, duration."""
    if get_origin(tp) is Annotated:
        base, *meta = get_args(tp)
        inner, optional, timed = _flatten(base)
        return inner, optional, timed or _is_duration_meta(meta)
    if get_origin(tp) in (Union, types.UnionType):
        members: list[Any] = []
        nullable = duration = False
        for arg in get_args(tp):
            m, n, d = _flatten(arg)
            members += m
            nullable = nullable or n
            duration = duration or d
        return members, nullable, duration
    if tp is type(None):
        return [], True, False
    return [tp], False, False


def _slot(
    annotation: Any,
    field: FieldInfo | None = None,
    owner: type[BaseModel] | None = None,
    name: str | None = None,
) -> _Slot:
    members, nullable, duration = _flatten(annotation)
    if field is not None:
        duration = duration or _is_duration_meta(field.metadata)
    return _Slot(tuple(members), field, owner, name, nullable, duration)


_ROOT = _slot(Scenario, name="")


def _literal_values(tp: Any) -> list[str] | None:
    if get_origin(tp) is Literal:
        return [str(a) for a in get_args(tp)]
    return None


def _child(slot: _Slot, key: str) -> _Slot | None:
    """Slot of ``key`` below ``slot``, or None when the schema has no such key there."""
    found: list[_Slot] = []
    for tp in slot.types:
        if tp is Any:
            return _slot(Any)
        if _is_model(tp):
            field = tp.model_fields.get(key)
            if field is not None:
                found.append(_slot(field.annotation, field, tp, key))
            continue
        origin, args = get_origin(tp), get_args(tp)
        if origin in (tuple, list):
            if not key.isdigit():
                continue
            if origin is list or not args or (len(args) == 2 and args[1] is Ellipsis):
                found.append(_slot(args[0] if args else Any))
            elif int(key) < len(args):
                found.append(_slot(args[int(key)]))
        elif origin is dict:
            key_type, value_type = args if args else (Any, Any)
            allowed = _literal_values(key_type)
            if allowed is None or key in allowed:
                found.append(_slot(value_type))
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    merged: list[Any] = []
    for s in found:
        merged += [t for t in s.types if t not in merged]
    return replace(
        found[0],
        types=tuple(merged),
        nullable=any(s.nullable for s in found),
        duration=any(s.duration for s in found),
    )


def _schema_slot(path: str) -> _Slot | None:
    """Slot of a dotted path from the top, or None when the schema has no such path."""
    slot: _Slot | None = _ROOT
    for key in path.split("."):
        if slot is None:
            return None
        slot = _child(slot, key)
    return slot


def _tags(model: type[BaseModel]) -> list[str]:
    """Discriminator values of a union member (its single-value Literal fields)."""
    tags = []
    for field in model.model_fields.values():
        values = _literal_values(field.annotation)
        if values is not None and len(values) == 1:
            tags.append(values[0])
    return tags


def _narrow(slot: _Slot, component: str) -> _Slot | None:
    """The union member a pydantic location tag (``'bg'``, a class name) selects."""
    models = [t for t in slot.types if _is_model(t)]
    if len(models) < 2:
        return None
    chosen = [m for m in models if component in _tags(m) or component == m.__name__]
    return replace(slot, types=tuple(chosen)) if chosen else None


def _keys(slot: _Slot) -> list[str]:
    """Keys a mapping at ``slot`` may have (empty when it is not a fixed-key mapping)."""
    keys: list[str] = []
    for tp in slot.types:
        if _is_model(tp):
            keys += [k for k in tp.model_fields if k not in keys]
        elif get_origin(tp) is dict and get_args(tp):
            keys += [k for k in _literal_values(get_args(tp)[0]) or [] if k not in keys]
    return keys


def _keys_hint(keys: list[str], bad: str, here: str) -> str:
    """Valid keys at a level, with the closest match to ``bad``."""
    close = difflib.get_close_matches(bad, keys, n=1, cutoff=0.6)
    text = f"keys under {here or 'the top level'}: {', '.join(keys)}"
    return text + (f"; did you mean {close[0]!r}?" if close else "")


def _choices(what: str, names: list[str], suggestion: str | None, tail: str = "") -> str:
    """``what (a, b, c)<tail>; did you mean 'x'?`` for a list of available names."""
    shown = names[:_MAX_LISTED] + (
        [f"… {len(names) - _MAX_LISTED} more"] if len(names) > _MAX_LISTED else []
    )
    text = (f"{what} ({', '.join(shown)})" if names else what) + tail
    return text + (f"; did you mean {suggestion!r}?" if suggestion else "")


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


def _bounds(field: FieldInfo | None) -> str:
    """Numeric bounds of a field as text, e.g. ``> 0 and ≤ 1``."""
    if field is None:
        return ""
    found = []
    for m in field.metadata:
        if isinstance(m, annotated_types.Gt):
            found.append(f"> {_num(m.gt)}")
        elif isinstance(m, annotated_types.Ge):
            found.append(f"≥ {_num(m.ge)}")
        elif isinstance(m, annotated_types.Lt):
            found.append(f"< {_num(m.lt)}")
        elif isinstance(m, annotated_types.Le):
            found.append(f"≤ {_num(m.le)}")
    return " and ".join(found)


def _min_items(field: FieldInfo | None) -> int:
    if field is None:
        return 0
    return max(
        (m.min_length for m in field.metadata if isinstance(m, annotated_types.MinLen)), default=0
    )


def _describe(slot: _Slot) -> str:
    """What a value at ``slot`` may be, in words (``a whole number ≥ 1, or null …``)."""
    models = [t for t in slot.types if _is_model(t)]
    parts: list[str] = []
    if len(models) > 1:
        disc = slot.field.discriminator if slot.field is not None else None
        tags = [t for m in models for t in _tags(m)]
        key = disc if isinstance(disc, str) else "kind"
        parts.append(f"a mapping whose {key} is one of: {', '.join(tags)}")
    for tp in slot.types:
        if len(models) > 1 and tp in models:
            continue
        parts.append(_describe_type(tp, slot))
    text = " or ".join(parts) if parts else "null"
    if slot.nullable and parts:
        text += ", or null" + _null_meaning(slot)
    return text


def _describe_type(tp: Any, slot: _Slot) -> str:
    bounds = _bounds(slot.field)
    spaced = f" {bounds}" if bounds else ""
    literal = _literal_values(tp)
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any:
        return "anything"
    if literal is not None:
        return "one of: " + ", ".join(literal)
    if tp is bool:
        return "true or false"
    if tp is int:
        return f"a whole number{spaced}"
    if tp is float and slot.duration:
        return f"a duration{spaced}, written like 30d, 12h, 2w, 6mo or 1.5y; a bare number is days"
    if tp is float:
        return f"a number{spaced}"
    if tp is str:
        return "non-empty text" if _min_items(slot.field) else "text"
    if _is_model(tp):
        return "a mapping with the keys " + ", ".join(tp.model_fields)
    if origin in (tuple, list):
        if origin is list or not args or (len(args) == 2 and args[1] is Ellipsis):
            least = _min_items(slot.field)
            size = f" of at least {least} item{'s' if least > 1 else ''}" if least else ""
            return f"a list{size}; each item {_describe(_slot(args[0] if args else Any))}"
        items = [_describe(_slot(a)) for a in args]
        if len(set(items)) == 1:
            return f"a list of exactly {len(args)} items, each {items[0]}"
        return f"a list of exactly {len(args)} items: " + "; ".join(items)
    if origin is dict:
        keys = _literal_values(args[0]) if args else None
        value = _describe(_slot(args[1])) if args else "anything"
        if keys is not None:
            return f"a mapping from {' / '.join(keys)} to {value}"
        return f"a mapping of names to {value}"
    return getattr(tp, "__name__", str(tp))


def _null_meaning(slot: _Slot) -> str:
    """What null means for a field, from its description or its model's docstring."""
    if slot.owner is not None and slot.name:
        doc = inspect.getdoc(slot.owner) or ""
        said = re.search(rf"``{re.escape(slot.name)}: null`` means ([^.(:]+)", doc)
        if said:
            return f" for {said.group(1).strip()}"
    description = slot.field.description if slot.field is not None else None
    said = re.search(r"null\s*=\s*([^;]+)", description or "")
    return f": {said.group(1).strip()}" if said else ""


# --------------------------------------------------------------------------- validation
@dataclass(frozen=True)
class _Rule:
    """A cross-field rule's error: where it points and what would be accepted."""

    at: str
    pattern: re.Pattern[str]
    path: str | None
    allowed: str
    also: tuple[str, ...] = ()


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "population",
        re.compile(r"shares must sum to 1"),
        "population.segments",
        "segment shares (population.segments.N.share) that add up to exactly 1",
    ),
    _Rule(
        "population",
        re.compile(r"names must be unique"),
        "population.segments",
        "a different name for every segment",
    ),
    _Rule(
        "",
        re.compile(r"longer than horizon"),
        "period",
        "a period no longer than the horizon",
        ("horizon",),
    ),
    _Rule(
        "",
        re.compile(r"is for the noncontractual setting"),
        None,
        "dropout model sbg or constant in a contractual scenario, or setting: noncontractual",
        ("setting",),
    ),
    _Rule(
        "",
        re.compile(r"is for the contractual setting"),
        None,
        "dropout model bg, pareto or constant in a noncontractual scenario, "
        "or setting: contractual",
        ("setting",),
    ),
    _Rule(
        "",
        re.compile(r"purchase is required"),
        None,
        "a purchase block (r, alpha) in every segment, or setting: contractual",
        ("setting",),
    ),
    _Rule(
        "strategy",
        re.compile(r"account_managers\.count is 0"),
        "strategy.account_managers.count",
        "account_managers.count ≥ 1; or, for that tier, an owner other than account_manager "
        "(consultant, service, automated) or every: null; or care_tiers.enabled: false",
        ("strategy.care_tiers.tiers", "strategy.care_tiers.enabled"),
    ),
    _Rule(
        "strategy.account_managers",
        re.compile(r"needs count > 0"),
        "strategy.account_managers.count",
        "count ≥ 1, or allocation: none",
        ("strategy.account_managers.allocation",),
    ),
    _Rule(
        "strategy.account_managers",
        re.compile(r"pyramid customer shares"),
        "strategy.account_managers.pyramid",
        "pyramid bands whose customers shares add up to 1 and whose time shares add up to 1",
    ),
    _Rule(
        "strategy.care_tiers",
        re.compile(r"shares sum to"),
        "strategy.care_tiers.tiers",
        "tier shares that add up to exactly 1 (or enabled: false)",
    ),
    _Rule(
        "strategy.care_tiers",
        re.compile(r"names must be unique"),
        "strategy.care_tiers.tiers",
        "a different name for every tier",
    ),
)

_LEADING_PATH = re.compile(r"^([A-Za-z_]\w*(?:\.\w+)+): (.+)$", re.S)
_INNER_PATH = re.compile(r"[A-Za-z_]\w*(?:\.\w+|\[\d+\])+")
_RANGE = re.compile(r"in \[([-\d.]+), ([-\d.]+)\]")

_MESSAGES: dict[str, str] = {
    "int_from_float": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "literal_error": "is not a valid choice",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "frozen_instance": "cannot be changed",
}
_BOUND_ERRORS: dict[str, tuple[str, str]] = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", "≥"),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "≤"),
}


def _validate(data: dict[str, Any], origins: _Origins, file: Path | None) -> Scenario:
    """Validate merged data, turning pydantic's errors into located problems."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        locs = [tuple(e["loc"]) for e in errors]
        problems: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        for error in errors:
            loc = tuple(error["loc"])
            # pydantic adds "0 items after validation" when an item of the list failed.
            if error["type"] == "too_short" and any(
                len(o) > len(loc) and o[: len(loc)] == loc for o in locs
            ):
                continue
            problem = _problem(error, data, origins)
            if (problem.path, problem.message) not in seen:
                seen.add((problem.path, problem.message))
                problems.append(problem)
        raise ScenarioError(problems, file) from exc


def _problem(error: Any, data: dict[str, Any], origins: _Origins) -> Problem:
    """One pydantic error as a located, human problem."""
    parts, slot, parent, key_error = _locate(error["loc"])
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    given = error.get("input")
    path = ".".join(parts)
    value: str | None = _show(given)
    allowed: str | None = _describe(slot) if slot is not None else None
    also: tuple[str, ...] = ()
    if kind == "extra_forbidden" or key_error:
        here = ".".join(parts[:-1])
        message, value = f"unknown key {parts[-1]!r}", None
        keys = _keys(parent) if parent is not None else []
        if parent is _ROOT:
            keys.append("extends")
        allowed = _keys_hint(keys, parts[-1], here) if keys else None
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(ctx.get("discriminator", "model")).strip("'\"")
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        path = f"{path}.{disc}"
        allowed = f"{disc}: {tags}" if tags else allowed
        if kind == "union_tag_invalid":
            message, value = f"unknown {disc} {ctx.get('tag')!r}", _show(ctx.get("tag"))
        else:
            message, value = f"is required: it says which kind of {parts[-1]} this is", None
    elif kind == "missing" and parent is not None and _fixed_length(parent):
        path = ".".join(parts[:-1])
        message = f"needs exactly {_fixed_length(parent)} items, got {len(given or [])}"
        allowed = _describe(parent)
    elif kind == "missing":
        message, value = "is required", None
    elif kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", error["msg"]))
        if slot is not None and slot.duration and "is not a duration" in text:
            message = "is not a duration"
        elif isinstance(given, dict):
            path, message, rule_allowed, also = _cross_field(path, text)
            allowed = rule_allowed or allowed
            found = _data_at(data, path)
            value = None if isinstance(found, dict | list) or found is None else _show(found)
        else:
            message = text
    elif kind in _BOUND_ERRORS:
        key, symbol = _BOUND_ERRORS[kind]
        message = f"must be {symbol} {_num(ctx.get(key))}"
    elif kind == "too_short":
        least = ctx.get("min_length", 1)
        message = f"needs at least {least} item{'s' if least != 1 else ''}"
    elif kind == "too_long":
        message = f"has {ctx.get('actual_length')} items, at most {ctx.get('max_length')} allowed"
    else:
        message = _MESSAGES.get(kind) or _humanise(str(error["msg"]))
    origin = _origin_of(path, also, origins)
    return Problem(
        path,
        origin.line if origin else None,
        value,
        message,
        allowed,
        origin.file if origin else None,
        origin.override if origin else False,
    )


def _locate(loc: Iterable[Any]) -> tuple[list[str], _Slot | None, _Slot | None, bool]:
    """Dotted path parts, slot, parent slot and key-error flag of a pydantic location.

    Union tags (``'bg'``) are dropped from the path; ``'[key]'`` marks an invalid key of a
    mapping rather than an invalid value.
    """
    parts: list[str] = []
    slot: _Slot | None = _ROOT
    parent: _Slot | None = None
    key_error = False
    for component in loc:
        if component == "[key]":
            key_error = True
            continue
        text = str(component)
        if slot is not None:
            narrowed = _narrow(slot, text)
            if narrowed is not None:
                slot = narrowed
                continue
        parent, slot = slot, _child(slot, text) if slot is not None else None
        parts.append(text)
    return parts, slot, parent, key_error


def _fixed_length(slot: _Slot) -> int:
    """Item count of a fixed-length tuple slot (0 otherwise)."""
    for tp in slot.types:
        args = get_args(tp)
        if get_origin(tp) is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            return len(args)
    return 0


def _cross_field(at: str, text: str) -> tuple[str, str, str | None, tuple[str, ...]]:
    """Path, message, allowed text and fallback paths of a model validator's error."""
    for rule in _RULES:
        if rule.at == at and rule.pattern.search(text):
            path, message = rule.path or at, text
            if rule.path is None:
                leading = _LEADING_PATH.match(text)
                if leading:
                    path, message = leading.group(1), leading.group(2)
            return path, message, rule.allowed, rule.also
    leading = _LEADING_PATH.match(text)
    if leading and _schema_slot(leading.group(1)) is not None:
        return leading.group(1), leading.group(2), None, ()
    path = at
    for token in _INNER_PATH.findall(text):
        candidate = ".".join(p for p in (at, re.sub(r"\[(\d+)\]", r".\1", token)) if p)
        if _schema_slot(candidate) is not None:
            path = candidate
            if text.startswith(f"{token}=") and " " in text:
                text = text.split(" ", 1)[1]  # "resolve.basic=1.2 is not …" → "is not …"
            break
    bounds = _RANGE.search(text)
    allowed = f"a number from {bounds.group(1)} to {bounds.group(2)}" if bounds else None
    return path, text, allowed, ()


def _origin_of(path: str, also: tuple[str, ...], origins: _Origins) -> _Origin | None:
    """Where ``path`` (or a fallback, or its nearest written ancestor) was set."""
    for candidate in (path, *also):
        if candidate in origins:
            return origins[candidate]
    parts = path.split(".")
    while parts:
        parts.pop()
        ancestor = ".".join(parts)
        if ancestor in origins:
            return origins[ancestor]
    return None


def _data_at(data: Any, path: str) -> Any:
    """The raw value at a dotted path of the data, or None when it is not there."""
    for key in path.split(".") if path else []:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def _humanise(message: str) -> str:
    """Pydantic's wording made shorter (``Input should be`` → ``must be``)."""
    text = message.replace("Value error, ", "").replace("Input should be", "must be")
    return text[:1].lower() + text[1:] if text.startswith("Input") else text


def _show(value: Any) -> str:
    """A short ``repr`` of a value for messages."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
