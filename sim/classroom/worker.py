"""The back office: the round clock, the simulation of closed rounds, and the debriefs.

A request never simulates. The trainer's "advance" (or a deadline) only closes the ballot
box in the store and wakes the back office; a thread of its own then takes every closed
round without a result (:meth:`ClassStore.pending_results`), reads the decisions of rounds
1 to that round, has :func:`sim.classroom.world.simulate` play them and pins the result up
with :meth:`ClassStore.record_result`. Pages show "simulating…" meanwhile.

Why it is built this way:

- **The store is the queue.** Nothing waits in memory: a round is pending because the file
  says it is closed and has no result. A server killed mid-simulation finds the same rounds
  pending when it starts again, and the worker's first act is to play them (crash recovery
  costs nothing extra). The world is a function of the class and its decisions, so a round
  played twice gives the same result, and the store refuses a different one.
- **One simulating thread, one clock thread.** The clock calls
  :meth:`ClassStore.advance_due` every second, so deadlines fire while a long round is
  being played; the simulations of a server run one at a time, which keeps 40 teams'
  pages answering on a two-core machine.
- **A failed simulation is kept, not retried in a loop.** Its message is shown to the
  trainer and it is tried again after :data:`RETRY_S`, so a bug does not spin a core.
- **A debrief has a thread of its own.** Preparing it replays hundreds of worlds (minutes
  at classroom size), so it must not hold up the next round: :mod:`sim.classroom.debriefs`
  builds one at a time from the job records in its folder, the first of them at start-up
  (what a crash left half done is done again).
- **Team names join the public scoreboard here.** The world knows teams by id; the
  leaderboard a class sees needs their names, which the worker reads with the team list
  (the store's own connection, read-only, parameters bound) and writes into each entry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from sim.classroom.debriefs import Debriefs
from sim.classroom.store import ClassStore

__all__ = ["RETRY_S", "TICK_S", "Worker", "simulate_round"]

#: Seconds between two clock ticks (deadlines are checked this often).
TICK_S = 1.0
#: Seconds before a round whose simulation failed is tried again.
RETRY_S = 30.0

_log = logging.getLogger("crmsim.classroom")


def simulate_round(store: ClassStore, class_id: int, number: int) -> bool:
    """Play closed round ``number`` of a class and store its result; False if already stored.

    Raises:
        InvalidInput: the round is not closed, or the world refused the class's settings.
    """
    from sim.classroom import world

    inputs = [store.round_inputs(class_id, r) for r in range(1, number + 1)]
    last = inputs[-1]
    teams = store.teams(class_id)
    decisions = [{str(team): levers for team, levers in one["decisions"].items()} for one in inputs]
    result = world.simulate(
        last["scenario"], last["config"], last["seed"], [str(t) for t, _ in teams], decisions
    )
    return store.record_result(class_id, number, with_names(result, dict(teams)))


def with_names(result: Mapping[str, Any], names: Mapping[int, str]) -> dict[str, Any]:
    """``result`` with each leaderboard entry given its team's ``name``."""
    public = dict(result.get("public") or {})
    board = public.get("leaderboard")
    if isinstance(board, list):
        public["leaderboard"] = [
            {**entry, "name": names.get(int(entry["team_id"]), str(entry["team_id"]))}
            for entry in board
        ]
    return {**result, "public": public}


class Worker:
    """The clock and the simulation threads of one server (see the module docstring).

    Args:
        store: the class file.
        tick: seconds between clock ticks.
    """

    def __init__(self, store: ClassStore, tick: float = TICK_S) -> None:
        self.store = store
        self.tick = tick
        self.debriefs = Debriefs.beside(store.path)
        self.failures: dict[tuple[int, int], tuple[float, str]] = {}
        self.busy: tuple[int, int] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the threads; each first does what a crash left pending."""
        self._stop.clear()
        self._wake.set()  # crash recovery: look at pending rounds at once
        self.debriefs.clean()  # a killed job's half-written files: never served, now gone
        self.debriefs.wake.set()  # and its job record, run again
        self._threads = [
            threading.Thread(target=self._simulate_loop, name="classroom-sim", daemon=True),
            threading.Thread(target=self._clock_loop, name="classroom-clock", daemon=True),
            threading.Thread(target=self._debrief_loop, name="classroom-debrief", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the threads to end and wait for them.

        A simulation under way finishes; a debrief under way stops at its next replay and is
        done again at the next start.
        """
        self._stop.set()
        self._wake.set()
        self.debriefs.wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def wake(self) -> None:
        """Say that a round was closed: the simulator looks at once, not at the next tick."""
        self._wake.set()

    def failure(self, class_id: int, number: int) -> str | None:
        """The message of the last failed simulation of that round, if it failed."""
        found = self.failures.get((class_id, number))
        return found[1] if found else None

    def run_pending(self) -> int:
        """Play every pending round that is not waiting for a retry; returns how many."""
        played = 0
        for class_id, number in self.store.pending_results():
            failed = self.failures.get((class_id, number))
            if failed is not None and time.monotonic() - failed[0] < RETRY_S:
                continue
            self.busy = (class_id, number)
            try:
                simulate_round(self.store, class_id, number)
                self.failures.pop((class_id, number), None)
                played += 1
            except Exception as exc:  # a bug or a refused setting: shown, retried later
                _log.exception("simulating round %s of class %s failed", number, class_id)
                self.failures[(class_id, number)] = (time.monotonic(), str(exc) or repr(exc))
            finally:
                self.busy = None
            if self._stop.is_set():
                break
        return played

    def _simulate_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick * 5)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_pending()
            except Exception:  # the file unreadable for a moment: try at the next wake
                _log.exception("reading pending rounds failed")

    def _debrief_loop(self) -> None:
        while not self._stop.is_set():
            self.debriefs.wake.wait(self.tick * 5)
            self.debriefs.wake.clear()
            if self._stop.is_set():
                return
            try:
                self.debriefs.run_pending(self._stop)
            except Exception:  # the folder unreadable for a moment: try at the next wake
                _log.exception("reading pending debriefs failed")

    def _clock_loop(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                if self.store.advance_due():
                    self.wake()
            except Exception:
                _log.exception("the round clock failed")
