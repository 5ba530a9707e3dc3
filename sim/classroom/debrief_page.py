"""The debrief as one printable HTML page: a sheet for the class, then a sheet per team.

The trainer projects the class sheet, then hands each team its own sheet (printed, or the
page opened at the team's anchor). A team's own page (``team=``) is the class sheet's
leaderboard and takeaways and that team's sheet alone (:meth:`ClassDebrief.for_team`). The
page needs no other file: figures are embedded as PNG, the stylesheet is the house one
(:func:`sim.report.stylesheet.page_css`) with a page break before every sheet when printed.

Team names, lesson texts and customer segments are user input, so the page is rendered by
Jinja2 with autoescaping on, from templates kept as package data
(``sim/classroom/templates/debrief*.html``): no value reaches the page unescaped, and the
only markup the page module makes itself is the base64 of its own PNGs.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from sim.classroom import debrief_figures as figs
from sim.classroom import debrief_tables as tables
from sim.i18n import catalogue
from sim.report.fonts import cjk_fonts
from sim.report.stylesheet import page_css

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.classroom.debrief import ClassDebrief

__all__ = ["PAGE_CSS", "render_debrief_html"]

_DPI = 110

#: The page's own rules after the house stylesheet: a sheet per printed page.
PAGE_CSS = page_css(
    extra=(
        "section.sheet+section.sheet{break-before:page;margin-top:3rem}"
        ".story h3{margin-bottom:.2rem}.story ul{margin-top:.2rem}"
        "td strong{color:#0072B2}"
        "@media print{body{margin:0;max-width:none}section.sheet+section.sheet{margin-top:0}"
        "table{font-size:.8rem}}"
    )
)

#: The catalogue keys the templates show as they are, by the name the templates use.
_LABELS = {
    "takeaways": "debrief.takeaways",
    "see": "dash.see",
    "leaderboard": "classroom.leaderboard",
    "leaderboard_note": "debrief.leaderboard_note",
    "luck_note": "debrief.luck_note",
    "luck_ranks": "debrief.luck_ranks",
    "rounds": "debrief.rounds",
    "rounds_note": "debrief.rounds_note",
    "counterfactuals": "debrief.counterfactuals",
    "counterfactuals_note": "debrief.counterfactuals_note",
    "lost": "debrief.lost",
    "none_lost": "dash.inspect.none_lost",
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sim.classroom", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def _png(fig: Figure) -> str:
    """A figure as a ``data:`` URI of its PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _context(d: ClassDebrief) -> dict[str, Any]:
    say = catalogue(d.lang)
    header = d.header
    with cjk_fonts():  # figures are built and saved inside: Chinese glyphs and team names
        class_figures = {"leaderboard": _png(figs.leaderboard_figure(d))}
        if d.luck is not None:
            class_figures["ranks"] = _png(figs.ranks_figure(d))
            class_figures["variance"] = _png(figs.variance_figure(d))
        teams = [
            {
                "anchor": team.team,
                "title": say("debrief.team_title", name=team.name),
                "rounds": tables.rounds_table(d, team),
                "counterfactuals": tables.counterfactual_table(d, team),
                "mattered": tables.mattered_sentence(d, team),
                "lost": tables.lost_table(d, team),
                "stories": tables.story_sentences(d, team),
                "figures": {
                    "rounds": _png(figs.rounds_figure(d, team)),
                    "counterfactuals": _png(figs.counterfactual_figure(d, team)),
                },
            }
            for team in d.teams
        ]
    luck = None
    if d.luck is not None:
        luck = {
            "title": say("debrief.luck", replicates=d.luck.replicates),
            "sentences": tables.luck_sentences(d),
            "anova": tables.anova_table(d),
            "ranks": tables.ranks_table(d),
        }
    return {
        "html_lang": "zh-Hans" if d.lang == "zh" else d.lang,
        "title": say("debrief.title", name=d.class_name or header.name),
        # The house stylesheet is the module's own constant, never input: marked safe so
        # its quotes reach the <style> element as quotes.
        "css": Markup(PAGE_CSS),
        "meta": tables.meta_sentence(d),
        "header": header,
        "untranslated": "" if header.translated else say("report.untranslated"),
        "labels": {name: say(key) for name, key in _LABELS.items()},
        "leaderboard": tables.leaderboard_table(d),
        "figures": class_figures,
        "luck": luck,
        "teams": teams,
    }


def render_debrief_html(debrief: ClassDebrief, team: str | None = None) -> str:
    """The debrief as one self-contained HTML page, in the debrief's language.

    Args:
        debrief: the class's debrief.
        team: a team's id for that team's pages only; None for the whole class.

    Raises:
        ArgumentError: ``team`` is not a team of the debrief.
    """
    shown = debrief if team is None else debrief.for_team(team)
    return _environment().get_template("debrief.html").render(**_context(shown))
