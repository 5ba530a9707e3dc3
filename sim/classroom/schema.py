"""What a classroom file holds, and what may go into it.

The tables, one line each (every column is described beside its DDL below):

- ``classes``: one class run from one scenario. The scenario is stored whole, as the
  resolved text the trainer started from, so replaying a class next year never depends on
  the scenario library having changed since. ``config`` is the class's JSON settings
  (rounds, round length, open levers and their ranges, budget, events, scoring); the
  ``class_seed`` stays hidden from teams until the trainer reveals it, so nobody can replay
  the market at home before deciding.
- ``teams``: up to 40 per class, each with a unique name and its code's digest.
- ``rounds``: a row is written when a round opens; ``state`` moves open → closed → done,
  and ``result`` is set in the same statement that makes it done (a CHECK holds them
  together), so a crash leaves a round either without a result or with a whole one.
- ``decisions``: every submission is a new row with the next ``revision``; the latest
  revision counts and the earlier ones stay as the history. Foreign keys make a decision
  name a team of its own class and a round that exists.
- ``events``: the audit log, who did what and when.
- ``schema_version``: one row with the layout's version, the hook for future migrations:
  a file from a newer crmsim is refused rather than misread.

Inputs are checked here before anything is written, whoever sends them: names (length, no
control characters, NFC so that "é" typed two ways is one name), lever sets (a JSON object
of dotted paths to finite numbers or short strings) and, with :func:`check_levers`, the
values against the ranges the class left open. Every problem is reported, each naming its
field and what is allowed, as :class:`InvalidInput`; each is a
:class:`~sim.classroom.said.Said`, a catalogue key and its fields, so that the pages write it
in the page's language while its English stays the error's text.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from sim.classroom.said import said
from sim.errors import Problem, UserError

__all__ = [
    "DDL",
    "MAX_TEAMS",
    "SCHEMA_VERSION",
    "InvalidInput",
    "canonical_json",
    "check_config",
    "check_lever_shape",
    "check_levers",
    "check_name",
    "check_round",
    "refusal",
]

SCHEMA_VERSION = 1
MAX_TEAMS = 40
MAX_ROUNDS = 100
_MAX_LEVERS = 200
_MAX_TEXT = 200
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")
#: C0/C1 controls and the bidirectional overrides: they would garble a projected scoreboard.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

DDL = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS classes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,               -- shown to trainer and teams
  scenario TEXT NOT NULL,           -- the resolved scenario, whole, as given
  config TEXT NOT NULL CHECK (json_valid(config)),   -- rounds, levers, budget, events ...
  class_seed INTEGER NOT NULL,      -- root seed of the class's market
  seed_revealed INTEGER NOT NULL DEFAULT 0 CHECK (seed_revealed IN (0, 1)),
  created_at TEXT NOT NULL,         -- ISO 8601 UTC, as are all times below
  salt BLOB NOT NULL,               -- per-class key of the credential digests
  trainer_hash BLOB NOT NULL        -- HMAC of the trainer token
);
CREATE TABLE IF NOT EXISTS teams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  class_id INTEGER NOT NULL REFERENCES classes(id),
  name TEXT NOT NULL,
  code_hash BLOB NOT NULL,          -- HMAC of the team code
  created_at TEXT NOT NULL,         -- when the trainer added the team
  joined_at TEXT,                   -- when the team first used its code; NULL: not yet
  UNIQUE (class_id, name),
  UNIQUE (class_id, code_hash),
  UNIQUE (id, class_id)             -- lets decisions pin a team to its class
);
CREATE TABLE IF NOT EXISTS rounds (
  class_id INTEGER NOT NULL REFERENCES classes(id),
  number INTEGER NOT NULL CHECK (number >= 1),
  state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'done')),
  opened_at TEXT NOT NULL,
  closed_at TEXT,                   -- NULL while open
  deadline TEXT,                    -- when the clock advances it; NULL: by hand only
  result TEXT CHECK (result IS NULL OR json_valid(result)),
  CHECK ((state = 'done') = (result IS NOT NULL)),
  PRIMARY KEY (class_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  class_id INTEGER NOT NULL,
  team_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  levers TEXT NOT NULL CHECK (json_valid(levers)),   -- {"dotted.path": value}
  submitted_at TEXT NOT NULL,
  revision INTEGER NOT NULL CHECK (revision >= 1),   -- 1, 2, ... per team and round
  request_id TEXT,                  -- the client's retry key; NULL: none given
  FOREIGN KEY (team_id, class_id) REFERENCES teams(id, class_id),
  FOREIGN KEY (class_id, round) REFERENCES rounds(class_id, number),
  UNIQUE (class_id, team_id, round, revision),
  UNIQUE (team_id, request_id)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  class_id INTEGER NOT NULL REFERENCES classes(id),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,              -- 'trainer', 'team:<id>', 'clock' or 'server'
  action TEXT NOT NULL,             -- 'create', 'add_team', 'join', 'advance', ...
  round INTEGER,
  detail TEXT NOT NULL CHECK (json_valid(detail))
);
CREATE INDEX IF NOT EXISTS events_by_class ON events (class_id, id);
CREATE INDEX IF NOT EXISTS open_rounds ON rounds (state, deadline);
"""


