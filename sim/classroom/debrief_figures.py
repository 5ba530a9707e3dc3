"""The debrief's figures and number formats, shared by its HTML page and its PDF.

Both renderings show the same five pictures — the leaderboard against the class median, a
team's profit round by round against a team that never moved and the class median, what
each counterfactual would have changed, the places each team took in the other worlds, and
where the variance of the scores comes from — so they are drawn once, here, on
:func:`sim.report.canvas.new_figure` with the report's print-safe palette. Every word comes
from the catalogue in the debrief's language; a figure must be drawn inside
:func:`sim.report.fonts.cjk_fonts` for Chinese text (and Chinese team names) to show.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.i18n import catalogue
from sim.report.canvas import new_figure
from sim.report.palette import COLOURS, HATCHES, LINESTYLES, MARKERS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.classroom.debrief import ClassDebrief, TeamDebrief

__all__ = [
    "FIGURE_SIZE",
    "counterfactual_figure",
    "leaderboard_figure",
    "money_text",
    "ranks_figure",
    "rounds_figure",
    "rule_name",
    "score_text",
    "share_text",
    "variance_figure",
]

#: Size of every debrief figure in inches: half an A4 page wide enough for two panels.
FIGURE_SIZE = (7.2, 3.2)

#: The catalogue key naming each scoring rule (words the classroom and KPI pages have).
_RULE_KEYS = {
    "profit": "kpi.profit",
    "discounted_profit": "kpi.discounted_profit",
    "retention": "classroom.kpi.retention",
    "clv": "kpi.mean_clv",
    "mix": "classroom.rule.mix",
}


def rule_name(rule: str, lang: str) -> str:
    """A scoring rule's name in ``lang``."""
    key = _RULE_KEYS.get(rule)
    return catalogue(lang)(key) if key else rule


