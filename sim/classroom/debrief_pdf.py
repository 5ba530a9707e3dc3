"""The debrief as a PDF: the same figures and tables as the page, one A4 sheet each.

Some rooms have a printer and no projector, and some trainers mail a file rather than a
link. The PDF is drawn by matplotlib's own PDF backend (:class:`PdfPages`), so it needs
nothing the project does not already install: each sheet is one figure of A4 size holding
the sheet's title, sentences, tables (``Axes.table``) and plots, drawn from the same
:mod:`sim.classroom.debrief_tables` and :mod:`sim.classroom.debrief_figures` as the HTML
page. The sheets are the class overview, luck versus skill (when it was played), then one
per team; a team's own PDF (``team=``) is the class overview and its own sheet
(:meth:`ClassDebrief.for_team`). The document's creation date is left out, so the same
debrief gives the same bytes.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.classroom import debrief_figures as figs
from sim.classroom import debrief_tables as tables
from sim.i18n import catalogue
from sim.report.fonts import cjk_fonts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.classroom.debrief import ClassDebrief

__all__ = ["A4", "DebriefPdf", "expected_pages", "render_debrief_pdf"]

#: Portrait A4 in inches.
A4 = (8.27, 11.69)

_WRAP_EN, _WRAP_ZH = 110, 55  # characters per line of a sentence
_STRESS = "#0072B2"  # headings and changed levers, as the page's own blue


class DebriefPdf(bytes):
    """The PDF's bytes, knowing how many pages :class:`PdfPages` wrote."""

    pages: int

    def __new__(cls, data: bytes, pages: int) -> DebriefPdf:
        """The bytes ``data`` of a PDF of ``pages`` pages."""
        made = super().__new__(cls, data)
        made.pages = pages
        return made


def expected_pages(debrief: ClassDebrief, team: str | None = None) -> int:
    """Sheets of the PDF: the class, luck versus skill when played, one per team.

    A team's own PDF: the class sheet and the team's (2).
    """
    if team is not None:
        return expected_pages(debrief.for_team(team))
    return 1 + (debrief.luck is not None) + len(debrief.teams)


class _Sheet:
    """One A4 page filled top to bottom: text lines, tables and plots in bands."""

    def __init__(self, lang: str) -> None:
        self.fig = Figure(figsize=A4)
        self.y = 0.96  # the next free height, in figure coordinates
        self.wrap = _WRAP_ZH if lang == "zh" else _WRAP_EN

    def text(self, words: str, size: float = 8.5, heading: bool = False) -> None:
        # Headings stand out by size and colour, not weight: Noto Sans CJK SC ships one
        # weight, and asking the font fallback for bold makes matplotlib warn on every line.
        colour = _STRESS if heading else "#1a1a1a"
        for line in textwrap.wrap(words, self.wrap) or [""]:
            self.fig.text(0.06, self.y, line, fontsize=size, color=colour, va="top")
            self.y -= size / 72 / A4[1] * 1.45

    def gap(self, height: float = 0.01) -> None:
        self.y -= height

    def table(self, table: tables.Table, size: float = 6.5) -> None:
        rows = len(table.rows) + 1
        height = min(rows * 0.018, max(self.y - 0.04, 0.02))
        ax: Axes = self.fig.add_axes((0.06, self.y - height, 0.88, height))
        ax.axis("off")
        if not table.rows:
            self.y -= height
            return
        cells = [[c.text for c in row] for row in table.rows]
        width = 16 if self.wrap == _WRAP_EN else 7  # Chinese: no spaces, wide glyphs
        head = ["\n".join(textwrap.wrap(h, width)) for h in table.head]
        drawn = ax.table(cellText=cells, colLabels=head, loc="upper center", cellLoc="right")
        drawn.auto_set_font_size(False)
        drawn.set_fontsize(size)
        for (r, c), cell in drawn.get_celld().items():
            if r == 0:
                cell.set_facecolor("#eef3f8")
                cell.set_height(cell.get_height() * 1.8)
            elif table.rows[r - 1][c].strong:
                cell.get_text().set_color(_STRESS)
            if r > 0 and not table.rows[r - 1][c].num:
                cell.get_text().set_horizontalalignment("left")
        self.y -= height + 0.035

    def plot(self, figure: Figure, height: float) -> None:
        """Draw ``figure`` as an image in a band ``height`` tall (rasterised at 150 dpi)."""
        figure.set_dpi(150)
        figure.canvas.draw()
        image = figure.canvas.buffer_rgba()  # type: ignore[attr-defined]
        ax: Axes = self.fig.add_axes((0.06, self.y - height, 0.88, height))
        ax.imshow(image, interpolation="antialiased")
        ax.axis("off")
        self.y -= height + 0.01


