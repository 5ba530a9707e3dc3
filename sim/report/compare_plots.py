"""The pictures of a policy comparison: arm intervals, paired differences, retention curves.

The interval plot shows each arm mean's blur, the difference plot puts the zero line where
the eye can check it (the grey bar beside each paired interval is the unpaired one, for what
pairing bought), and the retention chart overlays the day-0 cohort of every arm. Legends sit
beside the axes, never over a whisker, and long arm names wrap.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.stats import mean_interval
from sim.i18n import DEFAULT_LANG, catalogue
from sim.report.wording import metric_name, plain

if TYPE_CHECKING:
    from sim.experiments.comparison import Comparison

__all__ = ["difference_figure", "interval_figure", "retention_curves", "retention_figure"]

_DAYS_PER_MONTH = 365.25 / 12.0


def interval_figure(
    summary: pd.DataFrame, metric: str, baseline: str, lang: str = DEFAULT_LANG
) -> Figure:
    """Each arm's mean of ``metric`` with its 95 % interval (the baseline in grey)."""
    rows = summary[summary["metric"] == metric]
    fig = Figure(figsize=(6.0, 0.6 + 0.45 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows.to_dict("records"), strict=True):
        color = "#444444" if r["arm"] == baseline else "#1f77b4"
        err = [[r["mean"] - r["low"]], [r["high"] - r["mean"]]]
        ax.errorbar([r["mean"]], [yi], xerr=err, fmt="o", color=color, capsize=4)
    ax.set_yticks(y, [_tick(a) for a in rows["arm"]])
    name = plain(metric_name(metric, lang))
    ax.set_xlabel(catalogue(lang)("report.cmp.interval_x", metric=name))
    ax.grid(axis="x", alpha=0.3)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    return fig


def _tick(arm: object) -> str:
    """An arm's name as a tick label, wrapped so long names do not run into the axes."""
    return "\n".join(textwrap.wrap(plain(arm), 18)) or plain(arm)


def difference_figure(
    diffs: pd.DataFrame, metric: str, baseline: str, lang: str = DEFAULT_LANG
) -> Figure:
    """Each arm's paired difference from ``baseline`` on ``metric``, beside the unpaired one."""
    t = catalogue(lang)
    rows = diffs[diffs["metric"] == metric]
    fig = Figure(figsize=(6.0, 0.9 + 0.5 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    for k, (yi, r) in enumerate(zip(y, rows.to_dict("records"), strict=True)):
        ax.plot([r["unpaired_low"], r["unpaired_high"]], [yi - 0.15] * 2, color="#bbbbbb",
                lw=2, label=t("report.cmp.unpaired_legend") if k == 0 else None)  # fmt: skip
        err = [[r["diff"] - r["low"]], [r["high"] - r["diff"]]]
        ax.errorbar([r["diff"]], [yi], xerr=err, fmt="o", color="#d62728", capsize=4,
                    label=t("report.cmp.paired_legend") if k == 0 else None)  # fmt: skip
    ax.axvline(0.0, color="black", lw=1)
    ax.set_yticks(y, [_tick(a) for a in rows["arm"]])
    name = plain(metric_name(metric, lang))
    ax.set_xlabel(t("report.cmp.difference_x", metric=name, baseline=plain(baseline)))
    ax.grid(axis="x", alpha=0.3)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    # Beside the axes, not over them: "best" still lands on a whisker when arms are many.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return fig


def retention_figure(curves: pd.DataFrame, lang: str = DEFAULT_LANG) -> Figure:
    """The day-0 cohort's retention per arm (:func:`retention_curves`) with 95 % bands."""
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for arm, grp in curves.groupby("arm", sort=False):
        months = grp["day"].to_numpy(dtype=float) / _DAYS_PER_MONTH
        ax.plot(months, grp["retention"], marker=".", label=plain(arm))
        ax.fill_between(months, grp["low"], grp["high"], alpha=0.2)
    ax.set_xlabel(catalogue(lang)("report.cmp.retention_x"))
    ax.set_ylabel(catalogue(lang)("report.cmp.retention_y"))
    ax.set_ylim(0.0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def retention_curves(comparison: Comparison, level: float = 0.95) -> pd.DataFrame:
    """Mean share of the day-0 cohort still active per arm and period, with t-intervals.

    Returns:
        Columns ``arm, period, day, retention, low, high`` (period 0 is day 0).
    """
    rows = []
    for key, grp in comparison.curves.groupby(["arm", "period"], sort=False):
        arm, period = key
        iv = mean_interval(grp["retention"].to_numpy(dtype=float), level)
        rows.append((arm, period, float(grp["day"].iloc[0]), iv.estimate, iv.low, iv.high))
    return pd.DataFrame(rows, columns=["arm", "period", "day", "retention", "low", "high"])
