r"""Classroom mode: teams playing one lesson in rounds, a trainer's console, a debrief.

A trainer creates a class from a scenario, adds up to 40 teams (each gets a code on a
slip), and moves the class round by round; teams submit their decisions while a round is
open, and every team's world faces the same customers and shocks. The layers, lowest
first: the store (:class:`ClassStore`, the only door to the SQLite file: it checks every
team code and trainer token, validates every input, and makes each step happen once and
survive a crash), the class world (:mod:`sim.classroom.setup`, :mod:`sim.classroom.world`:
hidden parameters, rounds played as exact replays), the debrief
(:mod:`sim.classroom.debrief` and its neighbours) and the server
(:mod:`sim.classroom.server`, ``crmsim classroom serve``).

>>> import tempfile, pathlib
>>> store = ClassStore(pathlib.Path(tempfile.mkdtemp()) / "class.sqlite")
>>> config = {"rounds": 3, "open_levers": {"strategy.price": {"min": 10, "max": 50}}}
>>> new = store.create_class("Monday group", "name: baseline\n", config)
>>> team = store.add_team(new.class_id, new.trainer_token, "Les Bleus")
>>> store.advance(new.class_id, new.trainer_token, expected_round=0).current
1
>>> store.submit(new.class_id, team.code, 1, {"strategy.price": 25}).revision
1
>>> store.team_view(new.class_id, "WRONG-CODE")
Traceback (most recent call last):
...
sim.classroom.credentials.AccessDenied: This code or token is not valid for this class.
>>> store.close()
"""

from __future__ import annotations

from sim.classroom.credentials import AccessDenied
from sim.classroom.database import BUSY_TIMEOUT_S
from sim.classroom.rounds import RoundState
from sim.classroom.schema import MAX_TEAMS, SCHEMA_VERSION, InvalidInput, check_config, check_levers
from sim.classroom.store import ClassStore, NewClass, Receipt, TeamCode

__all__ = [
    "BUSY_TIMEOUT_S",
    "MAX_TEAMS",
    "SCHEMA_VERSION",
    "AccessDenied",
    "ClassStore",
    "InvalidInput",
    "NewClass",
    "Receipt",
    "RoundState",
    "TeamCode",
    "check_config",
    "check_levers",
]
