r"""Errors a user can fix: what went wrong, where, and what is allowed instead.

The command line catches :class:`UserError` and prints it without a traceback; anything
else is a bug in the sandbox. :class:`ScenarioError` collects every problem found in a
scenario (its files, ``extends`` chain and overrides) so that a trainer fixes them all in
one go, each one pointing at a file, a line and a dotted field path.

:class:`ArgumentError` is the Python API's counterpart: a public function checks its
arguments at the door (:func:`check_seed`, :func:`check_source`, :func:`check_callback`)
so that a wrong type or an out-of-range value is named before any work starts, not met as a
built-in error deep inside.

Names, paths and values come from files that trainers share, so whatever shows them on a
terminal passes them through :func:`printable` first: an escape sequence in a scenario's
name must reach the screen as the text ``\x1b``, not recolour it or move the cursor.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

__all__ = [
    "ArgumentError",
    "Problem",
    "ScenarioError",
    "UserError",
    "check_callback",
    "check_seed",
    "check_source",
    "printable",
]


class UserError(Exception):
    """Base of every error caused by the user's input rather than by the sandbox.

    The command line catches it and prints ``str(err)`` without a traceback.
    """


class ArgumentError(UserError):
    """An argument of a public Python function with the wrong type or out of range.

    Raised at the function's entrance, before any work, with a message that names the
    argument, shows the value given and says what is allowed.
    """


@overload
def check_seed(seed: object, name: str = ..., *, sequence: Literal[False] = ...) -> int: ...
@overload
def check_seed(
    seed: object, name: str = ..., *, sequence: Literal[True]
) -> int | np.random.SeedSequence: ...
def check_seed(
    seed: object, name: str = "seed", *, sequence: bool = False
) -> int | np.random.SeedSequence:
    """``seed`` as a root seed: a whole number ≥ 0 (or, with ``sequence``, a ``SeedSequence``).

    ``True`` is refused although Python counts it as 1: a flag passed where a seed belongs is
    a mistake, not seed 1. Numpy integers are accepted and returned as plain ``int``, so
    manifests and reports show ``7``, not ``np.int64(7)``.

    Args:
        seed: the value given.
        name: the argument's name, for the message.
        sequence: also accept a ``numpy.random.SeedSequence`` (returned as is).

    Returns:
        The seed, as an ``int`` or the ``SeedSequence`` given.

    Raises:
        ArgumentError: anything else, including negative numbers, floats and booleans.
    """
    if sequence and isinstance(seed, np.random.SeedSequence):
        return seed
    flag = isinstance(seed, bool | np.bool_)
    if not flag and isinstance(seed, int | np.integer) and seed >= 0:
        return int(seed)
    allowed = "a whole number ≥ 0" + (" or a numpy SeedSequence" if sequence else "")
    raise ArgumentError(f"{name} must be {allowed}, got {_preview(seed)}")


def check_source(source: object, name: str = "scenario", *, objects: bool = True) -> None:
    """Refuse a scenario source that is neither a library name, a path nor a mapping.

    A caller that also takes a ``Scenario`` object lets it through before calling this
    check; ``objects`` only says whether the message should offer one.

    Args:
        source: the value given.
        name: the argument's name, for the message.
        objects: whether the caller accepts a ``Scenario`` object too.

    Raises:
        ArgumentError: a value of another type (None, a number, bytes, a list …) or an
            empty name.
    """
    if isinstance(source, Mapping):
        return
    if isinstance(source, str | os.PathLike):
        if not os.fspath(source):
            raise ArgumentError(f"{name} must not be empty: give a library name or a path")
        return
    allowed = "a library name, a path to a YAML file or a mapping of its content"
    if objects:
        allowed = "a Scenario, " + allowed
    raise ArgumentError(f"{name} must be {allowed}, got {_preview(source)}")


def check_callback(fn: object, name: str = "progress") -> None:
    """Refuse a callback that cannot be called (None, meaning no callback, is fine).

    Raises:
        ArgumentError: ``fn`` is neither None nor callable.
    """
    if fn is not None and not callable(fn):
        raise ArgumentError(f"{name} must be a function or None, got {_preview(fn)}")


def _preview(value: object, limit: int = 60) -> str:
    """A short ``repr`` of a value for a message, with its type when that is not obvious."""
    if isinstance(value, int) and value.bit_length() > 64:
        # repr of a very long integer is slow, and refused past 4,300 digits.
        return f"a{' negative' if value < 0 else 'n'} integer of {value.bit_length()} bits"
    shown = repr(value) if isinstance(value, int | float | str | bytes | None) else ""
    if not shown or len(shown) > limit:
        shown = f"a {type(value).__name__}"
    return shown


#: Characters that change a terminal rather than show on it: C0 controls but newline and
#: tab, DEL, C1 controls, and the bidirectional overrides and isolates that reorder a line.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""``text`` with every terminal control character replaced by its visible escape.

    ``ESC`` becomes the four characters ``\x1b``, a bell ``\x07``, a right-to-left
    override ``\u202e``; newlines and tabs stay, as does everything else, so plain text
    comes back unchanged.
    """
    return _CONTROLS.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes:
        path: dotted field path, e.g. ``strategy.service.staff`` or
            ``population.segments.0.share``; empty for problems of the whole file
            (such as a YAML syntax error).
        line: 1-based line in ``file`` where the field is written, or None when it is not
            written in a file (a default, an override, a dict source).
        value: ``repr`` of the offending value, or None when there is none (a missing key).
        message: what is wrong, in plain words.
        allowed: what would be accepted instead, or None when nothing more can be said.
        file: the file that set the field (in an ``extends`` chain, the one that set it
            last), or None to fall back to the error's file.
        override: True when the value came from an override (``--set path=value``).
    """

    path: str
    line: int | None
    value: str | None
    message: str
    allowed: str | None = None
    file: Path | None = None
    override: bool = False

    def render(self, default_file: Path | str | None = None) -> str:
        """One readable paragraph: ``file:line: path = value: message (allowed: …)``.

        Args:
            default_file: file to name when the problem does not carry its own.

        Returns:
            The paragraph, without a trailing newline.
        """
        where: list[str] = []
        if self.override:
            where.append("override")
        else:
            file = self.file if self.file is not None else default_file
            if file is not None:
                where.append(str(file) if self.line is None else f"{file}:{self.line}")
            elif self.line is not None:
                where.append(f"line {self.line}")
        head = self.path
        if head and self.value is not None:
            head = f"{head} = {self.value}"
        parts = [p for p in (*where, head) if p]
        text = ": ".join([*parts, self.message])
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text

    def __str__(self) -> str:
        return self.render()


class ScenarioError(UserError):
    """A scenario that cannot be loaded, with every problem found.

    Attributes:
        file: the scenario file that was loaded (the top of an ``extends`` chain), or None
            for a scenario given as a dict.
        problems: the problems, in the order they were found; never empty.
    """

    def __init__(self, problems: list[Problem], file: Path | str | None = None) -> None:
        if not problems:
            raise ValueError("a ScenarioError needs at least one problem")
        self.file: Path | None = Path(file) if file is not None else None
        self.problems: list[Problem] = list(problems)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(p.render(self.file) for p in self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the error picklable across process pools and Dask workers.
        return (type(self), (self.problems, self.file))
