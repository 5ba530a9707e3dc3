"""The debrief's tables and sentences as text, in its language: one source for page and PDF.

A :class:`ClassDebrief` holds numbers; a reader needs words and formatted numbers. The
translation happens here once, into :class:`Table` (a heading row and rows of
:class:`Cell`) and plain sentences, so the HTML page (where the template escapes every
string) and the PDF (where matplotlib draws them) show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.classroom.counterfactual import lever_name, value_text
from sim.classroom.debrief_figures import money_text, rule_name, score_text, share_text
from sim.i18n import catalogue

if TYPE_CHECKING:
    from sim.classroom.debrief import ClassDebrief, TeamDebrief

__all__ = [
    "Cell",
    "Table",
    "anova_table",
    "counterfactual_table",
    "leaderboard_table",
    "lost_table",
    "luck_sentences",
    "mattered_sentence",
    "meta_sentence",
    "ranks_table",
    "rounds_table",
    "story_sentences",
]


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, whether it is a number (right-aligned), whether to stress it."""

    text: str
    num: bool = False
    strong: bool = False


@dataclass(frozen=True)
class Table:
    """A table as shown: its heading row and its rows of cells."""

    head: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as plain mappings of column name to value."""
    return list(frame.to_dict("records"))  # type: ignore[arg-type]


def _n(text: str, strong: bool = False) -> Cell:
    return Cell(text, num=True, strong=strong)


def meta_sentence(d: ClassDebrief) -> str:
    """What was played and how it was scored."""
    return catalogue(d.lang)(
        "debrief.meta", played=d.played, rounds=d.rounds, rule=rule_name(d.rule, d.lang)
    )


def leaderboard_table(d: ClassDebrief) -> Table:
    """The leaderboard: place, team, score, paired difference, profit, retention, CLV."""
    say = catalogue(d.lang)
    head = [
        say("classroom.col.rank"),
        say("classroom.word.team"),
        say("classroom.col.score"),
        say("classroom.col.median"),
        say("kpi.profit"),
        say("classroom.kpi.retention"),
        say("kpi.mean_clv"),
    ]
    rows = [
        [
            _n(str(r["rank"])),
            Cell(str(r["name"])),
            _n(score_text(d.rule, r["score"])),
            _n(score_text(d.rule, r["diff_from_median"], signed=True)),
            _n(money_text(r["profit"])),
            _n(share_text(r["retention"])),
            _n(money_text(r["clv"])),
        ]
        for r in _records(d.leaderboard)
    ]
    return Table(head, rows)


def rounds_table(d: ClassDebrief, team: TeamDebrief) -> Table:
    """A team's levers in force per round (changes stressed) and what each round brought."""
    say = catalogue(d.lang)
    head = [
        say("classroom.word.round"),
        *(lever_name(p, d.lang) for p in d.levers),
        say("money.revenue"),
        say("kpi.profit"),
        say("debrief.col.baseline_profit"),
        say("debrief.col.median_profit"),
        say("classroom.kpi.churned"),
        say("debrief.col.active_end"),
    ]
    rows = []
    for k, r in enumerate(team.rounds.to_dict("records")):
        levers = [_n(value_text(r[p]), strong=bool(team.changed[p].iloc[k])) for p in d.levers]
        rows.append(
            [
                _n(str(r["round"])),
                *levers,
                _n(money_text(r["revenue"])),
                _n(money_text(r["profit"])),
                _n(money_text(r["baseline_profit"])),
                _n(money_text(r["median_profit"])),
                _n(f"{int(r['churned']):,}"),
                _n(f"{int(r['active_end']):,}"),
            ]
        )
    return Table(head, rows)


def counterfactual_table(d: ClassDebrief, team: TeamDebrief) -> Table:
    """A team's alternatives: what, score, profit, retention, CLV, difference from actual."""
    say = catalogue(d.lang)
    head = [
        say("debrief.col.alternative"),
        say("classroom.col.score"),
        say("kpi.profit"),
        say("classroom.kpi.retention"),
        say("kpi.mean_clv"),
        say("debrief.col.diff"),
    ]
    rows = [
        [
            Cell(str(r["description"]), strong=r["alternative"] == "actual"),
            _n(score_text(d.rule, r["score"])),
            _n(money_text(r["profit"])),
            _n(share_text(r["retention"])),
            _n(money_text(r["clv"])),
            _n(score_text(d.rule, r["diff_from_actual"], signed=True)),
        ]
        for r in _records(team.counterfactuals)
    ]
    return Table(head, rows)