class InvalidInput(UserError):
    """Input that the store refuses, with every problem found, each naming its field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


def refusal(path: str, value: object, key: str, allowed_key: str = "", /,
            **fields: Any) -> InvalidInput:  # fmt: skip
    """One problem as the error the classroom raises: field, value (shortened), what is allowed.

    The words are the catalogue's: ``key`` (and ``allowed_key``) filled with ``fields``
    (:func:`sim.classroom.said.said`); ``value`` may be :data:`~sim.classroom.said.NO_VALUE`.
    """
    return InvalidInput([said(path, value, key, allowed_key, **fields)])


def canonical_json(value: object, path: str) -> str:
    """``value`` as compact JSON with sorted keys (so equal content is equal text)."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise refusal(path, value, "classroom.refused.not_json", error=str(err)) from None


def check_name(name: object, field: str, limit: int = _MAX_TEXT) -> str:
    """A display name in NFC, trimmed; refused when empty, too long or with controls."""
    if not isinstance(name, str):
        raise refusal(field, name, "classroom.refused.not_text")
    text = unicodedata.normalize("NFC", name).strip()
    allowed = "classroom.allowed.name"
    if not text:
        raise refusal(field, name, "classroom.refused.name_empty", allowed, limit=limit)
    if len(text) > limit:
        raise refusal(field, name, "classroom.refused.name_long", allowed, limit=limit,
                      length=len(text))  # fmt: skip
    if _CONTROLS.search(text):
        raise refusal(field, name, "classroom.refused.name_controls", allowed, limit=limit)
    return text


