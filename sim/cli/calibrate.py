r"""``crmsim calibrate`` and ``crmsim check-model``: the simulator against real customers.

``calibrate`` reads a user's data (a transaction log, a cohort retention table or a churn-
by-tenure table), fits the population layers of a base scenario by maximum likelihood, or
behavioural parameters by simulated moments (``--fit behaviour.tolerance``), and writes a
scenario that ``extends:`` the base, each fitted value commented with its standard error and
its data, plus a report page of observed against simulated. ``check-model`` fits the
textbook models to a run's customers and sets them beside the parameters its scenario set,
with likelihood-ratio tests in the pure modes.

Bad data and fits that do not converge are :class:`~sim.errors.UserError` s: one message
naming file, line and column, exit code 2, and nothing written.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from sim.cli.inspect import load
from sim.cli.text import escape, stdout_console
from sim.errors import UserError, printable

if TYPE_CHECKING:
    from sim.calibration import Calibration, Simulate, TenureTable, TransactionLog
    from sim.scenario.spec import Scenario

__all__ = ["calibrate_command", "check_model_command"]

#: A pure-mode likelihood-ratio test rejecting at this level is a defect of the simulator.
LRT_LEVEL = 1e-3


class Kind(StrEnum):
    """The layouts ``crmsim calibrate`` reads."""

    auto = "auto"
    log = "log"
    retention = "retention"
    churn = "churn"


def calibrate_command(
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV or Parquet file: a transaction log, a cohort retention table or a "
            "churn-by-tenure table."
        ),
    ],
    base: Annotated[
        str,
        typer.Option(
            "--base", "-b", help="Scenario the calibrated one extends (library name or path)."
        ),
    ] = "baseline",
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The calibrated scenario to write (.yaml).")
    ] = Path("my_customers.yaml"),
    kind: Annotated[
        Kind, typer.Option("--kind", help="Layout of DATA (auto: from its header).")
    ] = Kind.auto,
    fit: Annotated[
        list[str] | None,
        typer.Option(
            "--fit",
            metavar="PATH[=LOW:HIGH]",
            help="Fit a behavioural parameter by simulated moments against the retention curve "
            "instead of the dropout (repeatable), e.g. behaviour.tolerance=0:0.5.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Purchase model for a log: bg (BG/NBD) or pareto (Pareto/NBD); "
            "default: the base's.",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            help="Last day of the calibration window (YYYY-MM-DD); later purchases are the "
            "holdout. Default: the log's last day.",
        ),
    ] = None,
    customer_id: Annotated[
        str, typer.Option("--customer-id", help="Column of customer ids in a log.")
    ] = "customer_id",
    date: Annotated[
        str, typer.Option("--date", help="Column of purchase dates in a log.")
    ] = "date",
    amount: Annotated[
        str,
        typer.Option(
            "--amount", help="Column of amounts in a log (without one, spend is not fitted)."
        ),
    ] = "amount",
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            help="strftime format of the dates, e.g. %d/%m/%Y (default: recognised).",
        ),
    ] = None,
    keep_duplicates: Annotated[
        bool,
        typer.Option(
            "--keep-duplicates", help="Accept rows repeated exactly, counted as one purchase."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Folder of the report page (default: beside --out, named after it)."
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Seed of the simulated world (common to every candidate of a behavioural fit).",
        ),
    ] = 0,
    customers: Annotated[
        int | None,
        typer.Option("--customers", help="Simulated customers (default: as many as in the data)."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Engine of the simulations: vector or agent (the tracking chart of a log "
            "always runs on agent, which keeps the event log).",
        ),
    ] = "vector",
) -> None:
    """Fit a scenario to your customers' data and write it, with a report page.

    A transaction log (customer_id, date, amount) fits the purchase rate and the dropout by
    BG/NBD (or Pareto/NBD) and the spend per purchase by Gamma–Gamma; a cohort retention
    table (cohort, size, 1, 2, …) or a churn-by-tenure table (tenure, at_risk, lost) fits the
    shifted-beta-geometric dropout of a contractual base, or, with --fit, behavioural
    parameters by simulated moments on common random numbers. The written scenario extends
    --base; each value is commented with its standard error and its data. A fit that does
    not converge says so and writes nothing.

    **Examples**

        crmsim calibrate orders.csv --base baseline --out my_customers.yaml
        crmsim calibrate scenarios/data/cdnow/cdnow_sample.csv --end 1997-09-30 --keep-duplicates
        crmsim calibrate sales.parquet --customer-id CustID --date OrderDate --amount Sales
        crmsim calibrate cohorts.csv --base subscription --out my_subscribers.yaml
        crmsim calibrate cohorts.csv --base subscription --fit behaviour.tolerance=0:0.5
    """
    from sim.calibration import extends_reference, read_log, summarise
    from sim.calibration.page import write_page
    from sim.calibration.views import log_view, table_view

    sc = load(base, None)
    layout = _kind(data, kind)
    extends = extends_reference(base, out)  # refused before any fit
    if layout is Kind.log:
        if fit:
            raise UserError(
                "--fit reads a retention curve: give a cohort retention or churn-by-tenure table"
            )
        if sc.setting != "noncontractual":
            raise UserError(f"a transaction log calibrates a noncontractual base; {base} is not")
        log = read_log(
            data,
            customer_id=customer_id,
            date=date,
            amount=amount,
            date_format=date_format,
            keep_duplicates=keep_duplicates,
        )
        cut = _cut(end, log.last)
        summary = summarise(log, cut)
        cal = _fit_log(log, summary, cut, _model(model, sc))
        written = _write(out, base, extends, cal, data)
        agent = _runner("agent")  # the tracking chart needs the event log
        page = log_view(
            log, summary, cut, cal, written, agent, title=out.stem, seed=seed, customers=customers
        )
    else:
        table = _read_table(data, layout, sc)
        cal, simulated = _fit_table(table, sc, fit or [], _runner(engine), seed, customers)
        written = _write(out, base, extends, cal, data)
        runner = _runner(engine)
        page = table_view(
            table,
            cal,
            written,
            runner,
            title=out.stem,
            seed=seed,
            customers=customers,
            simulated=simulated,
        )
    folder = report if report is not None else out.with_name(f"{out.stem}_calibration")
    shown = write_page(folder, page)
    console = stdout_console()
    console.print(_estimates_table(cal))
    if page.holdout is not None:
        h = page.holdout
        console.print(
            f"holdout: week {h.week:.0f} forecast {h.forecast:,.0f} repeat purchases, actual "
            f"{h.actual:,.0f}, error {h.error:+,.0f} ({h.relative:+.1%})"
        )
    console.print(printable(f"scenario: {out}"), markup=False, soft_wrap=True)
    console.print(printable(f"report: {shown}"), markup=False, soft_wrap=True)


def _runner(engine: str) -> Simulate:
    """``sim.run`` on ``engine`` as the calibration's ``simulate(scenario, seed)``."""
    import sim

    return lambda scenario, seed: sim.run(scenario, seed=seed, engine=engine)


