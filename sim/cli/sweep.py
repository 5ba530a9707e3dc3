"""``crmsim sweep``: run, watch, resume and analyse a parameter sweep.

``run SPEC`` checks the spec whole (every problem with its file, line and field; exit 2 and
nothing written), creates the sweep folder and runs every task on the process pool (all
cores) by default, ``--workers 1`` in this process, or a Dask cluster (``--scheduler ADDR``
or ``local``). Each finished task is saved at once, so ``resume DIR`` after a Ctrl-C, a kill
or a lost machine runs only what is missing. ``status DIR`` says what is done, running,
missing and failed; ``analyze DIR`` writes the tidy tables, the SALib indices, the figures
and an HTML report into ``DIR/analysis``.

Names from the spec reach Rich markup only through :func:`sim.cli.text.escape`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sim.cli.inspect import HELP_OPTIONS
from sim.cli.text import escape, friendly, print_error, stderr_console, stdout_console
from sim.errors import printable

__all__ = ["FAILED", "RunsBar", "sweep_app"]


#: Exit code of a sweep that ended with failed tasks (resume retries them).
FAILED = 1

sweep_app = typer.Typer(
    name="sweep",
    help=(
        "Parameter sweeps: many design points of one scenario, resumable, on all cores or a "
        "Dask cluster, analysed with SALib.\n\n"
        "**Examples**\n\n"
        "    crmsim sweep run scenarios/sweeps/staffing_grid.yaml --out out/grid\n"
        "    crmsim sweep status out/grid\n"
        "    crmsim sweep resume out/grid\n"
        "    crmsim sweep analyze out/grid"
    ),
    no_args_is_help=True,
    context_settings=HELP_OPTIONS,
    rich_markup_mode="markdown",
)

WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers", "-w",
        help="0: a process pool on every core (the default); 1: in this process; N: N "
        "processes (or N local Dask workers with --scheduler local).",
    ),
]  # fmt: skip
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="A Dask scheduler address (tcp://host:8786), or local for a LocalCluster here.",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


class RunsBar:
    """A progress bar of runs done out of the total, with the elapsed time and an ETA.

    A resumed sweep starts at the runs already done; the ETA is reckoned from this
    session's pace only.
    """

    def __init__(self, description: str, enabled: bool = True) -> None:
        self._description = printable(description)
        self._enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        """Record ``done`` of ``total`` runs."""
        if not self._enabled:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}", markup=False, style="bold"),
                BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=stderr_console(),
            )  # fmt: skip
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=total, completed=done)
            self._progress.reset(self._task, total=total, completed=done)
        assert self._task is not None
        self._progress.update(self._task, completed=done, total=total)

    def close(self) -> None:
        """Stop drawing."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _executor(workers: int, scheduler: str | None) -> Any:
    from sim.experiments.executors import make_executor

    return make_executor(None if workers == 1 else workers, scheduler)


def _finish(status: Any, folder: Path) -> None:
    console = stdout_console()
    shown = escape(folder)
    console.print(f"{status.runs_done:,} of {status.runs:,} runs in {shown}")
    if status.failed:
        print_error(
            f"{len(status.failed)} task(s) failed; see crmsim sweep status {folder}, then "
            f"crmsim sweep resume {folder} retries them"
        )
        raise typer.Exit(FAILED)
    if status.complete:
        console.print(f"complete; analyse it with: crmsim sweep analyze {shown}")


@sweep_app.command("run", context_settings=HELP_OPTIONS)
@friendly
def run_command(
    spec: Annotated[Path, typer.Argument(help="The sweep spec (YAML).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Sweep folder (default: out/NAME).")
    ] = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Check a sweep spec, then run every design point into a new sweep folder.

    Every problem of the spec is reported at once with its file, line and field (exit 2,
    nothing written). Each finished task is saved as one Parquet file; after an
    interruption, crmsim sweep resume DIR runs only what is missing.

    **Examples**

        crmsim sweep run scenarios/sweeps/staffing_grid.yaml
        crmsim sweep run scenarios/sweeps/robust_strategy.yaml --out out/robust -w 2
        crmsim sweep run scenarios/sweeps/what_matters.yaml --scheduler tcp://10.0.0.5:8786
    """
    from sim.experiments.sweep import load_sweep, run_sweep

    checked = load_sweep(spec)
    folder = out or Path("out") / checked.name
    bar = RunsBar(checked.name, enabled=not quiet)
    with _executor(workers, scheduler) as executor:
        try:
            status = run_sweep(checked, folder, executor, bar)
        finally:
            bar.close()
    _finish(status, folder)


@sweep_app.command("resume", context_settings=HELP_OPTIONS)
@friendly
def resume_command(
    folder: Annotated[Path, typer.Argument(help="The sweep folder.")],
    spec: Annotated[
        Path | None,
        typer.Option("--spec", help="Hold the folder to this spec (default: the one recorded)."),
    ] = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Run only what a sweep folder is missing (and what failed).

    The folder is refused if its spec changed since it was made (the first differing field
    is named with its line): its runs would not belong with the new ones.

    **Examples**

        crmsim sweep resume out/staffing_grid
        crmsim sweep resume out/robust --spec scenarios/sweeps/robust_strategy.yaml -w 2
    """
    from sim.experiments.sweep import SweepFolder, resume_sweep

    name = SweepFolder(folder).plan().get("name", "sweep")
    bar = RunsBar(str(name), enabled=not quiet)
    with _executor(workers, scheduler) as executor:
        try:
            status = resume_sweep(folder, executor, bar, spec=spec)
        finally:
            bar.close()
    _finish(status, folder)


@sweep_app.command("status", context_settings=HELP_OPTIONS)
@friendly
def status_command(folder: Annotated[Path, typer.Argument(help="The sweep folder.")]) -> None:
    """Say which tasks of a sweep are done, running, missing and failed.

    **Examples**

        crmsim sweep status out/staffing_grid
    """
    from sim.experiments.sweep import SweepFolder

    status = SweepFolder(folder).status()
    console = stdout_console()
    console.print(f"sweep {escape(folder)}: {status.runs_done:,} of {status.runs:,} runs")
    missing = status.missing
    for label, tasks in (("done", status.done), ("running", status.running),
                         ("missing", missing), ("failed", tuple(status.failed))):  # fmt: skip
        console.print(f"  {label:<8}{len(tasks):>6} of {status.tasks} tasks")
    for task, error in list(status.failed.items())[:10]:
        console.print(f"  task {task}: {escape(error)}")
    if status.complete:
        console.print("complete: every task done, manifest written")
    elif missing or status.failed:
        console.print(f"resume with: crmsim sweep resume {escape(folder)}")


@sweep_app.command("analyze", context_settings=HELP_OPTIONS)
@friendly
def analyze_command(
    folder: Annotated[Path, typer.Argument(help="A complete sweep folder.")],
) -> None:
    """Write the tidy tables, SALib indices, figures and HTML report into DIR/analysis.

    **Examples**

        crmsim sweep analyze out/what_matters
    """
    from sim.report.sweep_page import write_analysis

    page = write_analysis(folder)
    stdout_console().print(printable(f"report: {page}"), markup=False, soft_wrap=True)
