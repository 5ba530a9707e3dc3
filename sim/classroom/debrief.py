"""The debrief: what a finished class learns from its own play, assembled in one structure.

The picture is the hour after a business game, when the trainer puts the scoreboard up and
asks each team "what would you do differently?". A good answer needs more than the ranking,
and everything it needs is assembled here, once, for the page and the PDF to lay out:

- the **leaderboard**, with each team's paired difference from the class median (every
  team faced the same world, so the difference is the decisions');
- per team, its **decisions round by round** against what each round brought;
- per team, the **counterfactuals** (:mod:`sim.classroom.counterfactual`): the same world
  with the baseline's levers, the winner's, or one of its own decisions taken back;
- **luck versus skill** (:mod:`sim.classroom.luck`): the same decisions in other worlds of
  the class's family;
- per team, the **key customers it lost and why** (the dashboard's stories:
  :meth:`sim.dashboard.live.LiveRun.lost_key_accounts` and :meth:`~LiveRun.story`);
- the **lesson's takeaways**, from the scenario header in the debrief's language.

Every world the debrief plays is listed first (:func:`questions`) and answered in one batch
(:meth:`sim.classroom.replays.Replays.fill`), so the back office can hand the batch to
worker processes and show how far it has come; the assembly then only reads the answers.
A team handed its own pages sees :meth:`ClassDebrief.for_team`: the public leaderboard and
its own part, nothing of another team's decisions or alternatives.

Nothing here draws or writes: :mod:`sim.classroom.debrief_page` renders the HTML and
:mod:`sim.classroom.debrief_pdf` the PDF, both from a :class:`ClassDebrief`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.classroom.counterfactual import (
    changes,
    counterfactuals,
    most_mattered,
    reverted,
    winner_of,
)
from sim.classroom.luck import DEFAULT_REPLICATES, Luck, luck_versus_skill
from sim.classroom.replays import Mapper, Progress, Question, Replays
from sim.errors import ArgumentError
from sim.i18n import DEFAULT_LANG, catalogue, check_lang
from sim.results.schema import Column
from sim.scenario.header import LessonHeader, lesson_header

if TYPE_CHECKING:
    from sim.classroom.setup import ClassSetup
    from sim.classroom.store import ClassStore
    from sim.dashboard.story import Story

__all__ = [
    "LEADERBOARD_COLUMNS",
    "LOST_COUNT",
    "ROUND_COLUMNS",
    "ClassDebrief",
    "TeamDebrief",
    "class_debrief",
    "debrief_from_store",
    "questions",
]

#: Key customers listed per team.
LOST_COUNT = 5

#: Columns of :attr:`ClassDebrief.leaderboard`, one row per team, best first.
LEADERBOARD_COLUMNS = (
    Column("rank", "int64", "place", "1 = best; ties share the best place"),
    Column("team", "str", "id", "the team's id in the class"),
    Column("name", "str", "text", "the team's display name"),
    Column("score", "float64", "score", "the team's score under the class's rule"),
    Column("diff_from_median", "float64", "score", "score − the class's median score, both in "
           "the class's one world (a paired difference)"),
    Column("profit", "float64", "money", "cumulative profit over the rounds played"),
    Column("retention", "float64", "share", "share of the launch cohort still a customer"),
    Column("clv", "float64", "money", "mean customer lifetime value over every customer "
           "acquired"),
)  # fmt: skip

#: Columns of :attr:`TeamDebrief.rounds`, one row per round played (then one per open lever,
#: named by its dotted path, holding the value in force that round).
ROUND_COLUMNS = (
    Column("round", "int64", "round", "1-based round"),
    Column("revenue", "float64", "money", "revenue in the round"),
    Column("profit", "float64", "money", "profit in the round"),
    Column("baseline_profit", "float64", "money", "profit in the round of a team that never "
           "moved (the scenario's levers every round), in the same world"),
    Column("median_profit", "float64", "money", "the class's median profit in the round"),
    Column("churned", "int64", "customers", "churn events in the round"),
    Column("active_end", "int64", "customers", "active customers at the round's end"),
)  # fmt: skip


@dataclass(frozen=True)
class TeamDebrief:
    """One team's part of the debrief.

    Attributes:
        team: the team's id.
        name: its display name.
        rounds: round by round (:data:`ROUND_COLUMNS`, then the levers in force).
        changed: the same shape as the lever columns of ``rounds``: True where the team
            changed the lever from the round before (round 1: from the baseline).
        counterfactuals: the team's rows of :attr:`ClassDebrief.counterfactuals`.
        mattered: the revert row with the largest ``|diff_from_actual|`` (None: no change).
        lost: the most valuable customers lost (:func:`sim.dashboard.story.lost` columns).
        stories: the story of each of them, in ``lost``'s order.
    """

    team: str
    name: str
    rounds: pd.DataFrame
    changed: pd.DataFrame
    counterfactuals: pd.DataFrame
    mattered: pd.Series | None
    lost: pd.DataFrame
    stories: tuple[Story, ...]


@dataclass(frozen=True)
class ClassDebrief:
    """A whole class's debrief, in one language.

    Attributes:
        class_name: the class's display name.
        lang: the language of every text here (``"en"`` or ``"zh"``).
        header: the lesson's header in ``lang`` (English, flagged, when untranslated).
        rule: the scoring rule's name (``profit``, ``mix`` …).
        rounds: rounds in the class; ``played``: rounds played so far.
        levers: the open levers' dotted paths, in the class's order.
        leaderboard: :data:`LEADERBOARD_COLUMNS`.
        counterfactuals: every team's alternatives
            (:data:`sim.classroom.counterfactual.COUNTERFACTUAL_COLUMNS`).
        luck: luck versus skill (None when it was not asked for: ``replicates=0``).
        teams: each team's part, in leaderboard order.
    """

    class_name: str
    lang: str
    header: LessonHeader
    rule: str
    rounds: int
    played: int
    levers: tuple[str, ...]
    leaderboard: pd.DataFrame
    counterfactuals: pd.DataFrame
    luck: Luck | None
    teams: tuple[TeamDebrief, ...]

    @property
    def winner(self) -> str | None:
        """The winning team's id (None without teams)."""
        return None if self.leaderboard.empty else str(self.leaderboard["team"].iloc[0])

    def name_of(self, team: str) -> str:
        """A team's display name."""
        hit = self.leaderboard[self.leaderboard["team"] == str(team)]
        return str(hit["name"].iloc[0]) if len(hit) else str(team)

    def for_team(self, team: str) -> ClassDebrief:
        """What one team is handed: the public leaderboard and its own part, no other's.

        Its alternatives keep the winner's schedule but not the winner's name (the row says
        "the winning team's decisions"), and luck versus skill, which lists every team's
        places in the other worlds, is left out.

        Raises:
            ArgumentError: ``team`` is not a team of this debrief.
        """
        mine = [t for t in self.teams if t.team == str(team)]
        if not mine:
            known = ", ".join(t.team for t in self.teams)
            raise ArgumentError(f"team {team!r:.40} is not in this debrief (teams: {known})")
        unnamed = catalogue(self.lang)("debrief.alt.winner_unnamed")

        def anonymous(table: pd.DataFrame) -> pd.DataFrame:
            out = table[table["team"] == str(team)].reset_index(drop=True)
            out.loc[out["alternative"] == "winner", "description"] = unnamed
            return out

        part = replace(mine[0], counterfactuals=anonymous(mine[0].counterfactuals))
        return replace(
            self, counterfactuals=anonymous(self.counterfactuals), luck=None, teams=(part,)
        )


