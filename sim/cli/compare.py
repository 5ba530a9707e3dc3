"""``crmsim compare``: policies side by side, with intervals, paired differences and verdicts.

The command is a plain function with typer-annotated parameters so that the main command
line registers it with ``app.command("compare")(compare_command)``. It loads the arms
(several scenario files, or one file with an ``arms:`` block), runs them on common random
numbers through :func:`sim.experiments.compare` with a progress bar, prints the tables and
verdicts, and writes the HTML report (:mod:`sim.report.compare_page`). Arm, metric and
scenario names come from the user's files and reach Rich markup only through
:func:`sim.cli.text.escape`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sim.cli.comparison_view import print_comparison
from sim.cli.text import ReportLangOption as LangOption
from sim.cli.text import escape, stderr_console, stdout_console
from sim.engines import ENGINES
from sim.errors import UserError, printable
from sim.experiments.checkpoint import discard
from sim.experiments.comparison import DEFAULT_N, Comparison, arms_from_scenario, compare
from sim.experiments.executors import cores, make_executor
from sim.experiments.inputs import unknown_metric
from sim.experiments.plan import MAX_REPLICATIONS, check_experiment, experiment_engine
from sim.experiments.targets import Target, parse_target
from sim.i18n import DEFAULT_LANG, check_lang
from sim.report.compare_page import headline_metrics, write_report
from sim.results.catalogue import KPIS
from sim.results.collect import versions
from sim.results.folder import ResultFolder, short_name
from sim.rng import DEFAULT_SEED
from sim.scenario.size import SOFT_CUSTOMERS, SOFT_EVENTS
from sim.scenario.spec import Scenario, load_scenario, scenario_hash, scenario_to_dict

__all__ = ["LangOption", "compare_command", "load_arms", "work_folder"]

#: Every KPI a comparison can report, for checking --metric before any run.
KPI_NAMES = tuple(k.name for k in KPIS)


def load_arms(sources: list[str], overrides: list[str] | None = None) -> dict[str, Scenario]:
    """The arms named on the command line.

    Args:
        sources: scenario files or library names; one source with an ``arms:`` block gives
            that block's arms (see :func:`sim.experiments.arms_from_scenario`). Arms are
            named after the file stems (``#2``, ``#3`` … tell repeated stems apart).
        overrides: ``path=value`` overrides applied to every arm (``--set``).

    Returns:
        Arm name → scenario.

    Raises:
        UserError: no source, a single source without ``arms:``, several sources of which
            one has an ``arms:`` block, or any scenario problem.
    """
    if not sources:
        raise UserError("name at least two scenarios to compare, or one with an arms: block")
    if len(sources) == 1:
        return arms_from_scenario(sources[0], overrides or None)
    arms: dict[str, Scenario] = {}
    for src in sources:
        sc = load_scenario(src, overrides or None)
        if sc.arms:
            raise UserError(
                f"{src} has an arms: block; compare either several scenarios or one scenario "
                "with arms, not both"
            )
        name = Path(src).stem or sc.name
        label, k = name, 1
        while label in arms:
            k += 1
            label = f"{name}#{k}"
        arms[label] = sc
    return arms


def _manifest(comparison: Comparison, metrics: list[str]) -> dict[str, Any]:
    """What a comparison folder is: every arm's resolved scenario, the seed, size and engine."""
    arms = {
        arm: {
            "scenario": scenario_to_dict(sc),
            "scenario_hash": scenario_hash(sc),
            "scenario_name": sc.name,
        }
        for arm, sc in comparison.arms.items()
    }
    return {
        "kind": "comparison",
        "arms": arms,
        "baseline": comparison.baseline,
        "seed": comparison.seed,
        "engine": comparison.engine,
        "replications": comparison.n,
        "target": None if comparison.target is None else str(comparison.target),
        "metrics": metrics,
        "versions": versions(),
        "wall_time_s": round(comparison.seconds, 3),
    }


def work_folder(out: Path) -> Path:
    """Where a comparison into ``out`` keeps its finished runs: ``NAME.partial`` beside it.

    Beside, not inside: ``out`` appears whole or not at all, and a staging folder is
    deleted by the next claim, so neither can hold work that must outlive a kill.
    """
    return out.parent / f"{short_name(out.name, 200)}.partial"


def _progress_callback(bar: Progress, work: Path, resumed: list[int]) -> Callable[[int, int], None]:
    """The bar's update; on a resume, says once how many runs were read from ``work``.

    ``resumed`` receives that number, for the estimate of an adaptive comparison (whose
    first batch, read rather than run, gives no pace).
    """
    task = bar.add_task("runs", total=None)
    first = True

    def update(done: int, total: int) -> None:
        nonlocal first
        if first and done > 0:  # runs saved by an interrupted attempt, reused
            resumed.append(done)
            bar.console.print(
                printable(
                    f"resuming from {work}: {done} runs already done are read, not run again"
                ),
                markup=False,
                highlight=False,
            )
        first = False
        bar.update(task, completed=done, total=total)

    return update


def _estimate_note(
    bar: Progress, target: Target, cap: int, resumed: list[int]
) -> Callable[[int, float], None]:
    """What an adaptive comparison expects to take, said once after its first batch.

    Without the time when the comparison resumed: a first batch read from disk has no pace.
    """

    def note(replications: int, seconds: float) -> None:
        capped = " (the --max-n cap)" if replications >= cap else ""
        more = "" if resumed else f", about {_duration(seconds)} more"
        bar.console.print(
            f"target {escape(str(target))} on the paired differences: the first batch "
            f"suggests about {replications} replications per arm{capped}{more}",
            highlight=False,
        )

    return note


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _planned_workers(workers: int | None, scheduler: str | None) -> int:
    """Workers the executor of ``make_executor(workers, scheduler)`` will have.

    They decide how the vector engine stacks replications; a remote cluster's size is known
    only once connected, so it counts as one worker (the largest stacks: the safe side).
    """
    if scheduler and scheduler != "local":
        return 1
    asked = cores() if workers == 0 or (workers is None and scheduler) else workers or 1
    return max(1, min(asked, cores()))


def compare_command(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Scenario files or library names to compare (at least two), or one scenario "
            "with an arms: block.",
            show_default=False,
        ),
    ],
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", "-b", help="Arm the others are compared with."),
    ] = None,
    n: Annotated[
        int | None,
        typer.Option(
            "-n", "--replications", help=f"Replications per arm (default {DEFAULT_N}).", min=2
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Precision target instead of -n: METRIC:PCT% (e.g. profit:2%, half-width of "
            "each arm mean's 95 % interval relative to the mean) or METRIC:VALUE (absolute).",
        ),
    ] = None,
    max_n: Annotated[
        int, typer.Option("--max-n", help="Replication cap with --target.", min=2)
    ] = 200,
    min_n: Annotated[int, typer.Option("--min-n", help="First batch with --target.", min=2)] = 5,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", help="Worker processes (0 = every core; default: in process)."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address, or 'local' for a local cluster."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help=f"Experiment seed (default {DEFAULT_SEED}).", min=0)
    ] = DEFAULT_SEED,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Simulation engine: agent (reference), vector (columns, fast) or auto.",
        ),
    ] = "agent",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override for every arm, path=value (repeatable)."),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for report.html, PNG plots and CSV tables. Finished runs are kept in "
            "OUT.partial beside it until the report is published, so the same command run "
            "again after an interruption runs only the missing ones.",
        ),
    ] = Path("out/compare"),
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Metric to report (repeatable; default: headline)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Override the soft safeguards: replace a comparison already saved in --out, "
            f"run more than {MAX_REPLICATIONS:,} replications per arm, and run arms past the "
            f"soft size ceilings ({SOFT_CUSTOMERS:,} customers, {SOFT_EVENTS:,} events or "
            "half this machine's memory a run). Hard ceilings hold.",
        ),
    ] = False,
    lang: LangOption = DEFAULT_LANG,
) -> None:
    """Compare policies on paired replications: intervals, differences and a verdict.

    --out appears whole when the comparison is done (report, figures, tables and a
    manifest.json listing every file with its size and sha256), or not at all. The number
    of replications and the size of every arm are checked before any worker starts.

    Resuming: every finished run is saved at once in OUT.partial beside --out (one
    Parquet file per task). Stopped midway (Ctrl-C, a kill), the same command again reads
    those runs and runs only the missing replications, with --target too (the same
    batches follow), and publishes the same replications table as an uninterrupted run;
    OUT.partial is deleted once the report is published. A .partial folder made by
    another comparison (other arms, seed, -n or target, engine or scenario content) is
    refused (exit 2), never mixed: delete it to start afresh.

    **Examples**

        crmsim compare complaint_handling -n 8
        crmsim compare complaint_handling --baseline none --metric recovery_rate --metric profit
        crmsim compare baseline my_lesson.yaml -n 20 --workers 0
        crmsim compare service_staffing --target profit:2% --max-n 100
        crmsim compare price_war --engine vector --out out/price_war
        crmsim compare complaint_handling -n 8 --lang zh
    """
    # Check everything the user typed before starting workers (a Dask cluster takes a while).
    check_lang(lang)
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(ENGINES)})")
    goal = parse_target(target) if target is not None else None
    if goal is not None and n is not None:
        raise UserError("give either -n or --target, not both")
    for m in metric or ():  # before any run: a typo should not cost the whole comparison
        if m not in KPI_NAMES:
            raise UserError(unknown_metric(m, list(KPI_NAMES)))
    # One file with arms is a lesson: its reference arm, headlines and "what to see" text
    # travel with the comparison into the terminal and the report.
    lesson = load_scenario(scenarios[0], set_ or None) if len(scenarios) == 1 else None
    arms = arms_from_scenario(lesson) if lesson is not None else load_arms(scenarios, set_)
    chosen = experiment_engine(arms, engine)
    count = max_n if goal is not None else DEFAULT_N if n is None else n
    check_experiment(arms, range(count), chosen, _planned_workers(workers, scheduler), force)
    stdout, stderr = stdout_console(), stderr_console()
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    work = work_folder(out)
    resumed: list[int] = []  # runs read back from ``work``, if the comparison resumes
    with ResultFolder(out, force=force) as folder:  # checked and locked before any run
        with (
            make_executor(workers, scheduler) as executor,
            Progress(*columns, console=stderr, transient=True) as bar,
        ):
            result = compare(
                lesson if lesson is not None else arms,
                n=n,
                seed=seed,
                target=goal,
                baseline=baseline,
                executor=executor,
                max_n=max_n,
                min_n=min_n,
                progress=_progress_callback(bar, work, resumed),
                estimate=_estimate_note(bar, goal, max_n, resumed) if goal is not None else None,
                engine=engine,
                force=force,
                store=work,
            )
            where = repr(executor)
        metrics = list(metric) if metric else headline_metrics(result)
        try:
            write_report(result, folder.staging, metrics, lang)
            folder.publish(_manifest(result, metrics))
            discard(work)  # its runs are in the published replications table now
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UserError(f"cannot write the comparison into {out}: {reason}") from None
    stdout.print(
        f"[bold]{len(arms)} arms[/], {result.n} paired replications each, seed {seed}, "
        f"baseline [bold]{escape(result.baseline)}[/] — {escape(where)}, "
        f"{result.seconds:.1f} s"
    )
    print_comparison(stdout, result, metrics)
    stdout.print(printable(f"report: {out / 'report.html'}"), highlight=False, markup=False)