def mattered_sentence(d: ClassDebrief, team: TeamDebrief) -> str:
    """The decision that mattered most, in a sentence."""
    say = catalogue(d.lang)
    row = team.mattered
    if row is None:
        return say("debrief.mattered_none")
    what = say(
        "debrief.alt.revert",
        round=int(row["round"]),
        lever=lever_name(row["lever"], d.lang),
        played=row["played"],
        instead=row["instead"],
    )
    return say(
        "debrief.mattered",
        what=what,
        score=score_text(d.rule, float(row["score"])),
        diff=score_text(d.rule, float(row["diff_from_actual"]), signed=True),
    )


def luck_sentences(d: ClassDebrief) -> list[str]:
    """How often the winner stays the winner, and the shares of the score variance."""
    say = catalogue(d.lang)
    luck = d.luck
    if luck is None:
        return []
    share = dict(zip(luck.anova["source"], luck.anova["share"], strict=True))
    out = []
    if luck.winner is not None:
        out.append(
            say(
                "debrief.luck_winner",
                team=d.name_of(luck.winner),
                share=share_text(luck.winner_stays),
            )
        )
    out.append(
        say(
            "debrief.luck_shares",
            skill=share_text(share["decisions"]),
            world=share_text(share["world"]),
            fit=share_text(share["interaction"]),
        )
    )
    return out


def ranks_table(d: ClassDebrief) -> Table:
    """Each team's share of the other worlds at each place."""
    say = catalogue(d.lang)
    luck = d.luck
    assert luck is not None
    places = sorted(int(p) for p in luck.ranks["rank"].unique())
    head = [say("classroom.word.team"), *(say("debrief.place", rank=p) for p in places)]
    share = {(str(t), int(p)): float(v) for t, p, v in luck.ranks[["team", "rank", "share"]].values}
    rows = [
        [Cell(d.name_of(t)), *(_n(share_text(share[t, p])) for p in places)]
        for t in (str(x) for x in d.leaderboard["team"])
    ]
    return Table(head, rows)


def anova_table(d: ClassDebrief) -> Table:
    """The variance decomposition: source, share, sum of squares, df, F, p."""
    say = catalogue(d.lang)
    luck = d.luck
    assert luck is not None
    head = [
        say("debrief.col.source"),
        say("debrief.col.share"),
        say("debrief.col.sum_sq"),
        say("debrief.col.df"),
        say("debrief.col.f"),
        say("debrief.col.p"),
    ]
    label = {s: say(f"debrief.source.{s}") for s in ("decisions", "world", "interaction")}
    label["total"] = say("report.run.total")
    rows = [
        [
            Cell(label[r["source"]], strong=r["source"] == "decisions"),
            _n(share_text(r["share"])),
            _n(f"{r['sum_sq']:,.4g}"),
            _n(str(r["df"])),
            _n("–" if r["f"] != r["f"] else f"{r['f']:.2f}"),
            _n("–" if r["p_value"] != r["p_value"] else f"{r['p_value']:.3f}"),
        ]
        for r in _records(luck.anova)
    ]
    return Table(head, rows)


def lost_table(d: ClassDebrief, team: TeamDebrief) -> Table:
    """The key customers a team lost: who, through which channel, when, why, worth."""
    say = catalogue(d.lang)
    head = [
        say("dash.col.customer"),
        say("word.segment"),
        say("dash.story.channel"),
        say("dash.story.churned_at"),
        say("word.reason"),
        say("debrief.col.clv"),
    ]
    rows = [
        [
            _n(str(r["customer_id"])),
            Cell(str(r["segment"])),
            Cell(say(f"channel.{r['channel']}")),
            _n(f"{r['churned']:,.0f}"),
            Cell(say(f"churn.{r['churn_reason']}")),
            _n(money_text(r["clv"])),
        ]
        for r in _records(team.lost)
    ]
    return Table(head, rows)


def story_sentences(d: ClassDebrief, team: TeamDebrief) -> list[tuple[str, list[str]]]:
    """Each lost key customer's why-trail: a title and the story's sentences."""
    say = catalogue(d.lang)
    return [
        (say("dash.story.title", customer=s.customer_id), s.sentences(d.lang)) for s in team.stories
    ]
