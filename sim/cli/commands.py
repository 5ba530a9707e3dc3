"""``crmsim``: the command line application, and ``crmsim run``.

A trainer's whole loop fits in four commands: ``crmsim list`` to pick a lesson,
``crmsim show`` to read what it sets, ``crmsim run`` to simulate it (tables, figures and an
HTML report in one folder) and ``crmsim report`` to rebuild the page from a saved run. A
lesson with an ``arms:`` block runs one arm (``--arm``; its reference arm by default, said on
standard error) or every arm once side by side (``--all-arms``); ``crmsim compare`` compares
them properly. This module holds the application and the command that runs; those that run
nothing (``list``, ``show``, ``validate``, ``report``) are in :mod:`sim.cli.inspect`, and
``compare`` in :mod:`sim.cli.compare`.

Anything the user can fix (a scenario error, a missing file, a bad ``--set``, an unknown
scenario, engine or arm) is printed as one readable paragraph on standard error with exit
code 2, never as a traceback; a traceback means a bug in the sandbox.
"""

from __future__ import annotations

import functools
import re
import sys
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from sim.cli.calibrate import calibrate_command, check_model_command
from sim.cli.classroom import classroom_app
from sim.cli.compare import LangOption, compare_command
from sim.cli.dashboard import dashboard_command
from sim.cli.inspect import (
    HELP_OPTIONS,
    USER_ERROR,
    SetOption,
    arms_table,
    check_engine,
    choose_arm,
    compare_hint,
    engine_can_run,
    kpi_table,
    list_command,
    load,
    named_arms,
    report_command,
    show_command,
    validate_command,
    write_step,
)
from sim.cli.sweep import sweep_app
from sim.cli.text import escape, friendly, print_error, stderr_console, stdout_console
from sim.errors import UserError, printable
from sim.i18n import DEFAULT_LANG, check_lang
from sim.scenario.size import SOFT_CUSTOMERS, SOFT_EVENTS, SOFT_MEMORY_SHARE, check_size

if TYPE_CHECKING:
    from sim.results.folder import ResultFolder
    from sim.results.run_result import RunResult
    from sim.scenario.spec import Scenario

__all__ = ["app", "main"]


