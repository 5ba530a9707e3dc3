"""Replays: a schedule of decisions played again, and what it scored, remembered once.

The debrief asks the same question many times over: "what would this schedule have scored
in this world?". The counterfactuals ask it of the baseline and the winner's schedule for
every team, luck versus skill of every team in every replicate, and a schedule shared by two
teams (two that never moved) is one question, not two. :class:`Replays` answers each
question once per debrief: it plays the world (:func:`sim.classroom.world.play`), reads its
KPIs and score, and keeps only those numbers (a played world is large; the world module's
own cache decides which worlds stay alive).

Replaying is exact: the same setup and schedule give the same numbers, byte for byte, in
any process, which is what lets a counterfactual be read as "the only thing that changed".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.classroom.setup import ClassSetup

__all__ = ["Outcome", "Replays", "schedule_key"]


@dataclass(frozen=True)
class Outcome:
    """What one schedule scored in one world.

    Attributes:
        score: the class's score (:func:`sim.classroom.world.score`).
        kpis: the cumulative KPIs (:func:`sim.classroom.world.kpis`).
    """

    score: float
    kpis: Mapping[str, float]


def schedule_key(schedule: Sequence[Mapping[str, Any]]) -> str:
    """One text per schedule: equal levers in equal rounds give equal text."""
    return json.dumps([dict(levers) for levers in schedule], sort_keys=True)


class Replays:
    """The outcomes of the schedules played in one debrief, each played once."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], Outcome] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def outcome(self, setup: ClassSetup, schedule: Sequence[Mapping[str, Any]]) -> Outcome:
        """The score and KPIs of ``schedule`` (levers in force per round) in ``setup``'s world.

        Raises:
            UserError: a schedule the world refuses (more rounds than the class has, a lever
                the scenario refuses).
        """
        from sim.classroom import world

        key = (setup.key, schedule_key(schedule))
        if key not in self._seen:
            live = world.play(setup, [dict(levers) for levers in schedule])
            values = world.kpis(setup, live)
            self._seen[key] = Outcome(float(world.score(setup, values)), dict(values))
        return self._seen[key]
