"""The KPI table of ``docs/results.md``, generated from the KPI catalogue.

Hand-kept KPI lists drift (one called the mean wait hours while the table holds days);
this one is :data:`sim.results.catalogue.KPIS` written out, one row per KPI in the order of
the ``summary`` table, so the page says what the code computes::

    python -m sim.docgen.kpis          # print the block
"""

from __future__ import annotations

from sim.results.catalogue import KPIS, Kpi

__all__ = ["markdown"]

_BETTER = {1: "higher", -1: "lower", 0: "neither"}


def _shown(kpi: Kpi) -> str:
    """Where the KPI appears besides the full run report."""
    places = [
        name for name, flag in (("comparisons", kpi.headline), ("`crmsim run`", kpi.short)) if flag
    ]
    return ", ".join(places)


def markdown() -> str:
    """The KPI catalogue as one Markdown table."""
    out = [
        "| metric | measure | unit | better | headline in | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for kpi in KPIS:
        cells = (f"`{kpi.name}`", kpi.label, kpi.unit, _BETTER[kpi.better], _shown(kpi),
                 kpi.description)  # fmt: skip
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover - ``python -m sim.docgen.kpis``
    print(markdown(), end="")  # noqa: T201 - the generator's output is its product