def _kind(path: Path, kind: Kind) -> Kind:
    """The data's layout: as asked, or guessed from the header."""
    if kind is not Kind.auto:
        return kind
    from sim.calibration.transactions import read_table

    header = set(read_table(path).columns)
    return Kind.retention if "cohort" in header else Kind.churn if "tenure" in header else Kind.log


def _model(model: str | None, sc: Scenario) -> str:
    drops = [s.dropout.model for s in sc.population.segments]
    chosen = model or next((d for d in drops if d in ("bg", "pareto")), "bg")
    if chosen not in ("bg", "pareto"):
        raise UserError(f"--model {model}: choose bg (BG/NBD) or pareto (Pareto/NBD)")
    return chosen


def _cut(end: str | None, last: pd.Timestamp) -> pd.Timestamp:
    if end is None:
        return last
    try:
        return pd.Timestamp(end)
    except ValueError:
        raise UserError(f"--end {end}: not a date (YYYY-MM-DD, or with a time)") from None


def _fit_log(
    log: TransactionLog, summary: pd.DataFrame, cut: pd.Timestamp, model: str
) -> Calibration:
    from sim.calibration import fit_log

    return fit_log(log, summary, cut, model)


def _write(out: Path, base: str, extends: str, cal: Calibration, data: Path) -> Scenario:
    from sim.calibration import render_scenario, write_scenario

    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = [
        f"{out.stem}: calibrated by crmsim calibrate from {data.name} on {stamp}.",
        f"Extends {base}; the values below were fitted to the data, each with its standard",
        "error (s.e.) and the data it came from. Everything else is the base's.",
    ]
    return write_scenario(out, render_scenario(out.stem, base, extends, cal, header))


