"""Regenerate the generated blocks of docs/: parameters, results, KPIs, lessons, the module map.

    python scripts/regen_docs.py

Only the text between ``<!-- BEGIN GENERATED -->`` and ``<!-- END GENERATED -->`` changes
(or, for a page with a second block, between the named markers
``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``); a test fails
whenever these blocks are out of date.
"""

from __future__ import annotations

from pathlib import Path

from sim.docgen import kpis as kpidoc
from sim.docgen import lessons as lessondoc
from sim.docgen import modules as moduledoc
from sim.docgen import parameters as paramdoc
from sim.results import schema

DOCS = Path(__file__).resolve().parents[1] / "docs"


def markers(block: str = "") -> tuple[str, str]:
    """The begin and end markers of the unnamed block, or of the block named ``block``."""
    tag = f"GENERATED: {block}" if block else "GENERATED"
    return f"<!-- BEGIN {tag} -->", f"<!-- END {tag} -->"


def replace_block(path: Path, body: str, block: str = "") -> None:
    """Put ``body`` between the markers of ``path`` (those named ``block`` if given)."""
    begin, end = markers(block)
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n\n{body.strip()}\n\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    replace_block(DOCS / "parameters.md", paramdoc.markdown())
    replace_block(DOCS / "results.md", schema.markdown())
    replace_block(DOCS / "results.md", kpidoc.markdown(), block="kpis")
    replace_block(DOCS / "lessons.md", lessondoc.markdown())
    replace_block(DOCS / "design.md", moduledoc.markdown())
