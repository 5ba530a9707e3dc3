"""Counterfactuals: what a team's score would have been had it decided otherwise.

The picture is the post-match analysis on television: the same match replayed with one pass
played differently. Every team's world is the class's one world on its one seed (common
random numbers), so replaying a team's schedule with something changed changes *only* the
decisions: the same customers arrive, the same dice fall where the decisions do not reach,
and the difference in score is the decision's, not luck's.

For each team three kinds of alternative are played:

- ``baseline``: the scenario's own levers in every round, the team that never moved
  (:func:`sim.classroom.world.baseline_levers`);
- ``winner``: the winning team's schedule, round for round (for the winner, its own);
- ``revert``: the team's own schedule with **one** decision taken back. A decision is a
  lever whose value in round *r* differs from the round before (round 1 is compared with
  the baseline, where every team starts). Taking it back keeps the lever at its earlier
  value from round *r* up to the team's next change of that lever, and leaves every other
  decision as played: "had you not raised the price in round 2".

Plus ``actual``, the team's own schedule replayed, which reproduces the team's score exactly
(a test holds it to that): every difference in the table is measured from it. The revert
whose score moves furthest from the actual (largest ``|diff_from_actual|``) is the decision
that mattered most (:func:`most_mattered`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from sim.errors import ArgumentError
from sim.i18n import DEFAULT_LANG, catalogue
from sim.results.schema import Column

if TYPE_CHECKING:
    from sim.classroom.replays import Replays
    from sim.classroom.setup import ClassSetup

__all__ = [
    "ALTERNATIVES",
    "COUNTERFACTUAL_COLUMNS",
    "Change",
    "changes",
    "counterfactuals",
    "lever_name",
    "most_mattered",
    "reverted",
    "value_text",
    "winner_of",
]

#: The kinds of alternative, in the order a table lists them.
ALTERNATIVES = ("actual", "baseline", "winner", "revert")

#: Columns of :func:`counterfactuals`, one row per team and alternative.
COUNTERFACTUAL_COLUMNS = (
    Column("team", "str", "id", "the team whose schedule is replayed"),
    Column("alternative", "str", "name", "actual, baseline, winner or revert (see the module "
           "docstring)"),
    Column("description", "str", "text", "the alternative in plain words, in the debrief's "
           "language"),
    Column("round", "Int64", "round", "revert: the round of the decision taken back (1-based); "
           "empty for the other kinds"),
    Column("lever", "str", "dotted path", "revert: the lever of that decision; empty otherwise"),
    Column("played", "str", "value", "revert: the value the team chose; empty otherwise"),
    Column("instead", "str", "value", "revert: the value kept instead (the one before); "
           "empty otherwise"),
    Column("score", "float64", "score", "the alternative's score under the class's rule"),
    Column("profit", "float64", "money", "cumulative profit over the rounds played"),
    Column("retention", "float64", "share", "share of the launch cohort still a customer"),
    Column("clv", "float64", "money", "mean customer lifetime value over every customer "
           "acquired"),
    Column("diff_from_actual", "float64", "score", "score − the team's actual score (0 for "
           "actual; > 0: the alternative would have done better)"),
)  # fmt: skip


class Change(NamedTuple):
    """One decision: a lever a team moved at the start of a round."""

    round: int  #: 1-based round the new value took effect
    lever: str  #: dotted path
    before: Any  #: the value in force the round before (the baseline for round 1)
    after: Any  #: the value the team chose


def lever_name(path: str, lang: str = DEFAULT_LANG) -> str:
    """A lever's name in ``lang`` (the dashboard's words); its dotted path if it has none."""
    say = catalogue(lang)
    key = f"dash.lever.{path}"
    return say(key) if say.has(key) else path


def value_text(value: Any) -> str:
    """A lever value as a table shows it: numbers without trailing noise, text as it is."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{float(value):,.4g}" if not float(value).is_integer() else f"{int(value):,}"
    return str(value)


def changes(schedule: Sequence[Mapping[str, Any]], baseline: Mapping[str, Any]) -> list[Change]:
    """Every decision of a schedule: each lever that differs from the round before."""
    found = []
    before = dict(baseline)
    for k, levers in enumerate(schedule):
        now = {**before, **levers}
        for lever in sorted(now):
            if lever in before and now[lever] != before[lever]:
                found.append(Change(k + 1, lever, before[lever], now[lever]))
        before = now
    return found


