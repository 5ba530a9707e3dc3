"""Regenerate the generated blocks of docs/parameters.md, docs/results.md and docs/lessons.md.

    python scripts/regen_docs.py

Only the text between ``<!-- BEGIN GENERATED -->`` and ``<!-- END GENERATED -->`` changes;
a test fails whenever these blocks are out of date.
"""

from __future__ import annotations

from pathlib import Path

from sim.docgen import lessons as lessondoc
from sim.docgen import parameters as paramdoc
from sim.results import schema

BEGIN = "<!-- BEGIN GENERATED -->"
END = "<!-- END GENERATED -->"
DOCS = Path(__file__).resolve().parents[1] / "docs"


def replace_block(path: Path, body: str) -> None:
    """Put ``body`` between the markers of ``path``."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n\n{body.strip()}\n\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    replace_block(DOCS / "parameters.md", paramdoc.markdown())
    replace_block(DOCS / "results.md", schema.markdown())
    replace_block(DOCS / "lessons.md", lessondoc.markdown())
