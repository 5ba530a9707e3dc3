"""Fonts: Chinese text on every figure, from a font that ships with a Python package.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a title in Chinese would be
drawn as empty boxes and a "Glyph … missing" warning. The ``mplfonts`` package installs
Noto Sans CJK SC with the project's other dependencies, so no figure ever needs a download
or a system font. Since matplotlib 3.6 a list in ``font.family`` falls back glyph by glyph:
Latin letters and digits keep the current font (figures in English look exactly as before)
and only the characters it lacks come from Noto Sans CJK SC.

:func:`register` adds the font file to matplotlib's font manager once per process;
:func:`cjk_fonts` is an rc context for drawing and saving one figure; :func:`use_fonts`
sets the fallback for the whole process (for a notebook or a long-running dashboard). Text
objects read their font when they are created, so a figure must be built *and* saved
inside the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import matplotlib as mpl
from matplotlib import font_manager

__all__ = ["CJK_FAMILY", "cjk_fonts", "font_path", "font_rc", "register", "use_fonts"]

#: The family name matplotlib reads from the font file.
CJK_FAMILY = "Noto Sans CJK SC"

#: The font file inside the installed ``mplfonts`` package.
_FILE = "NotoSansCJKsc-Regular.otf"


def font_path() -> str:
    """The path of Noto Sans CJK SC inside the installed ``mplfonts`` package."""
    return str(resources.files("mplfonts") / "fonts" / _FILE)


@cache
def register() -> str:
    """Add Noto Sans CJK SC to matplotlib's font manager (once per process); its family."""
    font_manager.fontManager.addfont(font_path())
    return CJK_FAMILY


def font_rc() -> dict[Any, Any]:
    """Rc settings that keep the current fonts and take missing glyphs from the CJK font."""
    family = [str(f) for f in mpl.rcParams["font.family"] if f != CJK_FAMILY]
    return {"font.family": [*family, register()]}


@contextmanager
def cjk_fonts() -> Iterator[None]:
    """Inside this context, figures draw Chinese text with Noto Sans CJK SC."""
    with mpl.rc_context(font_rc()):
        yield


def use_fonts() -> None:
    """Set the CJK fallback for the whole process; calling it again changes nothing."""
    mpl.rcParams.update(font_rc())