def reverted(
    schedule: Sequence[Mapping[str, Any]], baseline: Mapping[str, Any], change: Change
) -> list[dict[str, Any]]:
    """``schedule`` with ``change`` taken back: the old value until the lever's next change."""
    out = [{**baseline, **levers} for levers in schedule]
    for k in range(change.round - 1, len(out)):
        if out[k][change.lever] != change.after:
            break  # the team's next change of this lever: kept as played
        out[k][change.lever] = change.before
    return out


def winner_of(scores: Mapping[str, float]) -> str | None:
    """The team with the best score (ties: the first listed); None for no teams."""
    best: str | None = None
    for team, value in scores.items():
        if best is None or value > scores[best]:
            best = team
    return best


def counterfactuals(
    setup: ClassSetup,
    schedules: Mapping[str, Sequence[Mapping[str, Any]]],
    names: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANG,
    replays: Replays | None = None,
) -> pd.DataFrame:
    """Every team's alternatives, replayed on the class's world (:data:`COUNTERFACTUAL_COLUMNS`).

    Args:
        setup: the class's world.
        schedules: each team's levers in force per round (:func:`sim.classroom.world.schedules`).
        names: team id → display name, for the winner's description (ids when None).
        lang: the language of the descriptions.
        replays: the cache of played schedules (a fresh one when None).

    Raises:
        ArgumentError: no teams, or schedules of different lengths.
    """
    from sim.classroom.replays import Replays
    from sim.classroom.world import baseline_levers

    if not schedules:
        raise ArgumentError("counterfactuals need at least one team's schedule")
    lengths = {len(s) for s in schedules.values()}
    if len(lengths) != 1:
        raise ArgumentError(f"every team's schedule must cover the same rounds, got {lengths}")
    cache = replays or Replays()
    say = catalogue(lang)
    shown = dict(names or {})
    base = baseline_levers(setup)
    rounds = lengths.pop()
    actual = {team: cache.outcome(setup, s) for team, s in schedules.items()}
    winner = winner_of({team: o.score for team, o in actual.items()})
    rows: list[dict[str, Any]] = []
    for team, schedule in schedules.items():
        own = actual[team]

        def add(kind: str, text: str, alt: Sequence[Mapping[str, Any]], change: Change | None,
                own: Any = own, team: str = team) -> None:  # fmt: skip
            out = cache.outcome(setup, alt)
            rows.append({
                "team": str(team), "alternative": kind, "description": text,
                "round": change.round if change else None,
                "lever": change.lever if change else None,
                "played": value_text(change.after) if change else None,
                "instead": value_text(change.before) if change else None,
                "score": out.score, "profit": out.kpis["profit"],
                "retention": out.kpis["retention"], "clv": out.kpis["mean_clv"],
                "diff_from_actual": out.score - own.score,
            })  # fmt: skip

        add("actual", say("debrief.alt.actual"), schedule, None)
        add("baseline", say("debrief.alt.baseline"), [base] * rounds, None)
        if winner is not None:
            who = shown.get(str(winner), str(winner))
            add("winner", say("debrief.alt.winner", team=who), schedules[winner], None)
        for change in changes(schedule, base):
            text = say(
                "debrief.alt.revert",
                round=change.round,
                lever=lever_name(change.lever, lang),
                played=value_text(change.after),
                instead=value_text(change.before),
            )
            add("revert", text, reverted(schedule, base, change), change)
    frame = pd.DataFrame(rows, columns=[c.name for c in COUNTERFACTUAL_COLUMNS])
    frame["round"] = frame["round"].astype("Int64")
    for name in ("team", "alternative", "description", "lever", "played", "instead"):
        frame[name] = frame[name].astype(object)
    return frame


def most_mattered(table: pd.DataFrame, team: str) -> pd.Series | None:
    """The revert row of ``team`` with the largest ``|diff_from_actual|``; None without one.

    Ties go to the earlier decision (the table's order: by round, then lever).
    """
    mine = table[(table["team"] == str(team)) & (table["alternative"] == "revert")]
    if mine.empty:
        return None
    size = mine["diff_from_actual"].abs().to_numpy(float)
    return mine.iloc[int(np.argmax(size))]
