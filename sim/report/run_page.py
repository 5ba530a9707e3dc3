"""The run report: one self-contained ``report.html`` a trainer can mail or open offline.

The page reads top to bottom like a debrief: what was run (scenario, lesson, seed, engine,
hash, versions), the headline numbers in plain words, each figure with one sentence reading
its finding from the numbers, then *why customers left*: the churn reasons and the trust
ledger of one or two customers who walked away. Figures are embedded as base64 PNG (the page
needs no other file) and also saved next to it for slides.

Everything that comes from a scenario or a result (names, lessons, reasons, segments) is
passed through :func:`html.escape`: a scenario file is user input.

The page is written in one language of the message catalogue (``lang``: ``report.run.*``
and the captions, :mod:`sim.i18n`); the lesson header comes in that language from the
scenario (:func:`sim.scenario.header.lesson_header`). The column reference and the model
check keep the English of the schema and of the fits.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.units import DAYS_PER_MONTH
from sim.errors import UserError
from sim.i18n import DEFAULT_LANG, Catalogue, catalogue
from sim.report.analysis import churn_reasons, churned_examples
from sim.report.captions import CAPTIONS, word
from sim.report.fonts import cjk_fonts
from sim.report.lesson_figures import run_figures
from sim.report.model_check import model_check_section
from sim.report.stylesheet import page_css
from sim.report.wording import duration_text
from sim.results.catalogue import kpi, kpi_unit
from sim.results.display import unit_name, value_text
from sim.results.run_result import atomic_write_bytes
from sim.results.schema import TABLES
from sim.scenario.header import lesson_header
from sim.scenario.spec import load_scenario

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


def format_kpi(
    metric: str, value: float, currency: str = "", lang: str = DEFAULT_LANG
) -> tuple[str, str, str]:
    """Plain-language label, formatted value and unit of one KPI, from the catalogue.

    Args:
        metric: the KPI name from the summary table.
        value: its value (NaN when the run cannot define it, e.g. a horizon shorter than
            the retention window).
        currency: the symbol in front of money.
        lang: the language of the label, the unit and "n/a".

    Returns:
        ``(label, text, unit)`` as :mod:`sim.results.display` reads them: a share reads in
        percent (unit ``"% of …"``), a wait in hours, money with its symbol; NaN reads "n/a".

    Raises:
        LookupError: ``metric`` is not in :mod:`sim.results.catalogue`.
    """
    entry = kpi(metric)
    shown = value_text(metric, value, currency, bare=True)
    if lang == DEFAULT_LANG:
        return entry.label, shown, unit_name(metric)
    shown = catalogue(lang)("report.na") if value != value else shown  # NaN
    return entry.label_in(lang), shown, kpi_unit(metric, lang)


def render_figures(
    result: RunResult, dpi: int = _DPI, lang: str = DEFAULT_LANG
) -> dict[str, bytes]:
    """The run's figures as PNG bytes in reading order, keyed like the registries.

    Every figure of :data:`sim.report.plots.FIGURES`, and each lesson figure of
    :data:`sim.report.lesson_figures.RUN_FIGURES` the run can draw (renewals by tenure for
    a contractual run) after its neighbour. Drawn with the CJK fallback font, so Chinese
    words (and a user's Chinese segment names on an English page) show.
    """
    images: dict[str, bytes] = {}
    with cjk_fonts():
        for key, make in run_figures(result).items():
            fig: Figure = make(result, lang)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi)
            images[key] = buf.getvalue()
    return images


def write_report(result: RunResult, out_dir: str | Path, lang: str = DEFAULT_LANG) -> Path:
    """Write ``report.html`` and one PNG per figure into ``out_dir``.

    Args:
        result: the run to report (fresh or loaded with :meth:`RunResult.load`).
        out_dir: folder to write into (created if missing); existing files of the same
            names are replaced atomically. For a folder that appears whole, write into a
            :class:`~sim.results.folder.ResultFolder`'s staging, as ``crmsim`` does.
        lang: the language of the page and its figures (``"en"`` or ``"zh"``).

    Returns:
        The path of ``report.html``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = render_figures(result, lang=lang)
    for key, png in images.items():
        _publish(out / f"{key}.png", png)
    target = out / "report.html"
    _publish(target, render_html(result, images, lang).encode("utf-8"))
    return target


def _publish(path: Path, data: bytes) -> None:
    """Write atomically, then make the file world-readable.

    A report is meant to be shared, and the atomic write's temporary file is owner-only.
    """
    atomic_write_bytes(path, data)
    path.chmod(0o644)


def render_html(result: RunResult, images: dict[str, bytes], lang: str = DEFAULT_LANG) -> str:
    """The report page as one HTML string (figures inlined from ``images``) in ``lang``."""
    t = catalogue(lang)
    m = result.manifest
    name = m.get("scenario_name") or (m.get("scenario") or {}).get("name") or t("word.scenario")
    body = [
        _header(result, t),
        _kpi_section(result, t),
        _figures_section(result, images, t),
        _churn_section(result, t),
        model_check_section(result, lang),
        _reference_section(t),
    ]
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(t('report.run.title', name=name))}</title><style>{_CSS}</style></head>"
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