def _leaderboard(
    setup: ClassSetup, replays: Replays, schedules: Mapping[str, Sequence[Mapping[str, Any]]],
    names: Mapping[str, str],
) -> pd.DataFrame:  # fmt: skip
    outcomes = {team: replays.outcome(setup, s) for team, s in schedules.items()}
    scores = {team: o.score for team, o in outcomes.items()}
    median = float(np.median(list(scores.values())))
    rows = [
        {
            "rank": 1 + sum(v > scores[team] for v in scores.values()),
            "team": team,
            "name": names.get(team, team),
            "score": scores[team],
            "diff_from_median": scores[team] - median,
            "profit": outcomes[team].kpis["profit"],
            "retention": outcomes[team].kpis["retention"],
            "clv": outcomes[team].kpis["mean_clv"],
        }
        for team in schedules
    ]
    frame = pd.DataFrame(rows, columns=[c.name for c in LEADERBOARD_COLUMNS])
    frame = frame.sort_values("rank", kind="stable").reset_index(drop=True)
    frame["rank"] = frame["rank"].astype(np.int64)
    return frame


def questions(
    setup: ClassSetup,
    plan: Mapping[str, Sequence[Mapping[str, Any]]],
    replicates: int = DEFAULT_REPLICATES,
    lost: int = LOST_COUNT,
) -> list[Question]:
    """Every world a debrief plays, before it plays any (repeats are asked once by fill).

    Each team's own schedule with its detail, the baseline (with its round table), each
    decision taken back (:func:`sim.classroom.counterfactual.reverted`), and every team's
    schedule on ``replicates`` other worlds. The winner's schedule is a team's own.
    """
    from sim.classroom import world

    base = world.baseline_levers(setup)
    rounds = len(next(iter(plan.values()), []))
    asked = [Question(setup, tuple(s), lost) for s in plan.values()]
    asked.append(Question(setup, (base,) * rounds, 0))
    for schedule in plan.values():
        for change in changes(schedule, base):
            asked.append(Question(setup, tuple(reverted(schedule, base, change))))
    for i in range(1, replicates + 1):
        other = setup.replicate(i)
        asked += [Question(other, tuple(s)) for s in plan.values()]
    return asked


