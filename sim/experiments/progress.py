"""A progress bar for long runs: periods done out of the total, and the time it took.

:class:`ProgressBar` is both the ``progress=`` callback that :func:`sim.run` accepts and a
context manager, so the command line and a notebook use it the same way::

    with ProgressBar("baseline") as bar:
        result = sim.run(scenario, seed=1, progress=bar)

Used without ``with``, the bar starts at the first call and stops itself once the last
period is done. When disabled it does nothing at all, which keeps ``--quiet`` runs, piped
output and test logs clean; in a notebook without ``ipywidgets`` it disables itself rather
than print a warning.

The description is usually a scenario's name, which comes from a shared file: it is shown
as plain text (never read as Rich markup) with its control characters made visible.
"""

from __future__ import annotations

import importlib.util
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from sim.errors import printable

__all__ = ["ProgressBar"]


def _can_draw(console: Console) -> bool:
    """Whether a live bar can be drawn: in Jupyter, rich needs ``ipywidgets`` for it."""
    return not console.is_jupyter or importlib.util.find_spec("ipywidgets") is not None


class ProgressBar:
    """A rich progress bar usable as ``progress(done, total)`` callback and context manager.

    Args:
        description: text shown left of the bar (for example the scenario's name).
        enabled: False makes every method a no-op.
        console: where to draw (defaults to a console on standard error, so the bar never
            mixes with results printed on standard output).
        transient: remove the bar from the screen when it stops.
    """

    def __init__(
        self,
        description: str = "simulating",
        *,
        enabled: bool = True,
        console: Console | None = None,
        transient: bool = False,
    ) -> None:
        self.description = description
        self.enabled = enabled
        self._console = console
        self._transient = transient
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self.done = 0
        self.total: int | None = None

    def start(self) -> None:
        """Show the bar (idempotent; nothing happens when disabled)."""
        if not self.enabled or self._progress is not None:
            return
        console = self._console or Console(stderr=True)
        if not _can_draw(console):
            self.enabled = False
            return
        self._progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("periods"),
            TimeElapsedColumn(),
            console=console,
            transient=self._transient,
        )
        self._progress.start()
        self._task = self._progress.add_task(printable(self.description), total=self.total)

    def stop(self) -> None:
        """Stop drawing (idempotent)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def __call__(self, done: int, total: int) -> None:
        """Record that ``done`` of ``total`` periods are finished.

        Args:
            done: periods finished so far.
            total: periods in the run.
        """
        self.done, self.total = done, total
        if not self.enabled:
            return
        self.start()
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)
            if done >= total:
                self.stop()

    def __enter__(self) -> ProgressBar:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
