"""The classroom's memory: classes, teams, rounds and decisions in one SQLite file.

The picture is an exam hall's ballot box. Teams drop decision slips in while a round is
open; the trainer closes the box and opens the next one; the results of a closed round are
pinned up all at once or not at all. Everything a later server and its pages need goes
through :class:`ClassStore`, and every method a team or trainer can reach takes their
credential and checks it before reading or writing anything.

Why it is built this way:

- **One file, opened per thread, every write one ``BEGIN IMMEDIATE`` transaction**
  (:mod:`sim.classroom.database` says why WAL, ``synchronous=FULL`` and the busy timeout).
  Two trainer tabs advancing round 1 at once therefore run one after the other, and the
  second sees round 1 already closed: :meth:`ClassStore.advance` names the round it
  expects to close, so a repeated click is a no-op that reports the current state, in
  threads and across processes alike (:mod:`sim.classroom.rounds`). A submission reads the
  next revision number and inserts it under the same lock, so each call stores one row;
  a client that retries after a lost answer passes the same ``request_id`` and gets the
  first receipt back instead of a second row.
- **Credentials checked first.** Every team or trainer method authenticates before it
  validates anything else, so a stranger learns nothing from an error but "access
  denied" (:mod:`sim.classroom.credentials` says how codes are made and hashed).
- **A result and the "done" state are one UPDATE** (the schema's CHECK ties them), so a
  crash leaves a closed round without a result, which :meth:`ClassStore.pending_results`
  lists for the server to simulate again, never half a result.
- **Parameters only.** No SQL text is ever built from input; names, levers and scenario
  text go in as bound parameters and are validated first (:mod:`sim.classroom.schema`).
- **Team-facing methods versus the server's own.** ``team_view``/``submit``/``join`` take a
  team code, trainer actions take the trainer token. The few methods without a credential
  (``record_result``, ``round_inputs``, ``class_world``, ``teams``, ``pending_results``,
  ``advance_due``) are the simulation's and the clock's, called by the server itself and
  never to be routed to a request.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.classroom import credentials as cred
from sim.classroom import rounds, views
from sim.classroom.credentials import AccessDenied
from sim.classroom.database import Database, log_event, stamp
from sim.classroom.rounds import RoundState
from sim.classroom.schema import (
    MAX_TEAMS,
    canonical_json,
    check_config,
    check_levers,
    check_name,
    check_round,
    refusal,
)
from sim.classroom.views import CLASS_SQL, ClassRow
from sim.errors import check_seed

__all__ = ["ClassStore", "NewClass", "Receipt", "TeamCode"]

_DUMMY_SALT = bytes(32)  # stands in for a missing class, so a refusal costs the same work
_MAX_REQUEST_ID = 100


@dataclass(frozen=True)
class NewClass:
    """A class just created; the token is shown to the trainer once and never stored."""

    class_id: int
    trainer_token: str


@dataclass(frozen=True)
class TeamCode:
    """A team just added; its code goes on the team's slip and is never stored."""

    team_id: int
    name: str
    code: str


@dataclass(frozen=True)
class Receipt:
    """A stored submission: the row's id, its revision within the round, and when."""

    decision_id: int
    team_id: int
    round: int
    revision: int
    submitted_at: str


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