def class_debrief(
    setup: ClassSetup,
    teams: Mapping[str, str],
    decisions: Sequence[Mapping[str, Mapping[str, Any]]],
    *,
    class_name: str = "",
    replicates: int = DEFAULT_REPLICATES,
    lost: int = LOST_COUNT,
    lang: str = DEFAULT_LANG,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
) -> ClassDebrief:
    """Assemble the debrief of a class from its setup, its teams and their decisions.

    Args:
        setup: the class's world (:meth:`sim.classroom.setup.ClassSetup.from_class`).
        teams: team id → display name, in the class's order.
        decisions: ``decisions[k]`` is round *k + 1*'s latest submission of each team that
            submitted (``{team id: levers}``), for the rounds played.
        class_name: shown in the titles.
        replicates: worlds replayed for luck versus skill (0: skip it; else ≥ 2).
        lost: key customers listed per team.
        lang: the language of every text.
        progress: told ``(replays done, replays planned)`` after each world played.
        mapper: plays the batch of worlds (a process pool's ``map``; in turn when None).

    Raises:
        ArgumentError: no teams, no round played, more rounds than the class has,
            ``replicates`` of 1 or not a whole number, ``lost`` not a whole number ≥ 0.
        UserError: an unknown language.
    """
    from sim.classroom import world

    lang = check_lang(lang, "lang")
    if not teams:
        raise ArgumentError("a debrief needs at least one team")
    if not 1 <= len(decisions) <= setup.rounds:
        raise ArgumentError(
            f"decisions must cover 1 to {setup.rounds} rounds played, got {len(decisions)}"
        )
    if isinstance(lost, bool) or not isinstance(lost, int) or lost < 0:
        raise ArgumentError(f"lost must be a whole number ≥ 0, got {lost!r:.40}")
    if replicates != 0 and (
        isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 2
    ):
        raise ArgumentError(f"replicates must be 0 or a whole number ≥ 2, got {replicates!r:.40}")
    names = {str(t): str(n) for t, n in teams.items()}
    plan = world.schedules(setup, list(names), decisions)
    replays = Replays(progress)
    replays.fill(questions(setup, plan, replicates, lost), mapper)
    board = _leaderboard(setup, replays, plan, names)
    table = counterfactuals(setup, plan, names, lang, replays)
    base = world.baseline_levers(setup)
    played = len(decisions)
    baseline_rounds = replays.outcome(setup, [base] * played, 0).rounds
    assert baseline_rounds is not None
    per_team: dict[str, tuple[pd.DataFrame, pd.DataFrame, tuple[Story, ...]]] = {}
    for team, schedule in plan.items():
        seen = replays.outcome(setup, schedule, lost)
        assert seen.rounds is not None and seen.lost is not None and seen.stories is not None
        per_team[team] = (seen.rounds, seen.lost, seen.stories)
    median = np.median(np.stack([r["profit"].to_numpy() for r, _, _ in per_team.values()]), 0)
    levers = tuple(setup.open_levers)
    parts = []
    for team in board["team"]:
        rounds, gone, stories = per_team[team]
        rounds = rounds.assign(
            baseline_profit=baseline_rounds["profit"].to_numpy(), median_profit=median
        )[[c.name for c in ROUND_COLUMNS]]
        schedule = plan[team]
        values = pd.DataFrame([{p: lv.get(p) for p in levers} for lv in schedule])
        before = pd.DataFrame([{p: base.get(p) for p in levers}, *values.to_dict("records")[:-1]])
        changed = pd.DataFrame(values.to_numpy() != before.to_numpy(), columns=list(levers))
        parts.append(
            TeamDebrief(
                team=team,
                name=names[team],
                rounds=pd.concat([rounds, values], axis=1),
                changed=changed,
                counterfactuals=table[table["team"] == team].reset_index(drop=True),
                mattered=most_mattered(table, team),
                lost=gone,
                stories=stories,
            )
        )
    winner = winner_of(
        {str(t): float(s) for t, s in zip(board["team"], board["score"], strict=True)}
    )
    luck = luck_versus_skill(setup, plan, winner, replicates, replays) if replicates else None
    return ClassDebrief(
        class_name=class_name,
        lang=lang,
        header=lesson_header(setup.scenario, lang),
        rule=str(setup.scoring["rule"]),
        rounds=setup.rounds,
        played=played,
        levers=levers,
        leaderboard=board,
        counterfactuals=table,
        luck=luck,
        teams=tuple(parts),
    )


