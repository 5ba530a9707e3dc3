"""The arms page: every arm of a lesson run once, side by side (``crmsim run --all-arms``).

A lesson file names its policies in an ``arms:`` block; ``crmsim run --all-arms`` runs each
once on the same seed and saves one full run report per arm. This page, ``index.html`` next
to the arm folders, is the way in: the lesson and what to see in it, the KPIs of every arm in
one table (the reference arm first and marked), a link to each arm's report, and a plain
warning that one run per arm is not a comparison. Numbers are worded by
:func:`sim.report.run_page.format_kpi`, so they read as in the run reports.

Arm names, the lesson and the "what to see" text come from the user's file: every one of
them goes through :func:`html.escape`, and folder names through :func:`urllib.parse.quote`
as well before they become links.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sim.report.run_page import format_kpi
from sim.report.stylesheet import page_css
from sim.results.catalogue import KPIS
from sim.results.collect import versions
from sim.results.manifest import MANIFEST
from sim.results.run_result import atomic_write_bytes
from sim.scenario.spec import scenario_hash, scenario_to_dict

if TYPE_CHECKING:
    from sim.scenario.spec import Scenario

__all__ = [
    "PAGE",
    "ArmRun",
    "arm_folders",
    "arms_manifest",
    "render_arms_page",
    "write_arms_page",
]

#: The page's file name inside the folder that holds the arm folders.
PAGE = "index.html"

_CSS = page_css(
    "72rem",
    "th.ref,td.ref{background:#fff4d6}.tag{font-weight:normal;font-size:.85rem;color:#555}"
    ".caveat{border-left:4px solid #D55E00;background:#fdf1ea;padding:.5rem .8rem}",
)


@dataclass(frozen=True)
class ArmRun:
    """One arm's single run, as the page shows it.

    Attributes:
        arm: the arm's name in the scenario's ``arms:`` block.
        scenario_name: the name its run carries (``<scenario>:<arm>``).
        folder: its result folder, relative to the page.
        kpis: metric → value, as :attr:`sim.results.run_result.RunResult.kpis`.
        engine: the engine that ran it.
        report: whether the folder holds ``report.html`` (not when saved as tables only).
    """

    arm: str
    scenario_name: str
    folder: str
    kpis: Mapping[str, float]
    engine: str
    report: bool = True


def arm_folders(stems: Mapping[str, str]) -> dict[str, str]:
    """One distinct folder name per arm, beside :data:`PAGE` and ``manifest.json``.

    Args:
        stems: arm name → a name already safe as one folder name (its arm, cleaned).

    Returns:
        Arm name → folder name: the stem, or the stem with ``-2``, ``-3`` … when an earlier
        arm, the page or the manifest took it (``a b`` and ``a_b`` both clean to ``a_b``).
        Names differing only in case count as taken too: some file systems merge them.
    """
    taken = {PAGE, MANIFEST}
    out: dict[str, str] = {}
    for arm, stem in stems.items():
        label, k = stem, 1
        while label.casefold() in taken:
            k += 1
            label = f"{stem}-{k}"
        taken.add(label.casefold())
        out[arm] = label
    return out


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _href(run: ArmRun) -> str:
    """The escaped link to an arm's report (or its folder when it has no report)."""
    target = quote(run.folder) + ("/report.html" if run.report else "/")
    return _e(target)


def render_arms_page(
    lesson: Scenario, runs: Sequence[ArmRun], *, reference: str, seed: int, compare: str
) -> str:
    """The arms page as one HTML string.

    Args:
        lesson: the scenario whose arms ran (its name, ``lesson`` and ``see`` are shown).
        runs: one entry per arm; the reference arm is shown first whatever the order.
        reference: the name of the reference arm.
        seed: the root seed every arm ran on.
        compare: the ``crmsim compare`` command that compares these arms properly.

    Returns:
        A self-contained page (no other file needed but the arm folders it links).

    Raises:
        ValueError: no run of the arm ``reference``.
    """
    first = [r for r in runs if r.arm == reference]
    if not first:
        raise ValueError(f"no run of the reference arm {reference!r} among {[r.arm for r in runs]}")
    ordered = [*first, *(r for r in runs if r.arm != reference)]
    parts = [f"<h1>{_e(lesson.name)}: every arm, one run each</h1>"]
    if lesson.lesson:
        parts.append(f"<p class='lesson'>{_e(lesson.lesson)}</p>")
    if lesson.see:
        parts.append(f"<h2>What to see</h2><p>{_e(lesson.see)}</p>")
    parts.append(_caveat(len(ordered), seed, compare))
    parts.append("<h2>Headline numbers by arm</h2>")
    parts.append(_kpi_table(ordered))
    parts.append("<h2>Reports</h2>")
    parts.append(_report_list(ordered))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>CRM Sandbox arms: {_e(lesson.name)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )


