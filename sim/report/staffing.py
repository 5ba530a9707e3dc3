"""Staffing: what each arm pays the service desk, against the service and customers it buys.

A desk with fewer agents is cheaper every month, and the saving is certain; what it costs
comes later and by chance: tickets queue, waits pass the promise, trust is withdrawn and
customers leave. A trainer puts the two side by side: the salary saved (from the run's own
``cost_service_staff`` line) against the mean wait, the customers still active and the
discounted profit of every arm (the comparison's paired replications). Discounted profit
already contains the salary saved, so when it falls, the cut lost more than it saved.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sim.i18n import DEFAULT_LANG, catalogue
from sim.results.display import change_text, interval_text, value_text

if TYPE_CHECKING:
    from sim.experiments.comparison import Comparison

__all__ = [
    "SERVICE_METRICS",
    "caption_salary",
    "money_text",
    "salary_table",
    "staff_differs",
    "staff_words",
]

#: The KPIs set against the salary: the service bought, the customers kept, the money.
SERVICE_METRICS = ("mean_wait", "active_end", "discounted_profit")


def staff_differs(comparison: Comparison) -> bool:
    """Whether the arms differ in the number of agents at the desk (``strategy.service.staff``)."""
    return len({s.strategy.service.staff for s in comparison.arms.values()}) > 1


def staff_words(staff: float, lang: str = DEFAULT_LANG) -> str:
    """The desk's size in words: ``3 agents``, ``1 agent``, ``unbounded desk`` (NaN)."""
    t = catalogue(lang)
    if not math.isfinite(staff):
        return t("report.staff.unbounded")
    n = int(staff)
    return t("report.staff.one") if n == 1 else t("report.staff.many", n=n)


def salary_table(comparison: Comparison) -> pd.DataFrame | None:
    """Desk salary and the service bought, per arm; None when the arms' desks are alike.

    The salaries are booked every period whatever happens (agents times salary, pro rata in
    a short last period), so one run of an arm stands for all its replications; it is
    replication 0, kept or re-run on its seed (:meth:`Comparison.result`), read from its
    ``periods`` table. The KPIs are the comparison's means over all replications.

    Returns:
        One row per arm in the comparison's order, columns:

        * ``arm`` (str): the arm's name;
        * ``staff`` (float): agents at the desk (``strategy.service.staff``), NaN for an
          unbounded desk (which pays no salary);
        * ``salary`` (float, money): desk salary over the run, the sum of the periods'
          ``cost_service_staff``;
        * ``salary_discounted`` (float, money): the same, each period discounted as profit
          is (``cost_service_staff × discount_factor``), comparable with
          ``discounted_profit``;
        * ``saving`` (float, money): the baseline arm's ``salary`` minus this arm's
          (positive: this arm pays less; 0 for the baseline);
        * for each KPI ``m`` of :data:`SERVICE_METRICS` the comparison has: ``m`` (mean
          over replications, in the KPI's stored unit: days for ``mean_wait``), ``m_low``
          and ``m_high`` (its 95 % Student-t interval).
    """
    if not staff_differs(comparison):
        return None
    metrics = [m for m in SERVICE_METRICS if m in comparison.metrics]
    summary = _by_arm_and_metric(comparison.arm_summary(metrics))
    rows = []
    for arm, scenario in comparison.arms.items():
        periods = comparison.result(arm, 0).periods
        paid = periods["cost_service_staff"].to_numpy(dtype=float)
        staff = scenario.strategy.service.staff
        row: dict[str, object] = {
            "arm": arm,
            "staff": float(staff) if staff is not None else math.nan,
            "salary": float(paid.sum()),
            "salary_discounted": float((paid * periods["discount_factor"].to_numpy()).sum()),
        }
        for m in metrics:
            s = summary[(arm, m)]
            row.update({m: s["mean"], f"{m}_low": s["low"], f"{m}_high": s["high"]})
        rows.append(row)
    table = pd.DataFrame(rows)
    base = float(table.loc[table["arm"] == comparison.baseline, "salary"].iloc[0])
    table.insert(4, "saving", base - table["salary"])
    return table