def debrief_from_store(
    store: ClassStore,
    class_id: int,
    token: str,
    *,
    replicates: int = DEFAULT_REPLICATES,
    lost: int = LOST_COUNT,
    lang: str = DEFAULT_LANG,
    progress: Progress | None = None,
) -> ClassDebrief:
    """The debrief of a stored class, over the rounds whose results are out.

    The trainer's token opens it (:meth:`ClassStore.trainer_view`); the scenario and the
    decisions come from the rounds played (:meth:`ClassStore.round_inputs`).

    Raises:
        AccessDenied: a wrong token.
        ArgumentError: no round with its results out yet, or no teams.
    """
    from sim.classroom.setup import ClassSetup

    view = store.trainer_view(class_id, token)
    played = 0
    for entry in view["rounds"]:
        if entry["state"] != "done" or entry["number"] != played + 1:
            break
        played += 1
    if played == 0:
        raise ArgumentError(f"class {class_id} has no round with its results out yet")
    inputs = [store.round_inputs(class_id, r) for r in range(1, played + 1)]
    decisions = [{str(t): lv for t, lv in one["decisions"].items()} for one in inputs]
    first = inputs[0]
    setup = ClassSetup.from_class(first["scenario"], first["config"], first["seed"])
    teams = {str(t["id"]): str(t["name"]) for t in view["teams"]}
    return class_debrief(
        setup, teams, decisions, class_name=str(view["class"]["name"]),
        replicates=replicates, lost=lost, lang=lang, progress=progress,
    )  # fmt: skip
