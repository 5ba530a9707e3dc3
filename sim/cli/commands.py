"""``crmsim``: run, check, show and report scenarios from the command line.

A trainer's whole loop fits in four commands: ``crmsim list`` to pick a lesson,
``crmsim show`` to read what it sets, ``crmsim run`` to simulate it (tables, figures and an
HTML report in one folder) and ``crmsim report`` to rebuild the page from a saved run.
This module holds the application and the commands that run or report; those that only
look at scenarios (``list``, ``show``, ``validate``) are in :mod:`sim.cli.inspect`, and
``compare`` in :mod:`sim.cli.compare`.

Anything the user can fix (a scenario error, a missing file, a bad ``--set``, an unknown
scenario or engine) is printed as one readable paragraph on standard error with exit code
2, never as a traceback; a traceback means a bug in the sandbox.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from sim.cli.compare import compare_command
from sim.cli.inspect import (
    USER_ERROR,
    SetOption,
    check_engine,
    list_command,
    load,
    show_command,
    validate_command,
)
from sim.cli.text import escape, print_error, stderr_console, stdout_console
from sim.errors import UserError, printable
from sim.scenario.size import SOFT_CUSTOMERS, SOFT_EVENTS, SOFT_MEMORY_SHARE, check_size

if TYPE_CHECKING:
    from sim.results.run_result import RunResult
    from sim.scenario.spec import Scenario

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

app = typer.Typer(
    name="crmsim",
    help=(
        "CRM Sandbox: simulate customers, trust and churn under a CRM strategy.\n\n"
        "Scenarios are YAML files; library scenarios are named (see `crmsim list`), "
        "any other is a path. Every command has --help with examples."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,
)

ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Override the soft safeguards: replace a result already saved in the output "
        f"folder, and run past the soft size ceilings ({SOFT_CUSTOMERS:,} customers, "
        f"{SOFT_EVENTS:,} events, {SOFT_MEMORY_SHARE:.0%} of this machine's memory). "
        "Hard ceilings hold.",
    ),
]
ReportForce = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Override the soft safeguards: replace a result already saved in --out.",
    ),
]


class Format(StrEnum):
    """What ``crmsim run`` writes into the output folder."""

    html = "html"
    parquet = "parquet"
    both = "both"


def _friendly(fn: F) -> F:
    """Turn a :class:`UserError` raised by a command into a message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            print_error(str(exc))
            raise typer.Exit(USER_ERROR) from None

    return wrapper  # type: ignore[return-value]


def _write(what: str, out: Path, action: Callable[[], T]) -> T:
    """Run a writing ``action``; an unwritable folder is the user's to fix."""
    try:
        return action()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserError(f"cannot write the {what} into {out}: {reason}") from None


def _kpi_table(result: RunResult) -> Table:
    """The catalogue's short KPIs and the largest churn reason (the report has them all)."""
    from sim.report.run_page import format_kpi
    from sim.results.catalogue import CHURN_SHARES, KPIS

    kpis = result.kpis
    table = Table(title="Headline numbers", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("unit", style="dim")
    shown = [k.name for k in KPIS if k.short and k.name in kpis]
    churn = {m: kpis[m] for m in CHURN_SHARES if m in kpis and not math.isnan(kpis[m])}
    if churn:
        shown.append(max(churn, key=lambda m: churn[m]))
    for metric in shown:
        label, text, unit = format_kpi(metric, kpis[metric])
        table.add_row(label, text, unit)
    return table


@app.command("run")
@_friendly
def run_command(
    scenario: Annotated[str, typer.Argument(help="Library scenario name or path to a YAML file.")],
    seed: Annotated[
        int | None, typer.Option("--seed", help="Root random seed (default: the scenario's).")
    ] = None,
    overrides: SetOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default: out/<scenario name>)."),
    ] = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="html: report + PNG figures; parquet: tables only; both: everything. "
            "manifest.json is always written.",
        ),
    ] = Format.both,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Simulation engine: agent (the reference; every ledger entry explained), "
            "vector (the same model on numpy columns, for large populations) or auto "
            "(vector from 5,000 customers, agent below or when the event log is asked for).",
        ),
    ] = "agent",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no KPI table.")
    ] = False,
    force: ForceOption = False,
) -> None:
    """Run a scenario once and write its tables, figures and HTML report.

    The folder gets one Parquet file per table and manifest.json (the resolved scenario,
    its hash, seed, engine, versions, and the size and sha256 of every other file) plus
    report.html and one PNG per figure. The folder appears whole when the run is done, or
    not at all; a second crmsim writing to the same folder meanwhile is refused.

    **Examples**

        crmsim run baseline
        crmsim run baseline --seed 7 --out out/baseline-seed7
        crmsim run baseline --set population.initial=300 --set horizon=1y --quiet
        crmsim run my_lesson.yaml --set strategy.complaints.handling=lescant --format html
        crmsim run baseline --set population.initial=100000 --engine vector --format parquet
    """
    import sim
    from sim.experiments.progress import ProgressBar
    from sim.results.folder import ResultFolder

    check_engine(engine)
    sc = _load_sized(scenario, overrides, engine, force)
    target = out if out is not None else Path("out") / _folder_name(sc.name)
    err = stderr_console()
    show_bar = not quiet and err.is_terminal
    report: Path | None = None
    with ResultFolder(target, force=force) as folder:  # checked and locked before the run
        with ProgressBar(sc.name, enabled=show_bar, console=err) as bar:
            result = sim.run(sc, seed=seed, engine=engine, progress=bar, force=force)
        if fmt in (Format.parquet, Format.both):
            _write("tables", target, lambda: result.write_tables(folder.staging))
        if fmt in (Format.html, Format.both):
            from sim.report.run_page import write_report

            _write("report", target, lambda: write_report(result, folder.staging))
            report = target / "report.html"
        _write("result", target, lambda: folder.publish(result.manifest))
    console = stdout_console()
    if not quiet:
        console.print(_kpi_table(result))
        wall = float(result.manifest.get("wall_time_s", float("nan")))
        console.print(
            f"{escape(sc.name)}: seed {result.manifest.get('seed')}, "
            f"engine {result.manifest.get('engine')}, "
            f"{len(result.periods)} periods in {wall:.1f} s",
            soft_wrap=True,
        )
    if report is not None:
        console.print(printable(f"report: {report}"), soft_wrap=True, markup=False)
    else:
        console.print(printable(f"results: {target}"), soft_wrap=True, markup=False)


