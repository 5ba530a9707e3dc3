"""Captions: one sentence per figure of the report, reading its finding from the run's numbers.

A figure handed out in class is read in a hurry; the sentence under it says what to see
("Overdrawn trust caused 41 % of churn") so that nobody has to read a chart to learn the
headline. A caption reads the same table as its figure (the derived tables of
:mod:`sim.report.analysis` where the figure draws one), so sentence and picture cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from agents.units import DAYS_PER_MONTH
from sim.i18n import DEFAULT_LANG, Catalogue, catalogue
from sim.report.analysis import (
    churn_reasons,
    cohort_retention,
    cost_lines,
    level_shares,
    prefixed,
    trust_waterfall,
    value_by_segment,
)
from sim.report.renewals import MIN_DUE, drawn, renewals_of
from sim.report.staffing import money_text, staff_words
from sim.report.wording import duration_text

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = ["CAPTIONS", "Caption", "fmt_money", "word"]


class Caption(Protocol):
    """A caption function: the run, and the language to write the sentence in."""

    def __call__(self, result: RunResult, lang: str = ..., /) -> str:
        """The sentence under the figure."""
        ...


def fmt_money(value: float) -> str:
    """Money with thousands separators and no cents (``-606795.2`` → ``"-606,795"``)."""
    return f"{value:,.0f}"


def _pct(part: float, whole: float, t: Catalogue) -> str:
    return f"{100.0 * part / whole:.0f} %" if whole else t("report.na")


def word(t: Catalogue, prefix: str, name: str) -> str:
    """The catalogue's word for a code name (``reason.long_wait``), or the name spelt out."""
    key = f"{prefix}.{name}"
    return t(key) if t.has(key) else name.replace("_", " ")