def _read_table(data: Path, layout: Kind, sc: Scenario) -> TenureTable:
    from sim.calibration import read_churn_table, read_retention_table

    if sc.setting != "contractual":
        raise UserError(f"a {layout.value} table calibrates a contractual base; {sc.name!r} is not")
    return read_retention_table(data) if layout is Kind.retention else read_churn_table(data)


def _fit_table(
    table: TenureTable,
    sc: Scenario,
    targets: list[str],
    simulate: Simulate,
    seed: int,
    customers: int | None,
) -> tuple[Calibration, np.ndarray | None]:
    """The sBG dropout by maximum likelihood, or behaviour by simulated moments."""
    from sim.calibration import Calibration, fit_behaviour, fit_tenure, parse_target
    from sim.results.display import duration_words

    if not targets:
        return fit_tenure(table, duration_words(sc.contract.every)), None
    parsed = [parse_target(t, sc) for t in targets]
    moment = fit_behaviour(
        table, sc, parsed, simulate, customers=customers or table.customers, seed=seed
    )
    top = {e.path: e.value for e in moment.estimates}
    return Calibration({}, moment.estimates, 0, {}, top), moment.simulated


def _estimates_table(cal: Calibration) -> Table:
    table = Table(title="fitted values")
    for col in ("field", "value", "s.e.", "model"):
        table.add_column(col, justify="right" if col in ("value", "s.e.") else "left")
    for e in cal.estimates:
        unit = "d" if e.days else ""
        table.add_row(escape(e.path), f"{e.value:.4g}{unit}", f"{e.se:.3g}{unit}", escape(e.model))
    return table


def check_model_command(
    target: Annotated[
        str,
        typer.Argument(help="A saved run's folder, or a scenario (library name or path) to run."),
    ],
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed when running a scenario.")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Engine when running a scenario: vector or agent.")
    ] = "vector",
) -> None:
    """Fit the textbook models to a run's customers and compare them with the truth.

    Each segment's customers are fitted by BG/NBD or Pareto/NBD (its dropout model) and
    Gamma–Gamma for spend, or by the shifted-beta-geometric in the contractual setting, and
    the fitted values are printed beside those the scenario set. In the pure modes
    (behaviour.enabled: false) the simulator is those models, and a likelihood-ratio test of
    the true values is printed; one that rejects at 1e-3 family-wise (Bonferroni over the
    table's tests) is a defect of the simulator and the command exits with code 1.

    **Examples**

        crmsim check-model out/baseline
        crmsim check-model pure_bg.yaml --seed 3
        crmsim check-model subscription --set behaviour.enabled=false
    """
    from sim.calibration import check_run
    from sim.scenario.spec import load_scenario

    folder = Path(target)
    if (folder / "manifest.json").is_file():
        from sim.results.run_result import RunResult

        result = RunResult.load(folder)
        scenario = load_scenario(result.manifest["scenario"])
    else:
        import sim

        scenario = load(target, None)
        result = sim.run(scenario, seed=seed, engine=engine)
    checks = check_run(result, scenario)
    if checks.empty:
        raise UserError(f"{target}: no segment whose textbook model applies (bg, pareto, sbg)")
    pure = not scenario.behaviour.enabled
    table = Table(title=f"{escape(scenario.name)}: recovered against true parameters")
    for col in ("segment", "model", "parameter", "true", "fitted", "s.e.", "LR p"):
        table.add_column(
            col, justify="left" if col in ("segment", "model", "parameter") else "right"
        )
    for row in checks.to_dict("records"):
        p = "n/a" if np.isnan(row["p_value"]) else f"{row['p_value']:.3g}"
        numbers = (f"{row['true']:.4g}", f"{row['fitted']:.4g}", f"{row['se']:.3g}", p)
        table.add_row(escape(row["segment"]), str(row["model"]), str(row["parameter"]), *numbers)
    console = stdout_console()
    console.print(table)
    if not pure:
        console.print("behaviour is on: the fits describe the run; no truth to test")
        return
    worst = checks.groupby(["segment", "model"])["p_value"].min()
    level = LRT_LEVEL / len(worst)  # Bonferroni: 1e-3 for the whole table, not per test
    rejected = worst[worst <= level]
    if rejected.empty:
        console.print(
            f"every likelihood-ratio test accepts the truth at {LRT_LEVEL:g} "
            f"(family-wise over {len(worst)} tests)"
        )
        return
    for key, p in rejected.items():
        segment, model = key if isinstance(key, tuple) else (key, "")
        console.print(escape(f"REJECTED: {model} of segment {segment}: p = {p:.3g}"))
    raise typer.Exit(1)