app = typer.Typer(
    name="crmsim",
    help=(
        "CRM Sandbox: simulate customers, trust and churn under a CRM strategy.\n\n"
        "Scenarios are YAML files; library scenarios are named (see `crmsim list`), "
        "any other is a path. Every command has --help (-h) with examples.\n\n"
        "**Examples**\n\n"
        "    crmsim list\n"
        "    crmsim run complaint_handling --arm lescant\n"
        "    crmsim compare complaint_handling -n 8\n"
        "    crmsim run -h"
    ),
    no_args_is_help=True,
    context_settings=HELP_OPTIONS,
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


def _print_version(wanted: bool) -> None:
    """Print ``crmsim X.Y.Z`` (the installed package's version) and stop, for ``--version``."""
    from importlib.metadata import PackageNotFoundError, version

    if wanted:
        try:
            number = version("crm-sandbox")
        except PackageNotFoundError:  # a source tree that was never installed
            number = "unknown (the crm-sandbox package is not installed)"
        typer.echo(f"crmsim {number}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    # No docstring: typer would show it instead of the application's help.
    del show_version


class Format(StrEnum):
    """What ``crmsim run`` writes into the output folder."""

    html = "html"
    parquet = "parquet"
    both = "both"


@app.command("run", context_settings=HELP_OPTIONS)
@friendly
def run_command(
    scenario: Annotated[str, typer.Argument(help="Library scenario name or path to a YAML file.")],
    seed: Annotated[
        int | None, typer.Option("--seed", help="Root random seed (default: the scenario's).")
    ] = None,
    overrides: SetOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (default: out/ and the name of the scenario or arm run).",
        ),
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
    arm: Annotated[
        str | None,
        typer.Option(
            "--arm",
            "-a",
            help="Run this arm of the scenario's arms: block (default: its reference arm).",
        ),
    ] = None,
    all_arms: Annotated[
        bool,
        typer.Option(
            "--all-arms",
            help="Run every arm once on the same seed: one report per arm in --out/ARM and "
            "index.html side by side.",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no KPI table.")
    ] = False,
    force: ForceOption = False,
    lang: LangOption = DEFAULT_LANG,
) -> None:
    """Run a scenario once and write its tables, figures and HTML report.

    The folder gets one Parquet file per table and manifest.json (the resolved scenario,
    its hash, seed, engine, versions, and the size and sha256 of every other file) plus
    report.html and one PNG per figure. The folder appears whole when the run is done, or
    not at all; a second crmsim writing to the same folder meanwhile is refused.

    A scenario with an arms: block runs one arm: --arm NAME, or else its reference arm (a
    line on standard error says which). --all-arms runs every arm once on the same seed
    into --out/ARM, one full result per arm, with index.html showing them side by side;
    the folder appears whole when the last arm is done, or not at all. One run per arm is
    not a comparison: crmsim compare gives intervals and verdicts.

    **Examples**

        crmsim run baseline
        crmsim run baseline --seed 7 --out out/baseline-seed7
        crmsim run baseline --set population.initial=300 --set horizon=1y --quiet
        crmsim run complaint_handling --arm lescant
        crmsim run complaint_handling --all-arms --out out/complaints
        crmsim run my_lesson.yaml --set strategy.complaints.handling=lescant --format html
        crmsim run baseline --set population.initial=100000 --engine vector --format parquet
        crmsim run baseline --lang zh
    """
    from sim.engines import choose_engine
    from sim.results.folder import ResultFolder

    check_engine(engine)
    how = _How(seed, fmt, engine, quiet, force, check_lang(lang))
    if arm is not None and all_arms:
        raise UserError("give either --arm NAME (one arm) or --all-arms (every arm), not both")
    lesson = load(scenario, overrides)
    if all_arms:
        _run_all_arms(lesson, scenario, overrides, out, how)
        return
    sc = choose_arm(lesson, arm, scenario, overrides)
    check_size(sc, choose_engine(sc, engine), force)  # before any folder is touched
    target = out if out is not None else Path("out") / _folder_name(sc.name)
    with ResultFolder(target, force=force) as folder:  # checked and locked before the run
        result, report = _save_run(sc, folder, target, how)
    console = stdout_console()
    if not quiet:
        console.print(kpi_table(result))
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


@dataclass(frozen=True)
class _How:
    """The options every run of one ``crmsim run`` shares."""

    seed: int | None
    fmt: Format
    engine: str
    quiet: bool
    force: bool
    lang: str = DEFAULT_LANG


def _save_run(
    sc: Scenario, folder: ResultFolder, shown: Path, how: _How
) -> tuple[RunResult, Path | None]:
    """Run ``sc`` once into the claimed ``folder`` and publish it.

    Args:
        sc: the scenario to run.
        folder: the claimed result folder.
        shown: the folder's name in messages (the final path, not the staging one).
        how: seed, format, engine, quiet and force.

    Returns:
        The result, and the path of its report (None when saved as tables only).
    """
    import sim
    from sim.experiments.progress import ProgressBar

    err = stderr_console()
    with ProgressBar(sc.name, enabled=not how.quiet and err.is_terminal, console=err) as bar:
        result = sim.run(sc, seed=how.seed, engine=how.engine, progress=bar, force=how.force)
    report: Path | None = None
    if how.fmt in (Format.parquet, Format.both):
        write_step("tables", shown, lambda: result.write_tables(folder.staging))
    if how.fmt in (Format.html, Format.both):
        from sim.report.run_page import write_report

        write_step("report", shown, lambda: write_report(result, folder.staging, how.lang))
        report = shown / "report.html"
    write_step("result", shown, lambda: folder.publish(result.manifest))
    return result, report


def _run_all_arms(
    lesson: Scenario, source: str, overrides: list[str] | None, out: Path | None, how: _How
) -> None:
    """``crmsim run --all-arms``: every arm once on one seed, and the page beside them.

    The whole folder is one :class:`ResultFolder`: each arm is saved as a result folder of
    its own (published whole, with its manifest) inside the outer staging folder, the page
    is written last, and the outer folder is published with one rename. A kill or an error
    at any arm leaves --out as it was; a second crmsim writing there meanwhile is refused.
    The outer manifest lists every file below it as written; rebuilding one arm's report in
    place (crmsim report DIR/ARM) makes that arm's folder newer than the list.
    """
    from sim.engines import choose_engine
    from sim.report.arms_page import PAGE, ArmRun, arm_folders, arms_manifest, write_arms_page
    from sim.results.folder import ResultFolder

    arms = named_arms(lesson, "--all-arms")
    reference = lesson.reference_arm or next(iter(arms))
    order = [reference, *(a for a in arms if a != reference)]
    for name in order:  # refuse any arm before the first one runs
        engine_can_run(arms[name], how.engine)
        check_size(arms[name], choose_engine(arms[name], how.engine), how.force)
    # One root seed for every arm, even one whose overrides set its own: common random numbers.
    seed = lesson.seed if how.seed is None else how.seed
    how = replace(how, seed=seed)
    target = out if out is not None else Path("out") / _folder_name(lesson.name)
    folders = arm_folders({name: _folder_name(name) for name in order})
    compare = compare_hint(source, overrides, "-n", "8")
    err, runs, started = stderr_console(), list[ArmRun](), time.perf_counter()
    with ResultFolder(target, force=how.force) as outer:  # checked and locked before any run
        for i, name in enumerate(order, 1):
            if not how.quiet:
                tag = " (reference)" if name == reference else ""
                line = f"[{i}/{len(order)}] arm {name}{tag}: running {arms[name].name}"
                err.print(Text(printable(line)))
            with ResultFolder(outer.staging / folders[name]) as folder:
                result, report = _save_run(arms[name], folder, target / folders[name], how)
            engine, kpis = str(result.manifest.get("engine")), result.kpis
            runs.append(ArmRun(name, arms[name].name, folders[name], kpis, engine, bool(report)))
        for lock in outer.staging.glob(".*.lock"):  # the arm folders' locks, private here
            lock.unlink()
        page = functools.partial(write_arms_page, outer.staging, lesson, runs, compare=compare)
        write_step("page", target, lambda: page(reference=reference, seed=seed))  # the last file
        seconds = time.perf_counter() - started
        manifest = arms_manifest(lesson, runs, reference, seed, how.engine, seconds)
        write_step("result", target, lambda: outer.publish(manifest))  # one rename: all or none
    console = stdout_console()
    if not how.quiet:
        console.print(arms_table(runs))
        note = f"one run per arm is not a comparison; for intervals: {compare}"
        console.print(Text(printable(note)), soft_wrap=True)
    console.print(printable(f"arms: {target / PAGE}"), soft_wrap=True, markup=False)


def _folder_name(name: str) -> str:
    """A scenario name made safe as one folder name.

    No separators, no leading dots, and short enough for any file system: a long name is
    cut and given a hash of the whole, so two long names stay two folders.
    """
    from sim.results.folder import short_name

    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip(".")
    return short_name(safe or "scenario")


app.command("validate", context_settings=HELP_OPTIONS)(friendly(validate_command))
app.command("list", context_settings=HELP_OPTIONS)(list_command)
app.command("show", context_settings=HELP_OPTIONS)(friendly(show_command))
app.command("report", context_settings=HELP_OPTIONS)(friendly(report_command))
app.command("compare", context_settings=HELP_OPTIONS)(friendly(compare_command))
app.command("calibrate", context_settings=HELP_OPTIONS)(friendly(calibrate_command))
app.command("check-model", context_settings=HELP_OPTIONS)(friendly(check_model_command))
app.command("dashboard", context_settings=HELP_OPTIONS)(friendly(dashboard_command))
app.add_typer(sweep_app, name="sweep")
app.add_typer(classroom_app, name="classroom")


def main() -> None:
    """Entry point of the ``crmsim`` script."""
    try:
        app(prog_name="crmsim")
    except UserError as exc:
        print_error(str(exc))
        sys.exit(USER_ERROR)
