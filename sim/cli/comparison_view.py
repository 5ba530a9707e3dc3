"""What ``crmsim compare`` prints: arm means, paired differences, the lesson's claims, verdicts.

Every number goes through the one language of units (:mod:`sim.results.display`: shares in
percent and points, waits in hours, money with its symbol) and every sentence through
:mod:`sim.report.wording`, which the HTML report uses too, so the terminal and the page
cannot word one comparison differently. Arm, metric and scenario names reach Rich markup
only through :func:`sim.cli.text.escape`.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sim.cli.text import escape
from sim.experiments.comparison import Comparison
from sim.experiments.stats import MIN_GAIN_PAIRS
from sim.report.compare_page import currency_of
from sim.report.wording import (
    CLAIM_STATUS,
    claim_line,
    claim_status,
    fewer_customers_note,
    fmt,
    gain_text,
    verdict,
)
from sim.results.display import (
    SHARE,
    change_text,
    interval_text,
    labelled,
    mean_text,
    number,
    reading,
    relative_applies,
)

__all__ = ["differences_table", "means_table", "print_comparison"]

_STYLE = {1: "green", -1: "red"}


def means_table(comparison: Comparison, metrics: list[str]) -> Table:
    """Each arm's mean and 95 % interval per metric, and the arm most likely best."""
    currency = currency_of(comparison)
    table = Table(title="Arm means [95 % interval]", title_justify="left")
    table.add_column("metric")
    for arm in comparison.arms:
        label = f"{arm} (baseline)" if arm == comparison.baseline else arm
        table.add_column(escape(label), justify="right")
    table.add_column("likely best (P)", justify="right")
    summary = comparison.arm_summary(metrics)
    best = comparison.prob_best(metrics)
    for m in metrics:
        rows = {r["arm"]: r for r in summary[summary["metric"] == m].to_dict("records")}
        cells = [
            escape(mean_text(m, r["mean"], r["low"], r["high"], currency, bare=True))
            for r in (rows[a] for a in comparison.arms)
        ]
        p = best[best["metric"] == m].set_index("arm")["p_best"].astype(float)
        if p.isna().all():
            leader = "n/a"
        else:
            top = str(p.idxmax())
            leader = f"{escape(top)} ({p.max():.2f})"
            note = fewer_customers_note(comparison, m, top)
            leader += f"\n[red]{escape(note)}[/]" if note else ""
        table.add_row(escape(labelled(m)), *cells, leader)
    return table


def differences_table(comparison: Comparison, metrics: list[str], arm: str) -> Table:
    """One arm against the baseline: paired and unpaired intervals, and the pairing gain."""
    currency = currency_of(comparison)
    table = Table(
        title=f"{escape(arm)} − {escape(comparison.baseline)} (paired, 95 % interval)",
        title_justify="left",
    )
    for col in ("metric", "difference", "relative", "unpaired", "pairing gain"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    diffs = comparison.differences(metrics)
    for r in diffs[diffs["arm"] == arm].to_dict("records"):
        m = str(r["metric"])
        style = _STYLE.get(int(r["better"]), "default")
        rel = "—"
        if r["rel_pct"] == r["rel_pct"] and relative_applies(m, r["base_mean"]):
            low, high = number(r["rel_low"]), number(r["rel_high"])
            rel = f"{number(r['rel_pct'], signed=True)} % [{low}, {high}]"
        diff = interval_text(m, r["low"], r["high"], currency, with_unit=False)
        unpaired = interval_text(m, r["unpaired_low"], r["unpaired_high"], currency, False)
        table.add_row(
            escape(labelled(m) if reading(m) is not SHARE else f"{m} (pts)"),
            f"[{style}]{escape(change_text(m, r['diff'], currency, bare=True))} {escape(diff)}[/]",
            rel,
            escape(unpaired),
            escape(gain_text(r, short=True)),
        )
    table.caption = (
        "pairing gain: share of the difference's variance removed by common random numbers, "
        f"with its bootstrap interval; withheld below {MIN_GAIN_PAIRS} pairs, where it is "
        "mostly noise. Relative differences only for money, counts and waits."
    )
    return table


def print_comparison(console: Console, comparison: Comparison, metrics: list[str]) -> None:
    """Everything ``crmsim compare`` prints after its runs, in reading order."""
    c = comparison
    currency = currency_of(c)
    if c.target is not None:
        for arm, s in c.target_status.items():
            state = f"met at n = {s.n_met}" if s.met else "[red]not met: hit the cap[/]"
            console.print(
                f"target {escape(c.target)}: {escape(arm)} {state} "
                f"(half-width {fmt(s.half_width)}, allowed {fmt(s.allowed)})"
            )
    if c.lesson is not None:
        console.print(f"[bold]The lesson:[/] {escape(c.lesson.lesson or c.lesson.name)}")
        if c.lesson.see:
            console.print(f"[bold]What to see:[/] {escape(c.lesson.see)}")
    console.print(means_table(c, metrics))
    for arm in c.arms:
        if arm != c.baseline:
            console.print(differences_table(c, metrics, arm))
    heads = c.headline_differences()
    if not heads.empty:
        console.print("[bold]Claimed and measured[/]")
        for claim in dict.fromkeys(heads["claim"]):
            if claim:
                console.print(f"  [dim]{escape(claim)}[/]")
        for row in heads.to_dict("records"):
            status = claim_status(row)
            style = {"holds": "green", "fails": "red"}.get(status, "dim")
            console.print(f"  [{style}]{escape(claim_line(row, currency))}[/]", highlight=False)
        unclear = sum(claim_status(r) == "unclear" for r in heads.to_dict("records"))
        if unclear:
            console.print(
                f"  [dim]{unclear} claim(s) {CLAIM_STATUS['unclear']}: more replications "
                "(-n) narrow the intervals[/]"
            )
    console.print("[bold]Verdicts[/]")
    for row in c.differences(metrics).to_dict("records"):
        style = {1: "green", -1: "red"}.get(int(row["better"]), "dim")
        text = verdict(row, currency)
        note = fewer_customers_note(c, row["metric"], row["arm"]) if row["better"] > 0 else ""
        text += f" — {note}" if note else ""
        console.print(f"  [{style}]{escape(text)}[/]", highlight=False)
