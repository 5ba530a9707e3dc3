"""Overrides: changing a scenario from outside its files, one dotted path at a time.

``--set strategy.service.staff=4`` is a sticky note on the scenario: it wins over every
file in the ``extends`` chain. Each path is checked against the schema before the data is
touched, so that a typo gets a "did you mean" instead of silently adding a key nobody
reads; every bad entry is reported at once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined, to_jsonable_python

from sim.errors import Problem, ScenarioError
from sim.scenario.dotted_paths import data_at, deep_merge, paths, under_any
from sim.scenario.fields import (
    Slot,
    allowed_keys,
    child,
    describe,
    fixed_length,
    is_sequence,
    keys_hint,
    root,
)
from sim.scenario.intake import clip, data_problem, parse_yaml, show, yaml_reason
from sim.scenario.sources import Origin, Origins

__all__ = ["Overrides", "apply_overrides", "read_overrides"]

#: Overrides as a mapping of dotted paths to values, or ``"path=value"`` strings (``--set``).
Overrides = Mapping[str, Any] | Iterable[str]

_PATH_HINT = "dotted paths such as strategy.service.staff or population.segments.0.share"
#: Longest override path; the deepest setting's path has about 70 characters.
_MAX_PATH_CHARS = 200


def read_overrides(overrides: Overrides | None) -> tuple[dict[str, Any], list[Problem]]:
    """Overrides as path → value, and the problems of the entries that could not be read."""
    if overrides is None:
        return {}, []
    if isinstance(overrides, Mapping):
        bad = [k for k in overrides if not isinstance(k, str)]
        problems = [
            Problem(show(k), None, None, "override paths must be text", _PATH_HINT, override=True)
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
                    show(item),
                    "an override is written path=value",
                    "e.g. strategy.service.staff=4 or population.segments.0.share=0.5",
                    override=True,
                )
            )
            continue
        key, text = item.split("=", 1)
        try:
            parsed[key.strip()] = parse_yaml(text)[0]
        except yaml.YAMLError as exc:
            problems.append(
                Problem(
                    clip(key.strip()),
                    None,
                    show(text),
                    f"the value is not valid YAML ({yaml_reason(exc)})",
                    "a YAML value: 4, 0.5, true, 30d, text, [1, 2] or {key: value}",
                    override=True,
                )
            )
    return parsed, problems


def apply_overrides(
    model: type[BaseModel],
    data: dict[str, Any],
    origins: Origins,
    overrides: Overrides | None,
    file: Path | None,
) -> None:
    """Set every override in ``data`` (recording its origin); raise with all problems.

    Args:
        model: the model ``data`` describes; override paths must exist in its schema.
        data: the merged scenario data, changed in place.
        origins: origins of the paths of ``data``; overridden paths are marked as such.
        overrides: as for :func:`sim.scenario.spec.load_scenario`.
        file: the scenario file, named by the error.

    Raises:
        ScenarioError: entries that could not be read and paths the schema does not have.
    """
    parsed, problems = read_overrides(overrides)
    top = root(model)
    for path, value in parsed.items():
        too_big = data_problem(value)
        if too_big is not None:
            problems.append(
                Problem(clip(path), None, None, f"the value has {too_big}", None, override=True)
            )
            continue
        problem = _set_path(top, data, path, value)
        if problem is not None:
            problems.append(problem)
            continue
        for stale in [p for p in origins if under_any(p, {path})]:
            del origins[stale]
        origins[path] = Origin(None, None, override=True)
        for inner in paths(value, path + "."):
            origins[inner] = Origin(None, None, override=True)
    if problems:
        raise ScenarioError(problems, file)


def _set_path(top: Slot, data: dict[str, Any], path: str, value: Any) -> Problem | None:
    """Set ``path`` to ``value`` in ``data`` if the schema has it; else the problem.

    The whole path is checked against the schema before ``data`` is touched; blocks and
    lists not written yet are filled in from the field's default on the way down.
    """
    parts = path.split(".")
    shown = show(value)

    def fail(message: str, allowed: str | None) -> Problem:
        return Problem(path, None, shown, message, allowed, override=True)

    if len(path) > _MAX_PATH_CHARS:
        return Problem(
            clip(path),
            None,
            shown,
            f"a path of {len(path):,} characters",
            f"{_PATH_HINT}, of at most {_MAX_PATH_CHARS} characters",
            override=True,
        )
    if not path or not all(parts):
        return fail("is not a dotted path", _PATH_HINT)
    slots = [top]
    for i, key in enumerate(parts):
        below = child(slots[-1], key)
        if below is None:
            here = ".".join(parts[:i])
            return fail(*_no_such_key(slots[-1], key, here, data_at(data, here)))
        slots.append(below)
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
            return fail(f"{here} is written as {show(container)}", describe(slots[i]))
    return None


def _merged_value(existing: Any, value: Any) -> Any:
    """An override's value: deep-merged into an existing mapping, else replacing it."""
    if isinstance(existing, dict) and isinstance(value, dict):
        return deep_merge(existing, value, "", set())
    return copy.deepcopy(value)


def _default_data(slot: Slot) -> Any:
    """Plain data for a field not written yet, so that a path below it can be set."""
    field = slot.field
    if field is not None:
        default = field.get_default(call_default_factory=True)
        if default is not PydanticUndefined and default is not None:
            return to_jsonable_python(default)
    return [] if is_sequence(slot) else {}


def _no_such_key(slot: Slot, key: str, here: str, container: Any) -> tuple[str, str | None]:
    """Message and allowed text for a path component the schema does not have."""
    where = here or "the top level"
    fixed = fixed_length(slot)
    if fixed and key.isdigit():
        message = f"{where} has exactly {fixed} items; there is no item {key}"
        return message, f"an item number from 0 to {fixed - 1}"
    if is_sequence(slot):
        size = len(container) if isinstance(container, list) else None
        allowed = f"an item number from 0 to {size - 1}" if size else "an item number"
        return f"{where} is a list; {key!r} is not an item number", allowed
    keys = allowed_keys(slot)
    if not keys:
        return (f"{where} is a single value ({describe(slot)}); it has no key {key!r}", None)
    return f"there is no setting {key!r} under {where}", keys_hint(keys, key, here)
