"""Replays: a schedule of decisions played again, and what it scored, remembered once.

The debrief asks the same question many times over: "what would this schedule have scored
in this world?". The counterfactuals ask it of the baseline and the winner's schedule for
every team, luck versus skill of every team in every replicate, and a schedule shared by two
teams (two that never moved) is one question, not two. :class:`Replays` answers each
question once per debrief: it plays the world (:func:`sim.classroom.world.play`), reads its
KPIs and score, and keeps only those numbers (a played world is large; the world module's
own cache decides which worlds stay alive). A question may also ask for the world's
**detail** (its round-by-round table and its most valuable lost customers with their
stories), which a team's own schedule needs for its debrief page: read from the same play.

Replaying is exact: the same setup and schedule give the same numbers, byte for byte, in
any process, which is what lets a counterfactual be read as "the only thing that changed"
and what lets :meth:`Replays.fill` answer the questions of a debrief in worker processes
(:class:`sim.experiments.executors.ProcessPool`, two cores at classroom size): the parent
lists every question first, the workers play them, and the debrief then reads the answers
as if it had played them itself. Each answer counts towards the progress the back office
shows (``done`` of ``planned``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.classroom.setup import ClassSetup
    from sim.dashboard.story import Story

__all__ = [
    "Mapper",
    "Outcome",
    "Progress",
    "Question",
    "Replays",
    "replay",
    "round_table",
    "schedule_key",
]

#: Told ``(done, planned)`` after every question answered; may raise to stop the work.
Progress = Callable[[int, int], None]
#: How a batch of questions is answered: ``map`` itself, or a process pool's ``map``.
Mapper = Callable[[Callable[["Question"], "Outcome"], Iterable["Question"]], Iterator["Outcome"]]


@dataclass(frozen=True)
class Outcome:
    """What one schedule scored in one world.

    Attributes:
        score: the class's score (:func:`sim.classroom.world.score`).
        kpis: the cumulative KPIs (:func:`sim.classroom.world.kpis`).
        rounds: the world round by round (:func:`round_table`); None unless asked for.
        lost: its most valuable lost customers (:func:`sim.dashboard.story.lost` columns);
            None unless asked for.
        stories: the story of each of them, in ``lost``'s order; None unless asked for.
        listed: how many lost customers were asked for (None: no detail).
    """

    score: float
    kpis: Mapping[str, float]
    rounds: pd.DataFrame | None = None
    lost: pd.DataFrame | None = None
    stories: tuple[Story, ...] | None = None
    listed: int | None = None


class Question(NamedTuple):
    """One schedule to play in one world, and whether its detail is wanted."""

    setup: ClassSetup  #: the world (the class's own, or a replicate)
    schedule: tuple[Mapping[str, Any], ...]  #: the levers in force per round
    lost: int | None = None  #: None: score and KPIs only; n: also the detail, n lost listed


def schedule_key(schedule: Sequence[Mapping[str, Any]]) -> str:
    """One text per schedule: equal levers in equal rounds give equal text."""
    return json.dumps([dict(levers) for levers in schedule], sort_keys=True)


def round_table(setup: ClassSetup, periods: pd.DataFrame) -> pd.DataFrame:
    """A played world's periods summed (flows) or read at the close (levels) per round.

    Columns ``round``, ``revenue``, ``profit``, ``churned``, ``active_end``
    (:data:`sim.classroom.debrief.ROUND_COLUMNS` says what each holds).
    """
    per = setup.periods_per_round
    by = periods.assign(round=(periods["period"].to_numpy(np.int64) // per) + 1).groupby("round")
    return pd.DataFrame(
        {
            "round": np.asarray(by.size().index, dtype=np.int64),
            "revenue": by["revenue"].sum().to_numpy(float),
            "profit": by["profit"].sum().to_numpy(float),
            "churned": by["churned"].sum().to_numpy(np.int64),
            "active_end": by["active"].last().to_numpy(np.int64),
        }
    )


def replay(question: Question) -> Outcome:
    """Play one question (in this process, or in a worker process of a pool).

    Raises:
        UserError: a schedule the world refuses (more rounds than the class has, a lever
            the scenario refuses).
    """
    from sim.classroom import world

    setup = question.setup
    live = world.play(setup, [dict(levers) for levers in question.schedule])
    values = world.kpis(setup, live)
    score = float(world.score(setup, values))
    if question.lost is None:
        return Outcome(score, dict(values))
    # Read at once: a played world may be stepped on by a later play of its cache.
    gone = live.lost_key_accounts(question.lost)
    stories = tuple(live.story(int(cid)) for cid in gone["customer_id"])
    rounds = round_table(setup, live.periods())
    return Outcome(score, dict(values), rounds, gone, stories, question.lost)


def _key(question: Question) -> tuple[str, str]:
    return question.setup.key, schedule_key(question.schedule)


class Replays:
    """The outcomes of the schedules played in one debrief, each played once.

    Args:
        progress: told ``(done, planned)`` after each question answered.
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self._seen: dict[tuple[str, str], Outcome] = {}
        self._progress = progress
        self.planned = 0
        self.done = 0

    def __len__(self) -> int:
        return len(self._seen)

    def _wanted(self, question: Question) -> bool:
        known = self._seen.get(_key(question))
        if known is None:
            return True
        return question.lost is not None and (known.listed is None or known.listed < question.lost)

    def _answered(self, question: Question, outcome: Outcome) -> None:
        self._seen[_key(question)] = outcome
        self.done += 1
        if self._progress is not None:
            self._progress(self.done, self.planned)

    def fill(self, questions: Iterable[Question], mapper: Mapper | None = None) -> int:
        """Answer every question not answered yet, through ``mapper`` (in turn when None).

        Questions about the same schedule in the same world are asked once (with the
        largest detail any of them wants). Returns how many were played.
        """
        todo: dict[tuple[str, str], Question] = {}
        for q in questions:
            key = _key(q)
            if key in todo:
                lost = todo[key].lost
                more = None if lost is None and q.lost is None else max(lost or 0, q.lost or 0)
                todo[key] = todo[key]._replace(lost=more)
            elif self._wanted(q):
                todo[key] = q
        asked = [q for q in todo.values() if self._wanted(q)]
        self.planned += len(asked)
        if asked and self._progress is not None:
            self._progress(self.done, self.planned)  # the plan is known before the first play
        for question, outcome in zip(asked, (mapper or map)(replay, asked), strict=True):
            self._answered(question, outcome)
        return len(asked)

    def outcome(
        self, setup: ClassSetup, schedule: Sequence[Mapping[str, Any]], lost: int | None = None
    ) -> Outcome:
        """The score and KPIs of ``schedule`` (levers in force per round) in ``setup``'s world.

        With ``lost``, also its detail (round table, ``lost`` key customers and stories).

        Raises:
            UserError: a schedule the world refuses (more rounds than the class has, a lever
                the scenario refuses).
        """
        question = Question(setup, tuple(schedule), lost)
        if self._wanted(question):  # not planned by fill: played here, and counted
            self.planned += 1
            self._answered(question, replay(question))
        return self._seen[_key(question)]
