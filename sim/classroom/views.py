"""What the trainer and a team are shown: read-only views of a class, as JSON-ready dicts.

The views are where isolation shows: the trainer's view holds everything, a team's holds
the class's public settings, its own decisions and, of each round's result, only its own
entry and the public part (``{"teams": {"<id>": ...}, "public": ...}``, see
:func:`sim.classroom.rounds.record_result`). Each function reads inside the caller's
transaction, after the caller has checked the credential.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, NamedTuple

__all__ = ["CLASS_SQL", "ClassRow", "latest_decisions", "team_view", "trainer_view"]

#: The class settings a team may see; ``events`` and ``scoring`` may hold the surprise.
_PUBLIC_CONFIG = ("rounds", "round_seconds", "open_levers", "budget")

_LATEST = (
    "SELECT d.id, d.team_id, d.round, d.levers, d.revision, d.submitted_at FROM decisions d"
    " WHERE d.class_id = ? AND d.revision = (SELECT MAX(e.revision) FROM decisions e"
    " WHERE e.class_id = d.class_id AND e.team_id = d.team_id AND e.round = d.round)"
)


class ClassRow(NamedTuple):
    """One row of ``classes``, as the store reads it (columns in :data:`CLASS_SQL` order)."""

    salt: bytes
    trainer_hash: bytes
    config: str
    name: str
    seed: int
    seed_revealed: int
    created_at: str
    scenario: str


CLASS_SQL = (
    "SELECT salt, trainer_hash, config, name, class_seed, seed_revealed, created_at, scenario"
    " FROM classes WHERE id = ?"
)


def _decision(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("team", "round", "levers", "revision", "submitted_at")
    shown = dict(zip(keys, row[1:], strict=True))
    shown["levers"] = json.loads(shown["levers"])
    return shown


def _rounds(conn: sqlite3.Connection, class_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT number, state, opened_at, closed_at, deadline, result FROM rounds"
        " WHERE class_id = ? ORDER BY number",
        (class_id,),
    ).fetchall()
    keys = ("number", "state", "opened_at", "closed_at", "deadline")
    return [
        {**dict(zip(keys, r[:5], strict=True)), "result": json.loads(r[5]) if r[5] else None}
        for r in rows
    ]


def latest_decisions(conn: sqlite3.Connection, class_id: int, number: int) -> dict[int, Any]:
    """Each team's latest levers for one round, by team id."""
    rows = conn.execute(_LATEST + " AND d.round = ? ORDER BY d.team_id", (class_id, number))
    return {row[1]: json.loads(row[3]) for row in rows}


def trainer_view(conn: sqlite3.Connection, class_id: int, row: ClassRow) -> dict[str, Any]:
    """Everything about a class.

    Keys: ``class`` (id, name, config, seed, seed_revealed, created_at), ``teams`` (id,
    name, created_at, joined_at), ``rounds`` (number, state, opened_at, closed_at,
    deadline, result), ``decisions`` (the latest of each team in each round: team, round,
    levers, revision, submitted_at) and ``events`` (the audit log: at, actor, action,
    round, detail).
    """
    teams = conn.execute(
        "SELECT id, name, created_at, joined_at FROM teams WHERE class_id = ? ORDER BY id",
        (class_id,),
    )
    events = conn.execute(
        "SELECT at, actor, action, round, detail FROM events WHERE class_id = ? ORDER BY id",
        (class_id,),
    )
    latest = conn.execute(_LATEST + " ORDER BY d.round, d.team_id", (class_id,))
    return {
        "class": {
            "id": class_id,
            "name": row.name,
            "config": json.loads(row.config),
            "seed": row.seed,
            "seed_revealed": bool(row.seed_revealed),
            "created_at": row.created_at,
        },
        "teams": [
            dict(zip(("id", "name", "created_at", "joined_at"), t, strict=True)) for t in teams
        ],
        "rounds": _rounds(conn, class_id),
        "decisions": [_decision(d) for d in latest],
        "events": [
            dict(zip(("at", "actor", "action", "round", "detail"), e, strict=True))
            | {"detail": json.loads(e[4])}
            for e in events
        ],
    }


def team_view(
    conn: sqlite3.Connection, class_id: int, row: ClassRow, team: tuple[int, str]
) -> dict[str, Any]:
    """What one team may see.

    Keys: ``class`` (id, name, the public part of the config, the seed once revealed, else
    None), ``team`` (id, name), ``rounds`` (number, state, opened_at, closed_at, deadline,
    ``result``: this team's entry, ``public``: the shared part) and ``decisions`` (its own
    latest per round).
    """
    team_id, team_name = team
    shown = []
    for entry in _rounds(conn, class_id):
        result = entry.pop("result") or {}
        entry["result"] = result.get("teams", {}).get(str(team_id))
        entry["public"] = result.get("public")
        shown.append(entry)
    config = json.loads(row.config)
    own = conn.execute(_LATEST + " AND d.team_id = ? ORDER BY d.round", (class_id, team_id))
    return {
        "class": {
            "id": class_id,
            "name": row.name,
            "config": {k: config[k] for k in _PUBLIC_CONFIG if k in config},
            "seed": row.seed if row.seed_revealed else None,
        },
        "team": {"id": team_id, "name": team_name},
        "rounds": shown,
        "decisions": [_decision(d) for d in own],
    }
