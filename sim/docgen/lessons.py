"""The generated part of ``docs/lessons.md``: each lesson's header and its measured effects.

Two sources, both committed: the header comment of every library scenario (what it teaches,
the lever, what a learner should see) and ``docs/lesson_effects.json``, the full-size paired
differences measured by ``scripts/measure_lessons.py``. ``scripts/regen_docs.py`` writes the
block; ``tests/test_docs.py`` fails when it is out of date::

    python -m sim.docgen.lessons          # print the block
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml

import scenarios

__all__ = ["EFFECTS", "HEADLINES", "header_paragraphs", "markdown"]

#: The committed measurements (``scripts/measure_lessons.py`` writes them).
EFFECTS: Path = Path(__file__).resolve().parents[2] / "docs" / "lesson_effects.json"

_COMPLAINTS = ("recovery_rate", "balance_end", "retention_12m", "discounted_profit")

#: Headline comparisons of each lesson: (arm, reference arm, metrics).
HEADLINES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "care_tiers": [
        ("tiers", "one_size", ("retention_12m", "retention_24m", "discounted_profit")),
    ],
    "churn_early_warning": [
        (
            "intervene",
            "watch_only",
            ("warning_precision", "retention_24m", "active_end", "discounted_profit"),
        ),
        ("call_and_offer", "intervene", ("retention_24m", "discounted_profit")),
    ],
    "complaint_handling": [
        ("basic", "none", _COMPLAINTS),
        ("lescant", "basic", _COMPLAINTS),
    ],
    "customer_selection": [
        ("migrate", "none", ("retention_12m", "costs", "discounted_profit")),
        ("fire", "none", ("retention_12m", "costs", "discounted_profit")),
    ],
    "five_points_retention": [
        ("five_points", "baseline", ("retention_12m", "retention_36m", "discounted_profit")),
    ],
    "key_account_pyramid": [
        ("pyramid", "equal", ("retention_12m", "revenue", "discounted_profit")),
    ],
    "loyalty_programme": [
        ("programme", "no_programme", ("retention_12m", "retention_24m", "discounted_profit")),
    ],
    "over_contact": [
        ("over_contact", "at_preference", ("retention_12m", "discounted_profit")),
        ("rare", "at_preference", ("retention_12m", "discounted_profit")),
    ],
    "post_sale_follow_up": [
        ("follow_up", "none", ("retention_12m", "retention_24m", "discounted_profit")),
    ],
    "price_war": [
        ("ignore", "calm", ("churn_share_price", "retention_12m", "discounted_profit")),
        ("match", "ignore", ("retention_12m", "revenue", "discounted_profit")),
    ],
    "retention_vs_acquisition": [
        ("retain", "acquire", ("retention_24m", "active_end", "discounted_profit")),
    ],
    "service_staffing": [
        ("understaffed", "adequate", ("mean_wait", "retention_12m", "discounted_profit")),
    ],
    "win_back": [
        ("win_back", "let_go", ("won_back", "retention_24m", "active_end", "discounted_profit")),
    ],
}

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


def _arms(name: str) -> list[str]:
    data = yaml.safe_load(scenarios.path(name).read_text(encoding="utf-8"))
    arms = data.get("arms") if isinstance(data, dict) else None
    return list(arms) if isinstance(arms, dict) else []


def _number(metric: str, x: float) -> str:
    if any(metric.startswith(p) for p in _POINTS):
        return f"{100 * x:+.1f} pt"
    if metric == "mean_wait":
        return f"{x:+.2f} d"
    if abs(x) >= 1000:
        return f"{x:+,.0f}"
    return f"{x:+.3g}"


def _effects_table(name: str, measured: dict[str, Any]) -> list[str]:
    rows = []
    by_key = {(r["comparison"], r["metric"]): r for r in measured["rows"]}
    for arm, ref, metrics in HEADLINES.get(name, []):
        for metric in metrics:
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
        out += [f"## `{name}`", "", f"**{scenarios.lesson(name)}**", ""]
        arms = _arms(name)
        if arms:
            out += ["Arms: " + ", ".join(f"`{a}`" for a in arms) + ".", ""]
        for p in header_paragraphs(name):
            out += [p, ""]
        if name in effects:
            out += [*_effects_table(name, effects[name]), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")  # noqa: T201
