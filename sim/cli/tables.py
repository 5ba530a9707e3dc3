"""The headline-number tables ``crmsim run`` prints: one run's short KPIs, or every arm's.

The report has every KPI; the terminal shows the catalogue's short ones, so a trainer sees
the lesson's numbers at a glance. Labels, values and units come from
:func:`sim.report.run_page.format_kpi`, as on the page; arm names come from the user's files
and reach the terminal through :func:`sim.errors.printable`. Re-exported by
:mod:`sim.cli.inspect`, where ``crmsim run`` finds its other helpers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from sim.errors import printable

if TYPE_CHECKING:
    from sim.report.arms_page import ArmRun
    from sim.results.run_result import RunResult

__all__ = ["arms_table", "kpi_table"]


def kpi_table(result: RunResult) -> Table:
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


def arms_table(runs: list[ArmRun]) -> Table:
    """The short KPIs of every arm side by side, the first (the reference) marked."""
    from sim.report.run_page import format_kpi
    from sim.results.catalogue import KPIS

    table = Table(title="Headline numbers by arm (one run each)", title_justify="left")
    table.add_column("measure")
    for i, run in enumerate(runs):
        header = Text(printable(run.arm + (" (reference)" if i == 0 else "")))
        table.add_column(header, justify="right")
    table.add_column("unit", style="dim")
    for entry in KPIS:
        if entry.short and any(entry.name in r.kpis for r in runs):
            cells = [format_kpi(entry.name, r.kpis.get(entry.name, math.nan)) for r in runs]
            table.add_row(entry.label, *(c[1] for c in cells), cells[0][2])
    return table