def _lesson(sc: dict[str, Any], lang: str) -> tuple[str, str, str, bool]:
    """The lesson line, what to see and the notes in ``lang``, and whether they are in it.

    English reads the manifest's scenario as saved; another language asks the scenario's
    translation (:func:`~sim.scenario.header.lesson_header`), English where it has none.
    """
    english = (sc.get("lesson") or "", sc.get("see") or "", sc.get("description") or "")
    if lang == DEFAULT_LANG or not sc:
        return (*english, True)
    try:
        header = lesson_header(load_scenario(sc), lang)
    except UserError:  # a manifest written by another version of the sandbox
        return (*english, False)
    return header.lesson, header.see, header.description, header.translated


def _header(result: RunResult, t: Catalogue) -> str:
    m = result.manifest
    na = t("report.na")
    sc: dict[str, Any] = m.get("scenario") or {}
    name = m.get("scenario_name") or sc.get("name") or t("word.scenario")
    lesson, see, description, translated = _lesson(sc, t.lang)
    wall = m.get("wall_time_s")
    rows = [
        [t("word.seed"), _e(m.get("seed", na))],
        [t("word.engine"), _e(m.get("engine", na))],
        [t("report.run.hash"), f"<code>{_e(m.get('scenario_hash', na))}</code>"],
        [t("report.run.wall"),
         _e(t("report.seconds", seconds=float(wall)) if wall is not None else na)],
    ]  # fmt: skip
    if "horizon" in sc and "period" in sc:
        horizon, period = duration_text(sc["horizon"], t.lang), duration_text(sc["period"], t.lang)
        count = len(result.periods)
        words = t("report.run.horizon_text", horizon=horizon, count=count, period=period)
        rows.append([t("report.run.horizon"), _e(words)])
    versions = m.get("versions") or {}
    if versions:
        text = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
        rows.append([t("report.run.versions"), _e(text)])
    parts = [f"<h1>{_e(name)}</h1>"]
    if lesson and not translated:
        parts.append(f"<p class='note'>{_e(t('report.untranslated'))}</p>")
    if lesson:
        parts.append(f"<p class='lesson'>{_e(lesson)}</p>")
    if see:
        parts.append(f"<p class='see'><b>{_e(t('report.see'))}</b> {_e(see)}</p>")
    if description:
        parts.append(f"<p>{_e(description)}</p>")
    parts.append(_table([t("report.run.meta"), ""], rows, set(), cls="meta"))
    return f"<header id='run'>{''.join(parts)}</header>"


def _kpi_section(result: RunResult, t: Catalogue) -> str:
    rows = []
    sc: dict[str, Any] = result.manifest.get("scenario") or {}
    currency = str((sc.get("economics") or {}).get("currency") or "")
    for metric, value in result.kpis.items():
        label, text, unit = format_kpi(metric, value, currency, t.lang)
        rows.append([_e(label), _e(text), _e(unit), f"<code>{_e(metric)}</code>"])
    header = [t("report.run.measure"), t("word.value"), t("report.run.unit"), t("report.run.kpi")]
    table = _table(header, rows, {1})
    note = f"<p class='note'>{_e(t('report.run.na_note'))}</p>"
    return f"<section id='kpis'><h2>{_e(t('report.run.kpis'))}</h2>{table}{note}</section>"


def _figures_section(result: RunResult, images: dict[str, bytes], t: Catalogue) -> str:
    parts = [f"<section id='figures'><h2>{_e(t('report.run.figures'))}</h2>"]
    for key, png in images.items():
        caption = CAPTIONS[key](result, t.lang) if key in CAPTIONS else ""
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<figure id='fig-{_e(key)}'><img alt='{_e(caption or key)}' "
            f"src='data:image/png;base64,{data}'>"
            f"<figcaption>{_e(caption)} <a href='{_e(key)}.png'>[{_e(key)}.png]</a>"
            "</figcaption></figure>"
        )
    parts.append("</section>")
    return "".join(parts)