def caption_retention(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """The first cohort's retention at (up to) 12 months, and later cohorts at that age."""
    t = catalogue(lang)
    end = float(result.periods["end"].max()) if len(result.periods) else 0.0
    table = cohort_retention(result.customers, end)
    table = table[table["observed"] * 2 >= table["size"]]
    if table.empty:
        return t("report.cap.retention.none")
    first = table[table["cohort"] == table["cohort"].min()]
    age = int(min(12, int(first["months"].max())))
    row = first[first["months"] == age].iloc[0]
    text = t("report.cap.retention", size=int(row["size"]), label=row["label"],
             share=100.0 * float(row["share"]), age=age)  # fmt: skip
    later = table[(table["cohort"] != row["cohort"]) & (table["months"] == age)]
    if len(later):
        lo, hi = 100.0 * later["share"].min(), 100.0 * later["share"].max()
        span = f"{lo:.0f} %" if round(lo) == round(hi) else f"{lo:.0f}–{hi:.0f} %"
        text += t("report.cap.retention.later", span=span)
    return text + t("report.stop")


def caption_flows(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Active customers from first to last period and the flows in between."""
    p = result.periods
    return catalogue(lang)(
        "report.cap.flows",
        first=int(p["active"].iloc[0]),
        last=int(p["active"].iloc[-1]),
        months=float(p["end"].iloc[-1]) / DAYS_PER_MONTH,
        new=int(p["new"].sum()),
        churned=int(p["churned"].sum()),
        won=int(p["won_back"].sum()),
    )


def caption_economics(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Revenue, costs, profit, the largest cost line and the final NPV."""
    t = catalogue(lang)
    p = result.periods
    lines = cost_lines(p).sum()
    costs = float(p["costs"].sum())
    text = t("report.cap.economics", revenue=fmt_money(float(p["revenue"].sum())),
             costs=fmt_money(costs), profit=fmt_money(float(p["profit"].sum())))  # fmt: skip
    if len(lines) and costs:
        top = str(lines.idxmax())
        share = _pct(float(lines[top]), costs, t)
        text += t("report.cap.economics.top", line=word(t, "money", top), share=share)
    npv = float(p["cum_discounted_profit"].iloc[-1])
    return text + t("report.cap.economics.npv", npv=fmt_money(npv))


def caption_satisfaction(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Median satisfaction from first to last period and the overdrawn share at the end."""
    t = catalogue(lang)
    p = result.periods
    active = int(p["active"].iloc[-1])
    over = int(p["overdrawn"].iloc[-1])
    return t("report.cap.satisfaction", first=float(p["satisfaction_p50"].iloc[0]),
             last=float(p["satisfaction_p50"].iloc[-1]), over=over, active=active,
             share=_pct(over, active, t))  # fmt: skip


def caption_ladder(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Shares on the lowest and highest rung at the end, and the lowest rung's change."""
    t = catalogue(lang)
    shares = level_shares(result.periods)
    if shares.empty or shares.iloc[-1].isna().all():
        return t("report.cap.ladder.none")
    low, high = str(shares.columns[0]), str(shares.columns[-1])
    first, last = shares.iloc[0], shares.iloc[-1]
    return t("report.cap.ladder", low_share=100.0 * float(last[low]), low=word(t, "level", low),
             low_first=100.0 * float(first[low]), high_share=100.0 * float(last[high]),
             high=word(t, "level", high))  # fmt: skip


def caption_lifecycle(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Customers at risk and advocates at the end."""
    t = catalogue(lang)
    stages = prefixed(result.periods, "stage_").iloc[-1]
    total = float(stages.sum())
    at_risk = int(stages.get("at_risk", 0))
    advocacy = int(stages.get("advocacy", 0))
    return t("report.cap.lifecycle", at_risk=at_risk, risk_share=_pct(at_risk, total, t),
             advocacy=advocacy, advocacy_share=_pct(advocacy, total, t))  # fmt: skip


def caption_trust(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Total deposits and withdrawals and the largest withdrawal reason."""
    t = catalogue(lang)
    table = trust_waterfall(result.ledger)
    if table.empty:
        return t("report.cap.trust.none")
    dep = float(table.loc[table["kind"] == "deposit", "amount"].sum())
    wdr_rows = table[table["kind"] != "deposit"]
    wdr = float(wdr_rows["amount"].sum())
    text = t("report.cap.trust", deposits=dep, withdrawals=-wdr)
    if len(wdr_rows):
        top = wdr_rows.iloc[0]
        share = _pct(float(top["amount"]), wdr, t)
        reason = word(t, "reason", str(top["reason"]))
        text += t("report.cap.trust.top", reason=reason, points=-float(top["amount"]), share=share)
    return text + t("report.cap.trust.net", net=float(table["end"].iloc[-1]))


def caption_churn(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """The leading churn reason and its share, e.g. "Overdrawn trust caused 41 % of churn"."""
    t = catalogue(lang)
    table = churn_reasons(result.customers)
    if table.empty:
        return t("report.run.no_churn")
    label = word(t, "churn", str(table.index[0]))
    return t("report.cap.churn", reason=f"{label[0].upper()}{label[1:]}",
             share=100.0 * float(table["share"].iloc[0]), n=int(table["total"].iloc[0]),
             total=int(table["total"].sum()))  # fmt: skip


def caption_service(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Ticket-weighted mean wait against the promise, late tickets and utilisation."""
    t = catalogue(lang)
    p = result.periods
    tickets = p["tickets"].to_numpy(dtype=float)
    n = float(tickets.sum())
    if not n:
        return t("report.cap.service.none")
    waits = p["wait_mean"].fillna(0.0).to_numpy(dtype=float)
    text = t("report.cap.service", hours=24.0 * float((waits * tickets).sum()) / n)
    try:
        promise = float(result.manifest["scenario"]["strategy"]["service"]["promise"])
        text += t("report.cap.service.promise", hours=24.0 * promise)
    except (KeyError, TypeError, ValueError):
        pass
    late = int(p["waits_over_promise"].sum())
    text += t("report.cap.service.late", late=late, total=int(n), share=_pct(late, n, t))
    util = p["utilisation"].to_numpy(dtype=float)
    if np.isfinite(util).any():
        text += t("report.cap.service.busy", busy=100.0 * float(np.nanmean(util)))
    return text + t("report.stop") + _salary_sentence(result, t)


def _salary_sentence(result: RunResult, t: Catalogue) -> str:
    """The desk's salary over the run (what the waits above were bought with), or nothing."""
    paid = float(result.periods["cost_service_staff"].sum())
    sc = result.manifest.get("scenario") or {}
    try:
        staff = sc["strategy"]["service"]["staff"]
    except (KeyError, TypeError):
        return ""
    if staff is None or not paid:
        return ""
    currency = str((sc.get("economics") or {}).get("currency") or "")
    return t("report.cap.service.salary", staff=staff_words(float(staff), t.lang),
             money=money_text(paid, currency))  # fmt: skip


def _rate(share: float) -> str:
    return f"{100.0 * share:.1f} %"


def caption_renewals(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """The renewal rate at the first and the last drawn renewal, and what sBG expects."""
    t = catalogue(lang)
    table = renewals_of(result)
    if table is None:
        return t("report.cap.renewals.none")
    shown = drawn(table)
    if shown.empty:
        return t("report.cap.renewals.few", min_due=MIN_DUE)
    first, last = shown.iloc[0], shown.iloc[-1]
    text = t("report.cap.renewals.first", rate=_rate(float(first["rate"])), due=int(first["due"]))
    if len(shown) > 1:
        text += t("report.cap.renewals.last", renewal=int(last["renewal"]),
                  after=duration_text(float(last["day"]), lang), rate=_rate(float(last["rate"])),
                  due=int(last["due"]))  # fmt: skip
        if float(last["low"]) > float(first["high"]):
            text += t("report.cap.renewals.rises")
        elif float(last["high"]) < float(first["low"]):
            text += t("report.cap.renewals.falls")
        else:
            text += t("report.cap.renewals.same")
        if np.isfinite([first["sbg"], last["sbg"]]).all():
            text += t("report.cap.renewals.sbg", first=_rate(float(first["sbg"])),
                      last=_rate(float(last["sbg"])))  # fmt: skip
    else:
        text += t("report.stop")
    won = int((result.customers["won_back"] > 0).sum())
    if won:
        text += t("report.cap.renewals.won", won=won)
    return text


def caption_value(result: RunResult, lang: str = DEFAULT_LANG) -> str:
    """Which segment brings the largest share of revenue, against its share of customers."""
    t = catalogue(lang)
    table = value_by_segment(result.customers)
    if table.empty or not np.isfinite(table["revenue_share"]).any():
        return t("report.cap.value.none")
    top = str(table["revenue_share"].idxmax())
    cols = ["customers_share", "revenue_share", "margin_share"]
    customers, revenue, margin = 100.0 * table.loc[top, cols].to_numpy(dtype=float)
    return t("report.cap.value", segment=top, customers=customers, revenue=revenue,
             margin=margin)  # fmt: skip


#: One caption function per figure key of :data:`sim.report.plots.FIGURES` and of the
#: lesson figures (:data:`sim.report.lesson_figures.RUN_FIGURES`).
CAPTIONS: dict[str, Caption] = {
    "retention": caption_retention,
    "renewals": caption_renewals,
    "flows": caption_flows,
    "economics": caption_economics,
    "value": caption_value,
    "satisfaction": caption_satisfaction,
    "ladder": caption_ladder,
    "lifecycle": caption_lifecycle,
    "trust": caption_trust,
    "churn": caption_churn,
    "service": caption_service,
}
