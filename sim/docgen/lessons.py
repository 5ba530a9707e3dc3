"""The generated part of ``docs/lessons.md``: each lesson's header and its measured effects.

Two sources, both committed: each library scenario — its header comment (what it teaches,
the lever), its ``see:`` (what a learner should see), its ``reference:`` arm and its
``headlines:`` (the comparisons and KPIs worth reporting, each with the lesson's claim and
the directions it expects) — and ``docs/lesson_effects.json``, the full-size paired
differences of those headlines measured by ``scripts/measure_lessons.py``. Each expected
direction is set beside the measured interval, so a claim the measurements contradict
shows in the table; a second table per lesson says what pairing bought: the share of each
difference's variance that common random numbers removed, with the random streams of an
earlier measurement (``before``) and now, and the fewest replications at which the
lesson's claim showed. ``scripts/regen_docs.py`` writes the block; ``tests/test_docs.py``
fails when it is out of date::

    python -m sim.docgen.lessons          # print the block
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import scenarios
from sim.results.catalogue import KPIS
from sim.scenario.headlines import Headline
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["EFFECTS", "header_paragraphs", "load_lesson", "markdown", "pairing_summary", "verdict"]

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


def verdict(expect: str, low: float, high: float) -> str:
    """What a measured 95 % interval says of an expected direction.

    Args:
        expect: ``"higher"`` or ``"lower"``: the arm against the reference arm.
        low: lower end of the interval of the paired difference (arm − reference).
        high: its upper end.

    Returns:
        ``"shown"`` when the interval lies wholly on the expected side of zero,
        ``"contradicted"`` when it lies wholly on the other side, else ``"not resolved"``.
    """
    above, below = low > 0.0, high < 0.0
    if above or below:
        return "shown" if above == (expect == "higher") else "contradicted"
    return "not resolved"


def _claims(comparisons: tuple[Headline, ...]) -> list[str]:
    """One line per headline with a claim or expected directions."""
    lines = []
    for h in comparisons:
        if not h.claim and not h.expect:
            continue
        line = f"- `{h.arm}` against `{h.against}`"
        if h.claim:
            line += f": {h.claim}"
        if h.expect:
            directions = ", ".join(f"`{m}` {d}" for m, d in h.expect.items())
            line += f" (expected: {directions})"
        lines.append(line + ".")
    return ["The lesson's claims:", "", *lines] if lines else []


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
            want = headline.expect.get(metric)
            expected = f"{want}: {verdict(want, r['low'], r['high'])}" if want else ""
            rows.append(
                f"| `{arm}` − `{ref}` | `{metric}` | {expected} | {_number(metric, r['diff'])} "
                f"| {ci} | {rel} |"
            )
    if not rows:
        return []
    engine = f" on the {measured['engine']} engine" if measured.get("engine") else ""
    head = (
        f"Measured at full size ({measured['customers']:,} customers, {measured['horizon']})"
        f"{engine}, n = {measured['n']} paired replications, seed {measured['seed']}: mean paired "
        "difference and its 95 % confidence interval (shares in percentage points); the "
        "relative column is the difference over the mean of the arm compared with. The expected "
        "column is the lesson's claim: *shown* when the interval lies on its side of zero, "
        "*contradicted* when it lies on the other, *not resolved* when it spans zero."
    )
    return [
        head,
        "",
        "| comparison | metric | expected | difference | 95 % CI | relative |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


def _share(x: Any) -> str:
    return f"{100 * x:.0f} %" if isinstance(x, int | float) and math.isfinite(x) else "—"


def _count(x: Any) -> str:
    return str(x) if isinstance(x, int) else "—"


def _pairing_table(comparisons: tuple[Headline, ...], measured: dict[str, Any]) -> list[str]:
    """Variance removed by pairing, before and now, and the fewest replications that showed."""
    rows = []
    by_key = {(r["comparison"], r["metric"]): r for r in measured["rows"] if "pairing" in r}
    for headline in comparisons:
        for metric in headline.metrics:
            r = by_key.get((f"{headline.arm} - {headline.against}", metric))
            if r is None:
                continue
            claimed = metric in headline.expect
            rows.append(
                f"| `{headline.arm}` − `{headline.against}` | `{metric}` "
                f"| {_share(r.get('pairing_before'))} | {_share(r['pairing'])} "
                f"| {_count(r.get('smallest_n_before')) if claimed else ''} "
                f"| {_count(r.get('smallest_n')) if claimed else ''} |"
            )
    if not rows:
        return []
    before = measured.get("before")
    was = (
        f"before: the n = {before['n']} replications of seed {before['seed']} with one stream "
        "per subsystem shared by all customers; "
        if before
        else ""
    )
    head = (
        "What pairing bought: the share of the variance of the two arms' difference that "
        "running them on common random numbers removed (1 − var(arm − ref) / (var(arm) + "
        f"var(ref))), {was}now: every customer's own streams. *Shown at n* is the fewest "
        "first replications whose paired 95 % interval excludes zero on the claimed side "
        f"(— : none up to n = {measured['n']})."
    )
    return [
        head,
        "",
        "| comparison | metric | variance removed, before | now | shown at n, before | now |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


def pairing_summary(effects: dict[str, Any]) -> list[str]:
    """One line per lesson: the variance removed on the discounted profit of its headlines."""
    lines, before, after = [], [], []
    for name, measured in sorted(effects.items()):
        for r in measured["rows"]:
            if r["metric"] != "discounted_profit" or "pairing" not in r:
                continue
            lines.append(
                f"| `{name}` | `{r['comparison'].replace(' - ', '` − `')}` "
                f"| {_share(r.get('pairing_before'))} | {_share(r['pairing'])} "
                f"| {_count(r.get('smallest_n'))} |"
            )
            before.append(r.get("pairing_before", math.nan))
            after.append(r["pairing"])
    if not lines:
        return []

    def median(xs: list[float]) -> str:
        finite = [x for x in xs if isinstance(x, int | float) and math.isfinite(x)]
        return _share(statistics.median(finite)) if finite else "—"

    return [
        "## Pairing at a glance",
        "",
        "The variance of each headline's discounted-profit difference that common random "
        "numbers removed (see each lesson's second table), with one stream per subsystem "
        "shared by all customers (before) and with every customer's own streams (now); "
        f"median before {median(before)}, now {median(after)}.",
        "",
        "| lesson | comparison | variance removed, before | now | shown at n, now |",
        "|---|---|---|---|---|",
        *lines,
        "",
    ]


def markdown() -> str:
    """The generated block of ``docs/lessons.md``: one section per library scenario."""
    effects: dict[str, Any] = json.loads(EFFECTS.read_text(encoding="utf-8"))
    names = scenarios.names()
    order = ["baseline"] + [n for n in names if n != "baseline"]
    out: list[str] = pairing_summary(effects)
    for name in order:
        scenario = load_lesson(name)
        out += [f"## `{name}`", "", f"**{scenario.lesson}**", ""]
        if scenario.arms:
            arms = ", ".join(f"`{a}`" for a in scenario.arms)
            out += [f"Arms: {arms}; reference arm: `{scenario.reference_arm}`.", ""]
        for p in header_paragraphs(name):
            out += [p, ""]
        if scenario.see:
            out += [f"**What a learner should see.** {scenario.see}", ""]
        claims = _claims(scenario.headlines)
        if claims:
            out += [*claims, ""]
        if name in effects:
            out += [*_effects_table(scenario.headlines, effects[name]), ""]
            pairing = _pairing_table(scenario.headlines, effects[name])
            if pairing:
                out += [*pairing, ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")  # noqa: T201
