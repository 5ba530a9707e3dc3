"""The compiler: numba's njit, caching in a user directory, warmed once before workers start.

The one place numba is imported. Compiled functions are cached on disk (``cache=True``) so
a process pays the compile once per source change, not once per run: numba keys its cache
by the source file's path and modification time, and would by default write it into
``__pycache__`` beside the source, inside the repository. It writes instead where
``NUMBA_CACHE_DIR`` says, which this module sets, if the user has not, to
``$XDG_CACHE_HOME/crmsim/numba`` (``~/.cache/crmsim/numba``) before numba is imported:
numba reads the variable when a function is decorated, and re-reads the environment before
each compile, so setting the variable (not numba's config) is what holds. Worker processes
inherit it, so they read the cache the parent wrote.

Workers should not race to write the cache: the parent calls :func:`warm` before starting
them, which compiles (or loads) every registered signature once, so the workers only read.
With ``NUMBA_DISABLE_JIT=1`` numba hands the plain Python functions back and everything
runs as Python, slowly, to the same numbers (the tests check it).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

__all__ = ["CACHE_ENV", "cache_dir", "njit", "registered", "warm"]

#: The variable numba takes its cache directory from.
CACHE_ENV = "NUMBA_CACHE_DIR"

F = TypeVar("F", bound=Callable[..., Any])


def _default_dir() -> Path:
    """A writable user cache directory: XDG's, else a per-user temporary one."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    for path in (Path(base) / "crmsim" / "numba",
                 Path(tempfile.gettempdir()) / f"crmsim-numba-{os.getuid()}"):  # fmt: skip
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    raise OSError("no writable cache directory for numba: set NUMBA_CACHE_DIR")


def cache_dir() -> Path:
    """Where compiled functions are cached (``NUMBA_CACHE_DIR``)."""
    return Path(os.environ[CACHE_ENV])


if not os.environ.get(CACHE_ENV):
    os.environ[CACHE_ENV] = str(_default_dir())

import numba  # noqa: E402  (after NUMBA_CACHE_DIR is set: numba reads it on import)
from numba.core import config as numba_config  # noqa: E402
from numba.core import sigutils  # noqa: E402

#: ``NUMBA_DISABLE_JIT``: numba hands functions back as they are.
_PYTHON = bool(getattr(numba_config, "DISABLE_JIT"))  # noqa: B009  (set at run time)

#: Each compiled function with the signatures :func:`warm` compiles it for.
_REGISTRY: list[tuple[Any, tuple[str, ...]]] = []


def njit(*signatures: str) -> Callable[[F], F]:
    """Compile a function with numba in nopython mode, cached on disk, when first called.

    Args:
        signatures: the numba signatures (``"uint64[:, ::1](uint64[:, ::1])"``) the callers
            use, compiled by :func:`warm`; none for helpers only compiled functions call,
            which are compiled into their callers.

    Compilation stays lazy (an import compiles nothing); calls with other types compile
    for those types as numba always does.
    """

    def wrap(fn: F) -> F:
        if _PYTHON:
            return _wrapping(fn)
        compiled = numba.njit(cache=True, nogil=True)(fn)
        _REGISTRY.append((compiled, signatures))
        return cast(F, compiled)

    return wrap


def _wrapping(fn: F) -> F:
    """``fn`` as plain Python, its numpy scalars wrapping on overflow as compiled code does.

    numpy warns when a uint64 scalar product or sum wraps; compiled code wraps silently, and
    the generator relies on it.
    """

    @functools.wraps(fn)
    def quiet(*args: Any) -> Any:
        with np.errstate(over="ignore"):
            return fn(*args)

    return quiet  # type: ignore[return-value]


def registered() -> list[tuple[Any, tuple[str, ...]]]:
    """Every function :func:`njit` has compiled or will, with its signatures to warm."""
    return list(_REGISTRY)


def warm() -> int:
    """Compile, or load from the cache, every registered signature; returns how many.

    For the parent of worker processes, before it starts them: the cache is written once,
    here, and the workers only read it. Only the functions of modules already imported are
    registered (the engines import :mod:`sim.streams`). A no-op with ``NUMBA_DISABLE_JIT``.
    """
    n = 0
    for compiled, signatures in _REGISTRY:
        if not hasattr(compiled, "compile"):  # NUMBA_DISABLE_JIT: a plain function
            continue
        for signature in signatures:
            # numba files a compile under the signature it was asked for: a call files the
            # argument types alone, ``compile("r(a)")`` the return type too, and neither
            # finds the other's entry. Warming by the argument types files what calls look
            # up, so a worker's first call loads instead of compiling.
            args, _ = sigutils.normalize_signature(signature)
            compiled.compile(tuple(args))
            n += 1
    return n
