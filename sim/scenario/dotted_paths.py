"""Dotted paths: addressing, merging and listing the values of nested scenario data.

A scenario is nested mappings and lists, but people (and error messages) name one value by
its dotted path, ``strategy.service.staff`` or ``population.segments.0.share``, the way a
street address names one house without drawing the map. These helpers work on the plain
data read from YAML, before any validation: list every path, fetch the value at one, merge
one layer of data onto another and say which paths the top layer replaced.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

__all__ = ["data_at", "deep_merge", "paths", "under_any"]


def deep_merge(
    base: dict[str, Any], top: dict[str, Any], prefix: str, replaced: set[str]
) -> dict[str, Any]:
    """``top`` merged onto ``base``: mappings recursively, anything else replaces.

    Paths of ``base`` whose value was replaced are added to ``replaced``.
    """
    out = dict(base)
    for key, value in top.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value, path + ".", replaced)
        else:
            if key in out:
                replaced.add(path)
            out[key] = copy.deepcopy(value)
    return out


def paths(value: Any, prefix: str = "") -> list[str]:
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
        found.extend(paths(child, path + "."))
    return found


def data_at(data: Any, path: str) -> Any:
    """The raw value at a dotted path of the data, or None when it is not there."""
    for key in path.split(".") if path else []:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def under_any(path: str, prefixes: set[str]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies below one of them."""
    return any(path == p or path.startswith(p + ".") for p in prefixes)
