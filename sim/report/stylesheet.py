"""Stylesheet: the one look of every HTML page the project writes.

Run reports, comparisons, the side-by-side arms page, sweep analyses and calibration pages
are read side by side in a class, so they share their type, tables, figures and notes;
a page adds only the rules of its own elements (a reference column, a verdict's colour).
"""

from __future__ import annotations

__all__ = ["page_css"]

_BASE = """
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:{width};
margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}}
h1{{margin-bottom:.2rem}}
h2{{border-bottom:2px solid #0072B2;padding-bottom:.2rem;margin-top:2.2rem}}
.lesson{{font-size:1.15rem;font-style:italic;margin-top:0}}
table{{border-collapse:collapse;margin:.6rem 0}}th,td{{border:1px solid #bbb;padding:.25rem .6rem}}
th{{background:#eef3f8;text-align:left;vertical-align:top}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}}
figure{{margin:1.6rem 0}}figure img{{max-width:100%;border:1px solid #ddd}}
figcaption{{font-size:1rem;margin-top:.3rem}}figcaption a{{font-size:.85rem}}
.note,.muted{{color:#555;font-size:.9rem}}code{{background:#f3f3f3;padding:0 .2rem}}
.good{{color:#1a7f37}}.bad{{color:#b42318}}
details{{margin:1rem 0}}summary{{cursor:pointer;font-weight:600}}
@media print{{figure{{break-inside:avoid}}}}
"""


def page_css(width: str = "62rem", extra: str = "") -> str:
    """The house stylesheet for a page ``width`` wide, with the page's own rules after it."""
    return _BASE.format(width=width) + extra