def _nan(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score_text(rule: str, value: float, signed: bool = False) -> str:
    """A score as the tables show it: a share in percent, a mix to 3 decimals, money whole."""
    if _nan(value):
        return "–"
    sign = "+" if signed else ""
    if rule == "retention":
        return f"{value * 100:{sign}.1f} %" if not signed else f"{value * 100:+.1f} pp"
    if rule == "mix":
        return f"{value:{sign}.3f}"
    return f"{value:{sign},.0f}"


def money_text(value: float) -> str:
    """Money, whole, with thousands separators."""
    return "–" if _nan(value) else f"{value:,.0f}"


def share_text(value: float) -> str:
    """A share in percent, one decimal."""
    return "–" if _nan(value) else f"{value * 100:.1f} %"


def _bars(ax: object, labels: list[str], values: np.ndarray) -> None:
    """Horizontal bars, gains one colour and hatch, losses another (print-safe)."""
    y = np.arange(len(labels))
    good = values >= 0
    for mask, k in ((good, 0), (~good, 1)):
        ax.barh(y[mask], values[mask], color=COLOURS[k], hatch=HATCHES[k],  # type: ignore[attr-defined]
                edgecolor="#333333", linewidth=0.5)  # fmt: skip
    ax.set_yticks(y, labels)  # type: ignore[attr-defined]
    ax.invert_yaxis()  # type: ignore[attr-defined]
    ax.axvline(0, color="#333333", linewidth=0.8)  # type: ignore[attr-defined]


def leaderboard_figure(debrief: ClassDebrief) -> Figure:
    """Each team's paired difference from the class median, best first."""
    say = catalogue(debrief.lang)
    fig = new_figure((FIGURE_SIZE[0], max(2.2, 0.9 + 0.28 * len(debrief.leaderboard))),
                     say("debrief.fig.leaderboard"))  # fmt: skip
    ax = fig.add_subplot()
    board = debrief.leaderboard
    _bars(ax, [str(n) for n in board["name"]], board["diff_from_median"].to_numpy(float))
    ax.set_xlabel(say("debrief.axis.score_diff"))
    return fig


def rounds_figure(debrief: ClassDebrief, team: TeamDebrief) -> Figure:
    """A team's profit per round, against a team that never moved and the class median."""
    say = catalogue(debrief.lang)
    fig = new_figure(FIGURE_SIZE, say("debrief.fig.rounds"))
    ax = fig.add_subplot()
    rounds = team.rounds["round"].to_numpy(np.int64)
    series = (
        (team.name, team.rounds["profit"]),
        (say("debrief.col.baseline_profit"), team.rounds["baseline_profit"]),
        (say("debrief.col.median_profit"), team.rounds["median_profit"]),
    )
    for k, (label, values) in enumerate(series):
        ax.plot(rounds, values.to_numpy(float), color=COLOURS[k], linestyle=LINESTYLES[k],
                marker=MARKERS[k], label=label)  # fmt: skip
    ax.set_xticks(rounds)
    ax.set_xlabel(say("classroom.word.round"))
    ax.set_ylabel(say("kpi.profit"))
    ax.legend(fontsize="small")
    return fig


def counterfactual_figure(debrief: ClassDebrief, team: TeamDebrief) -> Figure:
    """What each alternative would have changed in the team's score."""
    say = catalogue(debrief.lang)
    rows = team.counterfactuals[team.counterfactuals["alternative"] != "actual"]
    fig = new_figure((FIGURE_SIZE[0], max(2.2, 0.9 + 0.3 * len(rows))),
                     say("debrief.fig.counterfactuals"))  # fmt: skip
    ax = fig.add_subplot()
    labels = [_short(str(d)) for d in rows["description"]]
    _bars(ax, labels, rows["diff_from_actual"].to_numpy(float))
    ax.set_xlabel(say("debrief.col.diff"))
    ax.tick_params(axis="y", labelsize="small")
    return fig


def _short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def ranks_figure(debrief: ClassDebrief) -> Figure:
    """How often each team took each place in the other worlds (stacked shares)."""
    say = catalogue(debrief.lang)
    luck = debrief.luck
    assert luck is not None
    fig = new_figure((FIGURE_SIZE[0], max(2.2, 0.9 + 0.28 * len(debrief.leaderboard))),
                     say("debrief.fig.ranks"))  # fmt: skip
    ax = fig.add_subplot()
    teams = [str(t) for t in debrief.leaderboard["team"]]
    wide = luck.ranks.pivot(index="team", columns="rank", values="share").reindex(teams)
    left = np.zeros(len(teams))
    y = np.arange(len(teams))
    for k, place in enumerate(wide.columns):
        share = wide[place].to_numpy(float)
        ax.barh(y, share, left=left, color=COLOURS[k % len(COLOURS)],
                hatch=HATCHES[k % len(HATCHES)], edgecolor="#333333", linewidth=0.5,
                label=say("debrief.place", rank=int(place)))  # fmt: skip
        left += share
    ax.set_yticks(y, [debrief.name_of(t) for t in teams])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(say("debrief.axis.share_worlds"))
    ax.legend(fontsize="x-small", ncols=min(len(wide.columns), 6), loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False)  # fmt: skip
    return fig


def variance_figure(debrief: ClassDebrief) -> Figure:
    """The shares of the score variance: decisions, the world drawn, their interaction."""
    say = catalogue(debrief.lang)
    luck = debrief.luck
    assert luck is not None
    fig = new_figure((FIGURE_SIZE[0], 2.4), say("debrief.fig.variance"))
    ax = fig.add_subplot()
    parts = luck.anova[luck.anova["source"] != "total"]
    left = 0.0
    for k, (source, share) in enumerate(zip(parts["source"], parts["share"], strict=True)):
        width = 0.0 if _nan(float(share)) else float(share)
        ax.barh([0], [width], left=left, color=COLOURS[k], hatch=HATCHES[k],
                edgecolor="#333333", linewidth=0.5,
                label=f"{say(f'debrief.source.{source}')}: {share_text(float(share))}")  # fmt: skip
        left += width
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=1,
              frameon=False)  # fmt: skip
    return fig
