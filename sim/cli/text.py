"""The command line's consoles, and user strings made safe to print through them.

Rich reads ``[bold]…[/]`` in every string it prints, so a scenario named ``[/]`` would close a
tag that was never opened (and stop the command with a traceback after its work is done),
and ``[link=…]`` would hide a hyperlink behind innocent text. Names, paths, field values and
metric names come from files that trainers share, so every one of them goes through
:func:`escape` before it joins a markup string; where the command line builds a
``rich.text.Text`` instead (never read as markup), :func:`sim.errors.printable` alone is
enough. The consoles are made with ``emoji=False`` for the same reason: ``:warning:`` in a
name is text, not a picture.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.text import Text

from sim.errors import UserError, printable
from sim.i18n import LANGS

__all__ = [
    "USER_ERROR",
    "ReportLangOption",
    "escape",
    "friendly",
    "print_error",
    "stderr_console",
    "stdout_console",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Exit code of every error the user can fix (typer's own usage errors use it too).
USER_ERROR = 2


def escape(text: object) -> str:
    r"""``text`` for a Rich markup string: control characters shown, markup taken literally.

    ``"[/]"`` becomes ``"\[/]"``, which Rich prints as ``[/]``; ``ESC`` becomes the visible
    ``\x1b`` (see :func:`sim.errors.printable`). Text free of both comes back unchanged.

    Args:
        text: a user string, or anything whose ``str`` is shown (a path, an arm name).

    Returns:
        The string to put between markup tags.
    """
    return escape_markup(printable(str(text)))


def stdout_console() -> Console:
    """The console for results on standard output."""
    return Console(highlight=False, emoji=False)


def stderr_console() -> Console:
    """The console for progress and errors on standard error."""
    return Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print a user error as one readable paragraph on standard error.

    Messages quote names, paths and values from the user's files, so their control
    characters are made visible (a ``Text`` never reads markup).
    """
    text = Text("error: ", style="bold red")
    text.append(printable(message))
    stderr_console().print(text)


def friendly(fn: F) -> F:
    """Turn a :class:`UserError` raised by a command into a message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            print_error(str(exc))
            raise typer.Exit(USER_ERROR) from None

    return wrapper  # type: ignore[return-value]


#: ``--lang``: the language of a report and its figures (``crmsim run``, ``report``, ``compare``).
ReportLangOption = Annotated[
    str,
    typer.Option(
        "--lang",
        help=f"Language of the HTML report and its figures: {', '.join(LANGS)} "
        "(English, Chinese). The terminal output stays English.",
    ),
]
