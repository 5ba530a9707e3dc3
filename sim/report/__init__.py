"""Reports: derived tables, figures and the self-contained HTML pages of runs and comparisons.

The pages: one run (:mod:`~sim.report.run_page`), every arm of a lesson run once
(:mod:`~sim.report.arms_page`) and a comparison (:mod:`~sim.report.compare_page`).
"""

from __future__ import annotations

from sim.report.analysis import (
    CHURN_LABELS,
    churn_reasons,
    churned_examples,
    cost_lines,
    trust_waterfall,
)
from sim.report.arms_page import ArmRun, render_arms_page, write_arms_page
from sim.report.captions import CAPTIONS
from sim.report.compare_page import figures, fmt, verdict, verdicts
from sim.report.palette import COLOURS, HATCHES, LINESTYLES, MARKERS
from sim.report.plots import FIGURES
from sim.report.run_page import format_kpi, write_report

__all__ = [
    "CAPTIONS",
    "CHURN_LABELS",
    "COLOURS",
    "FIGURES",
    "HATCHES",
    "LINESTYLES",
    "MARKERS",
    "ArmRun",
    "churn_reasons",
    "churned_examples",
    "cost_lines",
    "figures",
    "fmt",
    "format_kpi",
    "render_arms_page",
    "trust_waterfall",
    "verdict",
    "verdicts",
    "write_arms_page",
    "write_report",
]
