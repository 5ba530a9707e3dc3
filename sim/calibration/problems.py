"""Problems with a user's data file: every bad cell named by file, line and column.

A strategist exports a transaction log from the shop's database and it has a stray header,
a refund with a minus sign, a date typed as 31/02. Like a scenario's problems
(:class:`sim.errors.ScenarioError`), every one is collected and shown at once, each as
``file:line: column = value: what is wrong (allowed: …)``, so the whole file is fixed in
one go. Line numbers are those of the file as a text editor shows them (the header is line
1); for a Parquet file they are the row number plus one, as if it had been a CSV.

:class:`DataError` is a :class:`~sim.errors.UserError`: the command line prints it without
a traceback and exits with code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import Problem, UserError, printable

__all__ = ["MAX_SHOWN", "DataError", "FitError", "cell"]

#: Problems listed in full; the rest are counted, so a file with 60,000 bad dates prints a
#: readable page rather than 60,000 lines.
MAX_SHOWN = 20


def cell(column: str, line: int | None, value: Any, message: str, allowed: str = "") -> Problem:
    """One bad cell (or a whole column when ``line`` is None, or the file when ``column`` is '')."""
    shown = (
        None if value is None else printable(repr(value) if isinstance(value, str) else str(value))
    )
    return Problem(column, line, shown, message, allowed or None)


class DataError(UserError):
    """A data file that cannot be read as the layout asked for, with every problem found.

    Attributes:
        file: the file read.
        problems: the problems, in file order; never empty.
    """

    def __init__(self, problems: list[Problem], file: Path | str) -> None:
        if not problems:
            raise ValueError("a DataError needs at least one problem")
        self.file = Path(file)
        self.problems = list(problems)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        shown = [p.render(self.file) for p in self.problems[:MAX_SHOWN]]
        rest = len(self.problems) - MAX_SHOWN
        if rest > 0:
            shown.append(f"{self.file}: … and {rest:,} more problems of the same kinds")
        return "\n".join(shown)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems, self.file))


class FitError(UserError):
    """A fit that did not converge, or whose values no scenario can hold: nothing is written."""