def _by_arm_and_metric(frame: pd.DataFrame) -> dict[tuple[str, str], dict[str, float]]:
    """Rows of an arm summary or a differences table by ``(arm, metric)``, numbers as floats."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for r in frame.to_dict("records"):
        key = (str(r["arm"]), str(r["metric"]))
        out[key] = {str(k): float(v) for k, v in r.items() if isinstance(v, int | float)}
    return out


def money_text(x: float, currency: str = "") -> str:
    """Money as every money KPI reads (salary is a cost): ``¥108,000``."""
    return value_text("costs", x, currency)


def _change(metric: str, row: dict[str, float], currency: str) -> str:
    iv = interval_text(metric, row["low"], row["high"], currency, with_unit=False)
    return f"{change_text(metric, row['diff'], currency)} {iv}"


def caption_salary(comparison: Comparison, table: pd.DataFrame, currency: str = "") -> str:
    """What each arm saves (or pays more) in desk salary, and what that buys, in plain words.

    One short paragraph per arm against the baseline: the two desks, the salary saved over
    the run (nominal, then discounted), the paired changes of the mean wait, the customers
    still active and discounted profit with their 95 % intervals, and what the profit
    interval says about the saving. Every number comes from ``table`` (:func:`salary_table`)
    and from :meth:`Comparison.differences`, none is typed here.
    """
    base = comparison.baseline
    rows = table.to_dict("records")
    ref = next(r for r in rows if r["arm"] == base)
    metrics = [m for m in SERVICE_METRICS if m in table.columns]
    diffs = _by_arm_and_metric(comparison.differences(metrics))
    words = {"mean_wait": "the mean wait", "active_end": "the customers active at the end",
             "discounted_profit": "discounted profit"}  # fmt: skip
    out = []
    for row in rows:
        arm = str(row["arm"])
        if arm == base:
            continue
        saving = float(row["saving"])
        head = (
            f"Arm {arm} has {staff_words(float(row['staff']))} at the desk, against "
            f"{staff_words(float(ref['staff']))} in the reference arm {base}."
        )
        disc = float(ref["salary_discounted"]) - float(row["salary_discounted"])
        if saving > 0:
            money = f"It saves {money_text(saving, currency)} of salary over the run"
        elif saving < 0:
            money = f"It pays {money_text(-saving, currency)} more salary over the run"
        else:
            money = "It pays the same salary"
        if saving:
            money += f" ({money_text(abs(disc), currency)} after discounting)"
        parts = [
            f"{words[m]} by {_change(m, diffs[(arm, m)], currency)}"
            for m in metrics
            if (arm, m) in diffs
        ]
        text = f"{head} {money}."
        if parts:
            text += (
                f" Against {base} (paired differences, 95 % intervals), it changes {_join(parts)}."
            )
        text += _profit_note(diffs, arm, saving, comparison.n)
        out.append(text)
    return " ".join(out)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _profit_note(
    diffs: dict[tuple[str, str], dict[str, float]], arm: str, saving: float, n: int
) -> str:
    """What the paired interval of discounted profit says of the salary saved or spent."""
    row = diffs.get((arm, "discounted_profit"))
    if row is None or not saving:
        return ""
    low, high = row["low"], row["high"]
    if not (low > 0.0 or high < 0.0):
        return (
            f" With {n} replications, the change in discounted profit cannot be told apart "
            "from zero."
        )
    if saving > 0:
        if high < 0.0:
            return (
                " The salary saved is already in this profit: the smaller desk loses more "
                "than it saves."
            )
        return " The salary saved is larger than what the cut costs in service and customers."
    if high < 0.0:
        return " The extra salary costs more than it brings back in service and customers."
    return " The extra agents pay for themselves."