def _canvas(fig: Figure) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    return fig


def _class_sheet(d: ClassDebrief, sheet: _Sheet) -> None:
    say = catalogue(d.lang)
    sheet.text(say("debrief.title", name=d.class_name or d.header.name), 15, heading=True)
    sheet.text(d.header.lesson, 10)
    sheet.text(tables.meta_sentence(d))
    sheet.gap()
    sheet.text(say("debrief.takeaways"), 11, heading=True)
    if not d.header.translated:
        sheet.text(say("report.untranslated"))
    sheet.text(f"{say('dash.see')}: {d.header.see}")
    if d.header.description:
        sheet.text(d.header.description)
    sheet.gap()
    sheet.text(say("classroom.leaderboard"), 11, heading=True)
    sheet.table(tables.leaderboard_table(d))
    sheet.text(say("debrief.leaderboard_note"), 7.5)
    sheet.plot(_canvas(figs.leaderboard_figure(d)), min(0.3, max(sheet.y - 0.03, 0.1)))


def _luck_sheet(d: ClassDebrief, sheet: _Sheet) -> None:
    say = catalogue(d.lang)
    assert d.luck is not None
    sheet.text(say("debrief.luck", replicates=d.luck.replicates), 13, heading=True)
    sheet.text(say("debrief.luck_note"), 7.5)
    for line in tables.luck_sentences(d):
        sheet.text(line)
    sheet.gap()
    sheet.plot(_canvas(figs.variance_figure(d)), 0.17)
    sheet.table(tables.anova_table(d))
    sheet.text(say("debrief.luck_ranks"), 11, heading=True)
    sheet.table(tables.ranks_table(d))
    sheet.plot(_canvas(figs.ranks_figure(d)), min(0.3, max(sheet.y - 0.03, 0.1)))


def _team_sheet(d: ClassDebrief, index: int, sheet: _Sheet) -> None:
    say = catalogue(d.lang)
    team = d.teams[index]
    sheet.text(say("debrief.team_title", name=team.name), 14, heading=True)
    sheet.text(say("debrief.rounds"), 10.5, heading=True)
    sheet.text(say("debrief.rounds_note"), 7.5)
    sheet.table(tables.rounds_table(d, team))
    sheet.plot(_canvas(figs.rounds_figure(d, team)), 0.16)
    sheet.text(say("debrief.counterfactuals"), 10.5, heading=True)
    sheet.text(tables.mattered_sentence(d, team), 8, heading=True)
    sheet.table(tables.counterfactual_table(d, team))
    sheet.plot(_canvas(figs.counterfactual_figure(d, team)), 0.16)
    sheet.text(say("debrief.lost"), 10.5, heading=True)
    if team.lost.empty:
        sheet.text(say("dash.inspect.none_lost"))
        return
    sheet.table(tables.lost_table(d, team))
    for title, sentences in tables.story_sentences(d, team)[:3]:  # the page holds three
        if sheet.y < 0.08:
            break
        sheet.text(title, 8, heading=True)
        for line in sentences:
            sheet.text(line, 7)


def render_debrief_pdf(debrief: ClassDebrief, team: str | None = None) -> DebriefPdf:
    """The debrief as PDF bytes (:func:`expected_pages` sheets), in the debrief's language.

    Args:
        debrief: the class's debrief.
        team: a team's id for that team's sheets only; None for the whole class.

    Raises:
        ArgumentError: ``team`` is not a team of the debrief.
    """
    if team is not None:
        debrief = debrief.for_team(team)
    buf = io.BytesIO()
    with cjk_fonts(), PdfPages(buf, metadata={"CreationDate": None}) as pdf:
        builders: list[Callable[[_Sheet], None]] = [lambda s: _class_sheet(debrief, s)]
        if debrief.luck is not None:
            builders.append(lambda s: _luck_sheet(debrief, s))
        builders += [partial(_team_sheet, debrief, k) for k in range(len(debrief.teams))]
        for number, build in enumerate(builders, start=1):
            sheet = _Sheet(debrief.lang)
            build(sheet)
            sheet.fig.text(0.94, 0.02, catalogue(debrief.lang)("debrief.page", page=number,
                           pages=len(builders)), fontsize=7, ha="right")  # fmt: skip
            pdf.savefig(sheet.fig)
        pages = pdf.get_pagecount()
    return DebriefPdf(buf.getvalue(), pages)
