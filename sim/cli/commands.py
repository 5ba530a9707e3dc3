"""``crmsim``: run, check, show and report scenarios from the command line.

A trainer's whole loop fits in four commands: ``crmsim list`` to pick a lesson,
``crmsim show`` to read what it sets, ``crmsim run`` to simulate it (tables, figures and an
HTML report in one folder) and ``crmsim report`` to rebuild the page from a saved run.

Anything the user can fix (a scenario error, a missing file, a bad ``--set``, an unknown
scenario or engine) is printed as one readable paragraph on standard error with exit code
2, never as a traceback; a traceback means a bug in the sandbox.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sim.cli.compare import compare_command
from sim.errors import UserError

if TYPE_CHECKING:
    from sim.results.run_result import RunResult
    from sim.scenario.spec import Scenario

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., Any])

#: Exit code of every error the user can fix (typer's own usage errors use it too).
USER_ERROR = 2

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


class Format(StrEnum):
    """What ``crmsim run`` writes into the output folder."""

    html = "html"
    parquet = "parquet"
    both = "both"


def _stdout() -> Console:
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _error(message: str) -> None:
    """Print a user error as one readable paragraph on standard error."""
    text = Text("error: ", style="bold red")
    text.append(message)
    _stderr().print(text)


def _friendly(fn: F) -> F:
    """Turn a :class:`UserError` raised by a command into a message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            _error(str(exc))
            raise typer.Exit(USER_ERROR) from None

    return wrapper  # type: ignore[return-value]


def _load(scenario: str, overrides: list[str] | None) -> Scenario:
    """Load a library name or a YAML path with ``--set`` overrides."""
    from sim.scenario.spec import load_scenario

    return load_scenario(scenario, overrides or None)


def _check_engine(engine: str) -> None:
    from sim.engines import ENGINES

    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(ENGINES)})")


def _engine_can_run(sc: Scenario, engine: str) -> None:
    from sim.engines import choose_engine
    from sim.vector_engine.model import unsupported

    if choose_engine(sc, engine) == "vector" and (problems := unsupported(sc)):
        raise UserError(
            f"{sc.name}: the vector engine cannot run this scenario: " + "; ".join(problems)
        )


def _write(what: str, out: Path, action: Callable[[], Path]) -> Path:
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
) -> None:
    """Run a scenario once and write its tables, figures and HTML report.

    The folder gets one Parquet file per table and manifest.json (the resolved scenario,
    its hash, seed, engine, versions) plus report.html and one PNG per figure.

    **Examples**

        crmsim run baseline
        crmsim run baseline --seed 7 --out out/baseline-seed7
        crmsim run baseline --set population.initial=300 --set horizon=1y --quiet
        crmsim run my_lesson.yaml --set strategy.complaints.handling=lescant --format html
        crmsim run baseline --set population.initial=100000 --engine vector --format parquet
    """
    import sim
    from sim.experiments.progress import ProgressBar

    _check_engine(engine)
    sc = _load(scenario, overrides)
    target = out if out is not None else Path("out") / _folder_name(sc.name)
    err = _stderr()
    show_bar = not quiet and err.is_terminal
    with ProgressBar(sc.name, enabled=show_bar, console=err) as bar:
        result = sim.run(sc, seed=seed, engine=engine, progress=bar)
    if fmt in (Format.parquet, Format.both):
        _write("tables", target, lambda: result.save(target))
    else:
        _write("manifest", target, lambda: _save_manifest(result, target))
    report: Path | None = None
    if fmt in (Format.html, Format.both):
        from sim.report.run_page import write_report

        report = _write("report", target, lambda: write_report(result, target))
    console = _stdout()
    if not quiet:
        console.print(_kpi_table(result))
        wall = float(result.manifest.get("wall_time_s", float("nan")))
        console.print(
            f"{sc.name}: seed {result.manifest.get('seed')}, "
            f"engine {result.manifest.get('engine')}, "
            f"{len(result.periods)} periods in {wall:.1f} s",
            soft_wrap=True,
        )
    if report is not None:
        console.print(f"report: {report}", soft_wrap=True, markup=False)
    else:
        console.print(f"results: {target}", soft_wrap=True, markup=False)


def _folder_name(name: str) -> str:
    """A scenario name made safe as one folder name (no separators, no leading dots)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip(".")
    return safe or "scenario"


def _save_manifest(result: RunResult, target: Path) -> Path:
    """Write only ``manifest.json`` (the run's identity) into ``target``."""
    import json

    from sim.results.run_result import atomic_write_bytes

    text = json.dumps(result.manifest, indent=2, sort_keys=True, default=str)
    atomic_write_bytes(target / "manifest.json", text.encode())
    return target


@app.command("validate")
@_friendly
def validate_command(
    scenarios: Annotated[
        list[str], typer.Argument(help="Library scenario names or paths to YAML files.")
    ],
    overrides: SetOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine", help="Also check that this engine (agent, vector, auto) can run them."
        ),
    ] = None,
) -> None:
    """Check that scenarios load: files, extends chains, overrides and every value.

    Prints a check mark and the lesson for each good scenario and every problem of each bad
    one; exits with code 2 when any scenario fails.

    **Examples**

        crmsim validate baseline
        crmsim validate scenarios/*.yaml
        crmsim validate my_lesson.yaml --set strategy.service.staff=4
        crmsim validate scenarios/*.yaml --engine vector
    """
    if engine is not None:
        _check_engine(engine)
    out = _stdout()
    failed = 0
    for name in scenarios:
        try:
            sc = _load(name, overrides)
            if engine is not None:
                _engine_can_run(sc, engine)
        except UserError as exc:
            failed += 1
            out.print(Text(f"✗ {name}", style="bold red"), soft_wrap=True)
            _error(str(exc))
            continue
        line = Text("✓ ", style="bold green")
        line.append(sc.name)
        if sc.lesson:
            line.append(f" — {sc.lesson}")
        out.print(line, soft_wrap=True)
    if failed:
        raise typer.Exit(USER_ERROR)


@app.command("list")
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
        table.add_row(name, Text(scenarios.lesson(name)))
    _stdout().print(table)


@app.command("show")
@_friendly
def show_command(
    scenario: Annotated[str, typer.Argument(help="Library scenario name or path to a YAML file.")],
    overrides: SetOption = None,
) -> None:
    """Print the fully resolved scenario as YAML (extends merged, overrides applied).

    Durations are shown in days. The output is itself a valid scenario file.

    **Examples**

        crmsim show baseline
        crmsim show baseline --set strategy.service.staff=4 > my_lesson.yaml
    """
    from sim.scenario.spec import dump_yaml

    text = dump_yaml(_load(scenario, overrides))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command("report")
@_friendly
def report_command(
    result_dir: Annotated[Path, typer.Argument(help="Folder of a saved run (crmsim run --out).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write the report (default: RESULT_DIR)."),
    ] = None,
) -> None:
    """Rebuild report.html and the PNG figures from a saved run.

    **Examples**

        crmsim report out/baseline
        crmsim report out/baseline --out slides/baseline
    """
    from sim.report.run_page import write_report
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
    result = RunResult.load(result_dir)
    target = out if out is not None else result_dir
    report = _write("report", target, lambda: write_report(result, target))
    _stdout().print(f"report: {report}", soft_wrap=True, markup=False)


app.command("compare")(_friendly(compare_command))


def main() -> None:
    """Entry point of the ``crmsim`` script."""
    try:
        app(prog_name="crmsim")
    except UserError as exc:
        _error(str(exc))
        sys.exit(USER_ERROR)