def _churn_section(result: RunResult, t: Catalogue) -> str:
    parts = [f"<section id='why-customers-left'><h2>{_e(t('report.run.churn'))}</h2>"]
    table = churn_reasons(result.customers)
    if table.empty:
        parts.append(f"<p>{_e(t('report.run.no_churn'))}</p></section>")
        return "".join(parts)
    segments = [c for c in table.columns if c not in ("total", "share")]
    rows = [
        [_e(word(t, "churn", str(reason)))]
        + [_e(int(row[s])) for s in segments]
        + [_e(int(row["total"])), _e(f"{100.0 * float(row['share']):.1f} %")]
        for reason, row in table.iterrows()
    ]
    header = [
        t("word.reason"), *(_e(s) for s in segments), t("report.run.total"), t("report.run.share")
    ]  # fmt: skip
    numeric = set(range(1, len(header)))
    parts.append(f"<p>{_e(t('report.run.churn_intro'))}</p>")
    parts.append(_table(header, rows, numeric))
    ids = churned_examples(result.customers, result.ledger, n=2)
    if not ids:
        parts.append(f"<p class='note'>{t('report.run.aggregate_note')}</p>")
    for cid in ids:
        parts.append(_story(result, cid, t))
    parts.append("</section>")
    return "".join(parts)


def _story(result: RunResult, cid: int, t: Catalogue) -> str:
    """One churned customer's trust ledger as a sentence and a small table."""
    c = result.customers.loc[result.customers["customer_id"] == cid].iloc[0]
    entries = result.ledger_of(cid)
    dep = entries[entries["amount"] > 0]
    wdr = entries[entries["amount"] < 0]
    reason = word(t, "churn", str(c["churn_reason"]))
    by_reason = wdr.groupby("reason")["amount"].sum().sort_values()
    top = ""
    if len(by_reason):
        top = t("report.run.story_top", reason=word(t, "reason", str(by_reason.index[0])))
    text = t(
        "report.run.story", cid=cid, segment=c["segment"], acquired=float(c["acquired"]),
        channel=word(t, "channel", str(c["channel"])), churned=float(c["churned"]),
        reason=reason, months=float(c["tenure"]) / DAYS_PER_MONTH, deposits=len(dep),
        deposited=float(dep["amount"].sum()), withdrawals=len(wdr),
        withdrawn=float(wdr["amount"].sum()), top=top,
    )  # fmt: skip
    shown = entries.tail(_STORY_ROWS)
    rows = [
        [
            _e(f"{float(r['time']):.1f}"),
            _e(word(t, "reason", str(r["reason"]))),
            _e(word(t, "word", str(r["kind"]))),
            _e(f"{float(r['amount']):+.2f}"),
            _e(f"{float(r['balance']):.2f}"),
        ]
        for _, r in shown.iterrows()
    ]
    churned = t("report.run.churned_row", reason=reason)
    rows.append([_e(f"{float(c['churned']):.1f}"), _e(churned), "", "", ""])
    note = ""
    if len(entries) > len(shown):
        last = t("report.run.last_entries", shown=len(shown), total=len(entries))
        note = f"<p class='note'>{_e(last)}</p>"
    header = [t("word.day"), t("word.reason"), t("report.run.kind"), t("report.run.amount"),
              t("word.balance")]  # fmt: skip
    table = _table(header, rows, {0, 3, 4})
    title = t("report.run.story_title", cid=cid)
    return (
        f"<article class='story' id='customer-{cid}'><h3>{_e(title)}</h3>"
        f"<p>{_e(text)}</p>{table}{note}</article>"
    )


def _reference_section(t: Catalogue) -> str:
    parts = [
        f"<section id='columns'><h2>{_e(t('report.run.columns'))}</h2><p class='note'>"
        f"{t('report.run.columns_intro')}</p>"
    ]
    for name in ("periods", "customers", "ledger"):
        rows = [[f"<code>{_e(c.name)}</code>", _e(c.dtype), _e(c.unit), _e(c.description)]
                for c in TABLES[name]]  # fmt: skip
        count = t("report.run.columns_count", count=len(rows))
        header = [t("report.run.column"), t("report.run.type"), t("report.run.unit"),
                  t("report.run.meaning")]  # fmt: skip
        parts.append(
            f"<details><summary><code>{name}</code> ({_e(count)})</summary>"
            f"{_table(header, rows, set())}</details>"
        )
    parts.append("</section>")
    return "".join(parts)