def _load_sized(scenario: str, overrides: list[str] | None, engine: str, force: bool) -> Scenario:
    """The scenario to run, refused before any folder is touched if it is too big to run."""
    from sim.engines import choose_engine

    sc = load(scenario, overrides)
    check_size(sc, choose_engine(sc, engine), force)
    return sc


def _folder_name(name: str) -> str:
    """A scenario name made safe as one folder name.

    No separators, no leading dots, and short enough for any file system: a long name is
    cut and given a hash of the whole, so two long names stay two folders.
    """
    from sim.results.folder import short_name

    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip(".")
    return short_name(safe or "scenario")


app.command("validate")(_friendly(validate_command))
app.command("list")(list_command)
app.command("show")(_friendly(show_command))


@app.command("report")
@_friendly
def report_command(
    result_dir: Annotated[Path, typer.Argument(help="Folder of a saved run (crmsim run --out).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write the report (default: RESULT_DIR)."),
    ] = None,
    force: ReportForce = False,
) -> None:
    """Rebuild report.html and the PNG figures from a saved run.

    The run's files are checked against its manifest first; a folder whose files do not
    match (an interrupted or mixed save) is refused. Rebuilt in place, the folder is
    replaced whole, tables kept; elsewhere, --out gets the page, the figures and a manifest.

    **Examples**

        crmsim report out/baseline
        crmsim report out/baseline --out slides/baseline
    """
    from sim.report.run_page import write_report
    from sim.results.folder import ResultFolder
    from sim.results.run_result import RunResult

    if not (result_dir / "manifest.json").is_file():
        raise UserError(
            f"{result_dir} holds no saved run (no manifest.json); "
            "create one with: crmsim run SCENARIO --out " + str(result_dir)
        )
    if not (result_dir / "periods.parquet").is_file():
        raise UserError(
            f"{result_dir} holds only a manifest (the run was saved with --format html); "
            "rerun it with --format both to keep the tables"
        )
    in_place = out is None or (out.exists() and os.path.samefile(out, result_dir))
    target = result_dir if in_place or out is None else out
    with ResultFolder(target, force=force or in_place) as folder:
        result = RunResult.load(result_dir)  # in place: under the lock, so nobody swaps it
        if in_place:
            _write("report", target, lambda: folder.carry(result_dir))
        _write("report", target, lambda: write_report(result, folder.staging))
        _write("report", target, lambda: folder.publish(result.manifest))
    stdout_console().print(
        printable(f"report: {target / 'report.html'}"), soft_wrap=True, markup=False
    )


app.command("compare")(_friendly(compare_command))


def main() -> None:
    """Entry point of the ``crmsim`` script."""
    try:
        app(prog_name="crmsim")
    except UserError as exc:
        print_error(str(exc))
        sys.exit(USER_ERROR)
