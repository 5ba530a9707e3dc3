"""``crmsim list``, ``show`` and ``validate``: look at scenarios before running one.

The commands that read scenarios and run nothing: the library and its lessons, a scenario
fully resolved, and a check that files load, with the size a run of each would have (the
estimate of :mod:`sim.scenario.size`), so that a world too big to run is found here rather
than an hour into ``crmsim run``. They are plain functions with typer-annotated parameters,
registered on the main command line the way :mod:`sim.cli.compare` is; the helpers that
load a scenario from the command line live here too, and ``crmsim run`` uses them.

Names, lessons and messages come from the user's files: they reach the terminal as
``rich.text.Text`` built from :func:`sim.errors.printable`, or through
:func:`sim.cli.text.escape` where markup is involved.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from sim.cli.text import escape, print_error, stderr_console, stdout_console
from sim.errors import UserError, printable

if TYPE_CHECKING:
    from sim.scenario.spec import Scenario

__all__ = [
    "USER_ERROR",
    "SetOption",
    "check_engine",
    "engine_can_run",
    "list_command",
    "load",
    "show_command",
    "validate_command",
]

#: Exit code of every error the user can fix (typer's own usage errors use it too).
USER_ERROR = 2

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="PATH=VALUE",
        help="Override one setting by its dotted path (repeatable), e.g. "
        "strategy.service.staff=4 or horizon=6mo. The value is read as YAML.",
    ),
]


def load(scenario: str, overrides: list[str] | None) -> Scenario:
    """Load a library name or a YAML path with ``--set`` overrides."""
    from sim.scenario.spec import load_scenario

    return load_scenario(scenario, overrides or None)


def check_engine(engine: str) -> None:
    """Refuse an unknown ``--engine`` before any scenario is loaded."""
    from sim.engines import ENGINES

    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(ENGINES)})")


def engine_can_run(sc: Scenario, engine: str) -> None:
    """Refuse a scenario that the engine ``engine`` resolves to cannot run."""
    from sim.engines import choose_engine
    from sim.vector_engine.model import unsupported

    if choose_engine(sc, engine) == "vector" and (problems := unsupported(sc)):
        raise UserError(
            f"{sc.name}: the vector engine cannot run this scenario: " + "; ".join(problems)
        )


def validate_command(
    scenarios: Annotated[
        list[str], typer.Argument(help="Library scenario names or paths to YAML files.")
    ],
    overrides: SetOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="Also check that this engine (agent, vector, auto) can run them, and size "
            "the run for it (default: agent, as crmsim run).",
        ),
    ] = None,
) -> None:
    """Check that scenarios load, and how big a run of each would be.

    Prints a check mark and the lesson for each good scenario with the estimated size of a
    run (customers ever alive, events, memory), and every problem of each bad one. A run
    past a soft size ceiling is still a valid file: a warning on standard error says that
    crmsim run needs --force. A run past a hard ceiling (more customers than any run may
    have, more memory than this machine has) fails. Exits with code 2 when any fails.

    **Examples**

        crmsim validate baseline
        crmsim validate scenarios/*.yaml
        crmsim validate my_lesson.yaml --set strategy.service.staff=4
        crmsim validate scenarios/*.yaml --engine vector
    """
    from sim.engines import choose_engine
    from sim.scenario.size import check_size

    if engine is not None:
        check_engine(engine)
    out = stdout_console()
    failed = 0
    for name in scenarios:
        warning = None
        try:
            sc = load(name, overrides)
            if engine is not None:
                engine_can_run(sc, engine)
            chosen = choose_engine(sc, engine or "agent")
            size = check_size(sc, chosen, force=True)  # the hard ceilings only
            try:
                check_size(sc, chosen)
            except UserError as exc:
                warning = str(exc)
        except UserError as exc:
            failed += 1
            out.print(Text(printable(f"✗ {name}"), style="bold red"), soft_wrap=True)
            print_error(str(exc))
            continue
        line = Text("✓ ", style="bold green")
        line.append(printable(sc.name))
        if sc.lesson:
            line.append(printable(f" — {sc.lesson}"))
        out.print(line, soft_wrap=True)
        out.print(Text(f"  size: {size.describe()}"), soft_wrap=True)
        if warning is not None:
            text = Text("warning: crmsim run needs --force: ", style="bold yellow")
            text.append(printable(warning))
            stderr_console().print(text)
    if failed:
        raise typer.Exit(USER_ERROR)


def list_command() -> None:
    """List the scenario library with each scenario's one-line lesson.

    **Examples**

        crmsim list
    """
    import scenarios

    table = Table(title=f"Scenario library ({scenarios.SCENARIO_DIR})", title_justify="left")
    table.add_column("scenario", style="bold", no_wrap=True)
    table.add_column("lesson")
    for name in scenarios.names():
        table.add_row(escape(name), Text(printable(scenarios.lesson(name))))
    stdout_console().print(table)


def show_command(
    scenario: Annotated[str, typer.Argument(help="Library scenario name or path to a YAML file.")],
    overrides: SetOption = None,
) -> None:
    """Print the fully resolved scenario as YAML (extends merged, overrides applied).

    Durations are shown in days. The output is itself a valid scenario file; control
    characters in its text (an escape sequence in a name, say) are written as visible
    escapes, so showing a shared file never drives the terminal.

    **Examples**

        crmsim show baseline
        crmsim show baseline --set strategy.service.staff=4 > my_lesson.yaml
    """
    from sim.scenario.spec import dump_yaml

    text = printable(dump_yaml(load(scenario, overrides)))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