def check_round(number: object, field: str = "round") -> int:
    """A round number: a whole number ≥ 0 (0 is the lobby before round 1)."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise refusal(field, number, "classroom.refused.round_number")
    return number


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_config(config: object) -> dict[str, Any]:
    """The class settings, checked for what the store itself relies on.

    ``rounds`` (1 to 100) and ``open_levers`` (dotted path → ``{"min", "max"}`` numbers,
    optionally ``"integer": true``, or ``{"choices": [...]}``) are required;
    ``round_seconds`` is optional; ``budget``, ``events`` and ``scoring`` belong to the
    simulation layer and are kept as given.
    """
    if not isinstance(config, Mapping):
        raise refusal("config", config, "classroom.refused.not_mapping")
    problems: list[Problem] = []
    rounds = config.get("rounds")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        problems.append(said("rounds", rounds, "classroom.refused.round_count",
                             "classroom.allowed.from_to", low=1, high=MAX_ROUNDS))  # fmt: skip
    seconds = config.get("round_seconds")
    if seconds is not None and not (_is_number(seconds) and seconds > 0):
        problems.append(said("round_seconds", seconds, "classroom.refused.round_seconds"))
    levers = config.get("open_levers")
    if not isinstance(levers, Mapping):
        problems.append(said("open_levers", levers, "classroom.refused.lever_specs"))
        levers = {}
    for path, spec in levers.items():
        where = f"open_levers.{path}"
        if not isinstance(path, str) or not _DOTTED.fullmatch(path):
            problems.append(said(where, path, "classroom.refused.dotted"))
        elif not isinstance(spec, Mapping):
            problems.append(said(where, spec, "classroom.refused.not_mapping"))
        elif "choices" in spec:
            choices = spec["choices"]
            if not isinstance(choices, list) or not choices:
                problems.append(said(where + ".choices", choices, "classroom.refused.no_choices"))
        elif not (_is_number(spec.get("min")) and _is_number(spec.get("max"))) or not (
            spec["min"] <= spec["max"]
        ):
            problems.append(said(where, spec, "classroom.refused.lever_spec"))
    if problems:
        raise InvalidInput(problems)
    checked: dict[str, Any] = json.loads(canonical_json(dict(config), "config"))
    return checked


def check_lever_shape(levers: object) -> dict[str, float | int | str]:
    """A lever set: a JSON object of dotted paths to finite numbers or short strings."""
    if not isinstance(levers, Mapping):
        raise refusal("levers", levers, "classroom.refused.lever_set")
    if len(levers) > _MAX_LEVERS:
        raise refusal("levers", len(levers), "classroom.refused.too_many_levers", limit=_MAX_LEVERS)
    problems: list[Problem] = []
    for path, value in levers.items():
        if not isinstance(path, str) or len(path) > _MAX_TEXT or not _DOTTED.fullmatch(path):
            problems.append(said("levers", path, "classroom.refused.dotted",
                                 "classroom.allowed.dotted"))  # fmt: skip
        elif not (_is_number(value) or (isinstance(value, str) and len(value) <= _MAX_TEXT)):
            problems.append(said(path, value, "classroom.refused.lever_value",
                                 "classroom.allowed.lever_value", limit=_MAX_TEXT))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    return dict(levers)


def check_levers(config: Mapping[str, Any], levers: object) -> dict[str, float | int | str]:
    """``levers`` checked against the levers ``config`` leaves open and their ranges.

    A lever not named is left as it was (the simulation layer decides what that means);
    a named one must be open, and inside its range or among its choices.

    Raises:
        InvalidInput: every lever out of place, each with its field and allowed range.
    """
    shaped = check_lever_shape(levers)
    open_levers: Mapping[str, Any] = config.get("open_levers", {})
    problems: list[Problem] = []
    for path, value in shaped.items():
        spec = open_levers.get(path)
        if spec is None:
            names = ", ".join(sorted(open_levers))
            allowed = "classroom.allowed.one_of" if names else "classroom.allowed.no_levers"
            problems.append(said(path, value, "classroom.refused.not_open", allowed, names=names))
        elif "choices" in spec:
            if value not in spec["choices"]:
                names = ", ".join(map(str, spec["choices"]))
                problems.append(said(path, value, "classroom.refused.not_choice",
                                     "classroom.allowed.one_of", names=names))  # fmt: skip
        elif not _is_number(value):
            problems.append(said(path, value, "classroom.refused.number",
                                 "classroom.allowed.number_range", low=spec["min"],
                                 high=spec["max"]))  # fmt: skip
        elif not spec["min"] <= value <= spec["max"] or (
            spec.get("integer") and value != int(value)
        ):
            whole = spec.get("integer")
            allowed = "classroom.allowed.whole_range" if whole else "classroom.allowed.number_range"
            problems.append(said(path, value, "classroom.refused.out_of_range", allowed,
                                 low=spec["min"], high=spec["max"]))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    return shaped
