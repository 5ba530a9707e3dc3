"""The module map of ``docs/design.md``, generated from the modules' own docstrings.

A hand-kept map drifted with every move; this one is each module's first docstring line,
package by package, in the order dependencies run (lowest first). The source is read with
:mod:`ast`, never imported, so the map costs nothing and cannot run code::

    python -m sim.docgen.modules          # print the block
"""

from __future__ import annotations

import ast
from pathlib import Path

__all__ = ["PACKAGES", "markdown", "summary"]

ROOT = Path(__file__).resolve().parents[2]

#: Packages in the order dependencies run: each imports only those above it (and itself).
PACKAGES: tuple[tuple[str, str], ...] = (
    ("agents", "behaviour: rules, reactions, the firm's policies; never imports sim"),
    ("sim", "the root: the face, engine choice, seed streams, user errors"),
    ("sim/i18n", "the message catalogue: every label a reader sees, in English and Chinese"),
    ("sim/scenario", "input: the scenario spec, loading, overrides, diagnosis, scaling"),
    ("sim/results", "the documented tables, their schema, the books and the KPIs"),
    ("sim/agent_engine", "the reference engine: Mesa agents on a SimPy clock"),
    ("sim/vector_engine", "the engine for volume: numpy columns, the desk, stacks"),
    ("sim/calibration", "the textbook models fitted to data: an oracle the engines never import"),
    ("sim/experiments", "replications, comparisons, executors, statistics"),
    ("sim/experiments/sweep", "parameter sweeps: specs, designs, the resumable store, analysis"),
    ("sim/report", "derived tables, figures and HTML pages"),
    ("sim/dashboard", "the live dashboard: a Solara app over a run stepped period by period"),
    ("sim/classroom", "classroom mode: the store, the class worlds, the server, the debrief"),
    ("sim/docgen", "generators of docs/*.md"),
    ("sim/cli", "the crmsim command"),
)


def summary(path: Path) -> str:
    """The first line of the module docstring of ``path`` (empty if it has none)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def markdown() -> str:
    """The module map as Markdown tables, one per package."""
    out: list[str] = []
    for package, role in PACKAGES:
        folder = ROOT / package
        out += [f"**`{package}/`** — {role}", "", "| module | what it is |", "|---|---|"]
        for path in sorted(folder.glob("*.py")):
            text = summary(path).replace("|", "\\|")
            out.append(f"| `{package}/{path.name}` | {text} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - ``python -m sim.docgen.modules``
    print(markdown(), end="")  # noqa: T201 - the generator's output is its product
