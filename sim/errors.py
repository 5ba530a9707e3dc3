"""Errors a user can fix: what went wrong, where, and what is allowed instead.

The command line catches :class:`UserError` and prints it without a traceback; anything
else is a bug in the sandbox. :class:`ScenarioError` collects every problem found in a
scenario (its files, ``extends`` chain and overrides) so that a trainer fixes them all in
one go, each one pointing at a file, a line and a dotted field path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Problem", "ScenarioError", "UserError"]


class UserError(Exception):
    """Base of every error caused by the user's input rather than by the sandbox.

    The command line catches it and prints ``str(err)`` without a traceback.
    """


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
