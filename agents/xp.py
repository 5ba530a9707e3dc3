"""Element-wise primitives with one meaning for Python floats and numpy arrays.

Rules branch through :func:`where`, :func:`maximum`, :func:`minimum` and :func:`clip`
instead of ``if``. On arrays these are numpy's; on scalars they take a builtin fast path
(numpy costs ~1.5 µs per call on a float, which would dominate the agent engine's event
loop). Both paths are exact selections, never approximations, so a rule returns the same
number whether it is called for one customer or a million (a property test pins this).
Transcendental functions always go through numpy so both paths share one implementation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["clip", "exp", "exp2", "expm1", "maximum", "minimum", "take", "where"]

_SCALAR = (bool, int, float, np.bool_, np.integer, np.floating)


def where(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` else ``b``."""
    if isinstance(cond, _SCALAR) and isinstance(a, _SCALAR) and isinstance(b, _SCALAR):
        return a if cond else b
    return np.where(cond, a, b)


def maximum(a: Any, b: Any) -> Any:
    """Element-wise maximum (``a`` wins ties, like numpy for equal values)."""
    if isinstance(a, _SCALAR) and isinstance(b, _SCALAR):
        return a if a >= b else b
    return np.maximum(a, b)


def minimum(a: Any, b: Any) -> Any:
    """Element-wise minimum."""
    if isinstance(a, _SCALAR) and isinstance(b, _SCALAR):
        return a if a <= b else b
    return np.minimum(a, b)


def clip(x: Any, lo: float, hi: float) -> Any:
    """Clamp into [lo, hi]."""
    if isinstance(x, _SCALAR):
        return lo if x < lo else (hi if x > hi else x)
    return np.clip(x, lo, hi)


def exp(x: Any) -> Any:
    """e**x (numpy on both paths)."""
    return np.exp(x)


def exp2(x: Any) -> Any:
    """2**x (numpy on both paths)."""
    return np.exp2(x)


def expm1(x: Any) -> Any:
    """e**x − 1, accurate near 0 (numpy on both paths)."""
    return np.expm1(x)


def take(table: tuple[float, ...], index: Any) -> Any:
    """``table[index]`` for an integer index or an integer array of indices."""
    if isinstance(index, _SCALAR):
        return table[int(index)]
    return np.asarray(table)[index]
