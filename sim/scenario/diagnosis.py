"""Diagnosis: pydantic's validation errors retold as located, plain-word problems.

Pydantic says ``strategy.service.staff: Input should be greater than or equal to 1``; a
trainer wants ``s.yaml:12: strategy.service.staff = -1: must be ≥ 1 (allowed: a whole
number ≥ 1, or null for unbounded staff)``. Like a doctor turning symptoms into a
diagnosis, this module maps each error to the field it is about (following union tags and
the dotted paths that model validators name in their messages), finds the file and line
that set the value, and says what would be accepted instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agents.units import format_duration
from sim.errors import Problem, ScenarioError
from sim.scenario.dotted_paths import data_at
from sim.scenario.fields import (
    Slot,
    allowed_keys,
    child,
    describe,
    fixed_length,
    format_number,
    keys_hint,
    narrow,
    root,
    slot_at,
)
from sim.scenario.intake import clip, show
from sim.scenario.sources import Origin, Origins

__all__ = ["validate"]

M = TypeVar("M", bound=BaseModel)


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

#: Longest message kept from a validator, whose text may quote a (long) value.
_MAX_MESSAGE = 400

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


def validate(model: type[M], data: dict[str, Any], origins: Origins, file: Path | None) -> M:
    """Validate merged data, turning pydantic's errors into located problems.

    Args:
        model: the model to validate ``data`` as.
        data: the merged data, with every override applied.
        origins: where each dotted path of ``data`` was set.
        file: the scenario file, named by the error.

    Returns:
        The validated model.

    Raises:
        ScenarioError: every validation error, located and in plain words, and every
            ``true``/``false`` written where a number is expected (which pydantic would
            read as 1 or 0).
    """
    top = root(model)
    problems: list[Problem] = []
    _bools_for_numbers(top, data, "", origins, problems)
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        locs = [tuple(e["loc"]) for e in errors]
        seen: set[tuple[str, str]] = {(p.path, p.message) for p in problems}
        for error in errors:
            loc = tuple(error["loc"])
            # pydantic adds "0 items after validation" when an item of the list failed.
            if error["type"] == "too_short" and any(
                len(o) > len(loc) and o[: len(loc)] == loc for o in locs
            ):
                continue
            problem = _problem(error, data, origins, top)
            if (problem.path, problem.message) not in seen:
                seen.add((problem.path, problem.message))
                problems.append(problem)
        raise ScenarioError(problems, file) from exc
    if problems:
        raise ScenarioError(problems, file)
    return validated


def _bools_for_numbers(
    slot: Slot | None, value: Any, path: str, origins: Origins, problems: list[Problem]
) -> None:
    """Add a problem for each bool below ``value`` whose place wants a number.

    Durations are left to :func:`agents.units.parse_duration`, which refuses bools itself.
    """
    if slot is None:
        return
    if isinstance(value, bool):
        wanted = set(slot.types)
        if wanted & {int, float} and not wanted & {bool, Any} and not slot.duration:
            origin = _origin_of(path, (), origins)
            problems.append(
                Problem(
                    path,
                    origin.line if origin else None,
                    show(value),
                    "is true or false, not a number (YAML reads yes, no, on and off as "
                    "true or false)",
                    describe(slot),
                    origin.file if origin else None,
                    origin.override if origin else False,
                )
            )
        return
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        inner = f"{path}.{key}" if path else str(key)
        _bools_for_numbers(child(slot, str(key)), item, inner, origins, problems)


def _problem(error: Any, data: dict[str, Any], origins: Origins, top: Slot) -> Problem:
    """One pydantic error as a located, human problem (``top``: the root of the schema)."""
    parts, slot, parent, key_error = _locate(error["loc"], top)
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    given = error.get("input")
    path = ".".join(parts)
    value: str | None = show(given)
    allowed: str | None = describe(slot) if slot is not None else None
    also: tuple[str, ...] = ()
    if kind == "extra_forbidden" or key_error:
        here = ".".join(parts[:-1])
        message, value = f"unknown key {show(parts[-1])}", None
        keys = allowed_keys(parent) if parent is not None else []
        if parent is top:
            keys.append("extends")
        allowed = keys_hint(keys, parts[-1], here) if keys else None
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(ctx.get("discriminator", "model")).strip("'\"")
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        path = f"{path}.{disc}"
        allowed = f"{disc}: {tags}" if tags else allowed
        if kind == "union_tag_invalid":
            message, value = f"unknown {disc} {ctx.get('tag')!r}", show(ctx.get("tag"))
        else:
            message, value = f"is required: it says which kind of {parts[-1]} this is", None
    elif kind == "missing" and parent is not None and (size := fixed_length(parent)):
        path = ".".join(parts[:-1])
        message = f"needs exactly {size} items, got {len(given or [])}"
        allowed = describe(parent)
    elif kind == "missing":
        message, value = "is required", None
    elif kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", error["msg"]))
        if slot is not None and slot.duration and "is not a duration" in text:
            message = "is not a duration"
        elif isinstance(given, dict):
            path, message, rule_allowed, also = _cross_field(path, text, top)
            allowed = rule_allowed or allowed
            found = data_at(data, path)
            value = None if isinstance(found, dict | list) or found is None else show(found)
        else:
            message = text
    elif kind in _BOUND_ERRORS:
        key, symbol = _BOUND_ERRORS[kind]
        limit = ctx.get(key)
        if slot is not None and slot.duration and isinstance(limit, int | float) and limit:
            message = f"must be {symbol} {format_duration(float(limit))}"  # "≤ 50y", not days
        else:
            message = f"must be {symbol} {format_number(limit)}"
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
        clip(message, _MAX_MESSAGE),
        allowed,
        origin.file if origin else None,
        origin.override if origin else False,
    )


def _locate(loc: Iterable[Any], top: Slot) -> tuple[list[str], Slot | None, Slot | None, bool]:
    """Dotted path parts, slot, parent slot and key-error flag of a pydantic location.

    Union tags (``'bg'``) are dropped from the path; ``'[key]'`` marks an invalid key of a
    mapping rather than an invalid value.
    """
    parts: list[str] = []
    slot: Slot | None = top
    parent: Slot | None = None
    key_error = False
    for component in loc:
        if component == "[key]":
            key_error = True
            continue
        text = str(component)
        if slot is not None:
            narrowed = narrow(slot, text)
            if narrowed is not None:
                slot = narrowed
                continue
        parent, slot = slot, child(slot, text) if slot is not None else None
        parts.append(text)
    return parts, slot, parent, key_error


def _cross_field(at: str, text: str, top: Slot) -> tuple[str, str, str | None, tuple[str, ...]]:
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
    if leading and slot_at(top, leading.group(1)) is not None:
        return leading.group(1), leading.group(2), None, ()
    path = at
    for token in _INNER_PATH.findall(text):
        candidate = ".".join(p for p in (at, re.sub(r"\[(\d+)\]", r".\1", token)) if p)
        if slot_at(top, candidate) is not None:
            path = candidate
            if text.startswith(f"{token}=") and " " in text:
                text = text.split(" ", 1)[1]  # "resolve.basic=1.2 is not …" → "is not …"
            break
    bounds = _RANGE.search(text)
    allowed = f"a number from {bounds.group(1)} to {bounds.group(2)}" if bounds else None
    return path, text, allowed, ()


def _origin_of(path: str, also: tuple[str, ...], origins: Origins) -> Origin | None:
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


def _humanise(message: str) -> str:
    """Pydantic's wording made shorter (``Input should be`` → ``must be``)."""
    text = message.replace("Value error, ", "").replace("Input should be", "must be")
    return text[:1].lower() + text[1:] if text.startswith("Input") else text
