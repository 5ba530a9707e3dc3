"""Every tutorial notebook runs end to end, in its short mode.

Notebooks read ``SMALL`` in their first code cell; the test sets ``SMALL = True`` there (or
prepends a cell that does) so each runs in seconds. Any notebook added to ``notebooks/``
is picked up automatically.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
_SMALL = re.compile(r"^SMALL\s*=.*$", re.MULTILINE)


def shrink(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Set ``SMALL = True`` in the first code cell, or prepend a cell that does."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and _SMALL.search(code[0].source):
        code[0].source = _SMALL.sub("SMALL = True", code[0].source)
    else:
        nb.cells.insert(0, nbformat.v4.new_code_cell("SMALL = True"))
    return nb


def test_shrink_replaces_or_prepends() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("SMALL = False")]
    )
    assert shrink(nb).cells[1].source == "SMALL = True"
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert [c.source for c in shrink(other).cells] == ["SMALL = True", "x = 1"]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    nb = shrink(nbformat.read(path, as_version=4))
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
