"""The parameter reference, generated from the scenario schema itself.

Every scenario field is listed with its dotted path, type, unit, default, allowed range and
meaning, read from the pydantic models in ``agents/`` and :mod:`sim.scenario.spec` — so the
reference cannot drift from the code. ``python -m sim.docgen.parameters`` prints it; a test checks
that ``docs/parameters.md`` is current and that no field lacks a description.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from agents.units import parse_duration
from sim.scenario.spec import Scenario

__all__ = ["ParamDoc", "markdown", "parameters"]

_MISSING: Any = object()


@dataclass(frozen=True)
class ParamDoc:
    """One documented parameter."""

    path: str
    type: str
    unit: str
    default: str
    allowed: str
    description: str


def _is_days(field: FieldInfo) -> bool:
    return any(getattr(m, "func", None) is parse_duration for m in field.metadata) or "Days" in str(
        field.annotation
    )


def _models(tp: Any) -> list[type[BaseModel]]:
    """Models nested in an annotation (directly, in a union, tuple or Optional), once each."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    found: list[type[BaseModel]] = []
    for arg in get_args(tp):
        found += [m for m in _models(arg) if m not in found]
    return found


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(tp))
    if origin is typing.Annotated:
        return _type_name(get_args(tp)[0])
    if origin in (tuple, list):
        inner = get_args(tp)
        return f"list of {_type_name(inner[0])}" if inner else "list"
    if origin is dict:
        return "mapping"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def _allowed(field: FieldInfo, days: bool) -> str:
    parts: list[str] = []
    for m in field.metadata:
        for attr, sym in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            v = getattr(m, attr, None)
            if isinstance(m, annotated_types.BaseMetadata) and v is not None:
                parts.append(f"{sym} {v:g}" if isinstance(v, int | float) else f"{sym} {v}")
        if getattr(m, "min_length", None):
            parts.append(f"at least {m.min_length} item(s)")
    ann = field.annotation
    if get_origin(ann) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(ann))
    text = ", ".join(parts) if parts else "any"
    if days and parts:
        text += " (days)"
    return text


def _default(field: FieldInfo, days: bool, inherited: Any = _MISSING) -> str:
    if inherited is not _MISSING:
        value = inherited
    elif field.is_required():
        return "required"
    else:
        value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(block)"
    if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
        return f"{len(value)} item(s), see below"
    if days and isinstance(value, float):
        return f"{value:g} d"
    return repr(value)


def _unit(field: FieldInfo, days: bool) -> str:
    if days:
        return "days"
    desc = (field.description or "").lower()
    for word in ("money", "per year", "per day", "trust points", "probability", "index"):
        if word in desc:
            return word
    return ""


def parameters(
    model: type[BaseModel] = Scenario, prefix: str = "", instance: BaseModel | None = None
) -> list[ParamDoc]:
    """Every field of ``model`` and of the models nested in it, depth first.

    ``instance`` is the parent's default block, when it has one: its values are the real
    defaults of the nested fields (a block's class defaults may differ from its parent's).
    """
    out: list[ParamDoc] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        days = _is_days(field)
        nested = _models(field.annotation)
        inherited = getattr(instance, name) if instance is not None else _MISSING
        out.append(
            ParamDoc(
                path=path,
                type=_type_name(field.annotation),
                unit=_unit(field, days),
                default=_default(field, days, inherited),
                allowed=_allowed(field, days),
                description=(field.description or "").strip(),
            )
        )
        is_list = get_origin(field.annotation) in (tuple, list)
        if inherited is _MISSING and not field.is_required():
            inherited = field.get_default(call_default_factory=True)
        for sub in nested:
            label = f"{path}[]" if is_list else path
            if len(nested) > 1:
                label = f"{label}<{sub.__name__}>"
            block = inherited if isinstance(inherited, sub) else None
            out += parameters(sub, prefix=f"{label}.", instance=block)
    return out


def markdown() -> str:
    """The parameter reference as a Markdown table."""
    rows = [
        "| parameter | type | unit | default | allowed | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for p in parameters():
        desc = p.description.replace("|", "\\|").replace("\n", " ")
        typ = p.type.replace("|", "\\|")
        allowed = p.allowed.replace("|", "\\|")
        default = p.default.replace("|", "\\|")
        rows.append(f"| `{p.path}` | {typ} | {p.unit} | {default} | {allowed} | {desc} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover - documentation generator
    import sys

    sys.stdout.write(markdown())
