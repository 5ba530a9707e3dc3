"""Fields: walking the scenario schema to say what may be written where.

Think of the schema as a map of the scenario file. A :class:`Slot` is one place on that
map: the types a value there may have and the pydantic field that declares it. Starting
from the root model, :func:`child` steps down one key or list index at a time, and
:func:`describe` reads a place out loud — ``a whole number ≥ 1, or null for unbounded
staff`` — which is what error messages offer as "allowed".

This module knows nothing about :class:`~sim.scenario.spec.Scenario` itself: callers hand in
the root model (:func:`root`), so imports only ever point from the scenario towards here.
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from agents.units import format_duration, parse_duration

__all__ = [
    "Slot",
    "allowed_keys",
    "child",
    "describe",
    "fixed_length",
    "format_number",
    "is_sequence",
    "keys_hint",
    "narrow",
    "root",
    "slot_at",
]


@dataclass(frozen=True)
class Slot:
    """A place in the schema: the value's candidate types and the field declaring it."""

    types: tuple[Any, ...]
    field: FieldInfo | None = None
    owner: type[BaseModel] | None = None
    name: str | None = None
    nullable: bool = False
    duration: bool = False


def root(model: type[BaseModel]) -> Slot:
    """The top of the schema of ``model`` (the place of the whole file)."""
    return _slot(model, name="")


def child(slot: Slot, key: str) -> Slot | None:
    """Slot of ``key`` below ``slot``, or None when the schema has no such key there."""
    found: list[Slot] = []
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
            if _is_variadic(tp):
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


def slot_at(top: Slot, path: str) -> Slot | None:
    """Slot of a dotted path below ``top``, or None when the schema has no such path."""
    slot: Slot | None = top
    for key in path.split("."):
        if slot is None:
            return None
        slot = child(slot, key)
    return slot


def narrow(slot: Slot, component: str) -> Slot | None:
    """The union member a pydantic location tag (``'bg'``, a class name) selects."""
    models = [t for t in slot.types if _is_model(t)]
    if len(models) < 2:
        return None
    chosen = [m for m in models if component in _tags(m) or component == m.__name__]
    return replace(slot, types=tuple(chosen)) if chosen else None


def allowed_keys(slot: Slot) -> list[str]:
    """Keys a mapping at ``slot`` may have (empty when it is not a fixed-key mapping)."""
    keys: list[str] = []
    for tp in slot.types:
        if _is_model(tp):
            keys += [k for k in tp.model_fields if k not in keys]
        elif get_origin(tp) is dict and get_args(tp):
            keys += [k for k in _literal_values(get_args(tp)[0]) or [] if k not in keys]
    return keys


def keys_hint(keys: list[str], bad: str, here: str) -> str:
    """Valid keys at a level, with the closest match to ``bad``."""
    close = difflib.get_close_matches(bad, keys, n=1, cutoff=0.6)
    text = f"keys under {here or 'the top level'}: {', '.join(keys)}"
    return text + (f"; did you mean {close[0]!r}?" if close else "")


def is_sequence(slot: Slot) -> bool:
    """Whether a value at ``slot`` may be a list (a list or tuple type)."""
    return any(get_origin(t) in (tuple, list) for t in slot.types)


def fixed_length(slot: Slot) -> int:
    """Item count of a fixed-length tuple slot (0 otherwise)."""
    for tp in slot.types:
        if get_origin(tp) is tuple and not _is_variadic(tp):
            return len(get_args(tp))
    return 0


def format_number(x: Any) -> str:
    """A bound or limit as text: ``1`` rather than ``1.0``, ``0.5`` as ``0.5``."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


# --------------------------------------------------------------------------- describing
def describe(slot: Slot) -> str:
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


def _describe_type(tp: Any, slot: Slot) -> str:
    bounds = _bounds(slot.field, duration=slot.duration and tp is float)
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
        if _is_variadic(tp):
            least = _min_items(slot.field)
            size = f" of at least {least} item{'s' if least > 1 else ''}" if least else ""
            return f"a list{size}; each item {describe(_slot(args[0] if args else Any))}"
        items = [describe(_slot(a)) for a in args]
        if len(set(items)) == 1:
            return f"a list of exactly {len(args)} items, each {items[0]}"
        return f"a list of exactly {len(args)} items: " + "; ".join(items)
    if origin is dict:
        keys = _literal_values(args[0]) if args else None
        value = describe(_slot(args[1])) if args else "anything"
        if keys is not None:
            return f"a mapping from {' / '.join(keys)} to {value}"
        return f"a mapping of names to {value}"
    return getattr(tp, "__name__", str(tp))


def _null_meaning(slot: Slot) -> str:
    """What null means for a field, from its description or its model's docstring."""
    if slot.owner is not None and slot.name:
        doc = inspect.getdoc(slot.owner) or ""
        said = re.search(rf"``{re.escape(slot.name)}: null`` means ([^.(:]+)", doc)
        if said:
            return f" for {said.group(1).strip()}"
    description = slot.field.description if slot.field is not None else None
    said = re.search(r"null\s*=\s*([^;]+)", description or "")
    return f": {said.group(1).strip()}" if said else ""


def _bounds(field: FieldInfo | None, duration: bool = False) -> str:
    """Numeric bounds of a field as text, e.g. ``> 0 and ≤ 1``.

    A duration's bounds are stored in days and read in their own unit: ``≥ 1h and ≤ 50y``.
    """
    if field is None:
        return ""

    def show(x: Any) -> str:
        return format_duration(float(x)) if duration else format_number(x)

    found = []
    for m in field.metadata:
        if isinstance(m, annotated_types.Gt):
            found.append(f"> {show(m.gt) if m.gt else '0'}")
        elif isinstance(m, annotated_types.Ge):
            found.append(f"≥ {show(m.ge) if m.ge else '0'}")
        elif isinstance(m, annotated_types.Lt):
            found.append(f"< {show(m.lt)}")
        elif isinstance(m, annotated_types.Le):
            found.append(f"≤ {show(m.le)}")
    return " and ".join(found)


def _min_items(field: FieldInfo | None) -> int:
    if field is None:
        return 0
    return max(
        (m.min_length for m in field.metadata if isinstance(m, annotated_types.MinLen)), default=0
    )


# --------------------------------------------------------------------------- types
def _slot(
    annotation: Any,
    field: FieldInfo | None = None,
    owner: type[BaseModel] | None = None,
    name: str | None = None,
) -> Slot:
    members, nullable, duration = _flatten(annotation)
    if field is not None:
        duration = duration or _is_duration_meta(field.metadata)
    return Slot(tuple(members), field, owner, name, nullable, duration)


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


def _is_model(tp: Any) -> bool:
    return inspect.isclass(tp) and issubclass(tp, BaseModel)


def _is_duration_meta(metadata: Iterable[Any]) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is parse_duration for m in metadata)


def _is_variadic(tp: Any) -> bool:
    """``list[X]``, ``tuple[X, ...]`` or an unparametrised one: any number of items."""
    args = get_args(tp)
    return get_origin(tp) is list or not args or (len(args) == 2 and args[1] is Ellipsis)


def _literal_values(tp: Any) -> list[str] | None:
    if get_origin(tp) is Literal:
        return [str(a) for a in get_args(tp)]
    return None


def _tags(model: type[BaseModel]) -> list[str]:
    """Discriminator values of a union member (its single-value Literal fields)."""
    tags = []
    for field in model.model_fields.values():
        values = _literal_values(field.annotation)
        if values is not None and len(values) == 1:
            tags.append(values[0])
    return tags
