"""``crmsim compare``: policies side by side, with intervals, paired differences and verdicts.

The command is a plain function with typer-annotated parameters so that the main command
line registers it with ``app.command("compare")(compare_command)``. It loads the arms
(several scenario files, or one file with an ``arms:`` block), runs them on common random
numbers through :func:`sim.experiments.compare` with a progress bar, prints the tables and
verdicts, and writes the HTML report (:mod:`sim.report.compare_page`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.engines import ENGINES
from sim.errors import UserError
from sim.experiments.comparison import DEFAULT_N, Comparison, arms_from_scenario, compare
from sim.experiments.executors import make_executor
from sim.experiments.targets import parse_target
from sim.report.compare_page import fmt, fmt_factor, headline_metrics, verdict, write_report
from sim.rng import DEFAULT_SEED
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["compare_command", "load_arms"]


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


def _progress_callback(bar: Progress) -> Callable[[int, int], None]:
    task = bar.add_task("runs", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update


def _means_table(comparison: Comparison, metrics: list[str]) -> Table:
    table = Table(title="Arm means [95 % interval]", title_justify="left")
    table.add_column("metric")
    for arm in comparison.arms:
        label = f"{arm} (baseline)" if arm == comparison.baseline else arm
        table.add_column(label, justify="right")
    table.add_column("likely best (P)", justify="right")
    summary = comparison.arm_summary(metrics)
    best = comparison.prob_best(metrics)
    for m in metrics:
        rows = {r["arm"]: r for r in summary[summary["metric"] == m].to_dict("records")}
        cells = [
            f"{fmt(r['mean'])} [{fmt(r['low'])}, {fmt(r['high'])}]"
            for r in (rows[a] for a in comparison.arms)
        ]
        p = best[best["metric"] == m].set_index("arm")["p_best"].astype(float)
        leader = "n/a" if p.isna().all() else f"{p.idxmax()} ({p.max():.2f})"
        table.add_row(m, *cells, leader)
    return table


def _differences_table(comparison: Comparison, metrics: list[str], arm: str) -> Table:
    table = Table(
        title=f"{arm} − {comparison.baseline} (paired, 95 % interval)", title_justify="left"
    )
    for col in ("metric", "difference", "relative", "unpaired", "pairing gain"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    diffs = comparison.differences(metrics)
    for r in diffs[diffs["arm"] == arm].to_dict("records"):
        style = {1: "green", -1: "red"}.get(int(r["better"]), "default")
        rel = (
            f"{fmt(r['rel_pct'])} % [{fmt(r['rel_low'])}, {fmt(r['rel_high'])}]"
            if r["rel_pct"] == r["rel_pct"]
            else "n/a"
        )
        gain = (
            f"{100 * r['reduction']:.0f} % ({fmt_factor(r['factor'])})"
            if r["reduction"] == r["reduction"]
            else "n/a"
        )
        table.add_row(
            str(r["metric"]),
            f"[{style}]{fmt(r['diff'])} [{fmt(r['low'])}, {fmt(r['high'])}][/]",
            rel,
            f"[{fmt(r['unpaired_low'])}, {fmt(r['unpaired_high'])}]",
            gain,
        )
    table.caption = (
        "pairing gain: share of the difference's variance removed by common random numbers "
        "(× unpaired replications needed for the same precision)"
    )
    return table


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
        typer.Option("--out", "-o", help="Folder for report.html, PNG plots and CSV tables."),
    ] = Path("out/compare"),
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Metric to report (repeatable; default: headline)."),
    ] = None,
) -> None:
    """Compare policies on paired replications: intervals, differences and a verdict."""
    # Check everything the user typed before starting workers (a Dask cluster takes a while).
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(ENGINES)})")
    goal = parse_target(target) if target is not None else None
    if goal is not None and n is not None:
        raise UserError("give either -n or --target, not both")
    arms = load_arms(scenarios, set_)
    stdout, stderr = Console(), Console(stderr=True)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        make_executor(workers, scheduler) as executor,
        Progress(*columns, console=stderr, transient=True) as bar,
    ):
        result = compare(
            arms,
            n=n,
            seed=seed,
            target=goal,
            baseline=baseline,
            executor=executor,
            max_n=max_n,
            min_n=min_n,
            progress=_progress_callback(bar),
            engine=engine,
        )
        where = repr(executor)
    metrics = list(metric) if metric else headline_metrics(result)
    if metric:
        result.arm_summary(metrics)  # raises a UserError naming an unknown metric
    stdout.print(
        f"[bold]{len(arms)} arms[/], {result.n} paired replications each, seed {seed}, "
        f"baseline [bold]{result.baseline}[/] — {where}, {result.seconds:.1f} s"
    )
    if result.target is not None:
        for arm, s in result.target_status.items():
            state = f"met at n = {s.n_met}" if s.met else "[red]not met: hit the cap[/]"
            stdout.print(
                f"target {result.target}: {arm} {state} "
                f"(half-width {fmt(s.half_width)}, allowed {fmt(s.allowed)})"
            )
    stdout.print(_means_table(result, metrics))
    for arm in result.arms:
        if arm != result.baseline:
            stdout.print(_differences_table(result, metrics, arm))
    stdout.print("[bold]Verdicts[/]")
    for row in result.differences(metrics).to_dict("records"):
        style = {1: "green", -1: "red"}.get(int(row["better"]), "dim")
        stdout.print(f"  [{style}]{verdict(row)}[/]", highlight=False)
    page = write_report(result, out, metrics)
    stdout.print(f"report: {page}", highlight=False)
