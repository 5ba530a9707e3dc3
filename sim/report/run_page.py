"""The run report: one self-contained ``report.html`` a trainer can mail or open offline.

The page reads top to bottom like a debrief: what was run (scenario, lesson, seed, engine,
hash, versions), the headline numbers in plain words, each figure with one sentence reading
its finding from the numbers, then *why customers left*: the churn reasons and the trust
ledger of one or two customers who walked away. Figures are embedded as base64 PNG (the page
needs no other file) and also saved next to it for slides.

Everything that comes from a scenario or a result (names, lessons, reasons, segments) is
passed through :func:`html.escape`: a scenario file is user input.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.units import DAYS_PER_MONTH
from sim.report.analysis import CHURN_LABELS, churn_reasons, churned_examples
from sim.report.captions import CAPTIONS
from sim.report.lesson_figures import run_figures
from sim.report.model_check import model_check_section
from sim.report.stylesheet import page_css
from sim.results.catalogue import kpi
from sim.results.display import duration_words, unit_name, value_text
from sim.results.run_result import atomic_write_bytes
from sim.results.schema import TABLES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.results.run_result import RunResult

__all__ = ["format_kpi", "render_figures", "render_html", "write_report"]

_DPI = 110
_STORY_ROWS = 12

_CSS = page_css(extra="table.meta td:first-child{font-weight:600}")


def _e(value: Any) -> str:
    """Escaped text of any value (every piece of scenario or result text goes through here)."""
    return html.escape(str(value), quote=True)


def format_kpi(metric: str, value: float, currency: str = "") -> tuple[str, str, str]:
    """Plain-language label, formatted value and unit of one KPI, from the catalogue.

    Args:
        metric: the KPI name from the summary table.
        value: its value (NaN when the run cannot define it, e.g. a horizon shorter than
            the retention window).
        currency: the symbol in front of money.

    Returns:
        ``(label, text, unit)`` in the one language of :mod:`sim.results.display`: a share
        reads in percent (unit ``"% of …"``), a wait in hours, money with its symbol; NaN
        reads "n/a".

    Raises:
        LookupError: ``metric`` is not in :mod:`sim.results.catalogue`.
    """
    entry = kpi(metric)
    return entry.label, value_text(metric, value, currency, bare=True), unit_name(metric)


def render_figures(result: RunResult, dpi: int = _DPI) -> dict[str, bytes]:
    """The run's figures as PNG bytes in reading order, keyed like the registries.

    Every figure of :data:`sim.report.plots.FIGURES`, and each lesson figure of
    :data:`sim.report.lesson_figures.RUN_FIGURES` the run can draw (renewals by tenure for
    a contractual run) after its neighbour.
    """
    images: dict[str, bytes] = {}
    for key, make in run_figures(result).items():
        fig: Figure = make(result)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        images[key] = buf.getvalue()
    return images


def write_report(result: RunResult, out_dir: str | Path) -> Path:
    """Write ``report.html`` and one PNG per figure into ``out_dir``.

    Args:
        result: the run to report (fresh or loaded with :meth:`RunResult.load`).
        out_dir: folder to write into (created if missing); existing files of the same
            names are replaced atomically. For a folder that appears whole, write into a
            :class:`~sim.results.folder.ResultFolder`'s staging, as ``crmsim`` does.

    Returns:
        The path of ``report.html``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = render_figures(result)
    for key, png in images.items():
        _publish(out / f"{key}.png", png)
    target = out / "report.html"
    _publish(target, render_html(result, images).encode("utf-8"))
    return target


def _publish(path: Path, data: bytes) -> None:
    """Write atomically, then make the file world-readable.

    A report is meant to be shared, and the atomic write's temporary file is owner-only.
    """
    atomic_write_bytes(path, data)
    path.chmod(0o644)


