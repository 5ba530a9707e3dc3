"""The generated part of ``docs/lessons.md``: each lesson's header and its measured effects.

Two sources, both committed: each library scenario — its header comment (what it teaches,
the lever, what a learner should see) and its ``headlines:`` (the comparisons and KPIs worth
reporting) — and ``docs/lesson_effects.json``, the full-size paired differences of those
headlines measured by ``scripts/measure_lessons.py``. ``scripts/regen_docs.py`` writes the
block; ``tests/test_docs.py`` fails when it is out of date::

    python -m sim.docgen.lessons          # print the block
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import scenarios
from sim.results.catalogue import KPIS
from sim.scenario.headlines import Headline
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["EFFECTS", "header_paragraphs", "load_lesson", "markdown"]

#: The committed measurements (``scripts/measure_lessons.py`` writes them).
EFFECTS: Path = Path(__file__).resolve().parents[2] / "docs" / "lesson_effects.json"

#: Metrics that are shares, shown in percentage points.
_POINTS = ("retention_", "churn_share_", "warning_", "recovery_rate")


def header_paragraphs(name: str) -> list[str]:
    """The header comment of ``scenarios/<name>.yaml`` as paragraphs, title line dropped."""
    lines = []
    for line in scenarios.path(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    paragraphs: list[list[str]] = [[]]
    for line in lines[1:]:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [" ".join(p) for p in paragraphs if p]


def load_lesson(name: str) -> Scenario:
    """Library scenario ``name`` with its ``headlines:`` checked against the KPI catalogue.

    Raises:
        ScenarioError: as :func:`~sim.scenario.spec.load_scenario`, and a headline metric
            that is not in :data:`sim.results.catalogue.KPIS`, located in the file.
    """
    return load_scenario(name, kpis=[k.name for k in KPIS])


def _number(metric: str, x: float) -> str:
    if any(metric.startswith(p) for p in _POINTS):
        return f"{100 * x:+.1f} pt"
    if metric == "mean_wait":
        return f"{x:+.2f} d"
    if abs(x) >= 1000:
        return f"{x:+,.0f}"
    return f"{x:+.3g}"


def _effects_table(comparisons: tuple[Headline, ...], measured: dict[str, Any]) -> list[str]:
    rows = []
    by_key = {(r["comparison"], r["metric"]): r for r in measured["rows"]}
    for headline in comparisons:
        arm, ref = headline.arm, headline.against
        for metric in headline.metrics:
            r = by_key.get((f"{arm} - {ref}", metric))
            if r is None:
                continue
            base = r["reference_mean"]
            shares = any(metric.startswith(p) for p in _POINTS) or metric == "mean_wait"
            ok = base and math.isfinite(base) and not shares
            rel = f"{100 * r['diff'] / abs(base):+.1f} %" if ok else ""
            ci = f"[{_number(metric, r['low'])}, {_number(metric, r['high'])}]"
            rows.append(
                f"| `{arm}` − `{ref}` | `{metric}` | {_number(metric, r['diff'])} | {ci} | {rel} |"
            )
    if not rows:
        return []
    head = (
        f"Measured at full size ({measured['customers']:,} customers, {measured['horizon']}), "
        f"n = {measured['n']} paired replications, seed {measured['seed']}: mean paired "
        "difference and its 95 % confidence interval (shares in percentage points); the "
        "relative column is the difference over the reference arm's mean."
    )
    return [
        head,
        "",
        "| comparison | metric | difference | 95 % CI | relative |",
        "|---|---|---|---|---|",
        *rows,
    ]


def markdown() -> str:
    """The generated block of ``docs/lessons.md``: one section per library scenario."""
    effects: dict[str, Any] = json.loads(EFFECTS.read_text(encoding="utf-8"))
    names = scenarios.names()
    order = ["baseline"] + [n for n in names if n != "baseline"]
    out: list[str] = []
    for name in order:
        scenario = load_lesson(name)
        out += [f"## `{name}`", "", f"**{scenario.lesson}**", ""]
        if scenario.arms:
            out += ["Arms: " + ", ".join(f"`{a}`" for a in scenario.arms) + ".", ""]
        for p in header_paragraphs(name):
            out += [p, ""]
        if name in effects:
            out += [*_effects_table(scenario.headlines, effects[name]), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")  # noqa: T201