def write_arms_page(
    out_dir: str | Path,
    lesson: Scenario,
    runs: Sequence[ArmRun],
    *,
    reference: str,
    seed: int,
    compare: str,
) -> Path:
    """Write :data:`PAGE` into ``out_dir`` atomically (see :func:`render_arms_page`).

    Returns:
        The path of the page.
    """
    target = Path(out_dir) / PAGE
    page = render_arms_page(lesson, runs, reference=reference, seed=seed, compare=compare)
    atomic_write_bytes(target, page.encode("utf-8"))
    target.chmod(0o644)  # a page is meant to be shared; the atomic write's file is owner-only
    return target


def arms_manifest(
    lesson: Scenario,
    runs: Sequence[ArmRun],
    reference: str,
    seed: int,
    engine: str,
    seconds: float,
) -> dict[str, Any]:
    """What a folder of arms is, for its ``manifest.json`` (the file list is added on save).

    Args:
        lesson: the scenario whose arms ran, as resolved (``--set`` applied).
        runs: one entry per arm.
        reference: the reference arm.
        seed: the root seed every arm ran on.
        engine: the engine asked for (each arm's entry names the one that ran it).
        seconds: wall time of the whole folder.

    Returns:
        ``kind: arms``, the lesson's resolved scenario and hash, and per arm its folder,
        run name and engine; each arm folder has a full run manifest of its own.
    """
    return {
        "kind": "arms",
        "scenario": scenario_to_dict(lesson),
        "scenario_hash": scenario_hash(lesson),
        "scenario_name": lesson.name,
        "reference": reference,
        "arms": {
            r.arm: {"folder": r.folder, "scenario_name": r.scenario_name, "engine": r.engine}
            for r in runs
        },
        "seed": seed,
        "engine": engine,
        "versions": versions(),
        "wall_time_s": round(seconds, 3),
    }


def _caveat(n_arms: int, seed: int, compare: str) -> str:
    """Why this page is not a comparison, and the command that is one."""
    return (
        "<p class='caveat'><strong>One run per arm is not a comparison.</strong> "
        f"Each of the {n_arms} arms ran once, all on seed {_e(seed)} (common random "
        "numbers: the same customers meet each policy). A difference between two columns "
        "is still one draw: it may be noise rather than the policy. For intervals, paired "
        f"differences and a verdict, run <code>{_e(compare)}</code>.</p>"
    )


def _kpi_table(runs: Sequence[ArmRun]) -> str:
    """KPIs of the catalogue as rows, arms as columns (the first one is the reference)."""
    head = ["<th>measure</th>"]
    for i, run in enumerate(runs):
        tag = "<br><span class='tag'>reference</span>" if i == 0 else ""
        cls = " class='ref'" if i == 0 else ""
        head.append(f"<th{cls}><a href='{_href(run)}'>{_e(run.arm)}</a>{tag}</th>")
    head.append("<th>unit</th>")
    rows = []
    for entry in KPIS:
        if not any(entry.name in r.kpis for r in runs):
            continue
        cells = [f"<td>{_e(entry.label)}</td>"]
        unit = ""
        for i, run in enumerate(runs):
            _, text, unit = format_kpi(entry.name, run.kpis.get(entry.name, math.nan))
            cls = "num ref" if i == 0 else "num"
            cells.append(f"<td class='{cls}'>{_e(text)}</td>")
        cells.append(f"<td>{_e(unit)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    note = (
        "<p class='note'>n/a: not defined for that run (e.g. a window longer than the horizon).</p>"
    )
    return (
        f"<table><thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _report_list(runs: Sequence[ArmRun]) -> str:
    items = []
    for i, run in enumerate(runs):
        what = "report" if run.report else "tables (saved without a report)"
        tag = " (reference)" if i == 0 else ""
        items.append(
            f"<li><a href='{_href(run)}'>{_e(run.arm)}</a>{tag}: {what} of "
            f"<code>{_e(run.scenario_name)}</code>, {_e(run.engine)} engine</li>"
        )
    return f"<ul>{''.join(items)}</ul>"