def render_html(result: RunResult, images: dict[str, bytes]) -> str:
    """The report page as one HTML string (figures inlined from ``images``)."""
    m = result.manifest
    name = m.get("scenario_name") or (m.get("scenario") or {}).get("name") or "scenario"
    body = [
        _header(result),
        _kpi_section(result),
        _figures_section(result, images),
        _churn_section(result),
        model_check_section(result),
        _reference_section(),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>CRM Sandbox report: {_e(name)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _table(header: list[str], rows: list[list[str]], numeric: set[int], cls: str = "") -> str:
    """An HTML table from already-escaped cells; columns in ``numeric`` align right."""
    head = "".join(f"<th>{h}</th>" for h in header)
    lines = []
    for row in rows:
        cells = "".join(
            f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    attr = f" class='{cls}'" if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _header(result: RunResult) -> str:
    m = result.manifest
    sc: dict[str, Any] = m.get("scenario") or {}
    name = m.get("scenario_name") or sc.get("name") or "scenario"
    lesson = sc.get("lesson") or ""
    wall = m.get("wall_time_s")
    rows = [
        ["seed", _e(m.get("seed", "n/a"))],
        ["engine", _e(m.get("engine", "n/a"))],
        ["scenario hash", f"<code>{_e(m.get('scenario_hash', 'n/a'))}</code>"],
        ["wall time", _e(f"{float(wall):.1f} s" if wall is not None else "n/a")],
    ]
    if "horizon" in sc and "period" in sc:
        horizon, period = duration_words(sc["horizon"]), duration_words(sc["period"])
        count = len(result.periods)
        rows.append(["horizon", _e(f"{horizon}, in {count} periods of {period}")])
    versions = m.get("versions") or {}
    if versions:
        text = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
        rows.append(["versions", _e(text)])
    parts = [f"<h1>{_e(name)}</h1>"]
    if lesson:
        parts.append(f"<p class='lesson'>{_e(lesson)}</p>")
    see = sc.get("see") or ""
    if see:
        parts.append(f"<p class='see'><b>What to see.</b> {_e(see)}</p>")
    description = sc.get("description") or ""
    if description:
        parts.append(f"<p>{_e(description)}</p>")
    parts.append(_table(["run", ""], rows, set(), cls="meta"))
    return f"<header id='run'>{''.join(parts)}</header>"


def _kpi_section(result: RunResult) -> str:
    rows = []
    sc: dict[str, Any] = result.manifest.get("scenario") or {}
    currency = str((sc.get("economics") or {}).get("currency") or "")
    for metric, value in result.kpis.items():
        label, text, unit = format_kpi(metric, value, currency)
        rows.append([_e(label), _e(text), _e(unit), f"<code>{_e(metric)}</code>"])
    table = _table(["measure", "value", "unit", "KPI"], rows, {1})
    note = (
        "<p class='note'>n/a: not defined for this run (for example a retention window "
        "longer than the horizon, or early warning switched off).</p>"
    )
    return f"<section id='kpis'><h2>Headline numbers</h2>{table}{note}</section>"


def _figures_section(result: RunResult, images: dict[str, bytes]) -> str:
    parts = ["<section id='figures'><h2>Figures</h2>"]
    for key, png in images.items():
        caption = CAPTIONS[key](result) if key in CAPTIONS else ""
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<figure id='fig-{_e(key)}'><img alt='{_e(caption or key)}' "
            f"src='data:image/png;base64,{data}'>"
            f"<figcaption>{_e(caption)} <a href='{_e(key)}.png'>[{_e(key)}.png]</a>"
            "</figcaption></figure>"
        )
    parts.append("</section>")
    return "".join(parts)


def _churn_section(result: RunResult) -> str:
    parts = ["<section id='why-customers-left'><h2>Why customers left</h2>"]
    table = churn_reasons(result.customers)
    if table.empty:
        parts.append("<p>No customer churned in this run.</p></section>")
        return "".join(parts)
    segments = [c for c in table.columns if c not in ("total", "share")]
    rows = [
        [_e(CHURN_LABELS.get(str(reason), reason))]
        + [_e(int(row[s])) for s in segments]
        + [_e(int(row["total"])), _e(f"{100.0 * float(row['share']):.1f} %")]
        for reason, row in table.iterrows()
    ]
    header = ["reason", *(_e(s) for s in segments), "total", "share"]
    numeric = set(range(1, len(header)))
    parts.append(
        "<p>Customers lost, by the dominant reason of their last churn and by segment.</p>"
    )
    parts.append(_table(header, rows, numeric))
    ids = churned_examples(result.customers, result.ledger, n=2)
    if not ids:
        parts.append(
            "<p class='note'>This run kept only the aggregated trust ledger "
            "(<code>output.ledger: aggregate</code>), so individual stories are not "
            "available.</p>"
        )
    for cid in ids:
        parts.append(_story(result, cid))
    parts.append("</section>")
    return "".join(parts)


def _story(result: RunResult, cid: int) -> str:
    """One churned customer's trust ledger as a sentence and a small table."""
    c = result.customers.loc[result.customers["customer_id"] == cid].iloc[0]
    entries = result.ledger_of(cid)
    dep = entries[entries["amount"] > 0]
    wdr = entries[entries["amount"] < 0]
    reason = CHURN_LABELS.get(str(c["churn_reason"]), str(c["churn_reason"]))
    by_reason = wdr.groupby("reason")["amount"].sum().sort_values()
    top = ""
    if len(by_reason):
        top = f", the largest part through {str(by_reason.index[0]).replace('_', ' ')}"
    text = (
        f"Customer {cid}, a {c['segment']} customer acquired on day {float(c['acquired']):.0f} "
        f"({c['channel']}), left on day {float(c['churned']):.0f} for {reason} after "
        f"{float(c['tenure']) / DAYS_PER_MONTH:.1f} months. Their account got {len(dep)} deposits "
        f"worth {float(dep['amount'].sum()):.1f} trust points and {len(wdr)} withdrawals worth "
        f"{float(wdr['amount'].sum()):.1f}{top}. Between entries the balance drifts back "
        "towards zero (relationships cool), so it is not just the running sum of amounts."
    )
    shown = entries.tail(_STORY_ROWS)
    rows = [
        [
            _e(f"{float(r['time']):.1f}"),
            _e(str(r["reason"]).replace("_", " ")),
            _e(str(r["kind"])),
            _e(f"{float(r['amount']):+.2f}"),
            _e(f"{float(r['balance']):.2f}"),
        ]
        for _, r in shown.iterrows()
    ]
    rows.append([_e(f"{float(c['churned']):.1f}"), _e(f"churned: {reason}"), "", "", ""])
    note = ""
    if len(entries) > len(shown):
        note = f"<p class='note'>The last {len(shown)} of {len(entries)} entries.</p>"
    table = _table(["day", "reason", "kind", "amount", "balance"], rows, {0, 3, 4})
    return (
        f"<article class='story' id='customer-{cid}'><h3>The story of customer {cid}</h3>"
        f"<p>{_e(text)}</p>{table}{note}</article>"
    )


def _reference_section() -> str:
    parts = [
        "<section id='columns'><h2>Column reference</h2><p class='note'>Every table of a "
        "saved run (the <code>*.parquet</code> files next to this page) is documented in "
        "<code>docs/results.md</code>, generated from <code>sim/results/schema.py</code> "
        "(<code>python -m sim.results.schema</code>). The tables behind this page:</p>"
    ]
    for name in ("periods", "customers", "ledger"):
        rows = [[f"<code>{_e(c.name)}</code>", _e(c.dtype), _e(c.unit), _e(c.description)]
                for c in TABLES[name]]  # fmt: skip
        parts.append(
            f"<details><summary><code>{name}</code> ({len(rows)} columns)</summary>"
            f"{_table(['column', 'type', 'unit', 'meaning'], rows, set())}</details>"
        )
    parts.append("</section>")
    return "".join(parts)
