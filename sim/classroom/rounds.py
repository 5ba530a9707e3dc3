"""The round state machine: lobby → open → closed → done, each step at most once.

A round is a ballot box. ``advance`` closes the open box and opens the next one; the
simulation then reads the closed box and pins up its result, which makes the round done.
The trainer may ``reopen`` a box while nothing after it has been used. Each function here
runs inside the caller's ``BEGIN IMMEDIATE`` transaction, which already holds the write
lock: what it reads cannot change before it writes, which is what makes a double click,
two trainer tabs or two server processes advance a round once.

Idempotence rests on the caller naming the round it means (``expected``): the first call
that finds that round still open does the work; every later one finds the class past it
and only reports where it stands.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sim.classroom.database import log_event, stamp
from sim.classroom.schema import canonical_json, refusal

__all__ = ["RoundState", "advance", "current", "record_result", "reopen"]


@dataclass(frozen=True)
class RoundState:
    """Where a class stands after an advance or a reopen.

    Attributes:
        current: the highest round opened so far; 0 before round 1 (the lobby).
        state: that round's state, ``'open'``, ``'closed'`` or ``'done'``; ``'lobby'`` at 0.
        changed: True only for the one call that did the work; a repeated click gets False.
        closed: the round this call closed, which the caller now simulates; else None.
    """

    current: int
    state: str
    changed: bool
    closed: int | None = None


def current(conn: sqlite3.Connection, class_id: int) -> tuple[int, str]:
    """The highest round opened and its state; ``(0, 'lobby')`` before round 1."""
    row = conn.execute(
        "SELECT number, state FROM rounds WHERE class_id = ? ORDER BY number DESC LIMIT 1",
        (class_id,),
    ).fetchone()
    return (row[0], row[1]) if row else (0, "lobby")


def advance(
    conn: sqlite3.Connection, class_id: int, expected: int, config: Mapping[str, Any],
    now: datetime, actor: str,
) -> RoundState:  # fmt: skip
    """Close round ``expected`` (0: none) and open the next, unless the class is past it.

    The last round closes without opening another. A new round's deadline is ``now`` plus
    the class's ``round_seconds``, or none when the class advances by hand only.

    Raises:
        InvalidInput: ``expected`` is ahead of the class.
    """
    number, state = current(conn, class_id)
    if expected < number or (expected == number and state not in ("open", "lobby")):
        return RoundState(number, state, changed=False)
    if expected > number:
        raise refusal("round", expected, "classroom.refused.round_ahead", current=number)
    if number:
        conn.execute(
            "UPDATE rounds SET state = 'closed', closed_at = ? WHERE class_id = ? AND number = ?",
            (stamp(now), class_id, number),
        )
    opens = number < config["rounds"]
    if opens:
        seconds = config.get("round_seconds")
        deadline = stamp(now + timedelta(seconds=seconds)) if seconds else None
        conn.execute(
            "INSERT INTO rounds (class_id, number, state, opened_at, deadline)"
            " VALUES (?, ?, 'open', ?, ?)",
            (class_id, number + 1, stamp(now), deadline),
        )
    log_event(conn, class_id, now, actor, "advance", number, {"opened": opens})
    after, after_state = current(conn, class_id)
    return RoundState(after, after_state, changed=True, closed=number or None)


def reopen(conn: sqlite3.Connection, class_id: int, number: int, now: datetime) -> RoundState:
    """Open round ``number`` again, withdrawing later rounds that nobody has used yet.

    Its result, if any, is discarded (and kept in the audit log); it gets no deadline, so
    the trainer advances it by hand.

    Raises:
        InvalidInput: a round not opened yet, or a later round with decisions or a result.
    """
    latest, state = current(conn, class_id)
    if number == latest and state == "open":
        return RoundState(latest, state, changed=False)
    if not 1 <= number <= latest:
        raise refusal("round", number, "classroom.refused.round_unopened")
    used = conn.execute(
        "SELECT (SELECT COUNT(*) FROM decisions WHERE class_id = ?1 AND round > ?2)"
        " + (SELECT COUNT(*) FROM rounds WHERE class_id = ?1 AND number > ?2"
        " AND result IS NOT NULL)",
        (class_id, number),
    ).fetchone()[0]
    if used:
        raise refusal("round", number, "classroom.refused.round_used")
    old = conn.execute(
        "SELECT result FROM rounds WHERE class_id = ? AND number = ?", (class_id, number)
    ).fetchone()[0]
    conn.execute("DELETE FROM rounds WHERE class_id = ? AND number > ?", (class_id, number))
    conn.execute(
        "UPDATE rounds SET state = 'open', closed_at = NULL, deadline = NULL, result = NULL"
        " WHERE class_id = ? AND number = ?",
        (class_id, number),
    )
    log_event(conn, class_id, now, "trainer", "reopen", number, {"old_result": old})
    return RoundState(number, "open", changed=True)


def record_result(
    conn: sqlite3.Connection, class_id: int, number: int, results: object, now: datetime
) -> bool:
    """Store a closed round's result and mark it done, in one statement.

    ``results`` is ``{"teams": {"<team id>": {...}}, "public": {...}}``: each team sees
    its own entry and the public part (a scoreboard), never another team's entry.

    Returns:
        True when stored; False when the same result was already there (a retry).

    Raises:
        InvalidInput: the round is not closed, the result names a team not in the class,
            or a different result is already stored (a finished round never changes).
    """
    if not isinstance(results, Mapping) or not isinstance(results.get("teams"), Mapping):
        raise refusal("results", results, "classroom.refused.results")
    text = canonical_json(dict(results), "results")
    teams = {
        str(t) for (t,) in conn.execute("SELECT id FROM teams WHERE class_id = ?", (class_id,))
    }
    strangers = sorted(set(map(str, results["teams"])) - teams)
    if strangers:
        raise refusal("results.teams", strangers, "classroom.refused.strangers")
    row = conn.execute(
        "SELECT state, result FROM rounds WHERE class_id = ? AND number = ?", (class_id, number)
    ).fetchone()
    if row is not None and row[0] == "done":
        if row[1] == text:
            return False
        raise refusal("round", number, "classroom.refused.result_differs")
    if row is None or row[0] != "closed":
        raise refusal("round", number, "classroom.refused.round_not_done")
    conn.execute(
        "UPDATE rounds SET state = 'done', result = ? WHERE class_id = ? AND number = ?",
        (text, class_id, number),
    )
    log_event(conn, class_id, now, "server", "result", number)
    return True