class ClassStore(Database):
    """Classes, teams, rounds, decisions and the audit log in one SQLite file.

    Args:
        path: the database file, created with its schema if missing.
        clock: returns the current time (tests pass a fake one); UTC now by default.
        timeout: how long a writer waits for the lock before giving up, in seconds.
    """

    # -- credentials -------------------------------------------------------------------------

    def _class_row(self, conn: sqlite3.Connection, class_id: object) -> ClassRow | None:
        row = conn.execute(CLASS_SQL, (class_id,)).fetchone() if _is_id(class_id) else None
        return ClassRow(*row) if row else None

    def _trainer(self, conn: sqlite3.Connection, class_id: object, token: object) -> ClassRow:
        row = self._class_row(conn, class_id)
        presented = cred.token_digest(row.salt if row else _DUMMY_SALT, token)
        if row is None or not cred.same_digest(row.trainer_hash, presented):
            raise AccessDenied()
        return row

    def _team(
        self, conn: sqlite3.Connection, class_id: object, code: object
    ) -> tuple[ClassRow, tuple[int, str, str | None]]:
        row = self._class_row(conn, class_id)
        typed = cred.normalise_code(code)
        presented = cred.code_digest(row.salt if row else _DUMMY_SALT, typed or "")
        team = conn.execute(
            "SELECT id, name, joined_at, code_hash FROM teams WHERE class_id = ? AND code_hash = ?",
            (class_id if row else None, presented),
        ).fetchone()
        if row is None or typed is None or not cred.same_digest(team and team[3], presented):
            raise AccessDenied()
        return row, (team[0], team[1], team[2])

    # -- the trainer -------------------------------------------------------------------------

    def create_class(
        self, name: str, scenario: str, config: Mapping[str, Any], *, seed: int | None = None
    ) -> NewClass:
        """Create a class from a scenario; returns its id and the trainer token (once).

        Args:
            name: the class's display name.
            scenario: the resolved scenario text (YAML or JSON), stored whole.
            config: rounds, open levers and the rest (:func:`~sim.classroom.check_config`).
            seed: the class's root seed, to replay an earlier class; random by default.
        """
        title = check_name(name, "name")
        if not isinstance(scenario, str) or not scenario:
            raise refusal("scenario", type(scenario).__name__, "classroom.refused.scenario_text")
        settings = canonical_json(check_config(config), "config")
        class_seed = secrets.randbits(63) if seed is None else check_seed(seed)
        if class_seed >= 2**63:
            raise refusal("seed", seed, "classroom.refused.seed")
        salt, token = cred.new_salt(), cred.new_trainer_token()
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO classes (name, scenario, config, class_seed, created_at, salt,"
                " trainer_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (title, scenario, settings, class_seed, stamp(self.now()), salt,
                 cred.token_digest(salt, token)),
            )  # fmt: skip
            class_id = int(cursor.lastrowid or 0)
            log_event(conn, class_id, self.now(), "trainer", "create")
        return NewClass(class_id, token)

    def add_team(self, class_id: int, token: str, name: str) -> TeamCode:
        """Add a team (up to 40 a class); returns its code, which is stored only hashed."""
        with self.transaction() as conn:
            salt = self._trainer(conn, class_id, token).salt
            title = check_name(name, "team name", limit=40)
            count, taken = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(name = ?), 0) FROM teams WHERE class_id = ?",
                (title, class_id),
            ).fetchone()
            if taken:
                raise refusal("team name", title, "classroom.refused.name_taken")
            if count >= MAX_TEAMS:
                raise refusal("teams", count, "classroom.refused.too_many_teams", limit=MAX_TEAMS)
            clash = "SELECT 1 FROM teams WHERE class_id = ? AND code_hash = ?"
            while True:  # two equal codes in one class: odds ~1e-9, but draw again if so
                code = cred.new_team_code()
                digest = cred.code_digest(salt, cred.normalise_code(code) or "")
                if conn.execute(clash, (class_id, digest)).fetchone() is None:
                    break
            cursor = conn.execute(
                "INSERT INTO teams (class_id, name, code_hash, created_at) VALUES (?, ?, ?, ?)",
                (class_id, title, digest, stamp(self.now())),
            )
            team_id = int(cursor.lastrowid or 0)
            log_event(conn, class_id, self.now(), "trainer", "add_team", None, {"team": team_id})
        return TeamCode(team_id, title, code)

    def reveal_seed(self, class_id: int, token: str) -> int:
        """Show the class seed to the teams (for a debrief replay); returns it."""
        with self.transaction() as conn:
            seed = int(self._trainer(conn, class_id, token).seed)
            conn.execute("UPDATE classes SET seed_revealed = 1 WHERE id = ?", (class_id,))
            log_event(conn, class_id, self.now(), "trainer", "reveal_seed")
        return seed

    def advance(self, class_id: int, token: str, expected_round: int) -> RoundState:
        """Close round ``expected_round`` and open the next, at most once.

        ``expected_round`` is the round the trainer's page showed as current (0 opens
        round 1). If the class is already past it (a double click, a second tab, a
        deadline that fired first) nothing happens and the current state comes back with
        ``changed=False``; the caller simulates only when ``closed`` is set.

        Raises:
            AccessDenied: a wrong token.
            InvalidInput: ``expected_round`` is ahead of the class.
        """
        with self.transaction() as conn:
            config = json.loads(self._trainer(conn, class_id, token).config)
            expected = check_round(expected_round, "expected_round")
            return rounds.advance(conn, class_id, expected, config, self.now(), "trainer")

    def reopen(self, class_id: int, token: str, round: int) -> RoundState:
        """Open ``round`` again for late submissions (:func:`sim.classroom.rounds.reopen`)."""
        with self.transaction() as conn:
            self._trainer(conn, class_id, token)
            return rounds.reopen(conn, class_id, check_round(round), self.now())

    def trainer_view(self, class_id: int, token: str) -> dict[str, Any]:
        """Everything about a class (:func:`sim.classroom.views.trainer_view`)."""
        with self.transaction(write=False) as conn:
            return views.trainer_view(conn, class_id, self._trainer(conn, class_id, token))

    # -- the teams ---------------------------------------------------------------------------

    def join(self, class_id: int, code: str) -> dict[str, Any]:
        """A team's use of its code: returns its id and name.

        The first use is recorded, so the trainer sees who is in the room.
        """
        with self.transaction() as conn:
            _, (team_id, name, joined_at) = self._team(conn, class_id, code)
            if joined_at is None:
                now = self.now()
                conn.execute("UPDATE teams SET joined_at = ? WHERE id = ?", (stamp(now), team_id))
                log_event(conn, class_id, now, f"team:{team_id}", "join")
        return {"team": team_id, "name": name}

    def submit(
        self, class_id: int, code: str, round: int, levers: Mapping[str, Any],
        request_id: str | None = None,
    ) -> Receipt:  # fmt: skip
        """Store a team's decision for an open round as its next revision.

        Args:
            class_id: the class.
            code: the team's code.
            round: the round the team's page showed; refused unless it is open.
            levers: dotted lever path → value, inside the class's open ranges.
            request_id: the client's retry key; a second call with the same key returns
                the first call's receipt instead of storing the decision again.

        Raises:
            AccessDenied: a wrong code.
            InvalidInput: the round is not open, or a lever is not open or out of range.
        """
        with self.transaction() as conn:
            row, (team_id, _, _) = self._team(conn, class_id, code)
            number = check_round(round)
            if request_id is not None:
                if not isinstance(request_id, str) or len(request_id) > _MAX_REQUEST_ID:
                    raise refusal("request_id", request_id, "classroom.refused.request_id",
                                  limit=_MAX_REQUEST_ID)  # fmt: skip
                seen = conn.execute(
                    "SELECT id, team_id, round, revision, submitted_at FROM decisions"
                    " WHERE team_id = ? AND request_id = ?",
                    (team_id, request_id),
                ).fetchone()
                if seen is not None:
                    return Receipt(*seen)
            text = canonical_json(check_levers(json.loads(row.config), levers), "levers")
            state = conn.execute(
                "SELECT state FROM rounds WHERE class_id = ? AND number = ?", (class_id, number)
            ).fetchone()
            if state is None or state[0] != "open":
                raise refusal("round", round, "classroom.refused.round_not_open")
            revision = conn.execute(
                "SELECT COALESCE(MAX(revision), 0) + 1 FROM decisions"
                " WHERE class_id = ? AND team_id = ? AND round = ?",
                (class_id, team_id, number),
            ).fetchone()[0]
            at = stamp(self.now())
            cursor = conn.execute(
                "INSERT INTO decisions (class_id, team_id, round, levers, submitted_at, revision,"
                " request_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (class_id, team_id, number, text, at, revision, request_id),
            )
            return Receipt(int(cursor.lastrowid or 0), team_id, number, revision, at)

    def team_view(self, class_id: int, code: str) -> dict[str, Any]:
        """What one team may see, and nothing of another's (:func:`~.views.team_view`)."""
        with self.transaction(write=False) as conn:
            row, (team_id, name, _) = self._team(conn, class_id, code)
            return views.team_view(conn, class_id, row, (team_id, name))

    # -- the server itself: the clock and the simulation, never a request ------------------

    def advance_due(self) -> list[RoundState]:
        """Advance every open round whose deadline has passed; returns the changes."""
        with self.transaction(write=False) as conn:
            due = conn.execute(
                "SELECT class_id, number FROM rounds WHERE state = 'open' AND deadline <= ?",
                (stamp(self.now()),),
            ).fetchall()
        states = []
        for class_id, number in due:  # each in its own transaction, safe against a click
            with self.transaction() as conn:
                row = self._class_row(conn, class_id)
                config = json.loads(row.config if row else "{}")
                states.append(rounds.advance(conn, class_id, number, config, self.now(), "clock"))
        return [s for s in states if s.changed]

    def pending_results(self) -> list[tuple[int, int]]:
        """``(class_id, round)`` of every closed round still without a result.

        After a crash between closing a round and storing its result, these are the rounds
        to simulate again.
        """
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT class_id, number FROM rounds WHERE state = 'closed' ORDER BY 1, 2"
            ).fetchall()
        return [(int(c), int(n)) for c, n in rows]

    def round_inputs(self, class_id: int, round: int) -> dict[str, Any]:
        """What the simulation of a closed round needs.

        Keys: ``scenario`` (the stored text), ``config``, ``seed`` and ``decisions`` (each
        team's latest levers by team id; frozen, since the round is closed).

        Raises:
            InvalidInput: no such class, or the round is not closed.
        """
        with self.transaction(write=False) as conn:
            row = self._class_row(conn, class_id)
            number = check_round(round)
            state = conn.execute(
                "SELECT state FROM rounds WHERE class_id = ? AND number = ?", (class_id, number)
            ).fetchone()
            if row is None or state is None or state[0] == "open":
                raise refusal("round", round, "classroom.refused.round_not_closed")
            return {
                "scenario": row.scenario,
                "config": json.loads(row.config),
                "seed": row.seed,
                "decisions": views.latest_decisions(conn, class_id, number),
            }

    def class_world(self, class_id: int) -> tuple[str, dict[str, Any]]:
        """A class's stored scenario text and settings (the world functions' inputs).

        Raises:
            InvalidInput: no such class.
        """
        with self.transaction(write=False) as conn:
            row = self._class_row(conn, class_id)
        if row is None:
            raise refusal("class", class_id, "classroom.refused.no_class")
        return row.scenario, json.loads(row.config)

    def teams(self, class_id: int) -> list[tuple[int, str]]:
        """``(team id, name)`` of every team of a class, in the order they were added."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT id, name FROM teams WHERE class_id = ? ORDER BY id", (class_id,)
            ).fetchall()
        return [(int(i), str(n)) for i, n in rows]

    def record_result(self, class_id: int, round: int, results: Mapping[str, Any]) -> bool:
        """Store a closed round's result and mark it done, atomically; False if already so.

        See :func:`sim.classroom.rounds.record_result` for the shape of ``results``.
        """
        with self.transaction() as conn:
            if self._class_row(conn, class_id) is None:
                raise refusal("class", class_id, "classroom.refused.no_class")
            return rounds.record_result(conn, class_id, check_round(round), results, self.now())
